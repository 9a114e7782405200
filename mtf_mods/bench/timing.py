"""Timing steps: set-up plus first step, warm-up, then timed rounds.

Each thing timed is a "stepper": an object with a `step()` method and the
`first_step_seconds` it took from the start of its set-up (graph build,
session start, model construction) to the end of its first step, which is
where TensorFlow and PyTorch do their one-off work.

`time_together` then runs `warmup` untimed rounds and `steps` timed rounds;
a round runs one step of each stepper in turn, timing each on its own. On a
machine shared with other work the load changes from second to second;
alternating the steppers gives each the same load, so their ratio holds even
when the absolute rates move. Rates come from the median step time, which a
step now and then slowed by another process does not shift, where a mean
would.
"""
import dataclasses
import statistics
import time


@dataclasses.dataclass(frozen=True)
class StepTiming:
  first_step_seconds: float  # from the start of set-up to the end of step 1
  step_seconds: tuple        # wall time of each timed step

  @property
  def median_step_seconds(self):
    return statistics.median(self.step_seconds)

  @property
  def steps_per_second(self):
    return 1.0 / self.median_step_seconds

  @property
  def mean_steps_per_second(self):
    """Steps over total time: the rate of a producer with a buffer."""
    return len(self.step_seconds) / sum(self.step_seconds)


def first_step(step, setup_started):
  """Runs `step()` once; seconds since `setup_started` (perf_counter)."""
  step()
  return time.perf_counter() - setup_started


def time_together(steppers, steps, warmup):
  """Times `steps` alternating rounds of the steppers after a warm-up.

  Each round starts one stepper later than the one before, so no stepper
  always runs first, or always right after the same other one.

  Args:
    steppers: objects with `step()` and `first_step_seconds`.
    steps: timed rounds (at least 1).
    warmup: untimed rounds.

  Returns:
    one StepTiming per stepper, in order.
  """
  if steps < 1:
    raise ValueError("steps must be at least 1, got %d" % steps)
  for _ in range(warmup):
    for stepper in steppers:
      stepper.step()
  times = [[] for _ in steppers]
  for round_index in range(steps):
    for offset in range(len(steppers)):
      index = (round_index + offset) % len(steppers)
      start = time.perf_counter()
      steppers[index].step()
      times[index].append(time.perf_counter() - start)
  return [StepTiming(stepper.first_step_seconds, tuple(stepper_times))
          for stepper, stepper_times in zip(steppers, times)]
