"""The study's ETA for the whole job, from its first training steps on.

A cell's cost is counted in what its launches do (`Cost`): launches (each
a process start, an input pipeline, a graph build, a session and
checkpoints before its first step), training steps, checkpoints whose
held-out loss is measured, and checkpoints whose validation set is decoded.
The study measures the first two on this machine as soon as a launch
prints them: the set-up seconds from a launch's start to its first step
line, and the seconds per step between its next progress lines. An
evaluated or decoded checkpoint is costed as a fraction of a launch's
set-up (EVALUATION_SETUPS, DECODE_SETUPS), the ratios measured in a
`mtf-mods demo` run at the tiny scale (docs/measurements/demo.md). Once
cells have finished, the estimate of the cells left is scaled by the
finished cells' measured time over their estimate. On a cluster, each
cell measures its own launches where it runs, the driver takes those
times as its cells finish (`measured_elsewhere`), and the cells left run
as many at once as the cluster holds.
"""
import dataclasses
import re

from mtf_mods.training import loop

EVALUATION_SETUPS = 0.15  # the held-out loss of one checkpoint
DECODE_SETUPS = 0.2       # decoding one checkpoint's validation set

_STEP = re.compile(r"^step (\d+)/\d+\b")


@dataclasses.dataclass(frozen=True)
class Cost:
  launches: int = 0
  steps: int = 0
  evaluations: int = 0
  decodes: int = 0

  def __add__(self, other):
    return Cost(*(a + b for a, b in zip(dataclasses.astuple(self),
                                        dataclasses.astuple(other))))


class StudyEta:
  """Seconds left in a study, from estimated costs and measured times."""

  def __init__(self):
    self.setup_seconds = None  # a launch's start to its first step
    self.step_seconds = None
    self._launch_started = None
    self._awaiting_first_step = False
    self._base = None   # (step, arrival time) the step time is measured from
    self._finished_estimate = 0.0
    self._finished_seconds = 0.0
    self.finished_cells = 0

  def launch_started(self, now):
    self._launch_started = now
    self._awaiting_first_step = True
    self._base = None

  def observe_line(self, line, now):
    """Takes a launch's set-up time and step time from its progress lines;
    True if the line gave a step time.

    The first step line ends the set-up; the steps just after it are slowed
    by one-off work (TensorFlow optimizing the graph for new fetches), so
    the step time is measured from the next line on, between the arrival
    of two lines.
    """
    match = _STEP.match(line)
    if not match:
      return False
    step = int(match.group(1))
    if self._awaiting_first_step:
      self._awaiting_first_step = False
      if self.setup_seconds is None and self._launch_started is not None:
        self.setup_seconds = now - self._launch_started
      return False
    if self._base is None:
      self._base = (step, now)
      return False
    base_step, base_time = self._base
    if step <= base_step or now <= base_time:
      return False
    self.step_seconds = (now - base_time) / (step - base_step)
    return True

  def measured_elsewhere(self, setup_seconds, step_seconds):
    """Takes the set-up and step times a cell measured where it ran (a Ray
    worker): the first set-up, the latest step time."""
    if self.setup_seconds is None:
      self.setup_seconds = setup_seconds
    if step_seconds is not None:
      self.step_seconds = step_seconds

  def estimate(self, cost):
    """Seconds for `cost` from what was measured, or None before it."""
    if self.setup_seconds is None or self.step_seconds is None:
      return None
    setups = (cost.launches + EVALUATION_SETUPS * cost.evaluations
              + DECODE_SETUPS * cost.decodes)
    return setups * self.setup_seconds + cost.steps * self.step_seconds

  def cell_finished(self, cost, seconds):
    estimate = self.estimate(cost)
    if estimate:
      self._finished_estimate += estimate
      self._finished_seconds += seconds
      self.finished_cells += 1

  def remaining_seconds(self, cost):
    """Seconds left for the cells of `cost`, or None before a measure."""
    estimate = self.estimate(cost)
    if estimate is None or not self._finished_estimate:
      return estimate
    return estimate * self._finished_seconds / self._finished_estimate


def format_eta(seconds):
  """"1h05m"-style, or "?" before a measure."""
  return loop.format_duration(seconds) if seconds is not None else "?"


def wall_seconds(eta, costs, at_once):
  """Seconds left for cells of `costs` that run `at_once` at a time (a
  cluster): their estimate over the cells that run together; None before
  a measure."""
  if not costs:
    return 0.0
  seconds = eta.remaining_seconds(sum(costs, Cost()))
  if seconds is None:
    return None
  return seconds / max(1, min(at_once, len(costs)))
