"""Study records: one file per cell, atomic writes, finished means ok."""
from mtf_mods import results_store


def test_put_get_and_finished(tmp_path):
  store = results_store.ResultStore(str(tmp_path))
  assert store.get("baseline", "pretrain", 0) is None
  store.put(results_store.Record("baseline", "pretrain", 0, "ok",
                                 metrics={"early_loss": 3.5}))
  store.put(results_store.Record("baseline", "pretrain", 1, "failed",
                                 error="boom"))
  assert store.get("baseline", "pretrain", 0).metrics == {"early_loss": 3.5}
  assert store.is_finished("baseline", "pretrain", 0)
  assert not store.is_finished("baseline", "pretrain", 1)
  assert [(r.seed, r.status) for r in store.all()] == [(0, "ok"),
                                                       (1, "failed")]
  leftovers = list(tmp_path.rglob("*.tmp"))
  assert not leftovers
