"""The Table 1 report from records: layout, paper numbers, noise marks."""
import csv
import dataclasses
import re

import numpy as np
import pytest
from scipy import stats

from mtf_mods.study import plots
from mtf_mods.study import table as report
from mtf_mods.study import records
from mtf_mods import variants


@dataclasses.dataclass(frozen=True)
class Application:
  name: str
  table1_column: str


DOWNSTREAM = (Application("sglue", "SGLUE"),)


def study_records(other):
  """Baseline over 3 seeds, and `other` clearly better at the early step."""
  rows = []
  for seed, early in enumerate([3.00, 3.02, 2.98]):
    metrics = {"early_loss": early}
    if seed == 0:
      metrics.update(params=6.6e6, flops_per_step=6e10, steps_per_second=3.0,
                     final_loss=2.5, loss_curve={"50": 4.0, "100": 3.0})
    rows.append(records.Record("baseline", "pretrain", seed, "ok",
                                     metrics))
  for seed, early in enumerate([2.50, 2.52, 2.51]):
    metrics = {"early_loss": early}
    if seed == 0:
      metrics.update(params=6.0e6, flops_per_step=5e10, steps_per_second=3.5,
                     final_loss=2.2, loss_curve={"50": 3.8, "100": 2.6})
    rows.append(records.Record(other, "pretrain", seed, "ok", metrics))
  rows.append(records.Record("baseline", "sglue", 0, "ok",
                                   {"score": 60.0}))
  rows.append(records.Record(other, "sglue", 0, "failed", error="x"))
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
  by_variant = report.collect(study_records(other), columns)
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
  by_variant = report.collect(study_records(other), columns)
  path = tmp_path / "report.csv"
  report.write_csv(str(path), {"kit": by_variant}, columns)
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
  by_variant = report.collect(study_records(own_variant), columns)
  lines = report.markdown(by_variant, columns).splitlines()
  own_rows = [line for line in lines if line.startswith("| %s |" % own_variant)]
  assert len(own_rows) == 1 and own_rows[0].startswith(
      "| %s | kit |" % own_variant)
  assert "(-0.490*)" in own_rows[0]   # its difference from the baseline
  assert own_rows[0].endswith("| — |")  # its SGLUE cell failed
  assert lines.index(own_rows[0]) == len(lines) - 1  # no paper row after it
  path = tmp_path / "report.csv"
  report.write_csv(str(path), {"kit": by_variant}, columns)
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
  rows = study_records(other)
  columns = report.columns(DOWNSTREAM)
  by_variant = report.collect(rows, columns)
  assert plots.loss_curves(rows, str(tmp_path / "curves.png"))
  assert plots.metric_bars(by_variant, columns, str(tmp_path / "bars.png"))
  for name in ("curves.png", "bars.png"):
    data = (tmp_path / name).read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 5000


# Two implementations, known answers. Early loss over 3 seeds; SGLUE over 3
# seeds for the baselines and swiglu, one seed for selu.
KIT_EARLY = {"baseline": [2.00, 2.10, 1.90], "swiglu": [1.50, 1.60, 1.40],
             "gelu": [2.05, 1.95, 2.00], "selu": [1.75, 1.85, 1.65]}
RELEASE_EARLY = {"baseline": [2.20, 2.30, 2.10],
                 "swiglu": [1.70, 1.80, 1.60], "gelu": [2.25, 2.15, 2.20],
                 "selu": [2.70, 2.80, 2.60]}
SGLUE = {"baseline": [60.0, 61.0, 59.0], "swiglu": [70.0, 71.0, 69.0],
         "selu": [55.0]}


def two_implementation_records():
  rows = []
  for implementation, early in (("kit", KIT_EARLY),
                                ("release", RELEASE_EARLY)):
    for name, values in early.items():
      for seed, value in enumerate(values):
        rows.append(records.Record(
            name, "pretrain", seed, "ok", {"early_loss": value},
            implementation=implementation))
    for name, values in SGLUE.items():
      for seed, value in enumerate(values):
        rows.append(records.Record(
            name, "sglue", seed, "ok", {"score": value},
            implementation=implementation))
  return rows


def by_implementation(columns):
  rows = two_implementation_records()
  return {implementation: report.collect(rows, columns, implementation)
          for implementation in ("kit", "release")}


def test_effects_have_welch_intervals_holm_and_verdicts():
  columns = report.columns(DOWNSTREAM)
  kit = by_implementation(columns)["kit"]
  found = report.effects(kit, columns)
  early = {name: found[(name, "Early loss")] for name in KIT_EARLY
           if name != "baseline"}
  raw = {name: stats.ttest_ind(values, KIT_EARLY["baseline"],
                               equal_var=False).pvalue
         for name, values in KIT_EARLY.items() if name != "baseline"}
  ranked = sorted(raw, key=raw.get)  # Holm: (m - k + 1) p, non-decreasing
  expected, running = {}, 0.0
  for k, name in enumerate(ranked):
    running = max(running, (len(ranked) - k) * raw[name])
    expected[name] = min(1.0, running)
  for name, effect in early.items():
    assert effect.p_holm == pytest.approx(expected[name], rel=1e-9)
    assert effect.difference.delta == pytest.approx(
        np.mean(KIT_EARLY[name]) - np.mean(KIT_EARLY["baseline"]))
  assert early["swiglu"].verdict == "better"
  assert early["gelu"].verdict == "within noise"
  # selu alone would be beyond noise (p < 0.05); over 3 variants it is not.
  assert raw["selu"] < 0.05 and early["selu"].verdict == "within noise"
  assert found[("swiglu", "SGLUE")].verdict == "better"  # higher is better
  assert found[("selu", "SGLUE")].verdict == "one seed"
  assert found[("selu", "SGLUE")].difference.low is None


