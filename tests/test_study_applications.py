"""The downstream stages through `mtf-mods study` (which runs each as
`mtf-mods train`), at the tiny scale on mini data, for the applications
tests/test_study.py leaves out: the baseline's pre-training, then each
application trained for 4 steps (fine-tuned from the pre-trained model, or
from scratch), scored at every checkpoint and kept at its best.

It runs the release's implementation (the authors' config on mtf's own
layers), so every stage runs in both: tests/test_study.py runs the kit's
pre-training, perplexity evaluation, fine-tuning and decode evaluation,
tests/study/test_mini_bench.py its training from scratch.

The fine-tuning and decode-evaluation checks read XSum's model_dir;
training from scratch, WMT's.

The same workdir then grows, as a user's second command would: the kit's
implementation beside the release's and a second seed of each,
pre-training only, under the same configuration; the report then compares
the implementations (tests/study/test_table.py checks the verdicts on
records with known answers).
"""
import csv
import json
import os
import re

import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.files import model_dir_reader
from mtf_mods.config import protocol
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.study import budgets
from mtf_mods.study import records
from mtf_test_utils import run_cli
from test_study import STAGES as INTERRUPTED_STUDY_STAGES

pytestmark = pytest.mark.slow
TINY = scales.get("tiny")
APPLICATIONS = [a for a in protocol.APPLICATIONS
                if a.name not in INTERRUPTED_STUDY_STAGES]
STAGES = [protocol.PRETRAIN_STAGE] + [a.name for a in APPLICATIONS]
STEPS = 4  # --downstream_steps: a checkpoint every 2 steps
IMPLEMENTATION = "release"
LABEL = "[%s/%s seed0 %%s]" % (IMPLEMENTATION, variants.BASELINE)
EMBEDDING = "shared/embedding"


def run_study(workdir, env, seeds, applications, implementations):
  result = run_cli("study", "--scale=tiny", "--seeds=%d" % seeds,
                   "--variants=%s" % variants.BASELINE,
                   "--applications=%s" % ",".join(applications),
                   "--downstream_steps=%d" % STEPS,
                   "--implementations=%s" % ",".join(implementations),
                   "--workdir=%s" % workdir, env=env, timeout=1500)
  assert result.returncode == 0, result.stdout[-3000:]
  return result.stdout


@pytest.fixture(scope="module")
def study(mini_env, tmp_path_factory):
  """(workdir, the study's output)."""
  workdir = tmp_path_factory.mktemp("study_applications")
  return workdir, run_study(workdir, mini_env, 1, STAGES, [IMPLEMENTATION])


@pytest.fixture(scope="module")
def grown(study, mini_env):
  """(workdir, the output of the command that grew the study to both
  implementations and two seeds of pre-training)."""
  workdir, _ = study
  return workdir, run_study(workdir, mini_env, 2, [protocol.PRETRAIN_STAGE],
                            records.IMPLEMENTATIONS)


def run_dir(workdir, stage):
  return str(workdir / "runs" / IMPLEMENTATION / variants.BASELINE / "seed0"
             / stage)


def record(workdir, stage):
  path = (workdir / "results" / IMPLEMENTATION / variants.BASELINE / stage
          / "seed0.json")
  result = json.loads(path.read_text())
  assert result["implementation"] == IMPLEMENTATION
  return result


@pytest.mark.parametrize("application", APPLICATIONS, ids=lambda a: a.name)
def test_each_application_keeps_its_best_validation_checkpoint(
    study, application):
  workdir, _ = study
  result = record(workdir, application.name)
  assert result["status"] == "ok", result
  model_dir = run_dir(workdir, application.name)
  scores = model_dir_reader.validation_scores(model_dir)
  start = model_dir_reader.first_step(model_dir)
  metrics = result["metrics"]
  assert metrics["best_step"] in scores and metrics["best_step"] > start
  assert metrics["metrics"] == scores[metrics["best_step"]]
  assert metrics["score"] == application.score(metrics["metrics"],
                                               protocol.MINI_DATA)
  assert metrics["score"] == max(application.score(s, protocol.MINI_DATA)
                                 for step, s in scores.items() if step > start)


