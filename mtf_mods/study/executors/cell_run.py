"""Running one cell wherever it runs, and the record the study keeps of it.

`run_cell` runs a cell's launches in order and reads its metrics from its
model_dirs: on this machine (in_order.py) or on a Ray worker
(ray_cluster.py). It returns an `Outcome`, which the study's own process
turns into the cell's record (`record_of`).
"""
import dataclasses
import sys
import time

from mtf_mods.launch import launches
from mtf_mods.study import cells as study_cells
from mtf_mods.study import provenance
from mtf_mods.study import records

SKIPPED = "skipped"  # the count of finished cells, beside the record statuses


@dataclasses.dataclass
class Outcome:
  status: str
  metrics: dict = dataclasses.field(default_factory=dict)
  error: str = ""
  started_at: str = ""
  finished_at: str = ""
  duration_seconds: float = 0.0
  provenance: dict = dataclasses.field(default_factory=dict)
  # Its first launch's set-up and step times, where the cell measured them
  # (a Ray worker's cell; eta.StudyEta.observe_line): the driver's ETA.
  setup_seconds: float = None
  step_seconds: float = None


def failed(error):
  """The outcome of a cell that did not run (a cell it waits for failed)."""
  now = provenance.now()
  return Outcome(records.FAILED, error=error, started_at=now,
                 finished_at=now, provenance=provenance.stamp())


def unmet_dependency(cell, key):
  _, _, stage, seed = key
  return ("needs the %s cell of seed %d, which has not succeeded"
          % (stage, seed))


def run_cell(cell, stream=None, on_line=None, on_launch=None, env=None,
             reraise=()):
  """Runs the cell's launches, then reads its metrics.

  Args:
    cell: a cells.Cell.
    stream, on_line: where the launches' labelled lines go (launches.run).
    on_launch: called before each launch (the ETA's clock).
    env: extra environment variables for the launches.
    reraise: exception types not to record but to raise (the Ray task's
      retry of a killed launch).
  """
  stream = stream or sys.stdout
  started, started_at = time.time(), provenance.now()
  outcome = Outcome(records.OK, started_at=started_at,
                    provenance=provenance.stamp())
  try:
    for purpose, arguments in cell.launches:
      print("[%s] %s" % (cell.label, purpose), file=stream, flush=True)
      if on_launch:
        on_launch()
      launches.run(arguments, cell.label, stream, on_line, env=env)
    outcome.metrics = cell.collect()
  except reraise:
    raise
  except (study_cells.CellError, launches.LaunchError, OSError, ValueError,
          KeyError) as e:
    outcome.status, outcome.error = records.FAILED, str(e)
    print("[%s] FAILED: %s" % (cell.label, e), file=stream, flush=True)
  outcome.finished_at = provenance.now()
  outcome.duration_seconds = time.time() - started
  return outcome


def record_of(cell, outcome, config, config_id):
  """The record the study keeps of a cell's outcome."""
  return records.Record(
      variant=cell.variant, stage=cell.stage, seed=cell.seed,
      status=outcome.status, metrics=outcome.metrics, error=outcome.error,
      duration_seconds=outcome.duration_seconds, scale=config.scale.name,
      data=config.data, implementation=cell.implementation,
      config_id=config_id, started_at=outcome.started_at,
      finished_at=outcome.finished_at, **outcome.provenance)


def new_counts():
  return {records.OK: 0, records.FAILED: 0, SKIPPED: 0}
