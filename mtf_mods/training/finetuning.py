"""Fine-tuning from a pre-trained checkpoint, t5's way, as gin configurables.

t5 fine-tunes by initializing every variable, the global step included, from
the pre-trained checkpoint (`utils.run.init_checkpoint`) and training until
`utils.run.train_steps` = checkpoint step + fine-tuning steps (t5's
`MtfModel.finetune`); checkpoints of the fine-tuned model are numbered on from
the pre-trained step. stages/finetune.gin binds:

  utils.run.init_checkpoint = %INIT_CHECKPOINT
  utils.run.train_steps = @mtf_mods.steps_after_checkpoint
  learning_rate_schedules.product_learning_rate.offset = @mtf_mods.checkpoint_step()

The last binding makes mtf's own learning-rate factors (constant learning
rate, `linear_warmup`) count steps from the start of fine-tuning, so the
paper's "linear warm-up of 20,000 steps" (Sec. 4) warms up over the first
20,000 fine-tuning steps. (The authors' released XSum command instead set an
absolute warm-up end, 564,288, so the rate only ramped from 0.93 to 1; bind
`product_learning_rate.offset = 0` and that `linear_warmup` value to run it.)

`mtf-mods train --pretrained_model_dir=DIR` binds INIT_CHECKPOINT to DIR's
latest checkpoint (`model_dir_reader.latest_checkpoint`); with the
unmodified t5 launcher, bind it yourself, e.g.
--gin_param="INIT_CHECKPOINT = 'runs/base/model.ckpt-1200'".
"""
import gin

from mtf_mods.files import model_dir_reader


@gin.configurable(module="mtf_mods")
def checkpoint_step(checkpoint=gin.REQUIRED):
  """gin: the global step of the initial checkpoint."""
  return model_dir_reader.step_of(checkpoint)


@gin.configurable(module="mtf_mods")
def steps_after_checkpoint(batch_size, sequence_length,
                           checkpoint=gin.REQUIRED, steps=gin.REQUIRED):
  """gin `utils.run.train_steps`: the checkpoint's step plus `steps`.

  Args:
    batch_size, sequence_length: passed by utils.run (unused).
    checkpoint: the initial checkpoint path.
    steps: training steps to run after it.
  """
  del batch_size, sequence_length
  return model_dir_reader.step_of(checkpoint) + steps
