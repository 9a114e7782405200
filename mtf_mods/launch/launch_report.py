"""What a launch of `mtf-mods train` says when it ends, and what it leaves
for TensorBoard's hyperparameter dashboard.

An evaluation prints what it measured, read back from the event files it
wrote during this launch (model_dir_reader), one line per checkpoint:
- perplexity_eval: the held-out loss, in nats per target token, of each
  checkpoint it evaluated, per evaluation set;
- decode_eval: every task metric of each checkpoint it decoded, then each
  metric's best checkpoint (t5's decoding metrics are all higher-is-better;
  the first checkpoint, where training started, does not count unless it is
  the only one, as in protocol.best).

Every launch then writes the hparams plugin's session summary (variant,
implementation, scale, stage, seed) into the directory of the events it
wrote: a training stage into its model_dir, perplexity_eval into each
eval_* directory it evaluated into, decode_eval into validation_eval/. A
session's metrics are the scalars of its directory and of the directories
below it that hold no session of their own, so `tensorboard
--logdir=<workdir>/runs` compares the variants' training losses, held-out
losses and scores by their hyperparameters, one stage at a time. An
evaluation launch without --seed records the seed its model_dir's training
launch recorded.
"""
import os
import sys
import time

from tensorboard.plugins.hparams import api as hparams_api
import tensorflow.compat.v1 as tf

from mtf_mods.files import model_dir_reader
from mtf_mods.config import protocol

HPARAMS = ("variant", "implementation", "scale", "stage", "seed")
NO_SEED = "unseeded"  # the seed hparam of a launch given none
# When the launch started: the launcher imports this module before it runs.
STARTED = time.time()


def held_out_loss_lines(model_dir, since):
  """One line per evaluation set and checkpoint of the held-out losses
  written at or after `since`."""
  found = model_dir_reader.held_out_losses_per_evaluation(model_dir, since)
  return ["held-out loss at step %d: %.4f (%s)" % (step, loss, name)
          for name, losses in sorted(found.items())
          for step, loss in sorted(losses.items())]


def decode_lines(model_dir, since):
  """One line per checkpoint decoded at or after `since` with its metrics,
  then one line per metric naming its best checkpoint."""
  scores = model_dir_reader.validation_scores(model_dir, since=since)
  if not scores:
    return []
  lines = ["scores at step %d: %s" % (step, ", ".join(
      "%s %.2f" % item for item in sorted(metrics.items())))
           for step, metrics in sorted(scores.items())]
  steps = sorted(scores)
  first = model_dir_reader.checkpoint_steps(model_dir)[:1]
  counted = [step for step in steps if step not in first] or steps
  for metric in sorted({m for metrics in scores.values() for m in metrics}):
    having = [step for step in counted if metric in scores[step]]
    if having:
      best = max(having, key=lambda step: (scores[step][metric], -step))
      lines.append("best %s: %.2f at step %d" % (
          metric, scores[best][metric], best))
  return lines


def measured_lines(stage, model_dir, since):
  """What an evaluation launch of `stage` measured; [] for training."""
  if stage == protocol.PERPLEXITY_STAGE:
    return held_out_loss_lines(model_dir, since)
  if stage == protocol.EVAL_STAGE:
    return decode_lines(model_dir, since)
  return []


def session_dirs(stage, model_dir, since):
  """Where the launch's session summary goes: the directories of the
  events it wrote."""
  if stage == protocol.PERPLEXITY_STAGE:
    return [os.path.join(model_dir, name) for name in sorted(
        model_dir_reader.held_out_losses_per_evaluation(model_dir, since))]
  if stage == protocol.EVAL_STAGE:
    return [os.path.join(model_dir, model_dir_reader.EVAL_DIR)]
  return [model_dir]


def write_hparams(directory, hparams):
  """Writes the hparams plugin's session summary of `hparams` into
  `directory`, in an event file of its own."""
  writer = tf.summary.FileWriter(directory, filename_suffix=".hparams")
  writer.add_summary(hparams_api.hparams_pb(hparams).SerializeToString(), 0)
  writer.close()


def launch_hparams(variant, implementation, scale, stage, seed, model_dir):
  """{name: value} of HPARAMS; the seed of the model_dir's training launch
  when `seed` is None, NO_SEED if it recorded none either."""
  if seed is None:
    seed = model_dir_reader.session_hparams(model_dir).get("seed", NO_SEED)
  return {"variant": variant, "implementation": implementation,
          "scale": scale, "stage": stage, "seed": seed}


def finish(variant, implementation, scale, stage, seed, model_dir,
           since=None):
  """Prints what the launch that started at `since` (seconds since the
  epoch; default STARTED) measured and where its files are, and writes its
  hyperparameters for TensorBoard."""
  since = STARTED if since is None else since
  hparams = launch_hparams(variant, implementation, scale, stage, seed,
                           model_dir)
  for line in measured_lines(stage, model_dir, since):
    print("mtf-mods train: %s" % line, file=sys.stderr)
  for directory in session_dirs(stage, model_dir, since):
    write_hparams(directory, hparams)
  print("mtf-mods train: done; checkpoints, operative_config.gin and "
        "TensorBoard events (with the launch's %s) are in %s"
        % (", ".join(HPARAMS), model_dir), file=sys.stderr, flush=True)
