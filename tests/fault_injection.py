"""Faults injected into `mtf-mods train` subprocesses by the reliability tests.

Imported with --module_import=fault_injection (tests/ on PYTHONPATH) and
bound with gin, e.g.

  --gin_param=mtf_mods.train_with_progress.hooks = [@SigkillOnce()]
  --gin_param=SigkillOnce.step = 7
  --gin_param=SigkillOnce.marker = '/tmp/killed'
"""
import os
import signal

import gin
import tensorflow.compat.v1 as tf


@gin.configurable
class SigkillOnce(tf.train.SessionRunHook):
  """Kills its own process with SIGKILL when training reaches `step`, unless
  `marker` exists; creates `marker` first, so the same command run again
  trains on."""

  def __init__(self, step=gin.REQUIRED, marker=gin.REQUIRED):
    self._kill_at = step
    self._marker = marker

  def begin(self):
    self._global_step = tf.train.get_global_step()

  def after_create_session(self, session, coord):
    del coord
    self._step = int(session.run(self._global_step))

  def after_run(self, run_context, run_values):
    del run_context, run_values
    self._step += 1
    if self._step == self._kill_at and not os.path.exists(self._marker):
      open(self._marker, "w").close()
      os.kill(os.getpid(), signal.SIGKILL)
