"""The registry: complete, consistent with Table 1 and with the gin files,
the shared gin parts, and each variant's optimizer."""
import math
import os

import gin
from mesh_tensorflow.transformer import learning_rate_schedules
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import model_graph
from mtf_mods.config import paper
from mtf_mods.config import paths
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_test_utils import run_cli


def test_baseline_is_the_first_entry():
  assert variants.VARIANTS[0].name == variants.BASELINE == "baseline"
  assert variants.VARIANTS[0].table1_row == "Vanilla Transformer"


def test_names_and_rows_are_unique():
  assert len(set(variants.names())) == len(variants.VARIANTS)
  rows = [v.table1_row for v in variants.VARIANTS if v.in_table1]
  assert len(set(rows)) == len(rows)


@pytest.mark.parametrize("variant", variants.VARIANTS, ids=variants.names())
def test_entry_points_at_a_table1_row_and_a_gin_file(variant):
  """A variant outside Table 1 (`table1_row` None) needs no paper row."""
  assert variant.table1_row is None or variant.table1_row in paper.table1()
  assert variant.gin_file == "models/%s.gin" % variant.name
  assert os.path.exists(os.path.join(paths.gin_dir(), variant.gin_file))
  assert variant.family


def test_every_model_gin_file_is_a_registered_variant():
  """gin/models/ holds one file per variant; shared blocks are in parts/."""
  models = os.path.join(paths.gin_dir(), "models")
  files = {name for name in os.listdir(models) if name.endswith(".gin")}
  assert files == {os.path.basename(v.gin_file) for v in variants.VARIANTS}


def test_unknown_variant_lists_the_valid_names():
  with pytest.raises(ValueError, match="valid: baseline"):
    variants.get("no-such-variant")


def test_paper_table_has_all_52_rows():
  assert len(paper.table1()) == 52
  assert paper.table1()["Switch Transformer"]["Params"] == 1100e6


# ---------------------------------------------------------------------------
# Shared gin parts (gin/models/parts/): what they need is bound or fails.

@pytest.mark.parametrize("unset", ["DEPTH_LAYERS_RATIO", "DEPTH_D_FF_RATIO",
                                   "DEPTH_HEADS_RATIO"])
def test_depth_part_without_one_of_its_ratios_is_an_error(unset):
  """A ratio a depth file forgets must not silently be the baseline's size."""
  ratios = {"DEPTH_LAYERS_RATIO": "2", "DEPTH_D_FF_RATIO": "1/2",
            "DEPTH_HEADS_RATIO": "1/2"}
  del ratios[unset]
  bindings = ["%s = '%s'" % item for item in ratios.items()]
  files = ["models/baseline.gin", "models/parts/depth.gin",
           scales.get("tiny").gin_file]
  with pytest.raises(TypeError, match="scope .%s." % unset):
    model_graph.measure(files, bindings, scales.get("tiny").vocab_size)


# ---------------------------------------------------------------------------
# Optimizers: Rezero and Fixup train with Adam (Sec. 3), the rest Adafactor.

def test_table1_rows_trained_with_adam_are_the_adam_variants():
  """Table 1's notes mark the rows the paper trained with Adam."""
  for variant in [v for v in variants.VARIANTS if v.in_table1]:
    with_adam = "trained with Adam" in paper.table1()[variant.table1_row][
        "notes"]
    assert (variant.optimizer == "adam") == with_adam, variant.name


def test_every_optimizer_has_a_file_for_every_training_stage():
  """Otherwise a stage would silently fall back to mtf's default optimizer."""
  optimizers = {v.optimizer for v in variants.VARIANTS}
  stages = set()
  for optimizer in optimizers:
    stages |= {name for name in os.listdir(os.path.join(
        paths.gin_dir(), "optimizers", optimizer)) if name.endswith(".gin")}
  assert "pretrain.gin" in stages
  for optimizer in optimizers:
    for stage in stages:
      assert os.path.exists(os.path.join(paths.gin_dir(), "optimizers",
                                         optimizer, stage)), (optimizer, stage)


def learning_rates(gin_files, steps, total_steps, params=()):
  """utils.run's optimizer and its learning rate at `steps`, as utils.run
  computes it from the configured schedule (total_steps: the launch's
  utils.run.train_steps)."""
  def factor(f):
    if not isinstance(f, gin.config.ConfigurableReference):
      return f
    if f.configurable.name == "macro":
      return gin_config.query(f.scopes[-1])
    return f.scoped_configurable_fn
  with gin_config.parsed(gin_files, params), tf.Graph().as_default():
    optimizer = gin_config.query("utils.run.optimizer").selector
    schedule = gin_config.query("utils.run.learning_rate_schedule")
    factors = [factor(f) for f in (
        schedule if isinstance(schedule, list) else [schedule])]
    step = tf.placeholder(tf.int64, [])
    rate = learning_rate_schedules.product_learning_rate(
        step, total_steps, factors=factors)
    with tf.Session() as session:
      return optimizer, [session.run(rate, {step: s}) for s in steps]


def adam_pretraining(step, warmup):
  return 0.05 * min(1.0, step / warmup) / math.sqrt(max(step, 10000))


