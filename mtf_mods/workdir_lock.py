"""One study per working directory at a time.

`held(workdir)` takes an exclusive lock on <workdir>/study.lock (fcntl.flock)
for the duration of a study, or raises `WorkdirBusy` at once, naming the
process that holds it. The kernel drops the lock when its process ends, also
by SIGKILL, so a killed study never leaves it stuck; the study's launches die
with it (`launches.run`), so no orphaned training writes on in the workdir.
"""
import contextlib
import fcntl
import os

LOCK_FILE = "study.lock"


class WorkdirBusy(RuntimeError):
  """Another process holds the workdir's lock."""


@contextlib.contextmanager
def held(workdir):
  os.makedirs(workdir, exist_ok=True)
  path = os.path.join(workdir, LOCK_FILE)
  with open(path, "a+") as lock:
    try:
      fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      lock.seek(0)
      holder = lock.read().strip() or "another process"
      raise WorkdirBusy(
          "another study is running in %s (%s); wait for it to finish, or "
          "give this one another --workdir" % (workdir, holder)) from None
    lock.seek(0)
    lock.truncate()
    lock.write("pid %d" % os.getpid())
    lock.flush()
    try:
      yield
    finally:
      fcntl.flock(lock, fcntl.LOCK_UN)
