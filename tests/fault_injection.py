"""Faults injected into `mtf-mods train` subprocesses by the reliability tests.

Imported with --module_import=fault_injection (tests/ on PYTHONPATH) and
bound with gin, e.g.

  --gin_param=mtf_mods.train_with_progress.hooks = [@SigkillOnce()]
  --gin_param=SigkillOnce.step = 7
  --gin_param=SigkillOnce.marker = '/tmp/killed'

A study's bindings reach every launch, so each fault may be limited to the
launches whose --model_dir contains `only_in` (one cell), and several
faults of one kind are told apart by gin scopes
(`@kill_launch/SigkillOnce()`).
"""
import os
import signal
import sys

import gin
import tensorflow.compat.v1 as tf


def launch_model_dir():
  """This launch's --model_dir flag, as given."""
  for argument in sys.argv:
    if argument.startswith("--model_dir="):
      return argument.split("=", 1)[1]
  return ""


@gin.configurable
class SigkillOnce(tf.train.SessionRunHook):
  """Kills its own process (target "self") or its parent, e.g. the Ray
  worker running it (target "parent"), with SIGKILL when training reaches
  `step`, unless `marker` exists; creates `marker` first, so the same
  command run again trains on."""

  def __init__(self, step=gin.REQUIRED, marker=gin.REQUIRED, only_in="",
               target="self"):
    self._kill_at = step
    self._marker = marker
    self._armed = only_in in launch_model_dir()
    self._target = target

  def begin(self):
    self._global_step = tf.train.get_global_step()

  def after_create_session(self, session, coord):
    del coord
    self._step = int(session.run(self._global_step))

  def after_run(self, run_context, run_values):
    del run_context, run_values
    self._step += 1
    if (self._armed and self._step == self._kill_at
        and not os.path.exists(self._marker)):
      open(self._marker, "w").close()
      os.kill(os.getpid() if self._target == "self" else os.getppid(),
              signal.SIGKILL)


@gin.configurable
class FailIn(tf.train.SessionRunHook):
  """Fails every training launch whose --model_dir contains `only_in`, as
  a bad binding or a NaN would: before its first step."""

  def __init__(self, only_in=gin.REQUIRED):
    self._armed = only_in in launch_model_dir()

  def begin(self):
    if self._armed:
      raise RuntimeError("injected failure in %s" % launch_model_dir())
