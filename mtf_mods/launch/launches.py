"""Launches of `mtf-mods train`: their arguments, running them, resuming.

The study, the mini benchmark and the demo run every training and
evaluation as `mtf-mods train` in its own process, as a user would, so a
launch's TensorFlow graph, gin config and absl flags never leak into the
next one, and killing the runner kills a launch without corrupting its
model_dir (it resumes from its last checkpoint). This module builds their
argument lists (`train_arguments`), runs them (`run`, which prefixes each
output line with a label and raises LaunchError with the last line) and
says which are finished (`is_trained`, `is_evaluated`).
"""
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys

from mtf_mods.files import model_dir_reader

_PR_SET_PDEATHSIG = 1
# The line gin adds below an exception raised inside a configurable: the
# error is the line before it.
GIN_CALL_NOTE = "In call to configurable"


class LaunchError(RuntimeError):
  """A launch failed; the message is its last line of output."""


class LaunchKilled(LaunchError):
  """A launch ended by a signal (killed, not failed): run again, it
  resumes from its model_dir's last checkpoint."""


def train_arguments(variant, scale, stage=None, task=None, model_dir=None,
                    seed=None, train_steps=None, gin_params=(), extra=()):
  """`mtf-mods train` arguments; what is None is left to the launcher.

  Args:
    variant, scale: registered names.
    stage, task, model_dir: --stage, --task, --model_dir.
    seed, train_steps: --seed, --train_steps.
    gin_params: one --gin_param each.
    extra: further flags, as they are (e.g. protocol.launches' or --tpu).
  """
  arguments = ["--variant=%s" % variant, "--scale=%s" % scale]
  for flag, value in (("stage", stage), ("task", task),
                      ("model_dir", model_dir), ("seed", seed),
                      ("train_steps", train_steps)):
    if value is not None:
      arguments.append("--%s=%s" % (flag, value))
  return (arguments + ["--gin_param=%s" % p for p in gin_params]
          + list(extra))


def _die_with_parent():
  """In the child: SIGKILL when the launching process ends (Linux), so a
  study killed mid-cell leaves no launch training on in its workdir."""
  if sys.platform.startswith("linux"):
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def run(arguments, label=None, stream=None, on_line=None, env=None):
  """Runs `mtf-mods train ARGUMENTS` in a new process.

  Its output (stdout and stderr) goes to `stream`, each non-empty line
  prefixed with "[label] " when a label is given, and, after it is
  printed, to `on_line` (e.g. the study's ETA) when one is given. `env`
  adds environment variables to the launch's.

  Raises:
    LaunchKilled: if a signal ended it.
    LaunchError: if it fails, with its last line.
  """
  stream = stream or sys.stdout
  process = subprocess.Popen(
      [sys.executable, "-m", "mtf_mods.cli", "train"] + list(arguments),
      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
      preexec_fn=_die_with_parent,
      env=dict(os.environ, **env) if env else None)
  last = ""
  for line in process.stdout:
    line = line.rstrip()
    if line:
      if not line.lstrip().startswith(GIN_CALL_NOTE):
        last = line
      print("[%s] %s" % (label, line) if label else line, file=stream,
            flush=True)
      if on_line:
        on_line(line)
  if process.wait() < 0:
    raise LaunchKilled("mtf-mods train was killed by signal %d (last "
                       "line: %s)" % (-process.returncode, last))
  if process.returncode:
    raise LaunchError(last or "mtf-mods train exited with %d"
                      % process.returncode)


def is_trained(model_dir, final_step):
  """Whether training reached `final_step`: its checkpoint is the latest."""
  return model_dir_reader.latest_step(model_dir) == final_step


def is_evaluated(model_dir):
  """Whether decode_eval scored model_dir's latest checkpoint."""
  last = model_dir_reader.latest_step(model_dir)
  return (last is not None
          and last in model_dir_reader.validation_scores(model_dir))
