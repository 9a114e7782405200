"""The cluster executor: every cell a Ray task (Ray core).

`--cluster=local` starts Ray on this machine, bound to the loopback
address; `--cluster=ADDRESS` joins a running cluster (`ray start` on its
hosts, a Slurm allocation, KubeRay), which must have mtf-mods installed
and the study's workdir at the same path on every host (a shared
filesystem, or gs://).

- Dependencies: a downstream cell's task takes its pre-training cell's
  task as an argument (Ray's task dependencies), so it starts once that
  cell has finished, and fails at once, naming it, if that cell failed.
- Resources: each task asks for `cpus_per_cell` CPUs, `gpus_per_cell`
  GPUs and any custom resources (a TPU slice at the paper scale, declared
  by each host with `ray start --resources`); as many cells run at once as
  the cluster's resources allow. A launch's TensorFlow uses as many
  threads as its cell's CPUs.
- Faults: a launch killed by a signal, or the worker running the task
  (which takes its launch with it), makes Ray run the task again, up to
  `retries` times; the launches resume from their model_dirs' last
  checkpoints. A cell that fails otherwise (a NaN, a bad binding) is
  recorded as failed and the others go on. The driver killed: its workers
  and their launches end with it, and the same command resumes, skipping
  the cells with an "ok" record.
- Only this process (the driver) writes records: a task returns its
  cell's outcome, the workers write only their model_dirs.
- ETA: each task measures its first launch's set-up and step times
  (eta.py) and returns them with its outcome; as cells finish, the driver
  prints the study's ETA: the cells left, estimated from those times and
  scaled by the finished cells' measured over estimated time, over the
  cells the cluster runs at once.
- Environment: the workers get the driver's MTF_MODS_* variables (the
  data cache, the mini data's sizes) and PYTHONPATH (plugins); a remote
  cluster's hosts must see the same paths. $VARIABLES left in a launch's
  flags take the worker's own values.
"""
import os
import sys
import time

from mtf_mods.launch import launches
from mtf_mods.study import eta as study_eta
from mtf_mods.study import records
from mtf_mods.study.executors import cell_run

LOCAL = "local"
FORWARDED_PREFIXES = ("MTF_MODS_",)
FORWARDED = ("PYTHONPATH",)
# A local cluster's shared-memory object store: a task's arguments and
# results are small (a cell, an outcome), so 100 MB is plenty.
LOCAL_OBJECT_STORE_BYTES = 100 * 1024 * 1024


def cell_resources(cpus_per_cell, gpus_per_cell, custom):
  """The Ray options of a cell's task: {"num_cpus", "num_gpus",
  "resources"}."""
  return {"num_cpus": cpus_per_cell, "num_gpus": gpus_per_cell,
          "resources": dict(custom)}


def parse_resources(text):
  """{"name": amount} from "name:amount,name:amount"; ValueError naming
  the malformed item and the valid form."""
  found = {}
  for item in filter(None, (part.strip() for part in text.split(","))):
    name, _, amount = item.partition(":")
    try:
      found[name.strip()] = float(amount or 1)
    except ValueError:
      raise ValueError("--resources_per_cell item %r is not NAME:AMOUNT "
                       "(e.g. tpu_v3_8:1)" % item) from None
    if not name.strip() or found[name.strip()] <= 0:
      raise ValueError("--resources_per_cell item %r needs a name and a "
                       "positive amount (e.g. tpu_v3_8:1)" % item)
  return found


def forwarded_environment(environ=os.environ):
  return {name: value for name, value in environ.items()
          if name.startswith(FORWARDED_PREFIXES) or name in FORWARDED}


def thread_environment(cpus_per_cell):
  """TensorFlow's thread pools sized to the cell's CPUs."""
  threads = str(max(1, int(cpus_per_cell)))
  return {"TF_NUM_INTRAOP_THREADS": threads,
          "TF_NUM_INTEROP_THREADS": threads}


def _cell_task(cell, env, unmet, *upstream):
  """A cell on a Ray worker: its outcome, or a failed one naming the cell
  it waits for that did not succeed. $VARIABLES in its launches' flags
  take the worker's values (each TPU host names its own slice:
  --tpu='$TPU_NAME'). A killed launch raises (LaunchKilled) for Ray to run
  the task again."""
  for key, outcome in zip(cell.dependency_keys(), upstream):
    if outcome.status != records.OK:
      unmet = unmet + [key]
  if unmet:
    return cell_run.failed(cell_run.unmet_dependency(cell, unmet[0]))
  cell.launches = [(purpose, [os.path.expandvars(a) for a in arguments])
                   for purpose, arguments in cell.launches]
  meter = study_eta.StudyEta()
  outcome = cell_run.run_cell(
      cell, sys.stdout, lambda line: meter.observe_line(line, time.time()),
      on_launch=lambda: meter.launch_started(time.time()), env=env,
      reraise=(launches.LaunchKilled,))
  outcome.setup_seconds = meter.setup_seconds
  outcome.step_seconds = meter.step_seconds
  return outcome