@pytest.mark.parametrize("scale_name,train_steps,run_steps", [
    ("paper", 524288, 524288), ("cpu", 1200, 1200),
    ("paper", 524288, 65536), ("cpu", 1200, 150)],
                         ids=["paper", "cpu", "paper-early", "cpu-early"])
def test_adam_pretraining_schedule_warms_up_over_the_papers_share(
    scale_name, train_steps, run_steps):
  """Inverse square root with a linear warm-up over 4,000 of the paper's
  524,288 steps: 4,000 steps at paper scale, 9.2 of the cpu scale's 1,200;
  the same in a run cut to the early step (run_steps, the study's early
  seeds), whose schedule spans the full run (pretraining_steps)."""
  files = [variants.get("rezero").gin_file, scales.get(scale_name).gin_file,
           "optimizers/adam/pretrain.gin"]
  warmup = 4000 * train_steps / 524288
  steps = [1, int(warmup / 2), int(warmup) + 1, 10000, 40000]
  optimizer, rates = learning_rates(
      files, steps, run_steps, ["pretraining_steps = %d" % train_steps,
                                "utils.run.train_steps = %d" % run_steps])
  assert optimizer == "mtf_mods.Adam"
  np.testing.assert_allclose(
      rates, [adam_pretraining(s, warmup) for s in steps], rtol=1e-5)
  assert max(rates) == pytest.approx(5e-4, rel=1e-3)


def test_adam_fine_tuning_is_constant_5e_5_after_the_budgets_warm_up():
  """budgets/paper/finetune.gin: warm-up over 20,000 steps (Sec. 4)."""
  files = [variants.get("fixup").gin_file, scales.get("paper").gin_file,
           "optimizers/adam/finetune.gin", "budgets/paper/finetune.gin"]
  optimizer, rates = learning_rates(files, [5000, 20000, 100000], 262144,
                                    ["LEARNING_RATE_SCALE = 1.0"])
  assert optimizer == "mtf_mods.Adam"
  np.testing.assert_allclose(rates, [1.25e-5, 5e-5, 5e-5], rtol=1e-5)


def final_pretraining_rate(variant, scale):
  files = [variant.gin_file, scale.gin_file,
           "optimizers/%s/pretrain.gin" % variant.optimizer]
  with gin_config.parsed([scale.gin_file]):
    steps = gin_config.query("pretraining_steps")
  return learning_rates(files, [steps], steps)[1][0]


def downstream_rate(variant, scale, stage, step):
  """The stage's rate at `step` (its factor LEARNING_RATE_SCALE: the
  stage's 1, or the scale's budget's)."""
  files = [variant.gin_file, scale.gin_file,
           "optimizers/%s/%s.gin" % (variant.optimizer, stage),
           "budgets/%s/%s.gin" % (scale.name, stage)]
  with open(os.path.join(paths.gin_dir(), files[-1])) as f:
    budget_binds_it = "LEARNING_RATE_SCALE =" in f.read()
  params = [] if budget_binds_it else ["LEARNING_RATE_SCALE = 1.0"]
  return learning_rates(files, [step], 10 ** 6, params)[1][0]


@pytest.mark.parametrize("name", ["baseline", "rezero"],
                         ids=["adafactor", "adam"])
def test_cpu_scales_keep_the_papers_ratio_of_fine_tuning_to_final_rate(
    name):
  """The CPU scales' factor (LEARNING_RATE_SCALE) applies to Adam's
  fine-tuning as to Adafactor's: the fine-tuning rate over the final
  pre-training rate is the paper scale's (sqrt(524288) / 100 = 7.2408
  against the budgets' 7.24)."""
  variant = variants.get(name)
  ratios = {}
  for scale_name in ("paper", "cpu"):
    scale = scales.get(scale_name)
    step = 300000 if scale_name == "paper" else 1000  # after the warm-up
    ratios[scale_name] = (downstream_rate(variant, scale, "finetune", step)
                          / final_pretraining_rate(variant, scale))
  assert ratios["cpu"] == pytest.approx(ratios["paper"], rel=1e-3)


def test_adam_from_scratch_trains_at_its_peak_at_the_cpu_scale():
  """Adam from scratch takes no CPU factor: over the cpu scale's 400 steps
  its schedule is at the paper's peak, 5e-4, after the warm-up."""
  scale = scales.get("cpu")
  rate = downstream_rate(variants.get("rezero"), scale,
                         "train_from_scratch", 100)
  assert rate == pytest.approx(5e-4, rel=1e-5)


def test_an_adam_variant_pretrains_through_the_launcher(mini_env, tmp_path):
  model_dir = tmp_path / "rezero"
  result = run_cli("train", "--variant=rezero", "--scale=tiny",
                   "--train_steps=2", "--model_dir=%s" % model_dir,
                   env=mini_env)
  assert result.returncode == 0, result.stderr[-3000:]
  config = (model_dir / "operative_config.gin").read_text()
  assert "run.optimizer = @mtf_mods.Adam" in config
  assert "mtf_mods.sublayer_rezero" in config
  assert "step 2/2  loss" in result.stderr
