"""The whole store on a filesystem other than the local one (TensorFlow's
ram://, as gs:// would be): records, the format file, the configuration,
the lock's lease and the report."""
import json
import time
import uuid

import pytest
import tensorflow as tf

from mtf_mods.files import atomic_files
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.study import configuration
from mtf_mods.study import lock
from mtf_mods.study import records
from mtf_mods.study import storage
from mtf_test_utils import call_cli


@pytest.fixture
def workdir():
  """A new workdir in this process's memory (ram:// has no rmtree)."""
  return "ram://study-%s" % uuid.uuid4().hex


def test_records_format_and_configuration_live_on_ram(workdir):
  store = records.ResultStore(workdir)
  assert store.format() == 1 and store.all() == []
  study = configuration.StudyConfig(
      variants=[variants.get(variants.BASELINE)], scale=scales.get("tiny"),
      data="mini", seeds=1, workdir=workdir, pretrain_steps=16,
      early_only=True)
  written = configuration.write(study, store)
  store.put(records.Record(variants.BASELINE, "pretrain", 0, records.OK,
                           metrics={"early_loss": 4.0, "early_step": 2},
                           config_id=written["config_id"]))
  store.put(records.Record(variants.BASELINE, "pretrain", 0, records.OK,
                           metrics={"early_loss": 4.5, "early_step": 2},
                           implementation=records.RELEASE))
  assert store.format() == records.RESULTS_FORMAT
  assert store.get(variants.BASELINE, "pretrain", 0).metrics["early_loss"] == 4.0
  assert [(r.implementation, r.metrics["early_loss"]) for r in store.all()
          ] == [("kit", 4.0), ("release", 4.5)]
  assert configuration.read(workdir) == written
  files = tf.io.gfile.glob(workdir + "/*") + tf.io.gfile.glob(
      workdir + "/results/*")
  assert workdir + "/study.json" in files
  assert workdir + "/results/format.json" in files
  assert not [f for f in tf.io.gfile.glob(workdir + "/results/*/*/*")
              if ".tmp" in f]


def test_the_report_is_written_on_ram(workdir):
  store = records.ResultStore(workdir)
  for seed, loss in enumerate((4.0, 4.1)):
    store.put(records.Record(variants.BASELINE, "pretrain", seed,
                             records.OK, metrics={"early_loss": loss,
                                                  "early_step": 2}))
  result = call_cli("report", "--workdir=%s" % workdir)
  assert result.returncode == 0, result.stderr
  report = storage.read_text(workdir + "/report.md")
  assert "| baseline | kit |" in report
  assert storage.read_text(workdir + "/report.csv").startswith(
      "implementation,variant,")
  with tf.io.gfile.GFile(workdir + "/metrics.png", "rb") as f:
    assert f.read(4) == b"\x89PNG"


def test_a_lease_refuses_a_second_study_and_a_stale_one_is_taken_over(
    workdir):
  with lock.held(workdir, settle_seconds=0):
    lease = json.loads(storage.read_text(workdir + "/study.lock"))
    assert lease["pid"] and lease["heartbeat"] <= time.time()
    with pytest.raises(lock.WorkdirBusy, match="another study is running in "
                       "ram://.*lease renewed 0 s ago"):
      with lock.held(workdir, settle_seconds=0):
        pass
  assert not storage.exists(workdir + "/study.lock")  # released
  stale = dict(lease, owner="dead", heartbeat=time.time()
               - lock.LEASE_SECONDS - 1)
  atomic_files.write_text(workdir + "/study.lock", json.dumps(stale))
  with lock.held(workdir, settle_seconds=0):  # taken over
    assert json.loads(storage.read_text(workdir + "/study.lock"))[
        "owner"] != "dead"


def test_of_two_leases_written_at_once_the_overwritten_one_backs_off(
    workdir, monkeypatch):
  real_sleep = time.sleep

  def another_study_writes_meanwhile(seconds):
    atomic_files.write_text(workdir + "/study.lock", json.dumps(
        {"owner": "other", "host": "h", "pid": 7, "heartbeat": time.time()}))
    real_sleep(seconds)

  monkeypatch.setattr(lock.time, "sleep", another_study_writes_meanwhile)
  with pytest.raises(lock.WorkdirBusy, match="pid 7 on h, which started at "
                     "the same moment"):
    with lock.held(workdir, settle_seconds=0):
      pass