class RayCluster:
  """Runs the cells as Ray tasks on a local or running cluster."""

  def __init__(self, config, config_id, address, cpus_per_cell=1,
               gpus_per_cell=0, resources=None, retries=3):
    self.config = config
    self.config_id = config_id
    self.address = address
    self.options = cell_resources(cpus_per_cell, gpus_per_cell,
                                  resources or {})
    self.retries = retries
    self.env = thread_environment(cpus_per_cell)

  def connect(self, ray):
    """Starts (local) or joins (an address) the cluster."""
    runtime_env = {"env_vars": forwarded_environment()}
    if self.address == LOCAL:
      os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
      # address "local": a new instance, even where an earlier cluster's
      # address file is left in /tmp/ray.
      ray.init(address="local", include_dashboard=False,
               runtime_env=runtime_env,
               object_store_memory=LOCAL_OBJECT_STORE_BYTES)
    else:
      ray.init(address=self.address, runtime_env=runtime_env)

  def run(self, cells, store, stream=None):
    import ray  # pylint: disable=g-import-not-at-top
    stream = stream or sys.stdout
    counts = cell_run.new_counts()
    todo = [cell for cell in cells
            if not store.is_finished(cell.variant, cell.stage, cell.seed,
                                     cell.implementation)]
    counts[cell_run.SKIPPED] = len(cells) - len(todo)
    if not todo:
      return counts
    self.connect(ray)
    try:
      task = ray.remote(_cell_task).options(
          max_retries=self.retries,
          retry_exceptions=[launches.LaunchKilled], **self.options)
      submitted, waiting = {}, {}
      for cell in todo:
        upstream = [submitted[key] for key in cell.dependency_keys()
                    if key in submitted]
        unmet = [key for key in cell.dependency_keys()
                 if key not in submitted
                 and not store.is_finished(key[1], key[2], key[3], key[0])]
        submitted[cell.key] = task.remote(cell, self.env, unmet, *upstream)
        waiting[submitted[cell.key]] = cell
      at_once = concurrency(ray.cluster_resources(), self.options)
      print("== %d cells submitted to the Ray cluster (%s), %s each; its "
            "resources run %s at once; the study's ETA follows the first "
            "cell" % (len(todo), self.address, describe(self.options),
                      at_once), file=stream, flush=True)
      eta = study_eta.StudyEta()
      while waiting:
        done, _ = ray.wait(list(waiting), num_returns=1)
        cell = waiting.pop(done[0])
        try:
          outcome = ray.get(done[0])
        except ray.exceptions.RayError as e:  # retries spent, or lost
          outcome = cell_run.failed(str(e).strip().splitlines()[-1])
        counts[outcome.status] += 1
        store.put(cell_run.record_of(cell, outcome, self.config,
                                     self.config_id))
        eta.measured_elsewhere(outcome.setup_seconds, outcome.step_seconds)
        eta.cell_finished(cell.cost, outcome.duration_seconds)
        print("== cell %s: %s in %.0f s%s (%d left, study ETA %s)" % (
            cell.label, outcome.status, outcome.duration_seconds,
            ": " + outcome.error if outcome.error else "", len(waiting),
            study_eta.format_eta(study_eta.wall_seconds(
                eta, [c.cost for c in waiting.values()], int(at_once)))),
              file=stream, flush=True)
    finally:
      ray.shutdown()
    return counts


def concurrency(cluster, options):
  """How many cells the cluster's total resources hold at once ("0": a
  resource no host has, so no cell can start until one joins)."""
  needs = {"CPU": options["num_cpus"], "GPU": options["num_gpus"]}
  needs.update(options["resources"])
  return str(min(int(cluster.get(name, 0) // amount)
                 for name, amount in needs.items() if amount))


def describe(options):
  """"1 CPU, 0 GPUs, tpu_v3_8: 1" for a cell's task options."""
  parts = ["%g CPU" % options["num_cpus"], "%g GPU" % options["num_gpus"]]
  parts += ["%s: %g" % item for item in sorted(options["resources"].items())]
  return ", ".join(parts)
