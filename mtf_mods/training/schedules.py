"""Learning-rate factors the kit adds to mtf's (learning_rate_schedules).

warmup_over_pretraining: the Adam variants' linear warm-up (Narang et al.
2021, Sec. 3: 4,000 steps of the 524,288) spans a share of the whole
pre-training run, `pretraining_steps`, not of the launch's own steps: a run
cut to the early step (the study's early-loss seeds stop at 1/8) warms up
over the same 4,000 paper-scale steps as the full run, where mtf's
linear_warmup with a fraction would take 1/8 of them.
"""
import gin
from mesh_tensorflow.transformer import learning_rate_schedules


@gin.configurable(module="mtf_mods")
def warmup_over_pretraining(step, total_train_steps, fraction=gin.REQUIRED,
                            pretraining_steps=gin.REQUIRED):
  """min(1, step / (fraction * pretraining_steps)), whatever the launch's
  total_train_steps."""
  del total_train_steps  # the launch's; the warm-up is the full run's share
  return learning_rate_schedules.linear_warmup(
      step, pretraining_steps, steps_or_fraction=fraction * pretraining_steps)
