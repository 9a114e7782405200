"""`mtf-mods study` end to end at the tiny scale on mini data: two variants,
one seed, pre-training and SuperGLUE, interrupted once in the second cell
and resumed; then the report's contents.

The other applications go through a study of their own,
tests/test_study_applications.py: a module runs on one pytest-xdist
worker, so the two studies run beside each other.
"""
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import tensorflow.compat.v1 as tf

from mtf_mods import demo
from mtf_mods.files import model_dir_reader
from mtf_mods.config import paper
from mtf_mods.config import protocol
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.study import budgets
from mtf_test_utils import REPO, call_cli, run_cli

pytestmark = pytest.mark.slow
TINY = scales.get("tiny")

OTHER = variants.VARIANTS[1].name
# Pre-training and the one application whose score is an average over tasks.
STAGES = (protocol.PRETRAIN_STAGE, protocol.get("superglue").name)
STUDY = ["study", "--scale=tiny", "--seeds=1",
         "--variants=%s,%s" % (variants.BASELINE, OTHER),
         "--applications=%s" % ",".join(STAGES)]


def interrupt_during_second_cell(workdir, env):
  """Starts the study and kills it (and its launches) in cell 2, once that
  cell's training has saved a checkpoint past step 0; returns the output
  until then and the steps of the checkpoints the kill left."""
  process = subprocess.Popen(
      [sys.executable, "-m", "mtf_mods.cli"] + STUDY
      + ["--workdir=%s" % workdir], cwd=REPO, env=env,
      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
      start_new_session=True)
  seen = []
  reader = threading.Thread(target=lambda: seen.extend(process.stdout))
  reader.start()
  model_dir = str(workdir / "runs" / OTHER / "seed0" / "pretrain")
  while process.poll() is None:
    if any("== cell 2/" in line for line in seen):
      # The checkpoint training restores: the one the state file names.
      latest = tf.train.latest_checkpoint(model_dir)
      if latest and model_dir_reader.step_of(latest) > 0:
        break
    time.sleep(0.05)
  os.killpg(process.pid, signal.SIGKILL)
  process.wait()
  reader.join()
  return "".join(seen), model_dir_reader.checkpoint_steps(model_dir)


@pytest.fixture(scope="module")
def study(mini_env, tmp_path_factory):
  workdir = tmp_path_factory.mktemp("study")
  env = dict(os.environ, **mini_env)
  first, checkpoints = interrupt_during_second_cell(workdir, env)
  resumed = run_cli(*STUDY, "--workdir=%s" % workdir, env=mini_env,
                    timeout=1500)
  return workdir, first, resumed, checkpoints


def test_interrupted_study_resumes_and_skips_finished_cells(study):
  workdir, first, resumed, _ = study
  assert "== cell 1/" in first and "== cell 2/" in first
  assert resumed.returncode == 0, resumed.stdout[-3000:]
  summary = [l for l in resumed.stdout.splitlines()
             if l.startswith("== study:")][0]
  cells = 2 * len(STAGES)
  assert summary == ("== study: %d cells ran, 1 already finished, 0 failed"
                     % (cells - 1))
  assert "== cell 1/" not in resumed.stdout  # skipped, not rerun
  progress = [l for l in resumed.stdout.splitlines() if "steps/s" in l]
  assert progress and all(l.startswith("[") and "ETA" in l for l in progress)


