"""The protocol registry and the stage configs at every scale."""
import gin
import pytest
import seqio

from mtf_mods.training import finetuning
from mtf_mods.config import gin_config
from mtf_mods.config import gin_files
from mtf_mods.launch import launcher
from mtf_mods.config import protocol
from mtf_mods.config import scales
from mtf_mods import variants
import mtf_mods.tasks  # noqa: F401  (registers the tasks)

BASELINE = variants.get(variants.BASELINE)
PAPER_STEP = 524288


def _query(scale, stage, task, *names, params=()):
  files = gin_files.stage_gin_files(BASELINE, scales.get(scale), stage, task)
  with gin_config.parsed(files, list(params)):
    return [gin_config.query(name) for name in names]


def test_applications_name_registered_tasks_and_existing_stages():
  registered = set(seqio.TaskRegistry.names()) | set(
      seqio.MixtureRegistry.names())
  stages = set(launcher.stage_names())
  assert {protocol.PRETRAIN_STAGE, protocol.PERPLEXITY_STAGE} <= stages
  for application in protocol.APPLICATIONS:
    assert {application.train_stage, application.eval_stage} <= stages
    for data in protocol.DATA:
      assert application.task(data) in registered
  assert set(protocol.PRETRAINING_TASKS.values()) <= registered
  assert [a.table1_column for a in protocol.APPLICATIONS] == [
      "SGLUE", "XSum", "WebQ", "WMT EnDe"]


@pytest.mark.parametrize("application,steps,interval,lengths", [
    ("superglue", 262144, 2500, {"inputs": 512, "targets": 62}),
    ("xsum", 262144, 2500, {"inputs": 2048, "targets": 178}),
    ("webq", 30000, 1000, {"inputs": 512, "targets": 114}),
])
def test_paper_fine_tuning_follows_section_4(application, steps, interval,
                                             lengths):
  task = protocol.get(application).task("real")
  checkpoint = "pre/model.ckpt-%d" % PAPER_STEP
  values = _query("paper", "finetune", task,
                  "FINETUNE_STEPS", "utils.run.save_checkpoints_steps",
                  "utils.run.sequence_length", "dropout_rate",
                  "learning_rate_schedules.constant_learning_rate."
                  "learning_rate",
                  "learning_rate_schedules.linear_warmup.steps_or_fraction",
                  "utils.run.batch_size",
                  params=["INIT_CHECKPOINT = %r" % checkpoint])
  assert values == [steps, interval, lengths, 0.1, 0.0005, 20000,
                    ("tokens_per_batch", 65536)]
  with gin_config.parsed(gin_files.stage_gin_files(
      BASELINE, scales.get("paper"), "finetune", task),
                         ["INIT_CHECKPOINT = %r" % checkpoint]):
    assert finetuning.steps_after_checkpoint(0, {}) == PAPER_STEP + steps
    assert gin_config.query("utils.run.optimizer").selector.endswith(
        "AdafactorOptimizer")


def test_paper_wmt_trains_from_scratch_for_150000_steps():
  task = protocol.get("wmt").task("real")
  files = gin_files.stage_gin_files(BASELINE, scales.get("paper"),
                                   protocol.FROM_SCRATCH_STAGE, task)
  with gin_config.parsed(files):
    assert gin_config.query("utils.run.train_steps") == 150000
    assert gin_config.query("dropout_rate") == 0.1
    with pytest.raises(ValueError):
      gin_config.query("utils.run.init_checkpoint")


