"""A study's step budgets: how long each cell trains and when it is saved.

Pre-training (Narang et al. 2021, Sec. 3): seed 0 runs the full budget and
the early loss is read at 1/8 of it; a study cut to the early step runs
every seed to that step on the full run's schedules. Downstream training
runs the budgets/<scale> files' own length, or `--downstream_steps` with a
checkpoint (and so an evaluation) at the middle and the end.
"""
import dataclasses

from mtf_mods.training import checkpoint_plan
from mtf_mods.config import gin_config
from mtf_mods.config import protocol

PRETRAIN = protocol.PRETRAIN_STAGE


@dataclasses.dataclass(frozen=True)
class PretrainingBudget:
  final: int       # steps of the full run (seed 0)
  early: int       # the early-loss step, 1/8 of `final`
  interval: int    # steps between checkpoints; divides `early`
  batch: tuple     # utils.run.batch_size, e.g. ("tokens_per_batch", 65536)


def pretraining_budget(scale, steps=0):
  """The scale's pre-training budget, with `steps` overriding its length
  (and its checkpoint interval, by checkpoint_plan's rule)."""
  with gin_config.parsed([scale.gin_file]):
    own_steps = gin_config.query("utils.run.train_steps")
    own_interval = gin_config.query("utils.run.save_checkpoints_steps")
    batch = gin_config.query("utils.run.batch_size")
  final = steps or own_steps
  interval = checkpoint_plan.stage_interval(PRETRAIN, own_steps,
                                            own_interval, final)
  return PretrainingBudget(final, protocol.early_step(final), interval,
                           tuple(batch))


def pretraining_bindings(budget):
  """gin bindings of a pre-training launch: the budget's batch size,
  checkpoint interval and full length (which a run cut to the early step
  keeps for its learning-rate schedules)."""
  return ["utils.run.batch_size = %r" % (budget.batch,),
          "pretraining_steps = %d" % budget.final,
          "utils.run.save_checkpoints_steps = %d" % budget.interval]


def downstream_flags(steps):
  """Flags shortening a downstream training run to `steps` (0: the
  budgets' own length, no flag)."""
  if not steps:
    return []
  return ["--train_steps=%d" % steps,
          "--gin_param=utils.run.save_checkpoints_steps = %d"
          % downstream_interval(steps)]


def downstream_interval(steps):
  """Checkpoints of a --downstream_steps run: the middle and the end."""
  return max(1, steps // 2)
