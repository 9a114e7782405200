"""The kit's training loop around t5/mtf's: progress, guards, reproducibility.

`utils.run.train_model_fn = @mtf_mods.train_with_progress` (set by the
training stages' gin files) runs mesh_tensorflow's own `train_model` with
- a hook that prints a progress line (step, loss, steps/s, ETA) every few
  seconds and, at the end, writes `train_summary.json` (steps, steps/s,
  tokens/s, last loss) to model_dir;
- `loss_guard.LossGuard`, which stops at a NaN or infinite loss;
- `reproducible_random.stateless_random`, so dropout's masks are a function
  of the seed and the step;
- `ordered_updates.UpdatesAfterReads`, so a step's variable writes (the
  global step's increment among them) wait for its reads and a run is
  reproducible bit for bit on a loaded machine too;
- any further hooks bound to `hooks`.
With `utils.run.skip_seen_data` (the stages bind it), a run resumed from a
checkpoint skips the batches it had trained on, so it sees the batches an
uninterrupted run would have.
"""
import json
import os
import sys
import time

import gin
from mesh_tensorflow.transformer import utils
import tensorflow.compat.v1 as tf

from mtf_mods.files import atomic_files
from mtf_mods.training import loss_guard
from mtf_mods.files import model_dir_reader
from mtf_mods.training import ordered_updates
from mtf_mods.training import reproducible_random


def format_duration(seconds):
  seconds = int(round(seconds))
  hours, rest = divmod(seconds, 3600)
  minutes, seconds = divmod(rest, 60)
  if hours:
    return "%dh%02dm" % (hours, minutes)
  return "%dm%02ds" % (minutes, seconds) if minutes else "%ds" % seconds


# Steps after the first at which the first rate is printed, whatever the
# time: the study's ETA starts from it (study/eta.py).
FIRST_RATE_STEPS = 3


class ProgressHook(tf.train.SessionRunHook):
  """Prints `step N/T  loss L  S steps/s  T tok/s  ETA E` while training:
  at the first step, FIRST_RATE_STEPS steps later, then every few
  seconds."""

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
    self._loss_tensor = loss_guard.find_loss_tensor(tf.get_default_graph())

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
          or self._step == self._first_step + FIRST_RATE_STEPS
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
    atomic_files.write_text(self._summary_path,
                            json.dumps(summary, indent=2))


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
                        progress_every_seconds=10.0, seed=None, hooks=(),
                        **kwargs):
  """`utils.train_model` with the kit's hooks (see the module); the same
  arguments, plus the seconds between progress lines, an optional
  graph-level seed and further SessionRunHooks."""
  if seed is not None:
    seed_estimator(estimator, seed)
  progress = ProgressHook(
      total_steps=train_steps,
      tokens_per_step=batch_size * sum(sequence_length.values()),
      summary_path=os.path.join(estimator.model_dir,
                                model_dir_reader.SUMMARY_FILE),
      every_seconds=progress_every_seconds)
  guard = loss_guard.LossGuard(estimator.model_dir)
  with reproducible_random.stateless_random():
    utils.train_model(
        _EstimatorWithHooks(
            estimator,
            [ordered_updates.UpdatesAfterReads(), guard, progress]
            + list(hooks)),
        vocabulary, sequence_length, batch_size, train_dataset_fn,
        train_steps, ensemble_inputs, **kwargs)
