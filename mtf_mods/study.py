"""`mtf-mods study`: the paper's protocol over variants and seeds.

For each variant (Narang et al. 2021, Sec. 3):
- pre-training: seed 0 runs the full budget and is evaluated at every
  checkpoint (held-out loss curve, early and final loss); seeds 1..n-1 run
  to the early step, 1/8 of the budget, for the seed-to-seed noise floor of
  the early loss (the paper: 5 runs of 65,536 steps);
- the downstream stages of `protocol.py` (fine-tuning from seed 0's final
  checkpoint, translation from scratch), each kept at its best validation
  score.
A study cut to the early step (`early_only`, `--pretrain_until=early`) runs
every seed to the early step, with the full run's schedules, and no
downstream stage: the early loss over seeds, the paper's noise floor, at
1/8 of the cost.

A study runs in one or both implementations (`--implementation`: the kit's
layers, the authors' release on mtf's layers), each with its own baseline
and model_dirs (runs/ and runs/release/). Every (implementation, variant,
stage, seed) cell runs `mtf-mods train` in subprocesses
(`launches`) and writes one record (results_store.py). A finished cell is
skipped when the study runs again; a failed cell records its error and the
others go on; an interrupted cell resumes from its last checkpoint (t5's
training restores model_dir's latest checkpoint and runs to the final step).
"""
import dataclasses
import os
import sys
import time

from mtf_mods import checkpoint_plan
from mtf_mods import gin_config
from mtf_mods import gin_files
from mtf_mods import launches
from mtf_mods import model_dir_reader
from mtf_mods import model_graph
from mtf_mods import protocol
from mtf_mods import results_store
from mtf_mods import study_eta
from mtf_mods import training

PRETRAIN = protocol.PRETRAIN_STAGE
CPU_EVAL_BATCHES = 25  # perplexity-eval batches below the paper scale
SKIPPED = "skipped"  # the count of finished cells, beside the record statuses


class CellError(RuntimeError):
  """A cell cannot run or its results are incomplete; says what is missing."""


@dataclasses.dataclass
class StudyConfig:
  variants: list
  scale: object            # scales.Scale
  data: str                # protocol.MINI_DATA or protocol.REAL_DATA
  seeds: int
  workdir: str
  pretrain_steps: int = 0  # 0: the scale's own budget
  downstream_steps: int = 0  # 0: the budgets/<scale> files' own
  extra_flags: tuple = ()  # added to every launch (e.g. --tpu=...)
  implementations: tuple = (results_store.KIT,)
  early_only: bool = False  # every seed stops at the early step

  def run_dir(self, variant, seed, stage, implementation=results_store.KIT):
    runs = results_store.implementation_dir(
        os.path.join(self.workdir, "runs"), implementation)
    return os.path.join(runs, variant, "seed%d" % seed, stage)


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


def pretraining_run(config, seed):
  """(budget, full run?, steps) of a seed's pre-training cell: seed 0 runs
  the full budget unless the study stops at the early step."""
  budget = pretraining_budget(config.scale, config.pretrain_steps)
  full_run = seed == 0 and not config.early_only
  return budget, full_run, budget.final if full_run else budget.early