@pytest.mark.parametrize("scale", scales.names())
def test_pretraining_checkpoints_the_early_step(scale):
  steps, interval = _query(scale, protocol.PRETRAIN_STAGE, None,
                           "utils.run.train_steps",
                           "utils.run.save_checkpoints_steps")
  assert (steps // protocol.EARLY_FRACTION) % interval == 0


@pytest.mark.parametrize("scale", ["tiny", "cpu"])
@pytest.mark.parametrize("application", protocol.names())
def test_cpu_scales_budget_every_mini_task(scale, application):
  application = protocol.get(application)
  task = application.task("mini")
  train = gin_files.stage_gin_files(BASELINE, scales.get(scale),
                                   application.train_stage, task)
  params = ["INIT_CHECKPOINT = 'p/model.ckpt-1'"]
  with gin_config.parsed(train, params):
    lengths = gin_config.query("utils.run.sequence_length")
    interval = gin_config.query("utils.run.save_checkpoints_steps")
    steps = (finetuning.steps_after_checkpoint(0, {}) - 1
             if application.from_pretrained
             else gin_config.query("utils.run.train_steps"))
  assert steps % interval == 0 and steps // interval >= 2
  evaluate = gin_files.stage_gin_files(BASELINE, scales.get(scale),
                                      application.eval_stage, task)
  with gin_config.parsed(evaluate):
    assert gin_config.query("utils.run.sequence_length") == lengths
    assert gin_config.query("Bitransformer.decode.max_decode_length") == (
        lengths["targets"])
    assert gin_config.query("utils.run.dataset_split") == "validation"


def test_launches_train_then_score():
  [(_, train), (_, evaluate)] = protocol.launches(
      protocol.get("xsum"), "mini", "runs/x", "runs/pre")
  assert train == ["--stage=finetune", "--task=mini_summarization",
                   "--model_dir=runs/x", "--pretrained_model_dir=runs/pre"]
  assert evaluate == ["--stage=decode_eval", "--task=mini_summarization",
                      "--model_dir=runs/x"]
  [(_, scratch), _] = protocol.launches(protocol.get("wmt"), "real", "w")
  assert "--stage=train_from_scratch" in scratch
  assert not any(f.startswith("--pretrained") for f in scratch)
  with pytest.raises(ValueError, match="fine-tunes a pre-trained model"):
    protocol.launches(protocol.get("webq"), "mini", "q")


def test_scores_are_the_table1_columns():
  mini = {"mini_boolq/accuracy": 60.0, "mini_cb/mean_3class_f1": 20.0,
          "mini_cb/accuracy": 40.0, "mini_copa/accuracy": 90.0}
  assert protocol.get("superglue").score(mini, "mini") == pytest.approx(60.0)
  assert protocol.get("wmt").score({"mini_translation/bleu": 12.5},
                                   "mini") == 12.5
  with pytest.raises(KeyError):
    protocol.get("xsum").score({"xsum_v110/rouge1": 3.0}, "real")
  with pytest.raises(ValueError, match="unknown application"):
    protocol.get("glue")


def test_finetuning_counts_from_the_checkpoint():
  with gin.unlock_config():
    gin.clear_config()
  assert finetuning.steps_after_checkpoint(
      0, {}, checkpoint="m/model.ckpt-7", steps=5) == 12


def test_superglue_keeps_each_tasks_best_checkpoint(tmp_path, monkeypatch):
  """The study's SGLUE (record "score") is the mean of each mini task's
  best score over the checkpoints after the first; the other applications
  keep one checkpoint."""
  from test_checkpoint_selection import write_scores
  steps = {0: (90.0, 90.0, 90.0, 90.0), 10: (80.0, 40.0, 40.0, 50.0),
           20: (60.0, 60.0, 60.0, 70.0)}
  write_scores(str(tmp_path), {
      step: {"mini_boolq/accuracy": boolq, "mini_cb/mean_3class_f1": f1,
             "mini_cb/accuracy": cb, "mini_copa/accuracy": copa}
      for step, (boolq, f1, cb, copa) in steps.items()})
  # Fine-tuning started at step 0 (no checkpoint files are written here).
  monkeypatch.setattr(protocol.model_dir_reader, "first_step", lambda d: 0)
  best = protocol.best(protocol.get("superglue"), "mini", str(tmp_path))
  assert best.task_steps == {"BoolQ": 10, "CB": 20, "COPA": 20}
  assert best.score == pytest.approx((80.0 + 60.0 + 70.0) / 3)
