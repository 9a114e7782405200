"""The main job on the embedded default: pre-train, evaluate, summarize.

Pre-trains the Vanilla Transformer at a CPU scale on the embedded corpus
(`mini_span_corruption`) with `mtf-mods train`, evaluates the held-out loss
of the final checkpoint with the perplexity-eval stage, and prints a summary:
parameters, steps/s, held-out loss against the unigram entropy of the
targets, and where checkpoints and logs are. Each stage runs in its own
process, exactly as a user would run it; a finished run is not repeated.
"""
import os
import subprocess
import sys
import time

from mtf_mods import eval_results
from mtf_mods import gin_config
from mtf_mods import model_graph
from mtf_mods import scales
from mtf_mods import training
from mtf_mods import variants

ENTROPY_EXAMPLES = 2000


def launch(arguments):
  """Runs `mtf-mods train` with `arguments`; returns its exit code."""
  command = [sys.executable, "-m", "mtf_mods.cli", "train"] + arguments
  return subprocess.call(command)


def configured_budget(scale):
  """(train_steps, sequence_length) of the scale's pre-training config."""
  with gin_config.parsed([scale.gin_file]):
    return (gin_config.query("utils.run.train_steps"),
            model_graph.sequence_lengths())


def run(workdir, scale_name, train_steps=None):
  """Runs the demo; returns a process exit code."""
  from mtf_mods import tasks  # pylint: disable=g-import-not-at-top
  from mtf_mods.tasks import statistics  # pylint: disable=g-import-not-at-top
  scale = scales.get(scale_name)
  variant = variants.get(variants.BASELINE)
  model_dir = os.path.abspath(os.path.join(
      workdir, "%s-%s" % (variant.name, scale.name)))
  steps, lengths = configured_budget(scale)
  steps = train_steps or steps
  common = ["--variant=%s" % variant.name, "--scale=%s" % scale.name,
            "--task=%s" % scale.default_task, "--model_dir=%s" % model_dir]
  started = time.time()
  print("== pre-training %s at scale %s for %d steps" % (
      variant.table1_row, scale.name, steps), flush=True)
  code = launch(common + ["--train_steps=%d" % steps])
  if code:
    return code
  print("== held-out loss of the final checkpoint", flush=True)
  code = launch(common + ["--stage=perplexity_eval",
                          "--gin_param=eval_checkpoint_step = %d" % steps])
  if code:
    return code
  losses = eval_results.held_out_losses(model_dir)
  summary = eval_results.train_summary(model_dir) or {}
  vocabulary = tasks.mini_vocabulary()
  size = model_graph.measure([variant.gin_file, scale.gin_file], [],
                             vocabulary.vocab_size)
  entropy = statistics.target_unigram_entropy(
      scale.default_task, "validation", lengths, ENTROPY_EXAMPLES)
  print("\n== summary")
  print("model            %s (%s), scale %s" % (
      variant.table1_row, variant.name, scale.name))
  print("parameters       %s" % f"{size.parameters:,}")
  print("training         %d steps, %.2f steps/s, %.0f tokens/s" % (
      steps, summary.get("steps_per_second", float("nan")),
      summary.get("tokens_per_second", float("nan"))))
  print("held-out loss    %.3f nats/token at step %d" % (
      losses[steps], steps))
  print("unigram entropy  %.3f nats/token (targets of the validation split)"
        % entropy)
  print("wall time        %.1f min" % ((time.time() - started) / 60))
  print("model_dir        %s" % model_dir)
  print("                 checkpoints, operative_config.gin, %s, TensorBoard"
        " events (tensorboard --logdir %s)" % (training.SUMMARY_FILE,
                                               model_dir))
  return 0
