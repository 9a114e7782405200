"""What a study runs: its cells, each a few launches of `mtf-mods train`.

For each variant (Narang et al. 2021, Sec. 3):
- pre-training: seed 0 runs the full budget and is evaluated at every
  checkpoint (held-out loss curve, early and final loss); seeds 1..n-1 run
  to the early step, 1/8 of the budget, for the seed-to-seed noise floor of
  the early loss (the paper: 5 runs of 65,536 steps);
- the downstream stages of `protocol.py` (fine-tuning from seed 0's final
  checkpoint, translation from scratch), each kept at its best validation
  score; a fine-tuning cell waits for its variant's seed-0 pre-training.
A study cut to the early step (`early_only`, `--pretrain_until=early`) runs
every seed to the early step, with the full run's schedules, and no
downstream stage: the early loss over seeds, the paper's noise floor, at
1/8 of the cost.

A study runs in one or both implementations (the kit's layers, the
authors' release on mtf's layers), each with its own baseline and
model_dirs (runs/ and runs/release/). A cell is an (implementation,
variant, stage, seed): its launches, the cells it waits for, how its
metrics are read from its model_dir once they ran, and what they cost
(eta.py). The executors (executors/) run them; an interrupted cell resumes
from its last checkpoint (t5's training restores model_dir's latest
checkpoint and runs to the final step).
"""
import dataclasses

from mtf_mods.training import checkpoint_plan
from mtf_mods.config import gin_files
from mtf_mods.launch import launches
from mtf_mods.files import model_dir_reader
from mtf_mods.model import model_graph
from mtf_mods.config import protocol
from mtf_mods.study import budgets
from mtf_mods.study import eta
from mtf_mods.study import records

PRETRAIN = budgets.PRETRAIN
CPU_EVAL_BATCHES = 25  # perplexity-eval batches below the paper scale


class CellError(RuntimeError):
  """A cell cannot run or its results are incomplete; says what is missing."""


@dataclasses.dataclass
class Cell:
  variant: str
  stage: str
  seed: int
  launches: list           # [(purpose, launcher arguments)]
  collect: object          # () -> metrics dict, read from its model_dirs
  depends_on: tuple = ()   # (stage, seed) cells of the same variant
  implementation: str = records.KIT
  cost: eta.Cost = eta.Cost()  # what its launches do

  @property
  def key(self):
    return (self.implementation, self.variant, self.stage, self.seed)

  def dependency_keys(self):
    return [(self.implementation, self.variant, stage, seed)
            for stage, seed in self.depends_on]

  @property
  def label(self):
    return label_of(*self.key)


def label_of(implementation, variant, stage, seed):
  label = "%s seed%d %s" % (variant, seed, stage)
  if implementation == records.KIT:
    return label
  return "%s/%s" % (implementation, label)


def launch_flags(config, implementation):
  """Flags every launch of an implementation's cells takes."""
  return (("--implementation=%s" % implementation,)
          + tuple(config.plugins.launch_flags())
          + tuple(config.launch_flags)
          + tuple("--gin_param=%s" % binding
                  for binding in config.gin_params))


def pretraining_run(config, seed):
  """(budget, full run?, steps) of a seed's pre-training cell: seed 0 runs
  the full budget unless the study stops at the early step."""
  budget = budgets.pretraining_budget(config.scale, config.pretrain_steps)
  full_run = seed == 0 and not config.early_only
  return budget, full_run, budget.final if full_run else budget.early


def pretraining_launches(config, variant, seed, task, implementation):
  """[(purpose, launcher arguments)] of a pre-training cell."""
  budget, full_run, steps = pretraining_run(config, seed)
  model_dir = config.run_dir(variant, seed, PRETRAIN, implementation)
  extra = launch_flags(config, implementation)
  train = launches.train_arguments(
      variant, config.scale.name, PRETRAIN, task, model_dir, seed=seed,
      train_steps=steps, gin_params=budgets.pretraining_bindings(budget),
      extra=extra)
  checkpoints = '"all"' if full_run else str(budget.early)
  evaluation = ["eval_checkpoint_step = %s" % checkpoints]
  if config.scale.name != "paper":
    evaluation.append("utils.run.perplexity_eval_steps = %d"
                      % CPU_EVAL_BATCHES)
  evaluate = launches.train_arguments(
      variant, config.scale.name, protocol.PERPLEXITY_STAGE, task, model_dir,
      gin_params=evaluation, extra=extra)
  return [("pre-train", train), ("held-out loss", evaluate)]


def pretraining_cost(config, seed):
  """What a pre-training cell's launches do (eta.py)."""
  budget, full_run, steps = pretraining_run(config, seed)
  evaluations = steps // budget.interval + 1 if full_run else 1
  return eta.Cost(launches=2, steps=steps, evaluations=evaluations)


