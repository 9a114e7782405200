"""Tests of the cache location and of atomic generation."""
import os
import socket
import subprocess
import sys

import pytest

from mtf_mods.tasks import cache as cache_lib


def test_cache_dir_is_the_environment_variable_else_home(monkeypatch, tmp_path):
  monkeypatch.setenv("MTF_MODS_CACHE", str(tmp_path / "x"))
  assert cache_lib.cache_dir() == str(tmp_path / "x")
  monkeypatch.delenv("MTF_MODS_CACHE")
  monkeypatch.setenv("HOME", str(tmp_path / "home"))
  assert cache_lib.cache_dir() == str(tmp_path / "home" / ".cache" / "mtf_mods")


def _writer(calls, text="done"):
  def build(directory):
    calls.append(directory)
    with open(os.path.join(directory, "data.txt"), "w") as f:
      f.write(text)
  return build


def test_builds_once_then_reuses(cache):
  calls = []
  first = cache_lib.cached_directory("mini/key", _writer(calls))
  second = cache_lib.cached_directory("mini/key", _writer(calls))
  assert first == second == str(cache / "mini" / "key")
  assert len(calls) == 1 and calls[0] != first
  assert open(os.path.join(first, "data.txt")).read() == "done"
  assert os.listdir(cache / "mini") == ["key"]


def test_a_failed_build_leaves_nothing(cache):
  def build(directory):
    open(os.path.join(directory, "half.txt"), "w").close()
    raise RuntimeError("interrupted")

  with pytest.raises(RuntimeError):
    cache_lib.cached_directory("mini/key", build)
  assert os.listdir(cache / "mini") == []


def test_a_leftover_temporary_build_is_ignored_and_removed(cache):
  dead = subprocess.Popen([sys.executable, "-c", "pass"])
  dead.wait()
  leftover = cache / "mini" / f".key.tmp-{socket.gethostname()}-{dead.pid}-abc"
  leftover.mkdir(parents=True)
  (leftover / "data.txt").write_text("half")
  calls = []
  final = cache_lib.cached_directory("mini/key", _writer(calls))
  assert len(calls) == 1
  assert open(os.path.join(final, "data.txt")).read() == "done"
  assert os.listdir(cache / "mini") == ["key"]


def test_losing_a_race_keeps_the_winners_copy(cache):
  def build_while_another_process_finishes(directory):
    _writer([], "mine")(directory)
    os.makedirs(cache / "mini" / "key")
    _writer([], "winner")(str(cache / "mini" / "key"))

  (cache / "mini").mkdir(parents=True)
  final = cache_lib.cached_directory("mini/key",
                                     build_while_another_process_finishes)
  assert open(os.path.join(final, "data.txt")).read() == "winner"
  assert os.listdir(cache / "mini") == ["key"]