def test_transfers_between_implementations_and_applications():
  columns = report.columns(DOWNSTREAM)
  both = by_implementation(columns)
  found = {name: report.effects(by_variant, columns)
           for name, by_variant in both.items()}
  # swiglu: better in both implementations, in the loss and in SGLUE.
  assert report.transfers("swiglu", found, columns) == ("yes", "yes")
  # gelu: nothing beyond noise anywhere.
  assert report.transfers("gelu", found, columns) == ("untested",
                                                      "untested")
  # selu: within noise in the kit (after Holm), worse in the release; its
  # SGLUE has one seed.
  assert found["release"][("selu", "Early loss")].verdict == "worse"
  assert report.transfers("selu", found, columns) == ("untested",
                                                      "untested")
  release_worse = dict(found)
  release_worse["release"] = dict(found["release"])
  release_worse["release"][("swiglu", "Early loss")] = report.Effect(
      found["release"][("swiglu", "Early loss")].difference, 0.001, "worse")
  assert report.transfers("swiglu", release_worse, columns) == ("no", "no")


def test_paper_directions_come_from_table1():
  columns = report.columns(DOWNSTREAM)
  kit = by_implementation(columns)["kit"]
  # SwiGLU: final loss 1.789 vs 1.838, SGLUE 76.00 vs 71.66 (Table 1).
  assert report.paper_summary("swiglu", kit, columns) == (
      "pretraining +, SGLUE +")
  early = {c.name: c for c in columns}["Early loss"]
  # GeLU's early loss 2.179 +- 0.003 against 2.182 +- 0.005: the same.
  assert report.paper_direction(kit["gelu"]["Early loss"],
                                kit["baseline"]["Early loss"],
                                early) == "same"


def test_markdown_and_csv_carry_the_same_verdicts(tmp_path):
  columns = report.columns(DOWNSTREAM)
  both = by_implementation(columns)
  table = report.effects_markdown(both, columns)
  rows = {tuple(cell.strip() for cell in line.split("|")[1:3]): line
          for line in table.splitlines()[2:]}
  assert set(rows) == {(name, implementation) for name in ("swiglu", "gelu",
                                                           "selu")
                       for implementation in ("kit", "release")}
  assert "better" in rows[("swiglu", "kit")].split("|")[3]
  assert rows[("swiglu", "kit")].rstrip(" |").endswith(
      "| yes | yes | pretraining +, SGLUE +")
  assert "worse" in rows[("selu", "release")].split("|")[3]
  assert "one seed" in rows[("selu", "kit")].split("|")[4]
  path = tmp_path / "report.csv"
  report.write_csv(str(path), both, columns)
  with open(path) as f:
    written = list(csv.DictReader(f))
  cell = {(r["implementation"], r["variant"], r["column"]): r
          for r in written}
  assert cell[("kit", "swiglu", "Early loss")]["verdict"] == "better"
  assert cell[("release", "selu", "Early loss")]["verdict"] == "worse"
  assert cell[("kit", "selu", "Early loss")]["verdict"] == "within noise"
  assert cell[("kit", "selu", "SGLUE")]["verdict"] == "one seed"
  assert cell[("kit", "swiglu", "Early loss")][
      "transfers_implementations"] == "yes"
  assert cell[("kit", "swiglu", "Early loss")]["paper_direction"] == "better"
  low = float(cell[("kit", "swiglu", "Early loss")]["ci_low"])
  high = float(cell[("kit", "swiglu", "Early loss")]["ci_high"])
  assert low < -0.5 < high < 0  # -0.5 with its interval, all below 0
  # Each CSV verdict is the verdict of its own column's Markdown cell, whose
  # difference and interval are the CSV's, to the cell's decimals.
  header = [name.strip() for name in table.splitlines()[0].split("|")[1:-1]]
  checked = 0
  for key, row in cell.items():
    if key[1] == "baseline" or not row["verdict"]:
      continue
    markdown = rows[key[1:2] + key[0:1]].split("|")[1:-1][
        header.index(key[2])].strip()
    assert markdown.endswith(" " + row["verdict"]), (key, markdown)
    if row["ci_low"]:
      numbers = [float(n) for n in re.findall(r"[-+][0-9.]+", markdown)]
      assert numbers == pytest.approx(
          [float(row[name]) for name in ("kit_delta", "ci_low", "ci_high")],
          abs=0.006), (key, markdown)
    checked += 1
  # ... and every Markdown cell with a verdict has its CSV row.
  effect_columns = [header.index(c.name) for c in columns
                    if c.name in header]
  assert checked == sum(
      line.split("|")[1:-1][i].strip() != "\u2014"
      for line in rows.values() for i in effect_columns) > 0


def test_release_minus_kit_is_compared_per_variant():
  columns = report.columns(DOWNSTREAM)
  both = by_implementation(columns)
  found = report.implementation_differences(both, columns)
  baseline = found[("baseline", "Early loss")]
  assert baseline.difference.delta == pytest.approx(0.2)
  assert found[("selu", "Early loss")].verdict == "differ"  # +0.95
  assert found[("selu", "SGLUE")].verdict == "one seed"
  table = report.implementations_markdown(both, columns)
  assert table.splitlines()[0] == "| Variant | Early loss | SGLUE |"
  assert report.implementations_markdown({"kit": both["kit"]},
                                         columns) is None


def test_the_effects_plot_shows_both_implementations(tmp_path):
  columns = report.columns(DOWNSTREAM)
  path = tmp_path / "effects.png"
  assert plots.effects(by_implementation(columns), columns, str(path))
  assert path.read_bytes().startswith(b"\x89PNG")
  assert not plots.effects({"kit": {}}, columns, str(tmp_path / "none.png"))