@pytest.mark.parametrize("application", APPLICATIONS, ids=lambda a: a.name)
def test_training_starts_at_the_final_pretrained_step_or_zero(study,
                                                              application):
  workdir, _ = study
  final = budgets.pretraining_budget(TINY).final
  expected = final if application.from_pretrained else 0
  model_dir = run_dir(workdir, application.name)
  assert model_dir_reader.checkpoint_steps(model_dir) == [
      expected, expected + STEPS // 2, expected + STEPS]


def test_fine_tuning_starts_from_the_pretrained_checkpoint(study):
  workdir, output = study
  final = budgets.pretraining_budget(TINY).final
  pretrained, model_dir = run_dir(workdir, "pretrain"), run_dir(workdir,
                                                                "xsum")
  # --train_steps counts on from the pre-trained step.
  assert LABEL % "xsum" + " step %d/%d" % ((final + STEPS,) * 2) in output
  start = "model.ckpt-%d" % final
  assert (tf.train.load_variable(os.path.join(model_dir, start), EMBEDDING)
          == tf.train.load_variable(os.path.join(pretrained, start),
                                    EMBEDDING)).all()
  with open(os.path.join(model_dir, "operative_config.gin")) as f:
    config = re.sub(r"\\\n\s*", "", f.read())  # gin wraps long values
  assert "dropout_rate = 0.1" in config
  assert "constant_learning_rate.learning_rate = 0.0005" in config
  assert "INIT_CHECKPOINT = '%s'" % os.path.join(pretrained, start) in config


def test_decode_eval_scores_every_checkpoint_with_its_predictions(study):
  workdir, _ = study
  model_dir = run_dir(workdir, "xsum")
  steps = model_dir_reader.checkpoint_steps(model_dir)
  scores = model_dir_reader.validation_scores(model_dir)
  assert sorted(scores) == steps
  for step in steps:
    assert set(scores[step]) == {"mini_summarization/rouge1",
                                 "mini_summarization/rouge2",
                                 "mini_summarization/rougeLsum"}
    predictions = os.path.join(model_dir, model_dir_reader.EVAL_DIR,
                               "mini_summarization_%d_predictions" % step)
    with open(predictions) as f:  # the conftest's mini benchmark: 16
      assert len(f.read().splitlines()) == 16


def test_training_from_scratch_has_no_initial_checkpoint(study):
  workdir, output = study
  assert LABEL % "wmt" + " step %d/%d" % (STEPS, STEPS) in output
  with open(os.path.join(run_dir(workdir, "wmt"),
                         "operative_config.gin")) as f:
    assert "init_checkpoint = None" in f.read()


def test_the_release_trained_on_mtfs_own_layers(study):
  workdir, _ = study
  for stage in STAGES:
    with open(os.path.join(run_dir(workdir, stage),
                           "operative_config.gin")) as f:
      config = f.read()
    assert "@transformer_layers.SelfAttention" in config, stage
    assert "mtf_mods.MultiHeadSelfAttention" not in config, stage


def test_the_grown_study_ran_only_its_new_cells(grown):
  workdir, output = grown
  early = budgets.pretraining_budget(TINY).early
  store = records.ResultStore(str(workdir))
  for implementation in records.IMPLEMENTATIONS:
    for seed in (0, 1):
      record = store.get(variants.BASELINE, "pretrain", seed, implementation)
      assert record.status == "ok" and record.implementation == implementation
      assert record.metrics["early_step"] == early
      assert 0 < record.metrics["early_loss"] < 20
      # Seed 0 runs the full budget; the other seeds stop at the early step.
      assert ("final_loss" in record.metrics) == (seed == 0)
  # The release's seed-0 pre-training was there: skipped, not rerun.
  assert "== study: 3 cells ran, 1 already finished, 0 failed" in output
  assert "[release/baseline seed1 pretrain] step %d/%d" % (early, early) in (
      output)
  assert (workdir / "runs" / "release" / "baseline" / "seed1" / "pretrain"
          ).is_dir()


def test_the_report_compares_the_implementations(grown):
  workdir, _ = grown
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