def downstream_cost(config, variant, application, implementation):
  """What a downstream cell's launches do: training, then decoding every
  checkpoint (eta.py)."""
  steps = config.downstream_steps
  if steps:
    interval = budgets.downstream_interval(steps)
  else:
    steps, interval = checkpoint_plan.own_length_and_interval(
        gin_files.stage_gin_files(variant, config.scale,
                                  application.train_stage,
                                  implementation=implementation))
  return eta.Cost(launches=2, steps=steps, decodes=steps // interval + 1)


def pretraining_metrics(config, variant, seed, implementation):
  """The record's metrics from a finished pre-training cell's model_dir."""
  budget = budgets.pretraining_budget(config.scale, config.pretrain_steps)
  final, early = budget.final, budget.early
  model_dir = config.run_dir(variant, seed, PRETRAIN, implementation)
  losses = model_dir_reader.held_out_losses(model_dir)
  if early not in losses:
    raise CellError("no held-out loss at the early step %d in %s"
                    % (early, model_dir))
  metrics = {"early_step": early, "early_loss": losses[early]}
  if seed == 0:
    summary = model_dir_reader.train_summary(model_dir) or {}
    metrics["steps_per_second"] = summary.get("steps_per_second")
    metrics["tokens_per_second"] = summary.get("tokens_per_second")
  if seed == 0 and not config.early_only:
    if final not in losses:
      raise CellError("no held-out loss at the final step %d in %s"
                      % (final, model_dir))
    metrics.update(final_step=final, final_loss=losses[final],
                   loss_curve={str(step): loss
                               for step, loss in sorted(losses.items())})
  return metrics


def model_size(config, variant, vocab_size, implementation):
  """Parameters and training FLOPs of the variant at the study's scale, as
  its pre-training launch configures it."""
  budget = budgets.pretraining_budget(config.scale, config.pretrain_steps)
  size = model_graph.measure(
      gin_files.stage_gin_files(variant, config.scale, PRETRAIN,
                                implementation=implementation),
      budgets.pretraining_bindings(budget), vocab_size)
  return {"params": size.parameters, "flops_per_step": size.flops_per_step}


def pretraining_cells(config, vocab_size, implementation):
  """Seed 0 of every variant first (full budget), then the other seeds."""
  task = protocol.PRETRAINING_TASKS[config.data]
  cells = []
  for seed in range(config.seeds):
    for variant in config.variants:
      def collect(variant=variant, seed=seed):
        metrics = pretraining_metrics(config, variant.name, seed,
                                      implementation)
        if seed == 0:
          metrics.update(model_size(config, variant, vocab_size,
                                    implementation))
        return metrics
      cells.append(Cell(variant.name, PRETRAIN, seed,
                        pretraining_launches(config, variant.name, seed,
                                             task, implementation), collect,
                        implementation=implementation,
                        cost=pretraining_cost(config, seed)))
  return cells


def downstream_cells(config, implementation):
  """Each application of the protocol for every variant, from seed 0."""
  cells = []
  for variant in config.variants:
    pretrained = config.run_dir(variant.name, 0, PRETRAIN, implementation)
    for application in protocol.APPLICATIONS:
      model_dir = config.run_dir(variant.name, 0, application.name,
                                 implementation)
      cell_launches = []
      for purpose, flags in protocol.launches(
          application, config.data, model_dir,
          pretrained if application.from_pretrained else ""):
        if purpose == "train":
          flags = (flags + ["--seed=0"]
                   + budgets.downstream_flags(config.downstream_steps))
        cell_launches.append((purpose, launches.train_arguments(
            variant.name, config.scale.name,
            extra=flags + list(launch_flags(config, implementation)))))
      def collect(application=application, model_dir=model_dir):
        best = protocol.best(application, config.data, model_dir)
        metrics = {"score": best.score, "best_step": best.step,
                   "metrics": dict(best.metrics)}
        if best.task_steps:  # SuperGLUE: each task's own best checkpoint
          metrics["best_steps"] = dict(best.task_steps)
        return metrics
      depends = ((PRETRAIN, 0),) if application.from_pretrained else ()
      cells.append(Cell(variant.name, application.name, 0, cell_launches,
                        collect, depends, implementation,
                        downstream_cost(config, variant, application,
                                        implementation)))
  return cells


def stage_names():
  return [PRETRAIN] + protocol.names()


def build_cells(config, stages=()):
  """The study's cells in running order, limited to `stages` if given:
  seed 0's pre-training, the downstream applications, then the other
  seeds' pre-training (the noise floor), each implementation's in turn.

  Raises:
    ValueError: an unknown stage or implementation, or a variant without a
      release config in a study of the release.
  """
  unknown = sorted(set(stages) - set(stage_names()))
  if unknown:
    raise ValueError("unknown stage %r; valid: %s" % (
        unknown[0], ", ".join(stage_names())))
  downstream = sorted(set(stages) - {PRETRAIN})
  if config.early_only and downstream:
    raise ValueError("stage %s fine-tunes the final pre-trained checkpoint; "
                     "a study cut to the early step runs only %s"
                     % (downstream[0], PRETRAIN))
  first, downstream, others = [], [], []
  for implementation in config.implementations:
    for variant in config.variants:
      gin_files.model_gin_file(variant, implementation)
    pretraining = pretraining_cells(config, config.scale.vocab_size,
                                    implementation)
    first += [c for c in pretraining if c.seed == 0]
    others += [c for c in pretraining if c.seed != 0]
    if not config.early_only:
      downstream += downstream_cells(config, implementation)
  # Seed by seed, each implementation's cells side by side: a study stopped
  # early has the same seeds of both.
  others.sort(key=lambda cell: cell.seed)
  cells = first + downstream + others
  return [c for c in cells if not stages or c.stage in stages]
