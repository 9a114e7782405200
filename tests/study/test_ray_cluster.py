"""A study's cells as Ray tasks on a local Ray cluster of 2 CPUs, and one
row of every family and every optimizer through a study's cells.

One cluster (`ray start --head`, loopback only) serves the module, and one
study on it serves every check: the pre-training cells (training, then the
held-out loss) of a few rows covering every family and every optimizer of
the registry, and of one more row whose launch fails, with
--cpus_per_cell=1 (two cells at once). A row can train alone and still
fail inside a study (the Adam rows' checkpoints were once refused by the
evaluation's model_dir guard): every covering row must record a finite
early loss. The cells overlap in time; a launch killed mid-cell and a Ray
worker killed mid-cell are run again by Ray and end with the weights of an
uninterrupted run of the same cell; the failed cell is recorded and the
others go on; the driver killed after the first record, the same command
resumes, skipping it. Faults come from tests/fault_injection.py, each
limited to one cell's model_dir.
"""
import math
import os
import shlex
import signal
import socket
import subprocess
import sys
import time

import pytest

from mtf_mods.files import model_dir_reader
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.study import budgets
from mtf_mods.study import cells as study_cells
from mtf_mods.study import configuration
from mtf_mods.study import records
from mtf_mods.study.executors import cell_run
from mtf_mods.study.executors import ray_cluster
from mtf_test_utils import REPO, run_cli
from test_resume import assert_same_checkpoint

pytestmark = pytest.mark.slow
BASELINE = variants.BASELINE
OTHER = variants.VARIANTS[1].name


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
  return [v.name for v in chosen]


ROWS = covering_rows()
WORKER_KILLED = ROWS[1]  # the baseline's launch is the one killed
FAILING = next(v.name for v in variants.VARIANTS if v.name not in ROWS)
PRETRAIN_STEPS = 32   # the early step, where every seed stops: 4
CHECKPOINT_EVERY = 2  # a checkpoint at step 2 to resume from
KILL_AT = 3
# Ray on the loopback address only, with token authentication (the
# default of `ray start`) on both sides.
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token"}


def free_port():
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


