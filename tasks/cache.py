"""Where generated data lives, and how it is written atomically.

Everything the tasks generate (corpora, vocabularies) goes below `cache_dir()`:
the environment variable MTF_MODS_CACHE if set, else ~/.cache/mtf_mods. Each
artefact is a directory whose name (`key`) encodes every parameter it was made
from. `cached_directory(key, build)` builds it in a private temporary sibling
directory and renames that into place, so an interrupted build never leaves a
half-written directory under the final name, and when two processes race the
first rename wins and the other's copy is discarded.
"""
import os
import shutil
import socket
import tempfile
from typing import Callable

_TEMP_MARK = ".tmp-"


def cache_dir() -> str:
  """The root of all generated data (MTF_MODS_CACHE, else ~/.cache/mtf_mods)."""
  return (os.environ.get("MTF_MODS_CACHE")
          or os.path.join(os.path.expanduser("~"), ".cache", "mtf_mods"))


def _temp_prefix(name: str) -> str:
  return f".{name}{_TEMP_MARK}{socket.gethostname()}-"


def _pid_alive(pid: int) -> bool:
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    return True
  return True


def _remove_abandoned(parent: str, name: str) -> None:
  """Deletes temporary builds of `name` left by dead processes on this host."""
  prefix = _temp_prefix(name)
  for entry in os.listdir(parent):
    if not entry.startswith(prefix):
      continue
    pid = entry[len(prefix):].split("-", 1)[0]
    if pid.isdigit() and not _pid_alive(int(pid)):
      shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)


def cached_directory(key: str, build: Callable[[str], None]) -> str:
  """Returns cache_dir()/key, building it first if it does not exist yet.

  Args:
    key: a relative path naming the artefact and all its parameters, e.g.
      "mini/v1-seed0-train40000-validation1000".
    build: called with an empty temporary directory to fill; it is renamed to
      the final path only after `build` returns.
  """
  final = os.path.join(cache_dir(), key)
  if os.path.isdir(final):
    return final
  parent, name = os.path.split(final)
  os.makedirs(parent, exist_ok=True)
  _remove_abandoned(parent, name)
  temp = tempfile.mkdtemp(prefix=f"{_temp_prefix(name)}{os.getpid()}-",
                          dir=parent)
  try:
    build(temp)
  except BaseException:
    shutil.rmtree(temp, ignore_errors=True)
    raise
  try:
    os.rename(temp, final)
  except OSError:
    shutil.rmtree(temp, ignore_errors=True)
    if not os.path.isdir(final):  # not a lost race: a real failure
      raise
  return final
