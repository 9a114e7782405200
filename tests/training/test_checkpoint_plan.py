"""How many checkpoints a run writes, and what the launcher says of them."""
import pytest

from mtf_mods.training import checkpoint_plan
from mtf_mods.config import gin_files
from mtf_mods.config import scales
from mtf_mods import variants


@pytest.mark.parametrize("steps,checkpoints,anchor,interval", [
    (300, 10, 37, 37),     # the early step 37 is prime: every 37 steps
    (96, 10, 12, 12),      # a divisor of 12 of at least 9.6
    (1200, 8, 150, 150),   # the cpu scale's own budget
    (524288, 64, 65536, 8192),  # the paper's
    (10, 2, 0, 5),         # tiny fine-tuning, no early step
    (4, 10, 0, 1),
])
def test_interval_keeps_the_number_of_checkpoints_and_the_early_step(
    steps, checkpoints, anchor, interval):
  assert checkpoint_plan.interval_for(steps, checkpoints, anchor) == interval


def test_the_plan_lists_first_every_interval_and_last():
  plan = checkpoint_plan.CheckpointPlan(start=0, final=300, interval=37,
                                        bytes_each=10**6)
  assert plan.steps == [0, 37, 74, 111, 148, 185, 222, 259, 296, 300]
  assert plan.describe().startswith(
      "keeps 10 checkpoints (steps 0, 37, 74, ..., 300) of 1.0 MB of "
      "variables each, 10.0 MB in all")
  resumed = checkpoint_plan.CheckpointPlan(start=40, final=100, interval=20,
                                           bytes_each=1)
  assert resumed.steps == [40, 60, 80, 100]


def stage_files(stage):
  task = "mini_span_corruption" if stage == "pretrain" else "mini_translation"
  return gin_files.stage_gin_files(variants.get(variants.BASELINE),
                                   scales.get("tiny"), stage, task)


@pytest.mark.parametrize("stage,steps,expected", [
    # Tiny pre-training saves 10 checkpoints in its 20 steps: 300 steps
    # keep about 10 (the run a user tried kept 151).
    ("pretrain", 300, ["utils.run.save_checkpoints_steps = 37"]),
    ("pretrain", None, []),  # the scale's own length: its own interval
    ("train_from_scratch", 100, ["utils.run.save_checkpoints_steps = 50"]),
    ("perplexity_eval", 300, []),
])
def test_a_longer_run_keeps_the_stages_number_of_checkpoints(stage, steps,
                                                              expected):
  assert checkpoint_plan.interval_bindings(stage, stage_files(stage),
                                           steps) == expected