@pytest.fixture(scope="module")
def ray_address(tmp_path_factory):
  """A Ray head on this machine with 2 CPUs, stopped with the module."""
  port = free_port()
  log_path = tmp_path_factory.mktemp("ray") / "head.log"
  ray = os.path.join(os.path.dirname(sys.executable), "ray")
  with open(log_path, "w") as log:
    head = subprocess.Popen(
        [ray, "start", "--head", "--block", "--num-cpus=2",
         "--port=%d" % port, "--include-dashboard=false",
         "--disable-usage-stats", "--object-store-memory=100000000"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env=dict(os.environ, **RAY_ENV))
  deadline = time.time() + 120
  while "Ray runtime started" not in log_path.read_text():
    assert head.poll() is None and time.time() < deadline, (
        log_path.read_text()[-2000:])
    time.sleep(0.5)
  yield "127.0.0.1:%d" % port
  os.killpg(head.pid, signal.SIGKILL)  # the head's group: every Ray process
  head.wait()


def launches_in(workdir):
  """Pids of `mtf-mods train` processes writing into `workdir`."""
  found = []
  for entry in os.listdir("/proc"):
    if entry.isdigit():
      try:
        with open("/proc/%s/cmdline" % entry, "rb") as f:
          command = f.read().decode(errors="replace")
      except OSError:
        continue
      if "mtf_mods.cli\0train" in command and str(workdir) in command:
        found.append(int(entry))
  return found


def study_arguments(address, workdir, markers):
  hooks = ("[@kill_launch/SigkillOnce(), @kill_worker/SigkillOnce(), "
           "@FailIn()]")
  return [
      "study", "--scale=tiny", "--seeds=1",
      "--variants=%s" % ",".join(ROWS + [FAILING]),
      "--pretrain_until=early", "--pretrain_steps=%d" % PRETRAIN_STEPS,
      "--cluster=%s" % address, "--cpus_per_cell=1",
      "--workdir=%s" % workdir, "--module_import=fault_injection",
      "--gin_param=utils.run.save_checkpoints_steps = %d" % CHECKPOINT_EVERY,
      "--gin_param=mtf_mods.train_with_progress.hooks = %s" % hooks,
      "--gin_param=kill_launch/SigkillOnce.step = %d" % KILL_AT,
      "--gin_param=kill_launch/SigkillOnce.marker = %r"
      % str(markers / "launch"),
      "--gin_param=kill_launch/SigkillOnce.only_in = '/%s/'" % BASELINE,
      "--gin_param=kill_worker/SigkillOnce.step = %d" % KILL_AT,
      "--gin_param=kill_worker/SigkillOnce.marker = %r"
      % str(markers / "worker"),
      "--gin_param=kill_worker/SigkillOnce.only_in = '/%s/'" % WORKER_KILLED,
      "--gin_param=kill_worker/SigkillOnce.target = 'parent'",
      "--gin_param=FailIn.only_in = '/%s/'" % FAILING]


def start_reference_runs(workdir, env, tmp_path):
  """Starts the killed cells' training, uninterrupted, as the study's dry
  run prints it without the faults, in a workdir of its own; returns
  (the runs, {the study's model_dir: the reference's})."""
  reference = tmp_path / "reference"
  arguments = [a for a in study_arguments("local", reference, tmp_path)
               if not (a.startswith("--cluster") or "hooks" in a
                       or "SigkillOnce" in a or "FailIn" in a)]
  dry_run = run_cli(*arguments, "--dry_run", env=env)
  assert dry_run.returncode == 0, dry_run.stderr[-2000:]
  runs = [subprocess.Popen(
      [sys.executable, "-m", "mtf_mods.cli"] + shlex.split(line)[1:],
      cwd=REPO, env=dict(os.environ, **env), stdout=subprocess.DEVNULL,
      stderr=subprocess.PIPE, text=True)
          for line in dry_run.stdout.splitlines()
          if line.startswith("mtf-mods train") and "--stage=pretrain" in line
          and any("/runs/%s/" % name in line
                  for name in (BASELINE, WORKER_KILLED))]
  return runs, {str(workdir / "runs" / name / "seed0" / "pretrain"):
                str(reference / "runs" / name / "seed0" / "pretrain")
                for name in (BASELINE, WORKER_KILLED)}


@pytest.fixture(scope="module")
def study(ray_address, mini_env, tmp_path_factory):
  tmp_path = tmp_path_factory.mktemp("ray_study")
  workdir, markers = tmp_path / "study", tmp_path / "markers"
  markers.mkdir()
  env = dict(mini_env, PYTHONPATH=os.path.join(REPO, "tests"), **RAY_ENV)
  arguments = study_arguments(ray_address, workdir, markers)
  driver = subprocess.Popen(
      [sys.executable, "-m", "mtf_mods.cli"] + arguments, cwd=REPO,
      env=dict(os.environ, **env), stdout=subprocess.PIPE,
      stderr=subprocess.STDOUT, text=True)
  deadline = time.time() + 600
  while not any(r.status == records.OK for r in
                records.ResultStore(str(workdir)).all()):
    assert driver.poll() is None and time.time() < deadline, (
        driver.stdout.read()[-3000:])
    time.sleep(0.5)
  driver.send_signal(signal.SIGKILL)
  first = driver.communicate()[0]
  # The references train while Ray ends the dead driver's workers.
  runs, references = start_reference_runs(workdir, env, tmp_path)
  deadline = time.time() + 60
  while launches_in(workdir) and time.time() < deadline:
    time.sleep(0.5)
  assert not launches_in(workdir)
  for run in runs:
    assert run.wait() == 0, run.stderr.read()[-2000:]
  resumed = run_cli(*arguments, env=env, timeout=900)
  return workdir, markers, first, resumed, references


def all_records(workdir):
  return {(r.variant, r.seed): r
          for r in records.ResultStore(str(workdir)).all()}


def test_the_driver_killed_the_same_command_resumes_skipping_finished_cells(
    study):
  _, _, first, resumed, _ = study
  cells = len(ROWS) + 1
  assert "== %d cells submitted to the Ray cluster" % cells in first
  summary = [line for line in resumed.stdout.splitlines()
             if line.startswith("== study:")]
  assert summary, resumed.stdout[-3000:]
  ran, skipped, failed = [int(word) for word in summary[0].split()
                          if word.isdigit()]
  assert skipped >= 1 and ran + skipped + failed == cells and failed == 1
  assert resumed.returncode == 1  # a failed cell
  finished = [line for line in resumed.stdout.splitlines()
              if line.startswith("== cell ")]
  assert len(finished) == ran + failed and all(
      " left, study ETA " in line for line in finished), finished


def test_a_failed_cell_is_recorded_and_the_others_go_on(study):
  found = all_records(study[0])
  failed = found[(FAILING, 0)]
  assert failed.status == records.FAILED
  assert "injected failure" in failed.error
  assert sorted(key for key, r in found.items()
                if r.status == records.OK) == sorted((n, 0) for n in ROWS)


def test_the_rows_cover_every_family_and_optimizer():
  chosen = [variants.get(name) for name in ROWS]
  assert {v.family for v in chosen} == {v.family for v in variants.VARIANTS}
  assert ({v.optimizer for v in chosen}
          == {v.optimizer for v in variants.VARIANTS})
  assert len(set(ROWS)) == len(ROWS) and FAILING not in ROWS


def test_every_covering_row_has_its_held_out_loss(study):
  found = all_records(study[0])
  for name in ROWS:
    record = found[(name, 0)]
    assert record.status == records.OK, record
    assert math.isfinite(record.metrics["early_loss"]) and (
        record.metrics["early_loss"] > 0), record.metrics


def test_killed_launch_and_killed_worker_end_with_uninterrupted_weights(
    study):
  workdir, markers, _, _, references = study
  assert (markers / "launch").exists() and (markers / "worker").exists()
  early = budgets.pretraining_budget(scales.get("tiny"),
                                    PRETRAIN_STEPS).early
  assert len(references) == 2
  for model_dir, reference in references.items():
    assert model_dir_reader.latest_step(model_dir) == early
    assert_same_checkpoint(reference, model_dir, early)


def test_two_cells_ran_at_once(study):
  found = sorted(all_records(study[0]).values(), key=lambda r: r.started_at)
  overlapping = [(a.variant, a.seed, b.variant, b.seed)
                 for i, a in enumerate(found) for b in found[i + 1:]
                 if b.started_at < a.finished_at]
  assert overlapping, [(r.variant, r.seed, r.started_at, r.finished_at)
                       for r in found]


def test_the_driver_alone_wrote_records_of_the_study_configuration(study):
  workdir = study[0]
  written = configuration.read(str(workdir))
  found = all_records(workdir)
  assert {r.config_id for r in found.values()} == {written["config_id"]}
  assert all(r.machine and r.started_at and r.finished_at
             for r in found.values())
  assert written["identity"]["plugins"] == {
      "module_import": ["fault_injection"], "gin_location_prefix": []}
  leftovers = [p for p in (workdir / "results").rglob("*") if p.is_file()
               and p.suffix != ".json"]
  assert not leftovers


class FakeRay:
  def __init__(self):
    self.calls = []

  def init(self, **kwargs):
    self.calls.append(kwargs)


def test_local_starts_ray_on_the_loopback_and_an_address_joins(monkeypatch):
  monkeypatch.delenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", raising=False)
  monkeypatch.setenv("MTF_MODS_CACHE", "/cache")
  fake = FakeRay()
  ray_cluster.RayCluster(None, "", "local").connect(fake)
  assert fake.calls[0]["address"] == "local"  # a new instance
  assert os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] == "0"
  assert fake.calls[0]["runtime_env"]["env_vars"]["MTF_MODS_CACHE"] == (
      "/cache")
  ray_cluster.RayCluster(None, "", "head:6379").connect(fake)
  assert fake.calls[1]["address"] == "head:6379"


