"""One row of every family and every optimizer through a study's cells.

A row can train alone and still fail inside a study: its pre-training
finishes, then a later launch on the same model_dir (the held-out loss) is
configured differently (the Adam rows' checkpoints were refused by the
model_dir guard). One study at the tiny scale, one seed, the fewest
pre-training steps (the early-loss step is 1 of 8), takes a row of each
family and of each optimizer of the registry through its pre-training
cells: training, then the held-out loss.
"""
import math

import pytest

from mtf_mods import protocol
from mtf_mods.study import records
from mtf_mods import variants
from mtf_test_utils import run_cli

pytestmark = pytest.mark.slow


def covering_rows():
  """A few rows covering every family and every optimizer: per family (in
  the registry's order) its first row with an optimizer not covered yet,
  else its first row; then the first row of any optimizer still left."""
  chosen = []
  for family in variants.FAMILIES:
    if not family.VARIANTS:
      continue
    covered = {v.optimizer for v in chosen}
    fresh = [v for v in family.VARIANTS if v.optimizer not in covered]
    chosen.append((fresh or family.VARIANTS)[0])
  for variant in variants.VARIANTS:
    if variant.optimizer not in {v.optimizer for v in chosen}:
      chosen.append(variant)
  return chosen


ROWS = [v.name for v in covering_rows()]


def test_the_rows_cover_every_family_and_optimizer():
  chosen = [variants.get(name) for name in ROWS]
  assert {v.family for v in chosen} == {v.family for v in variants.VARIANTS}
  assert ({v.optimizer for v in chosen}
          == {v.optimizer for v in variants.VARIANTS})
  assert len(set(ROWS)) == len(ROWS)


@pytest.fixture(scope="module")
def study(mini_env, tmp_path_factory):
  workdir = tmp_path_factory.mktemp("study_every_family")
  result = run_cli("study", "--scale=tiny", "--seeds=1",
                   "--pretrain_until=early", "--pretrain_steps=8",
                   "--variants=%s" % ",".join(ROWS),
                   "--workdir=%s" % workdir, env=mini_env, timeout=1800)
  return workdir, result


def test_the_study_runs_every_cell(study):
  _, result = study
  assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
  summary = [line for line in result.stdout.splitlines()
             if line.startswith("== study:")]
  assert summary and summary[0].endswith(" 0 failed"), (
      summary, result.stdout[-3000:])


@pytest.mark.parametrize("name", ROWS)
def test_each_row_has_its_held_out_loss(study, name):
  workdir, _ = study
  record = records.ResultStore(str(workdir)).get(
      name, protocol.PRETRAIN_STAGE, 0)
  assert record is not None and record.status == records.OK, record
  assert math.isfinite(record.metrics["early_loss"]) and (
      record.metrics["early_loss"] > 0), record.metrics