def test_the_killed_cell_resumed_from_its_checkpoint_and_finished(study):
  workdir, _, resumed, checkpoints = study
  final = budgets.pretraining_budget(TINY).final
  assert max(checkpoints) > 0 and final not in checkpoints, checkpoints
  label = "[%s seed0 pretrain] step " % OTHER
  steps = [int(l[len(label):].split("/")[0])
           for l in resumed.stdout.splitlines() if l.startswith(label)]
  # The hook counts on from the restored global step: the first resumed
  # step follows a checkpoint the kill left, past step 0.
  assert steps and steps[0] - 1 in checkpoints and steps[0] > 1, (
      steps, checkpoints)
  assert steps[-1] == final, steps
  model_dir = str(workdir / "runs" / OTHER / "seed0" / "pretrain")
  assert model_dir_reader.latest_step(model_dir) == final
  # The perplexity_eval stage's held-out loss, at every checkpoint after
  # the initialization.
  losses = model_dir_reader.held_out_losses(model_dir)
  assert sorted(losses) == model_dir_reader.checkpoint_steps(model_dir)[1:]
  assert 0 < losses[final] < 20
  record = json.loads(
      (workdir / "results" / OTHER / "pretrain" / "seed0.json").read_text())
  assert record["metrics"]["final_step"] == final
  assert record["metrics"]["final_loss"] == pytest.approx(
      model_dir_reader.held_out_losses(model_dir)[final])


def test_every_cell_has_an_ok_record(study):
  workdir = study[0]
  for variant in (variants.BASELINE, OTHER):
    for stage in STAGES:
      path = workdir / "results" / variant / stage / "seed0.json"
      record = json.loads(path.read_text())
      assert record["status"] == "ok", record
  pretrain = json.loads(
      (workdir / "results" / OTHER / "pretrain" / "seed0.json").read_text())
  assert pretrain["metrics"]["params"] > 0
  assert pretrain["metrics"]["final_loss"] > 0
  assert len(pretrain["metrics"]["loss_curve"]) >= 3


def test_report_files_hold_the_table(study):
  workdir, _, resumed, _ = study
  table = (workdir / "report.md").read_text()
  assert table in resumed.stdout
  assert "| baseline | kit |" in table and "| %s | kit |" % OTHER in table
  assert "| Vanilla Transformer | paper |" in table
  assert table.splitlines()[0] == "# Study report: %s" % workdir
  header = [l for l in table.splitlines() if l.startswith("| Variant |")][0]
  for application in protocol.APPLICATIONS:
    assert application.table1_column in header
  with open(workdir / "report.csv") as f:
    rows = list(csv.DictReader(f))
  other_sglue = [r for r in rows if r["variant"] == OTHER
                 and r["column"] == "SGLUE"][0]
  assert other_sglue["kit_mean"] and other_sglue["kit_delta"]
  table1_row = variants.get(OTHER).table1_row
  assert other_sglue["table1_row"] == table1_row
  assert float(other_sglue["paper"]) == paper.table1()[table1_row]["SGLUE"]
  for picture in ("loss_curves.png", "metrics.png"):
    assert (workdir / picture).read_bytes().startswith(b"\x89PNG")


def test_paper_scale_dry_run_prints_runnable_tpu_commands():
  result = call_cli("study", "--scale=paper", "--dry_run", "--seeds=2",
                    "--variants=%s" % OTHER)
  assert result.returncode == 0, result.stderr[-2000:]
  commands = [l for l in result.stdout.splitlines()
              if l.startswith("mtf-mods train")]
  # per variant: seed 0 (train, eval), 4 applications (train, eval),
  # seed 1 (train, eval); the baseline is always included.
  assert len(commands) == 2 * (2 + 2 * len(protocol.APPLICATIONS) + 2)
  assert all("--tpu=$TPU_NAME" in c and "--scale=paper" in c
             for c in commands)
  pretrain = [c for c in commands if "--stage=pretrain" in c]
  assert any("--train_steps=524288" in c for c in pretrain)
  assert any("--train_steps=65536" in c for c in pretrain)
  assert all("('tokens_per_batch', 65536)" in c for c in pretrain)
  assert any("--stage=train_from_scratch" in c and "wmt_t2t_ende" in c
             for c in commands)
  assert sum("--stage=finetune" in c for c in commands) == 6


