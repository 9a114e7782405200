"""A tiny study of both implementations end to end: `mtf-mods study
--implementation=kit,release` cut to the early step, two seeds of the
baseline in each, then the report with the release-minus-kit comparison.
(tests/study/test_table.py checks the verdicts on records with known answers.)
"""
import csv

import pytest

from mtf_mods.study import records
from mtf_mods.config import scales
from mtf_mods.study import budgets
from mtf_test_utils import run_cli

pytestmark = pytest.mark.slow
TINY = scales.get("tiny")
STEPS = 16  # the early step: 2


@pytest.fixture(scope="module")
def study(mini_env, tmp_path_factory):
  workdir = tmp_path_factory.mktemp("study_implementations")
  result = run_cli("study", "--scale=tiny", "--seeds=2",
                   "--implementations=kit,release", "--pretrain_until=early",
                   "--pretrain_steps=%d" % STEPS, "--workdir=%s" % workdir,
                   env=mini_env, timeout=1500)
  assert result.returncode == 0, result.stdout[-3000:]
  return workdir, result.stdout


def test_each_implementation_ran_its_seeds_to_the_early_step(study):
  workdir, output = study
  early = budgets.pretraining_budget(TINY, STEPS).early
  store = records.ResultStore(str(workdir))
  for implementation in records.IMPLEMENTATIONS:
    for seed in (0, 1):
      record = store.get("baseline", "pretrain", seed, implementation)
      assert record.status == "ok" and record.implementation == implementation
      assert record.metrics["early_step"] == early
      assert 0 < record.metrics["early_loss"] < 20
      assert "final_loss" not in record.metrics
  assert "== study: 4 cells ran, 0 already finished, 0 failed" in output
  assert "[release/baseline seed1 pretrain] step %d/%d" % (early, early) in (
      output)
  assert (workdir / "runs" / "release" / "baseline" / "seed1" / "pretrain"
          ).is_dir()


def test_the_report_compares_the_implementations(study):
  workdir, _ = study
  text = (workdir / "report.md").read_text()
  assert "| baseline | kit |" in text and "| baseline | release |" in text
  assert "## Release minus kit" in text
  compared = text[text.index("## Release minus kit"):].splitlines()
  row = [line for line in compared if line.startswith("| baseline |")][0]
  # Two seeds a side: an interval and a verdict.
  assert "[" in row and ("within noise" in row or "differ" in row)
  with open(workdir / "report.csv") as f:
    rows = list(csv.DictReader(f))
  assert {r["implementation"] for r in rows} == {"kit", "release"}
  assert (workdir / "effects.png").exists() is False  # no variant, no effect
