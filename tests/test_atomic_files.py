"""A write that fails, or a process killed while writing, leaves the
previous version of every result, record and report intact."""
import errno
import os
import subprocess
import sys

import pytest

from mtf_mods import atomic_files
from mtf_mods.study import records
from mtf_test_utils import REPO, call_cli

KILL_ON_RENAME = """
import os, signal, sys
sys.path.insert(0, {tests!r})
def killed(*args, **kwargs):
  os.kill(os.getpid(), signal.SIGKILL)
os.replace = killed
"""


def disk_full(*args, **kwargs):
  raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_failed_write_keeps_the_previous_version(tmp_path, monkeypatch):
  path = tmp_path / "report.md"
  path.write_text("the previous report")
  monkeypatch.setattr(os, "fsync", disk_full)
  with pytest.raises(atomic_files.WriteFailed) as raised:
    atomic_files.write_text(str(path), "a new report")
  assert str(path) in str(raised.value)
  assert "No space left on device" in str(raised.value)
  assert path.read_text() == "the previous report"
  assert os.listdir(tmp_path) == ["report.md"]  # no temporary file left


def test_a_write_failing_half_way_keeps_the_previous_version(tmp_path):
  path = tmp_path / "report.csv"
  path.write_text("previous")
  with pytest.raises(atomic_files.WriteFailed):
    with atomic_files.replacing(str(path)) as f:
      f.write("half of a new")
      disk_full()
  assert path.read_text() == "previous"
  assert os.listdir(tmp_path) == ["report.csv"]


def record(status, error=""):
  return records.Record(variant="baseline", stage="pretrain", seed=0,
                              status=status, error=error, scale="tiny")


def run_killed_on_rename(code, tmp_path):
  """Runs `code` in a new Python whose os.replace SIGKILLs the process: it
  is killed with the new file written in full but not yet in place."""
  script = KILL_ON_RENAME.format(tests=os.path.join(REPO, "tests")) + code
  result = subprocess.run([sys.executable, "-c", script], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
  assert result.returncode == -9, result.stderr[-2000:]


def test_a_record_killed_while_written_is_never_read_as_finished(tmp_path):
  store = records.ResultStore(str(tmp_path))
  store.put(record(records.FAILED, "killed by the user"))
  path = store.path("baseline", "pretrain", 0)
  with open(path, "rb") as f:
    before = f.read()
  run_killed_on_rename(
      "from mtf_mods.study import records\n"
      "store = records.ResultStore(%r)\n"
      "store.put(records.Record(variant='baseline', stage='pretrain', "
      "seed=0, status='ok', scale='tiny'))\n" % str(tmp_path), tmp_path)
  with open(path, "rb") as f:
    assert f.read() == before
  assert not store.is_finished("baseline", "pretrain", 0)
  assert [r.status for r in store.all()] == [records.FAILED]


def test_a_truncated_record_is_not_finished(tmp_path):
  """A record cut short (by a version of the kit that wrote in place, or a
  failing disk) is read as not finished, so its cell runs again."""
  store = records.ResultStore(str(tmp_path))
  store.put(record(records.OK))
  path = store.path("baseline", "pretrain", 0)
  with open(path) as f:
    text = f.read()
  with open(path, "w") as f:
    f.write(text[:len(text) // 2])
  assert store.get("baseline", "pretrain", 0) is None
  assert not store.is_finished("baseline", "pretrain", 0)


@pytest.fixture
def reported(tmp_path, mini_env):
  """A workdir with one record and the report written from it."""
  records.ResultStore(str(tmp_path)).put(records.Record(
      variant="baseline", stage="pretrain", seed=0, status=records.OK,
      scale="tiny", metrics={"early_step": 2, "early_loss": 5.0}))
  result = call_cli("report", "--workdir=%s" % tmp_path, env=mini_env)
  assert result.returncode == 0, result.stderr
  return {name: (tmp_path / name).read_bytes()
          for name in sorted(os.listdir(tmp_path)) if name.startswith("report")}


def test_a_report_killed_while_written_keeps_the_previous_one(
    tmp_path, reported):
  assert sorted(reported) == ["report.csv", "report.md"]
  records.ResultStore(str(tmp_path)).put(records.Record(
      variant="baseline", stage="pretrain", seed=1, status=records.OK,
      scale="tiny", metrics={"early_step": 2, "early_loss": 5.5}))
  run_killed_on_rename(
      "from mtf_mods.commands import report\nreport.write(%r)\n"
      % str(tmp_path), tmp_path)
  for name, contents in reported.items():
    assert (tmp_path / name).read_bytes() == contents


def test_report_says_which_file_it_could_not_write(tmp_path, reported,
                                                   monkeypatch, mini_env):
  monkeypatch.setattr(os, "fsync", disk_full)
  result = call_cli("report", "--workdir=%s" % tmp_path, env=mini_env)
  assert result.returncode == 1
  last = result.stderr.strip().splitlines()[-1]
  assert last.startswith("mtf-mods report: could not write %s" % tmp_path)
  assert "No space left on device" in last
  for name, contents in reported.items():
    assert (tmp_path / name).read_bytes() == contents
