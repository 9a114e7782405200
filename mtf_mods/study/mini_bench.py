"""The mini benchmark: the protocol's four applications on the embedded data,
trained model against trivial baseline.

Runs, each step through `mtf-mods train` in its own process as a user would
(`launches`):
  1. pre-training of the variant on mini_span_corruption (the scale's budget),
     unless --pretrained_model_dir points at a finished one;
  2. for each application of `protocol.py` on its mini task: fine-tuning from
     the pre-trained checkpoint (or training from scratch for translation)
     with the scale's budget, then scoring every checkpoint (decode_eval), and
     keeping the best validation checkpoint;
  3. the trivial baselines (`mtf_mods.tasks.mini.baselines`) on the same
     validation data with the same metrics.
It prints one row per application (baseline, model, best step, time) and
writes them to <workdir>/mini_bench.json. Finished steps (the final
checkpoint, or its scores, present: `launches.is_trained`, `is_evaluated`)
are not repeated.
"""
import dataclasses
import json
import os
import time

from mtf_mods.files import atomic_files
from mtf_mods.config import gin_config
from mtf_mods.launch import launches
from mtf_mods.files import model_dir_reader
from mtf_mods.config import protocol
from mtf_mods.config import scales

RESULTS_FILE = "mini_bench.json"
DATA = protocol.MINI_DATA


@dataclasses.dataclass
class Row:
  application: str
  task: str
  metric: str
  baseline_name: str
  baseline: float
  model: float | None = None
  best_step: int | None = None
  steps_trained: int | None = None
  seconds: float = 0.0
  metrics: dict = dataclasses.field(default_factory=dict)


def pretraining_steps(scale):
  with gin_config.parsed([scale.gin_file]):
    return gin_config.query("utils.run.train_steps")


def pretrain(scale, variant, model_dir, gin_params=()):
  """Pre-trains into model_dir unless its final checkpoint exists."""
  steps = pretraining_steps(scale)
  if launches.is_trained(model_dir, steps):
    print("== pre-training: finished in %s" % model_dir, flush=True)
    return
  print("== pre-training %s at scale %s for %d steps" % (
      variant, scale.name, steps), flush=True)
  launches.run(launches.train_arguments(
      variant, scale.name, protocol.PRETRAIN_STAGE,
      protocol.PRETRAINING_TASKS[DATA], model_dir, gin_params=gin_params))


def train_and_score(application, scale, variant, model_dir,
                    pretrained_model_dir, gin_params=()):
  """Trains and scores one application unless done; returns Best."""
  if launches.is_evaluated(model_dir):
    print("== %s: finished in %s" % (application.name, model_dir),
          flush=True)
  else:
    for purpose, arguments in protocol.launches(
        application, DATA, model_dir, pretrained_model_dir):
      print("== %s (%s): %s" % (application.name, application.task(DATA),
                                purpose), flush=True)
      launches.run(launches.train_arguments(
          variant, scale.name, gin_params=gin_params, extra=arguments))
  return protocol.best(application, DATA, model_dir)


def baseline_rows(applications):
  """One Row per application with its trivial baseline filled in."""
  from mtf_mods.tasks.mini import baselines as mini_baselines  # pylint: disable=g-import-not-at-top
  from mtf_mods.tasks.mini import benchmark as mini_benchmark  # pylint: disable=g-import-not-at-top
  scores = mini_baselines.baseline_scores(mini_benchmark.MiniBenchmark())
  return [Row(application=a.name, task=a.task(DATA),
              metric=a.metric_name or "average", baseline_name=a.baseline,
              baseline=a.score(scores, DATA),
              metrics={k: v for k, v in scores.items()
                       if k.split("/")[0] in _subtasks(a)})
          for a in applications]


def _subtasks(application):
  import seqio  # pylint: disable=g-import-not-at-top
  return {t.name for t in seqio.get_subtasks(
      seqio.get_mixture_or_task(application.task(DATA)))}


def format_table(rows):
  lines = ["%-10s %-22s %-8s %-22s %9s %9s %10s %8s" % (
      "app", "mini task", "metric", "trivial baseline", "baseline", "model",
      "best step", "minutes")]
  for row in rows:
    model = "-" if row.model is None else "%.2f" % row.model
    step = "-" if row.best_step is None else str(row.best_step)
    lines.append("%-10s %-22s %-8s %-22s %9.2f %9s %10s %8.1f" % (
        row.application, row.task, row.metric, row.baseline_name,
        row.baseline, model, step, row.seconds / 60))
  return "\n".join(lines)


def run(workdir, scale_name, variant="baseline", pretrained_model_dir=None,
        application_names=None, baselines_only=False, gin_params=()):
  """Runs the benchmark; returns the rows.

  Args:
    workdir: model_dirs go to <workdir>/<variant>-<scale>/<application>.
    scale_name: a registered scale.
    variant: a registered variant.
    pretrained_model_dir: fine-tune from this finished pre-training instead
      of pre-training into <workdir>/<variant>-<scale>/pretrain.
    application_names: a subset of protocol.names(); default all.
    baselines_only: only the trivial baselines.
    gin_params: gin bindings added to every launch.
  """
  import mtf_mods.tasks  # noqa: F401  pylint: disable=g-import-not-at-top,unused-import
  scale = scales.get(scale_name)
  applications = [protocol.get(n) for n in
                  (application_names or protocol.names())]
  started = time.time()
  rows = baseline_rows(applications)
  if not baselines_only:
    root = os.path.abspath(os.path.join(workdir, "%s-%s" % (variant,
                                                            scale.name)))
    pretrained = pretrained_model_dir or os.path.join(root, "pretrain")
    if pretrained_model_dir is None and any(
        a.from_pretrained for a in applications):
      pretrain(scale, variant, pretrained, gin_params)
    for application, row in zip(applications, rows):
      began = time.time()
      model_dir = os.path.join(root, application.name)
      best = train_and_score(application, scale, variant, model_dir,
                             pretrained, gin_params)
      start = model_dir_reader.first_step(model_dir)
      row.model, row.best_step = best.score, best.step
      row.steps_trained = model_dir_reader.latest_step(model_dir) - start
      row.metrics = {"baseline": row.metrics, "model": best.metrics}
      row.seconds = time.time() - began
  print("\n== mini benchmark: %s at scale %s, validation splits "
        "(%.1f min)" % (variant, scale.name, (time.time() - started) / 60))
  print(format_table(rows))
  with atomic_files.replacing(os.path.join(workdir, RESULTS_FILE)) as f:
    json.dump({"variant": variant, "scale": scale.name,
               "rows": [dataclasses.asdict(r) for r in rows]}, f, indent=2)
  return rows
