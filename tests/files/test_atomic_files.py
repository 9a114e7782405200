"""A write that fails, or a process killed while writing, leaves the
previous version of every result, record and report intact."""
import contextlib
import errno
import io
import os
import subprocess
import sys

import pytest

from mtf_mods.files import atomic_files
from mtf_mods.commands import report
from mtf_mods.study import records
from mtf_test_utils import REPO, call_cli

# os.replace that logs each file it puts in place and SIGKILLs the process
# at the {at}-th, before that file is in place.
KILL_ON_RENAME = """
import os, signal, sys
sys.path.insert(0, {tests!r})
_replace, _renamed = os.replace, []
def replace_or_kill(source, target, *args, **kwargs):
  _renamed.append(target)
  with open({log!r}, "a") as log:
    log.write(os.path.basename(target) + "\\n")
  if len(_renamed) == {at}:
    os.kill(os.getpid(), signal.SIGKILL)
  return _replace(source, target, *args, **kwargs)
os.replace = replace_or_kill
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


def run_killed_on_rename(code, tmp_path, at=1):
  """Runs `code` in a new Python killed by SIGKILL at its `at`-th
  os.replace, with that file written in full but not yet in place; returns
  the names of the files it was putting in place, in order."""
  log = tmp_path.parent / (tmp_path.name + "-renamed.log")
  script = KILL_ON_RENAME.format(tests=os.path.join(REPO, "tests"),
                                 log=str(log), at=at) + code
  result = subprocess.run([sys.executable, "-c", script], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
  assert result.returncode == -9, result.stderr[-2000:]
  renamed = log.read_text().splitlines()
  log.unlink()
  return renamed


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


def put_early_loss(workdir, variant, seed, loss):
  records.ResultStore(str(workdir)).put(records.Record(
      variant=variant, stage="pretrain", seed=seed, status=records.OK,
      scale="tiny", metrics={"early_step": 2, "early_loss": loss}))


def report_files(workdir):
  """{name: contents} of what the report put in place in `workdir`: every
  file beside the records and any temporary file (.name.*.tmp)."""
  return {name: (workdir / name).read_bytes()
          for name in sorted(os.listdir(workdir))
          if name != "results" and not name.startswith(".")}


@pytest.fixture
def reported(tmp_path, mini_env):
  """A workdir with two seeds of two variants and the report written from
  them (its tables and its figures); {file name: contents}."""
  for variant, loss in (("baseline", 5.0), ("swiglu", 4.8)):
    for seed in (0, 1):
      put_early_loss(tmp_path, variant, seed, loss + 0.1 * seed)
  result = call_cli("report", "--workdir=%s" % tmp_path, env=mini_env)
  assert result.returncode == 0, result.stderr
  return report_files(tmp_path)


WRITE_REPORT = "from mtf_mods.commands import report\nreport.write(%r)\n"


def test_a_report_killed_while_written_keeps_the_previous_one(
    tmp_path, reported):
  assert {"report.md", "report.csv", "metrics.png"} <= set(reported)
  put_early_loss(tmp_path, "baseline", 2, 5.5)
  run_killed_on_rename(WRITE_REPORT % str(tmp_path), tmp_path)
  assert report_files(tmp_path) == reported


def test_a_report_killed_at_its_last_file_wrote_the_others_whole(
    tmp_path, reported):
  """Every file of the report (report.md, report.csv, each figure) is put
  in place by a rename; killed at the last, the files before it are the
  whole new versions and the last is still the previous one."""
  put_early_loss(tmp_path, "swiglu", 2, 4.7)
  renamed = run_killed_on_rename(WRITE_REPORT % str(tmp_path), tmp_path,
                                 at=len(reported))
  found = report_files(tmp_path)
  with contextlib.redirect_stdout(io.StringIO()):
    report.write(str(tmp_path))  # uninterrupted: the new versions
  new = report_files(tmp_path)
  assert sorted(renamed) == sorted(reported) == sorted(new)
  for name in renamed[:-1]:
    assert found[name] == new[name] != reported[name], name
  assert found[renamed[-1]] == reported[renamed[-1]]


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