def test_resources_per_cell_parse_and_refuse():
  assert ray_cluster.parse_resources("tpu_v3_8:1, big:0.5") == {
      "tpu_v3_8": 1.0, "big": 0.5}
  assert ray_cluster.parse_resources("") == {}
  for bad in ("tpu:x", ":1", "tpu:0"):
    with pytest.raises(ValueError, match="NAME:AMOUNT|a name and a positive"):
      ray_cluster.parse_resources(bad)


def test_a_task_expands_the_workers_variables_and_names_a_failed_dependency(
    monkeypatch):
  launched = []
  monkeypatch.setattr(cell_run.launches, "run",
                      lambda arguments, *unused, **kwargs: launched.append(
                          (arguments, kwargs["env"])))
  monkeypatch.setenv("TPU_NAME", "slice-7")
  cell = study_cells.Cell(OTHER, "superglue", 0,
                          [("train", ["--tpu=$TPU_NAME", "--seed=0"])],
                          collect=dict, depends_on=(("pretrain", 0),))
  env = ray_cluster.thread_environment(2)
  done = ray_cluster._cell_task(cell, env, [],
                                cell_run.Outcome(records.OK))
  assert done.status == records.OK
  assert launched == [(["--tpu=slice-7", "--seed=0"], {
      "TF_NUM_INTRAOP_THREADS": "2", "TF_NUM_INTEROP_THREADS": "2"})]
  refused = ray_cluster._cell_task(cell, env, [],
                                   cell_run.Outcome(records.FAILED))
  assert (refused.status, refused.error) == (
      records.FAILED, "needs the pretrain cell of seed 0, which has not "
      "succeeded")
  assert len(launched) == 1


def test_the_cells_a_cluster_holds_at_once():
  options = ray_cluster.cell_resources(1, 0, {"tpu_v3_8": 1})
  assert ray_cluster.concurrency({"CPU": 8.0, "tpu_v3_8": 2.0}, options) == "2"
  assert ray_cluster.concurrency({"CPU": 2.0}, options) == "0"
  assert ray_cluster.concurrency(
      {"CPU": 2.0}, ray_cluster.cell_resources(1, 0, {})) == "2"
