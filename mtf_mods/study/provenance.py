"""What produced a record: the kit's version and commit, the machine, when.

The commit is the git commit of the checkout the kit runs from (an editable
install or a source tree), with "+dirty" when it has uncommitted changes
to tracked files; a wheel install has none, and says so ("").
"""
import datetime
import functools
import importlib.metadata
import os
import platform
import subprocess

from mtf_mods.bench import machine as bench_machine

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def kit_version():
  try:
    return importlib.metadata.version("mtf-mods")
  except importlib.metadata.PackageNotFoundError:
    return ""


def _git(*arguments):
  try:
    result = subprocess.run(["git", "-C", PACKAGE_DIR] + list(arguments),
                            capture_output=True, text=True, timeout=10,
                            check=False)
  except (OSError, subprocess.SubprocessError):
    return None
  return result.stdout.strip() if result.returncode == 0 else None


@functools.lru_cache(maxsize=None)
def commit():
  """The checkout's commit (12 hex digits, "+dirty" if tracked files
  changed), or "" outside a git checkout."""
  head = _git("rev-parse", "--short=12", "HEAD")
  if not head:
    return ""
  changed = _git("status", "--porcelain", "--untracked-files=no")
  return head + ("+dirty" if changed else "")


@functools.lru_cache(maxsize=None)
def machine():
  """The host, its CPU model, widest vector extension and core count."""
  return "%s: %s, %s, %d cores" % (
      platform.node(), bench_machine.cpu_model(),
      bench_machine.vector_instructions(), os.cpu_count() or 0)


def now():
  """The current time in UTC, ISO 8601 to the second."""
  return datetime.datetime.now(datetime.timezone.utc).isoformat(
      timespec="seconds")


def stamp():
  """{"kit_version", "commit", "machine"} of this process."""
  return {"kit_version": kit_version(), "commit": commit(),
          "machine": machine()}
