"""Study records: one file per cell, atomic writes, finished means ok."""
import json

import pytest

from mtf_mods.study import records


def test_put_get_and_finished(tmp_path):
  store = records.ResultStore(str(tmp_path))
  assert store.get("baseline", "pretrain", 0) is None
  store.put(records.Record("baseline", "pretrain", 0, "ok",
                                 metrics={"early_loss": 3.5}))
  store.put(records.Record("baseline", "pretrain", 1, "failed",
                                 error="boom"))
  assert store.get("baseline", "pretrain", 0).metrics == {"early_loss": 3.5}
  assert store.is_finished("baseline", "pretrain", 0)
  assert not store.is_finished("baseline", "pretrain", 1)
  assert [(r.seed, r.status) for r in store.all()] == [(0, "ok"),
                                                       (1, "failed")]
  leftovers = list(tmp_path.rglob("*.tmp"))
  assert not leftovers


def test_a_failed_write_leaves_the_previous_record_intact(tmp_path,
                                                          monkeypatch):
  store = records.ResultStore(str(tmp_path))
  store.put(records.Record("baseline", "pretrain", 0, "ok",
                                 metrics={"early_loss": 3.5}))
  real_dump = records.json.dump

  def dump_half_then_fail(value, f, **kwargs):
    real_dump({"status": value["status"]}, f)  # a part of the new record
    f.flush()
    raise OSError("disk full")

  monkeypatch.setattr(records.json, "dump", dump_half_then_fail)
  with pytest.raises(OSError, match="disk full"):
    store.put(records.Record("baseline", "pretrain", 0, "failed",
                                   error="interrupted"))
  monkeypatch.undo()
  record = store.get("baseline", "pretrain", 0)
  assert (record.status, record.metrics) == ("ok", {"early_loss": 3.5})
  assert not list(tmp_path.rglob("*.tmp"))


def test_each_implementation_keeps_its_own_records(tmp_path):
  store = records.ResultStore(str(tmp_path))
  store.put(records.Record("baseline", "pretrain", 0, "ok",
                                 metrics={"early_loss": 3.5}))
  store.put(records.Record("baseline", "pretrain", 0, "ok",
                                 metrics={"early_loss": 3.4},
                                 implementation="release"))
  assert store.get("baseline", "pretrain", 0).metrics == {"early_loss": 3.5}
  release = store.get("baseline", "pretrain", 0, "release")
  assert (release.implementation, release.metrics) == (
      "release", {"early_loss": 3.4})
  assert [(r.implementation, r.metrics["early_loss"]) for r in store.all()
          ] == [("kit", 3.5), ("release", 3.4)]
  # The kit's records keep the layout of studies written before there were
  # implementations, so such a study resumes where it stopped.
  assert (tmp_path / "results" / "baseline" / "pretrain" / "seed0.json"
          ).exists()
  with pytest.raises(ValueError, match="unknown implementation 'mtf'"):
    store.get("baseline", "pretrain", 0, "mtf")


def test_the_first_record_writes_the_format_and_a_newer_one_is_refused(
    tmp_path):
  results = tmp_path / "results"
  record = (results / "baseline" / "pretrain" / "seed0.json")
  record.parent.mkdir(parents=True)
  record.write_text(json.dumps({"variant": "baseline", "stage": "pretrain",
                                "seed": 0, "status": "ok"}))
  store = records.ResultStore(str(tmp_path))  # no format.json: 1
  assert store.format() == 1 and store.get("baseline", "pretrain", 0)
  assert not (results / records.FORMAT_FILE).exists()
  store.put(records.Record("baseline", "pretrain", 1, "ok"))
  assert json.loads((results / records.FORMAT_FILE).read_text()) == {
      "format": records.RESULTS_FORMAT}
  assert not list(tmp_path.rglob("*.tmp"))
  newer = records.RESULTS_FORMAT + 1
  (results / records.FORMAT_FILE).write_text(
      json.dumps({"format": newer}))
  with pytest.raises(records.NewerResultsFormat,
                     match="format %d .*upgrade mtf-mods" % newer):
    records.ResultStore(str(tmp_path))
  (results / records.FORMAT_FILE).write_text("{")
  with pytest.raises(ValueError, match="not a results format record"):
    records.ResultStore(str(tmp_path))