def test_paper_scale_dry_run_shows_the_cluster_form():
  """Each cell's task: its resources, what it waits for, its commands."""
  result = call_cli("study", "--scale=paper", "--dry_run", "--seeds=2",
                    "--variants=%s" % OTHER, "--cluster=head:6379",
                    "--cpus_per_cell=8", "--resources_per_cell=tpu_v3_8:1")
  assert result.returncode == 0, result.stderr[-2000:]
  lines = result.stdout.splitlines()
  assert ("# Ray cluster head:6379: each cell one task (8 CPU, 0 GPU, "
          "tpu_v3_8: 1), at most 4 tries") in result.stdout
  waits = {lines[i - 1][2:]: line[len("# waits for: "):]
           for i, line in enumerate(lines) if line.startswith("# waits for")}
  assert waits["%s seed0 superglue" % OTHER] == "%s seed0 pretrain" % OTHER
  assert waits["%s seed0 wmt" % OTHER] == "nothing"  # from scratch
  assert waits["%s seed1 pretrain" % OTHER] == "nothing"
  assert len(waits) == 2 * (2 + len(protocol.APPLICATIONS))


def test_a_two_implementation_study_cut_to_the_early_step():
  """Each implementation's cells with its own model_dirs and flag, seed by
  seed side by side, every seed stopping at the early step on the full
  run's schedule, no downstream stage."""
  budget = budgets.pretraining_budget(TINY)
  result = call_cli("study", "--scale=tiny", "--dry_run", "--seeds=2",
                    "--variants=%s" % OTHER, "--implementations=kit,release",
                    "--pretrain_until=early", "--workdir=w")
  assert result.returncode == 0, result.stderr[-2000:]
  labels = [l[2:] for l in result.stdout.splitlines()
            if l.startswith("# ") and l.endswith(" pretrain")]
  assert labels == [
      "%s%s seed%d pretrain" % (prefix, name, seed) for seed in (0, 1)
      for prefix in ("", "release/") for name in (variants.BASELINE, OTHER)]
  train = [l for l in result.stdout.splitlines()
           if l.startswith("mtf-mods train") and "--stage=pretrain" in l]
  assert len(train) == 8
  assert all("--train_steps=%d" % budget.early in c
             and "pretraining_steps = %d" % budget.final in c for c in train)
  for command in train:
    release = "--implementation=release" in command
    assert release != ("--implementation=kit" in command)
    assert release == ("--model_dir=w/runs/release/" in command)


def test_study_refuses_unknown_names():
  for args, message in [
      (["--variants=baseline,nope"], "unknown variant 'nope'"),
      (["--data=web"], "unknown data 'web'; valid: mini, real"),
      (["--applications=pretrain,nope"], "unknown application 'nope'"),
      (["--implementations=kit,mtf"],
       "unknown implementation 'mtf'; valid: kit, release"),
      (["--pretrain_until=middle"],
       "unknown --pretrain_until 'middle'; valid: final, early"),
      (["--pretrain_until=early", "--applications=pretrain,xsum"],
       "stage xsum fine-tunes the final pre-trained checkpoint"),
      (["--cluster="], "--cluster is empty; valid: local, or the address"),
      (["--cluster=local", "--cpus_per_cell=0"],
       "--cpus_per_cell must be at least 1, got 0"),
      (["--cluster=local", "--resources_per_cell=tpu:x"],
       "--resources_per_cell item 'tpu:x' is not NAME:AMOUNT")]:
    result = call_cli("study", "--dry_run", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_demo_summary_reads_the_baselines_records(study, mini_env, capsys,
                                                  monkeypatch):
  for name, value in mini_env.items():
    monkeypatch.setenv(name, value)
  demo.summarize(str(study[0]), TINY)
  out = capsys.readouterr().out
  for label in ("parameters", "steps/s", "held-out loss", "unigram entropy",
                "runs", "report"):
    assert label in out


def test_a_study_of_all_variants_runs_every_registered_row():
  result = call_cli("study", "--scale=tiny", "--dry_run", "--seeds=1",
                    "--variants=all", "--pretrain_until=early", "--workdir=w")
  assert result.returncode == 0, result.stderr[-2000:]
  labels = [l[2:] for l in result.stdout.splitlines()
            if l.startswith("# ") and l.endswith(" seed0 pretrain")]
  assert labels == ["%s seed0 pretrain" % name for name in variants.names()]
