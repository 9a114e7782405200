"""One study per workdir; a killed study leaves no lock and no launch behind."""
import os
import signal
import subprocess
import sys
import time

from mtf_mods.study import lock
from mtf_test_utils import REPO, call_cli

HOLD_LOCK = """
import sys, time
from mtf_mods.study import lock
with lock.held(sys.argv[1]):
  print("holding", flush=True)
  time.sleep(600)
"""
STUDY = ["study", "--scale=tiny", "--seeds=1", "--applications=pretrain"]


def hold_lock(workdir):
  process = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(workdir)],
                             cwd=REPO, stdout=subprocess.PIPE, text=True)
  assert process.stdout.readline().strip() == "holding"
  return process


def test_a_second_study_on_a_workdir_refuses_and_a_killed_one_frees_it(
    tmp_path, mini_env):
  holder = hold_lock(tmp_path)
  try:
    result = call_cli(*STUDY, "--workdir=%s" % tmp_path, env=mini_env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["mtf-mods study: another study is running in %s (pid %d)"
                     "; wait for it to finish, or give this one another "
                     "--workdir" % (tmp_path, holder.pid)]
    assert not (tmp_path / "results").exists()
  finally:
    holder.send_signal(signal.SIGKILL)
    holder.wait()
  with lock.held(str(tmp_path)):  # not stuck after a SIGKILL
    pass


def children(pid):
  found = []
  for entry in os.listdir("/proc"):
    if entry.isdigit():
      try:
        with open("/proc/%s/stat" % entry) as f:
          fields = f.read().rsplit(")", 1)[1].split()
      except OSError:
        continue
      if int(fields[1]) == pid:
        found.append(int(entry))
  return found


def alive(pid):
  try:
    with open("/proc/%d/stat" % pid) as f:
      return f.read().rsplit(")", 1)[1].split()[0] != "Z"
  except OSError:
    return False


def test_a_killed_study_takes_its_launch_with_it(tmp_path, mini_env):
  study = subprocess.Popen(
      [sys.executable, "-m", "mtf_mods.cli"] + STUDY
      + ["--workdir=%s" % tmp_path], cwd=REPO, env=dict(os.environ, **mini_env),
      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  deadline = time.time() + 120
  launch = []
  while not launch and time.time() < deadline:
    launch = children(study.pid)
    time.sleep(0.1)
  assert launch, "the study started no launch"
  study.send_signal(signal.SIGKILL)  # the study alone, not its group
  study.wait()
  # At once: not when the launch next prints into the closed pipe (it is
  # still importing TensorFlow, and then prints every 10 s).
  deadline = time.time() + 2
  while alive(launch[0]) and time.time() < deadline:
    time.sleep(0.1)
  assert not alive(launch[0])
  with lock.held(str(tmp_path)):
    pass
