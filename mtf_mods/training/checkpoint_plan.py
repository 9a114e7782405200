"""How often a training run saves a checkpoint, and what it keeps on disk.

The rule: a run keeps every checkpoint it saves, and saves as many as its
scale's budget does over the run's length, whatever that length is:
  - its first (step 0, or the step it starts from) and its last step;
  - one every `interval` steps, where a run of the scale's own length has
    its budget's interval (pre-training: 10 checkpoints at tiny scale, 8 at
    cpu, 64 at paper; fine-tuning and training from scratch: 2 at tiny
    scale, ...), and a run of another length (`--train_steps`) the same
    number: interval = train_steps / that number, rounded up to a divisor
    of the early-loss step (1/8 of the run) in pre-training, so the early
    step keeps its checkpoint.
These are what the protocol reads: the early and final held-out losses and
the loss curve (perplexity_eval scores every checkpoint), and the best
validation checkpoint of a downstream run (decode_eval scores every one).
A user's own `utils.run.save_checkpoints_steps` binding is kept as it is.
"""
import dataclasses
import math

from mtf_mods.config import gin_config
from mtf_mods.config import protocol


def interval_for(train_steps, checkpoints, anchor=0):
  """The smallest interval giving at most `checkpoints` over `train_steps`
  that divides `anchor` (when given), so step `anchor` is saved."""
  smallest = max(1, math.ceil(train_steps / max(1, checkpoints)))
  if anchor <= 0:
    return smallest
  return min(d for d in range(1, anchor + 1)
             if anchor % d == 0 and d >= min(smallest, anchor))


@dataclasses.dataclass(frozen=True)
class CheckpointPlan:
  start: int          # the step the run starts from (saved again)
  final: int          # the run's last step
  interval: int       # utils.run.save_checkpoints_steps
  bytes_each: int     # the variables' bytes in one checkpoint

  @property
  def steps(self):
    """The steps of the checkpoints the run will have written."""
    later = range((self.start // self.interval + 1) * self.interval,
                  self.final, self.interval)
    return sorted({self.start, *later, self.final})

  def describe(self):
    count = len(self.steps)
    return ("keeps %d checkpoints (steps %s) of %s of variables each, %s "
            "in all, each with a copy of the graph (.meta)"
            % (count, _step_list(self.steps), _megabytes(self.bytes_each),
               _megabytes(count * self.bytes_each)))


def _step_list(steps):
  if len(steps) <= 6:
    return ", ".join(str(s) for s in steps)
  return "%d, %d, %d, ..., %d" % (steps[0], steps[1], steps[2], steps[-1])


def _megabytes(size):
  return "%.1f MB" % (size / 1e6)


TRAINING_STAGES = (protocol.PRETRAIN_STAGE, protocol.FINETUNE_STAGE,
                   protocol.FROM_SCRATCH_STAGE)
_INTERVAL = "utils.run.save_checkpoints_steps"


def _run_length():
  """The configured run's length in steps: FINETUNE_STEPS for fine-tuning
  (its train_steps counts from the pre-trained step), else train_steps."""
  try:
    return gin_config.query("FINETUNE_STEPS")
  except ValueError:
    return gin_config.query("utils.run.train_steps")


def own_length_and_interval(stage_files):
  """(steps, steps between checkpoints) of a training stage's own budget,
  its run length as `_run_length` counts it."""
  with gin_config.parsed(stage_files, ["INIT_CHECKPOINT = ''"]):
    return _run_length(), gin_config.query(_INTERVAL)


def interval_bindings(stage, stage_files, train_steps):
  """The binding of the interval for a run of `train_steps` steps (None:
  the stage's own length), keeping the number of checkpoints of a run of
  the stage's own length; [] where the stage's own interval stands."""
  if stage not in TRAINING_STAGES or train_steps is None:
    return []
  own_steps, own_interval = own_length_and_interval(stage_files)
  return ["%s = %d" % (_INTERVAL, stage_interval(stage, own_steps,
                                                 own_interval, train_steps))]


def stage_interval(stage, own_steps, own_interval, train_steps):
  """The interval of a run of `train_steps` in a stage whose budget runs
  `own_steps` with a checkpoint every `own_interval`: as many checkpoints,
  and in pre-training one at the early step."""
  anchor = (protocol.early_step(train_steps)
            if stage == protocol.PRETRAIN_STAGE else 0)
  return interval_for(train_steps, max(1, own_steps // own_interval), anchor)


def plan(files, params, start, bytes_each, finetune_from=None):
  """The CheckpointPlan of a configured training run starting at `start`
  (a model_dir's latest step, or 0); a fine-tuning run's length counts from
  its pre-trained step `finetune_from`."""
  with gin_config.parsed(files, params):
    interval, length = gin_config.query(_INTERVAL), _run_length()
  final = length if finetune_from is None else finetune_from + length
  return CheckpointPlan(max(start, finetune_from or 0), final, interval,
                        bytes_each)
