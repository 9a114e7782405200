"""The Table 1 report from records: layout, paper numbers, noise marks."""
import csv
import dataclasses

import pytest

from mtf_mods import plots
from mtf_mods import report
from mtf_mods import results_store
from mtf_mods import variants


@dataclasses.dataclass(frozen=True)
class Application:
  name: str
  table1_column: str


DOWNSTREAM = (Application("sglue", "SGLUE"),)


def records(other):
  """Baseline over 3 seeds, and `other` clearly better at the early step."""
  rows = []
  for seed, early in enumerate([3.00, 3.02, 2.98]):
    metrics = {"early_loss": early}
    if seed == 0:
      metrics.update(params=6.6e6, flops_per_step=6e10, steps_per_second=3.0,
                     final_loss=2.5, loss_curve={"0": 8.0, "100": 3.0})
    rows.append(results_store.Record("baseline", "pretrain", seed, "ok",
                                     metrics))
  for seed, early in enumerate([2.50, 2.52, 2.51]):
    metrics = {"early_loss": early}
    if seed == 0:
      metrics.update(params=6.0e6, flops_per_step=5e10, steps_per_second=3.5,
                     final_loss=2.2, loss_curve={"0": 8.0, "100": 2.6})
    rows.append(results_store.Record(other, "pretrain", seed, "ok", metrics))
  rows.append(results_store.Record("baseline", "sglue", 0, "ok",
                                   {"score": 60.0}))
  rows.append(results_store.Record(other, "sglue", 0, "failed", error="x"))
  return rows


@pytest.fixture(autouse=True)
def other_variant(monkeypatch):
  """A second registered variant, whatever the registry holds."""
  extra = variants.Variant("test_swiglu", "SwiGLU", "activation")
  monkeypatch.setattr(variants, "VARIANTS", variants.VARIANTS + (extra,))
  return extra.name


@pytest.fixture
def own_variant(monkeypatch, other_variant):
  """A registered modification outside Table 1 (no paper row)."""
  del other_variant  # registered first, so this one is added after it
  extra = variants.Variant("test_own", None, "own", "not in the paper")
  monkeypatch.setattr(variants, "VARIANTS", variants.VARIANTS + (extra,))
  return extra.name


def test_markdown_has_kit_and_paper_rows_and_marks_noise(other_variant):
  other = other_variant
  columns = report.columns(DOWNSTREAM)
  by_variant = report.collect(records(other), columns)
  text = report.markdown(by_variant, columns)
  lines = text.splitlines()
  assert lines[0].split(" | ")[2:] == ["Params", "Ops", "Step/s",
                                       "Early loss", "Final loss",
                                       "SGLUE |"]
  assert "| baseline | kit | 6.6M | 10G | 3.00 | 3.000 ± 0.020 | 2.500 | 60.00 |" in text
  assert "| Vanilla Transformer | paper | 223M | 11.1T | 3.50 | " \
         "2.182 ± 0.005 | 1.838 | 71.66 |" in text
  other_row = [line for line in lines
               if line.startswith("| %s | kit" % other)][0]
  assert "(-0.490*)" in other_row   # 0.49 > 2 x 0.02
  assert "(-0.300)" in other_row    # final loss: one seed, no spread
  assert other_row.endswith("| — |")  # its SGLUE cell failed
  paper_row = [line for line in lines if line.startswith("| SwiGLU | paper")]
  assert paper_row and "(+4.34)" in paper_row[0]  # 76.00 - 71.66


def test_csv_has_one_row_per_variant_and_column(tmp_path, other_variant):
  other = other_variant
  columns = report.columns(DOWNSTREAM)
  by_variant = report.collect(records(other), columns)
  path = tmp_path / "report.csv"
  report.write_csv(str(path), by_variant, columns)
  with open(path) as f:
    rows = list(csv.DictReader(f))
  assert len(rows) == len(by_variant) * len(columns)
  early = [r for r in rows if r["variant"] == "baseline"
           and r["column"] == "Early loss"][0]
  assert float(early["kit_mean"]) == 3.0 and early["kit_seeds"] == "3"
  assert float(early["paper"]) == 2.182 and float(early["paper_std"]) == 0.005


def test_a_variant_outside_table1_has_a_kit_row_and_no_paper_row(
    tmp_path, own_variant):
  columns = report.columns(DOWNSTREAM)
  by_variant = report.collect(records(own_variant), columns)
  lines = report.markdown(by_variant, columns).splitlines()
  own_rows = [line for line in lines if line.startswith("| %s |" % own_variant)]
  assert len(own_rows) == 1 and own_rows[0].startswith(
      "| %s | kit |" % own_variant)
  assert "(-0.490*)" in own_rows[0]   # its difference from the baseline
  assert own_rows[0].endswith("| — |")  # its SGLUE cell failed
  assert lines.index(own_rows[0]) == len(lines) - 1  # no paper row after it
  path = tmp_path / "report.csv"
  report.write_csv(str(path), by_variant, columns)
  with open(path) as f:
    rows = [r for r in csv.DictReader(f) if r["variant"] == own_variant]
  assert len(rows) == len(columns)
  for row in rows:
    assert row["table1_row"] == row["paper"] == row["paper_std"] == ""
    assert row["paper_delta"] == ""
  early = [r for r in rows if r["column"] == "Early loss"][0]
  assert float(early["kit_delta"]) == pytest.approx(-0.49)


def test_plots_are_written(tmp_path, other_variant):
  other = other_variant
  rows = records(other)
  columns = report.columns(DOWNSTREAM)
  by_variant = report.collect(rows, columns)
  assert plots.loss_curves(rows, str(tmp_path / "curves.png"))
  assert plots.metric_bars(by_variant, columns, str(tmp_path / "bars.png"))
  for name in ("curves.png", "bars.png"):
    data = (tmp_path / name).read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 5000
