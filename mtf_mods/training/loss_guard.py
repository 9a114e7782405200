"""Stop training at the first loss that is not finite, keeping good checkpoints.

The loss a step reports is that of the weights it starts from: the weights of
checkpoint s give the loss of step s + 1 (the run from step s to s + 1). When
that loss is NaN or infinite, checkpoint s and every later one hold weights
that no longer train, and resuming from them would only repeat the failure.
`LossGuard` checks every step's loss; at the first one that is not finite it
removes those checkpoints, points model_dir's
checkpoint index back at the last checkpoint whose loss was finite, and
raises `NonFiniteLoss`, whose one-line message names the step, the last
finite loss and that checkpoint. The Estimator's end-of-training save does
not run after an exception, so nothing of the failed state is written.
"""
import math
import os

import tensorflow.compat.v1 as tf

from mtf_mods.files import model_dir_reader


class NonFiniteLoss(RuntimeError):
  """Training stopped at a NaN or infinite loss; the message says where."""


def find_loss_tensor(graph):
  """The training loss, as the Estimator records it in its 'loss' summary."""
  for summary in graph.get_collection(tf.GraphKeys.SUMMARIES):
    if summary.op.name == "loss":
      return summary.op.inputs[1]
  raise ValueError("no 'loss' summary in the training graph")


def remove_checkpoints_from(model_dir, first_bad_step):
  """Removes model_dir's checkpoints of steps >= first_bad_step and points
  the checkpoint index (which training restores from) at the latest one
  left; returns its path, or None if none is left."""
  kept = []
  for step in model_dir_reader.checkpoint_steps(model_dir):
    path = model_dir_reader.checkpoint_path(model_dir, step)
    if step < first_bad_step:
      kept.append(path)
      continue
    for data_file in tf.io.gfile.glob(path + ".*"):
      tf.io.gfile.remove(data_file)
  if not kept:
    index = os.path.join(model_dir, "checkpoint")
    if tf.io.gfile.exists(index):
      tf.io.gfile.remove(index)
    return None
  tf.train.update_checkpoint_state(model_dir, kept[-1],
                                   all_model_checkpoint_paths=kept)
  return kept[-1]


class LossGuard(tf.train.SessionRunHook):
  """Raises NonFiniteLoss at the first step whose loss is NaN or infinite."""

  def __init__(self, model_dir):
    self._model_dir = model_dir
    self._step = None         # the global step the next run starts from
    self._last_finite = None  # (step, loss), the step numbered as it ends

  def begin(self):
    self._global_step = tf.train.get_global_step()
    self._loss = find_loss_tensor(tf.get_default_graph())

  def after_create_session(self, session, coord):
    del coord
    self._step = int(session.run(self._global_step))

  def before_run(self, run_context):
    del run_context
    return tf.train.SessionRunArgs(self._loss)

  def after_run(self, run_context, run_values):
    del run_context
    start, self._step = self._step, self._step + 1
    loss = float(run_values.results)
    if math.isfinite(loss):
      self._last_finite = (self._step, loss)
      return
    kept = remove_checkpoints_from(self._model_dir, start)
    last = ("last finite loss %.4f at step %d" % (self._last_finite[1],
                                                  self._last_finite[0])
            if self._last_finite else "no finite loss in this run")
    raise NonFiniteLoss(
        "the training loss became %s at step %d (%s); stopped. The last good "
        "checkpoint is %s; checkpoints of later steps were removed"
        % (loss, self._step, last,
           kept or "none (model_dir holds no checkpoint)"))
