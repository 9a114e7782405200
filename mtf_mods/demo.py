"""The main job on the embedded default: a small study, then a summary.

Runs `mtf-mods study` (in this process) on the mini benchmark for the
baseline, SwiGLU (which the paper found helpful) and SeLU (which it found
harmful): pre-training with two seeds, the three fine-tuning applications
and translation from scratch, then the report. It runs at the tiny scale
(DEMO_SCALE) with budgets cut to fit a laptop (DEMO_BUDGET): the study's 36
launches are mostly process start and graph build, about 45 s each at the
cpu scale on a 2-core machine of 165 GFLOP/s, 20 s at the tiny scale, so
the same study at the cpu scale takes over an hour there. It ends with a
summary of the baseline: parameters, steps/s, held-out loss beside the
unigram entropy of the targets, and where the runs, checkpoints and logs
are. Finished cells are not repeated.
"""
import os

from mtf_mods.model import model_graph
from mtf_mods.config import protocol
from mtf_mods.flags import shared_flags
from mtf_mods.config import gin_config
from mtf_mods import variants
from mtf_mods.commands import study as study_command
from mtf_mods.study import budgets
from mtf_mods.study import records

DEMO_VARIANTS = ("swiglu", "selu")
DEMO_SCALE = shared_flags.DEMO_SCALE
DEMO_BUDGET = {"seeds": 2, "pretrain_steps": 1200, "downstream_steps": 100}
ENTROPY_EXAMPLES = 2000


def study_arguments(workdir, scale, budget):
  return ["--variants=%s" % ",".join(DEMO_VARIANTS), "--scale=%s" % scale,
          "--data=%s" % protocol.MINI_DATA, "--workdir=%s" % workdir] + [
              "--%s=%d" % (name, value) for name, value in budget.items()]


def run(workdir, scale, budget=None, dry_run=False):
  """Runs the demo study and prints the summary; returns an exit code."""
  budget = dict(DEMO_BUDGET, **(budget or {}))
  code = study_command.run(study_arguments(workdir, scale.name, budget)
                           + (["--dry_run"] if dry_run else []))
  if code or dry_run:
    return code
  summarize(workdir, scale)
  return 0


def summarize(workdir, scale):
  """The baseline's figures from the study's records."""
  from mtf_mods.tasks import statistics  # pylint: disable=g-import-not-at-top
  record = records.ResultStore(workdir).get(variants.BASELINE,
                                                  budgets.PRETRAIN, 0)
  metrics = record.metrics
  task = protocol.PRETRAINING_TASKS[protocol.MINI_DATA]
  with gin_config.parsed([scale.gin_file]):
    lengths = model_graph.sequence_lengths()
  entropy = statistics.target_unigram_entropy(task, "validation", lengths,
                                              ENTROPY_EXAMPLES)
  runs = os.path.abspath(os.path.join(workdir, "runs"))
  print("\n== summary of the baseline (Vanilla Transformer), scale %s"
        % scale.name)
  print("parameters       %s" % f"{metrics['params']:,}")
  print("training         %d steps, %.2f steps/s, %.0f tokens/s" % (
      metrics["final_step"], metrics["steps_per_second"],
      metrics["tokens_per_second"]))
  print("held-out loss    %.3f nats/token at step %d (early, step %d: %.3f)"
        % (metrics["final_loss"], metrics["final_step"],
           metrics["early_step"], metrics["early_loss"]))
  print("unigram entropy  %.3f nats/token (targets of the validation split)"
        % entropy)
  print("runs             %s/<variant>/seed<k>/<stage>: checkpoints, "
        "operative_config.gin, train.log, TensorBoard events" % runs)
  print("report           %s" % os.path.abspath(
      os.path.join(workdir, "report.md")))
