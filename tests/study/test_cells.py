"""The study's cells per implementation, without training: a finished
cell is skipped in its own implementation only, and a cell's record says
which implementation ran it."""
import io

from mtf_mods.study import records
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.study import budgets
from mtf_mods.study import cells as study_cells
from mtf_mods.study import configuration
from mtf_mods.study.executors import cell_run
from mtf_mods.study.executors import in_order


def config(workdir):
  return configuration.StudyConfig(
      variants=[variants.get(variants.BASELINE)], scale=scales.get("tiny"),
      data="mini", seeds=1, workdir=workdir, early_only=True,
      implementations=(records.KIT, records.RELEASE))


def test_a_finished_cell_is_skipped_in_its_own_implementation_only(
    tmp_path, monkeypatch):
  settings = config(str(tmp_path))
  cells = study_cells.build_cells(settings)
  assert [(c.implementation, c.label) for c in cells] == [
      ("kit", "baseline seed0 pretrain"),
      ("release", "release/baseline seed0 pretrain")]
  store = records.ResultStore(str(tmp_path))
  store.put(records.Record("baseline", "pretrain", 0, "ok",
                                 implementation="release"))
  launched = []
  monkeypatch.setattr(cell_run.launches, "run",
                      lambda arguments, label, stream, on_line, env=None: launched.append(
                          (label, arguments)))
  for cell in cells:
    cell.collect = lambda: {"early_loss": 1.0}
  counts = in_order.InOrder(settings).run(cells, store, io.StringIO())
  assert counts == {"ok": 1, "failed": 0, "skipped": 1}
  assert {label for label, _ in launched} == {"baseline seed0 pretrain"}
  assert all("--implementation=kit" in arguments
             for _, arguments in launched)
  kit = store.get("baseline", "pretrain", 0)
  assert (kit.status, kit.implementation) == ("ok", "kit")
  assert store.get("baseline", "pretrain", 0, "release").metrics == {}