def pretraining_launches(config, variant, seed, task, implementation):
  """[(purpose, launcher arguments)] of a pre-training cell."""
  budget, full_run, steps = pretraining_run(config, seed)
  model_dir = config.run_dir(variant, seed, PRETRAIN, implementation)
  extra = launch_flags(config, implementation)
  train = launches.train_arguments(
      variant, config.scale.name, PRETRAIN, task, model_dir, seed=seed,
      train_steps=steps, gin_params=pretraining_bindings(budget),
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
  """What a pre-training cell's launches do (study_eta)."""
  budget, full_run, steps = pretraining_run(config, seed)
  evaluations = steps // budget.interval + 1 if full_run else 1
  return study_eta.Cost(launches=2, steps=steps, evaluations=evaluations)


def downstream_cost(config, variant, application, implementation):
  """What a downstream cell's launches do: training, then decoding every
  checkpoint (study_eta)."""
  steps = config.downstream_steps
  if steps:
    interval = downstream_interval(steps)
  else:
    steps, interval = checkpoint_plan.own_length_and_interval(
        gin_files.stage_gin_files(variant, config.scale,
                                  application.train_stage,
                                  implementation=implementation))
  return study_eta.Cost(launches=2, steps=steps,
                        decodes=steps // interval + 1)


def launch_flags(config, implementation):
  """Flags every launch of an implementation's cells takes."""
  return ("--implementation=%s" % implementation,) + tuple(config.extra_flags)


def pretraining_bindings(budget):
  """gin bindings of a pre-training launch: the budget's batch size,
  checkpoint interval and full length (which a run cut to the early step
  keeps for its learning-rate schedules)."""
  return ["utils.run.batch_size = %r" % (budget.batch,),
          "pretraining_steps = %d" % budget.final,
          "utils.run.save_checkpoints_steps = %d" % budget.interval]


def pretraining_metrics(config, variant, seed, implementation):
  """The record's metrics from a finished pre-training cell's model_dir."""
  budget = pretraining_budget(config.scale, config.pretrain_steps)
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
  budget = pretraining_budget(config.scale, config.pretrain_steps)
  size = model_graph.measure(
      gin_files.stage_gin_files(variant, config.scale, PRETRAIN,
                                implementation=implementation),
      pretraining_bindings(budget), vocab_size)
  return {"params": size.parameters, "flops_per_step": size.flops_per_step}


@dataclasses.dataclass
class Cell:
  variant: str
  stage: str
  seed: int
  launches: list           # [(purpose, launcher arguments)]
  collect: object          # () -> metrics dict
  depends_on: tuple = ()   # (stage, seed) cells of the same variant
  implementation: str = results_store.KIT
  cost: study_eta.Cost = study_eta.Cost()  # what its launches do

  @property
  def label(self):
    label = "%s seed%d %s" % (self.variant, self.seed, self.stage)
    if self.implementation == results_store.KIT:
      return label
    return "%s/%s" % (self.implementation, label)


def format_eta(seconds):
  return training.format_duration(seconds) if seconds is not None else "?"


# While no cell has finished, the seconds between ETA lines from the
# running launch's progress.
RATE_ETA_EVERY_SECONDS = 60.0


def run_cells(cells, config, store, stream=None):
  """Runs the cells in order; returns {"ok": n, "failed": n, "skipped": n}
  (the keys results_store.OK, results_store.FAILED and SKIPPED)."""
  stream = stream or sys.stdout
  counts = {results_store.OK: 0, results_store.FAILED: 0, SKIPPED: 0}
  todo = [(position, cell) for position, cell in enumerate(cells, 1)
          if not store.is_finished(cell.variant, cell.stage, cell.seed,
                                   cell.implementation)]
  counts[SKIPPED] = len(cells) - len(todo)
  eta = study_eta.StudyEta()
  for index, (position, cell) in enumerate(todo):
    remaining = sum((c.cost for _, c in todo[index:]), study_eta.Cost())
    print("== cell %d/%d: %s (study ETA %s)" % (
        position, len(cells), cell.label,
        format_eta(eta.remaining_seconds(remaining))), file=stream,
          flush=True)
    last_eta_line = [0.0]

    def on_line(line, remaining=remaining):
      now = time.time()
      if not eta.observe_line(line, now) or eta.finished_cells:
        return
      if now - last_eta_line[0] >= RATE_ETA_EVERY_SECONDS:
        last_eta_line[0] = now
        print("== study ETA %s (from the first launch's set-up and step "
              "times; refined as cells finish)" % format_eta(
                  eta.remaining_seconds(remaining)), file=stream, flush=True)

    started = time.time()
    record = results_store.Record(
        variant=cell.variant, stage=cell.stage, seed=cell.seed,
        status=results_store.OK, scale=config.scale.name, data=config.data,
        implementation=cell.implementation)
    try:
      for stage, seed in cell.depends_on:
        if not store.is_finished(cell.variant, stage, seed,
                                 cell.implementation):
          raise CellError("needs the %s cell of seed %d, which has not "
                          "succeeded" % (stage, seed))
      for purpose, arguments in cell.launches:
        print("[%s] %s" % (cell.label, purpose), file=stream, flush=True)
        eta.launch_started(time.time())
        launches.run(arguments, cell.label, stream, on_line)
      record.metrics = cell.collect()
      counts[results_store.OK] += 1
    except (CellError, launches.LaunchError, OSError, ValueError,
            KeyError) as e:
      record.status, record.error = results_store.FAILED, str(e)
      counts[results_store.FAILED] += 1
      print("[%s] FAILED: %s" % (cell.label, e), file=stream, flush=True)
    record.duration_seconds = time.time() - started
    eta.cell_finished(cell.cost, record.duration_seconds)
    store.put(record)
  return counts


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


def downstream_budget(config):
  """Flags shortening the downstream training runs to --downstream_steps,
  with a checkpoint (and so an evaluation) at the middle and the end."""
  steps = config.downstream_steps
  if not steps:
    return []
  return ["--train_steps=%d" % steps,
          "--gin_param=utils.run.save_checkpoints_steps = %d"
          % downstream_interval(steps)]


def downstream_interval(steps):
  """Checkpoints of a --downstream_steps run: the middle and the end."""
  return max(1, steps // 2)


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
          flags = flags + ["--seed=0"] + downstream_budget(config)
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
