"""One study per workdir at a time.

`held(workdir)` holds <workdir>/study.lock for the duration of a study, or
raises `WorkdirBusy` at once, naming the process that holds it.

- On a local filesystem it is an exclusive fcntl.flock. The kernel drops
  it when its process ends, also by SIGKILL, so a killed study never
  leaves it stuck; the study's launches die with it (`launches.run`).
- On any other filesystem (gs://, or ram:// in the tests), where there is
  no lock to take, it is a lease: a JSON file naming its holder and a
  heartbeat the holder rewrites every HEARTBEAT_SECONDS. A lease whose
  heartbeat is older than LEASE_SECONDS is stale (its holder died) and is
  taken over. After writing its own lease, a study waits SETTLE_SECONDS
  and reads it back: of two studies that started at the same moment, the
  one whose lease was overwritten backs off. A lease is exact on a
  filesystem that reads its own writes at once (GCS does); its only
  window is two studies starting within SETTLE_SECONDS of each other.
"""
import contextlib
import fcntl
import json
import os
import socket
import threading
import time
import uuid

from mtf_mods.files import atomic_files
from mtf_mods.study import storage

LOCK_FILE = "study.lock"
LEASE_SECONDS = 120.0
HEARTBEAT_SECONDS = 30.0
SETTLE_SECONDS = 2.0


class WorkdirBusy(RuntimeError):
  """Another process holds the workdir's lock."""


def _busy(workdir, holder):
  return WorkdirBusy(
      "another study is running in %s (%s); wait for it to finish, or "
      "give this one another --workdir" % (workdir, holder))


@contextlib.contextmanager
def held(workdir, settle_seconds=SETTLE_SECONDS):
  if storage.is_local(workdir):
    with _flock(workdir):
      yield
  else:
    with _lease(workdir, settle_seconds):
      yield


@contextlib.contextmanager
def _flock(workdir):
  os.makedirs(workdir, exist_ok=True)
  path = os.path.join(workdir, LOCK_FILE)
  with open(path, "a+") as lock:
    try:
      fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      lock.seek(0)
      raise _busy(workdir, lock.read().strip() or "another process") from None
    lock.seek(0)
    lock.truncate()
    lock.write("pid %d" % os.getpid())
    lock.flush()
    try:
      yield
    finally:
      fcntl.flock(lock, fcntl.LOCK_UN)


def _read_lease(path):
  text = storage.read_text(path)
  try:
    return json.loads(text) if text else None
  except ValueError:
    return None  # cut short: no holder to respect


def _write_lease(path, lease):
  lease = dict(lease, heartbeat=time.time())
  atomic_files.write_text(path, json.dumps(lease))


@contextlib.contextmanager
def _lease(workdir, settle_seconds):
  path = os.path.join(workdir, LOCK_FILE)
  mine = {"owner": uuid.uuid4().hex, "host": socket.gethostname(),
          "pid": os.getpid()}
  found = _read_lease(path)
  if found and time.time() - found.get("heartbeat", 0) < LEASE_SECONDS:
    raise _busy(workdir, "pid %s on %s, lease renewed %.0f s ago; a lease "
                "not renewed for %.0f s is taken over" % (
                    found.get("pid"), found.get("host"),
                    time.time() - found["heartbeat"], LEASE_SECONDS))
  _write_lease(path, mine)
  time.sleep(settle_seconds)
  found = _read_lease(path)
  if not found or found.get("owner") != mine["owner"]:
    raise _busy(workdir, "pid %s on %s, which started at the same moment"
                % ((found or {}).get("pid"), (found or {}).get("host")))
  stop = threading.Event()

  def renew():
    while not stop.wait(HEARTBEAT_SECONDS):
      _write_lease(path, mine)

  heartbeat = threading.Thread(target=renew, daemon=True)
  heartbeat.start()
  try:
    yield
  finally:
    stop.set()
    heartbeat.join()
    found = _read_lease(path)
    if found and found.get("owner") == mine["owner"]:
      storage.remove(path)
