"""The default executor: the cells one after another on this machine.

A cell whose dependency has no "ok" record fails at once, naming it. The
study's ETA (eta.py) is printed before each cell, and every
RATE_ETA_EVERY_SECONDS from the first launch's progress while no cell has
finished yet.
"""
import sys
import time

from mtf_mods.study import eta as study_eta
from mtf_mods.study.executors import cell_run

# While no cell has finished, the seconds between ETA lines from the
# running launch's progress.
RATE_ETA_EVERY_SECONDS = 60.0


class InOrder:
  """Runs the cells in order in this process (their launches as its
  subprocesses)."""

  def __init__(self, config, config_id=""):
    self.config = config
    self.config_id = config_id

  def run(self, cells, store, stream=None):
    stream = stream or sys.stdout
    counts = cell_run.new_counts()
    todo = [(position, cell) for position, cell in enumerate(cells, 1)
            if not store.is_finished(cell.variant, cell.stage, cell.seed,
                                     cell.implementation)]
    counts[cell_run.SKIPPED] = len(cells) - len(todo)
    eta = study_eta.StudyEta()
    for index, (position, cell) in enumerate(todo):
      remaining = sum((c.cost for _, c in todo[index:]), study_eta.Cost())
      print("== cell %d/%d: %s (study ETA %s)" % (
          position, len(cells), cell.label,
          study_eta.format_eta(eta.remaining_seconds(remaining))),
            file=stream, flush=True)
      unmet = [key for key in cell.dependency_keys()
               if not store.is_finished(key[1], key[2], key[3], key[0])]
      if unmet:
        outcome = cell_run.failed(cell_run.unmet_dependency(cell, unmet[0]))
        print("[%s] FAILED: %s" % (cell.label, outcome.error), file=stream,
              flush=True)
      else:
        outcome = cell_run.run_cell(
            cell, stream, self._eta_printer(eta, remaining, stream),
            on_launch=lambda: eta.launch_started(time.time()))
      counts[outcome.status] += 1
      eta.cell_finished(cell.cost, outcome.duration_seconds)
      store.put(cell_run.record_of(cell, outcome, self.config,
                                   self.config_id))
    return counts

  @staticmethod
  def _eta_printer(eta, remaining, stream):
    last_eta_line = [0.0]

    def on_line(line):
      now = time.time()
      if not eta.observe_line(line, now) or eta.finished_cells:
        return
      if now - last_eta_line[0] >= RATE_ETA_EVERY_SECONDS:
        last_eta_line[0] = now
        print("== study ETA %s (from the first launch's set-up and step "
              "times; refined as cells finish)" % study_eta.format_eta(
                  eta.remaining_seconds(remaining)), file=stream, flush=True)
    return on_line

