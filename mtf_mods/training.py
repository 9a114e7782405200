"""Progress reporting for t5/mtf training: step, loss, steps/s and ETA.

`utils.run.train_model_fn = @mtf_mods.train_with_progress` (set by
stages/pretrain.gin) runs mesh_tensorflow's own `train_model` with a hook
that prints a progress line every few seconds and, at the end, writes
`train_summary.json` (steps, steps/s, tokens/s, last loss) to model_dir.
"""
import json
import os
import sys
import time

import gin
from mesh_tensorflow.transformer import utils
import tensorflow.compat.v1 as tf

SUMMARY_FILE = "train_summary.json"


def format_duration(seconds):
  seconds = int(round(seconds))
  hours, rest = divmod(seconds, 3600)
  minutes, seconds = divmod(rest, 60)
  if hours:
    return "%dh%02dm" % (hours, minutes)
  return "%dm%02ds" % (minutes, seconds) if minutes else "%ds" % seconds


def find_loss_tensor(graph):
  """The training loss, as the Estimator records it in its 'loss' summary."""
  for summary in graph.get_collection(tf.GraphKeys.SUMMARIES):
    if summary.op.name == "loss":
      return summary.op.inputs[1]
  raise ValueError("no 'loss' summary in the training graph")


class ProgressHook(tf.train.SessionRunHook):
  """Prints `step N/T  loss L  S steps/s  T tok/s  ETA E` while training."""

  def __init__(self, total_steps, tokens_per_step, summary_path,
               every_seconds=10.0, stream=None):
    self._total_steps = total_steps
    self._tokens_per_step = tokens_per_step
    self._summary_path = summary_path
    self._every_seconds = every_seconds
    self._stream = stream or sys.stderr
    self._first_step = None
    self._first_time = None
    self._last_print = 0.0
    self._step = None
    self._loss = None

  def begin(self):
    self._global_step = tf.train.get_global_step()
    self._loss_tensor = find_loss_tensor(tf.get_default_graph())

  def after_create_session(self, session, coord):
    del coord
    self._step = int(session.run(self._global_step))

  def before_run(self, run_context):
    del run_context
    return tf.train.SessionRunArgs(self._loss_tensor)

  def after_run(self, run_context, run_values):
    del run_context
    self._loss = run_values.results
    self._step += 1
    now = time.time()
    if self._first_step is None:
      # Timing starts after the first step, which includes graph set-up.
      self._first_step, self._first_time = self._step, now
      self._print(now)
    elif (now - self._last_print >= self._every_seconds
          or self._step >= self._total_steps):
      self._print(now)

  def steps_per_second(self, now=None):
    steps = (self._step or 0) - (self._first_step or 0)
    elapsed = (now or time.time()) - (self._first_time or 0.0)
    return steps / elapsed if steps > 0 and elapsed > 0 else 0.0

  def _print(self, now):
    self._last_print = now
    rate = self.steps_per_second(now)
    line = "step %d/%d  loss %.4f" % (self._step, self._total_steps,
                                      self._loss)
    if rate:
      eta = (self._total_steps - self._step) / rate
      line += "  %.2f steps/s  %.0f tokens/s  ETA %s" % (
          rate, rate * self._tokens_per_step, format_duration(eta))
    print(line, file=self._stream, flush=True)

  def end(self, session):
    del session
    if self._loss is None:
      return
    rate = self.steps_per_second()
    summary = {"step": int(self._step), "loss": float(self._loss),
               "steps_per_second": rate,
               "tokens_per_second": rate * self._tokens_per_step}
    with tf.io.gfile.GFile(self._summary_path, "w") as f:
      json.dump(summary, f, indent=2)


class _EstimatorWithHooks:
  """Delegates to an Estimator, adding hooks to every `train` call."""

  def __init__(self, estimator, hooks):
    self._estimator = estimator
    self._hooks = hooks

  def train(self, *args, hooks=None, **kwargs):
    return self._estimator.train(
        *args, hooks=list(hooks or []) + self._hooks, **kwargs)

  def __getattr__(self, name):
    return getattr(self._estimator, name)


def seed_estimator(estimator, seed):
  """Makes the estimator's graph-level random seed `seed`.

  mesh_tensorflow builds its RunConfig without a seed, so initializers
  differ from run to run; the Estimator seeds each graph it builds from
  its config's tf_random_seed.
  """
  # pylint: disable=protected-access
  estimator._config = estimator._config.replace(tf_random_seed=seed)


@gin.configurable(module="mtf_mods")
def train_with_progress(estimator, vocabulary, sequence_length, batch_size,
                        train_dataset_fn, train_steps, ensemble_inputs,
                        progress_every_seconds=10.0, seed=None, **kwargs):
  """`utils.train_model` with a ProgressHook; same arguments, plus the
  seconds between progress lines and an optional graph-level seed."""
  if seed is not None:
    seed_estimator(estimator, seed)
  hook = ProgressHook(
      total_steps=train_steps,
      tokens_per_step=batch_size * sum(sequence_length.values()),
      summary_path=os.path.join(estimator.model_dir, SUMMARY_FILE),
      every_seconds=progress_every_seconds)
  utils.train_model(_EstimatorWithHooks(estimator, [hook]), vocabulary,
                    sequence_length, batch_size, train_dataset_fn,
                    train_steps, ensemble_inputs, **kwargs)
