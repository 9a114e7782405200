"""The kit's effects held against Table 1's: Spearman's rho, its
permutation p-value, the direction counts and the named scatter."""
import dataclasses
import itertools
import struct

import numpy as np
import pytest
from scipy import stats

from mtf_mods.config import paper
from mtf_mods import variants
from mtf_mods.study import agreement as paper_agreement
from mtf_mods.study import agreement_plot as paper_agreement_plot
from mtf_mods.study import records as results_store
from mtf_mods.study import table as report
from mtf_mods.commands import report as report_command


@dataclasses.dataclass(frozen=True)
class Application:
  name: str
  table1_column: str


DOWNSTREAM = (Application("sglue", "SGLUE"),)
BASE_EARLY = 3.0
SEED_OFFSETS = (0.0, 0.01, -0.01)  # the same spread for every variant


def early_column(table_columns):
  return {c.name: c for c in table_columns}["Early loss"]


def paper_early_effects():
  """{variant: Table 1 early loss minus the Vanilla Transformer's} of every
  registered variant with a Table 1 row."""
  table = paper.table1()
  vanilla = table[variants.get(variants.BASELINE).table1_row]
  return {v.name: table[v.table1_row]["Early loss mean"]
          - vanilla["Early loss mean"]
          for v in variants.VARIANTS
          if v.in_table1 and v.name != variants.BASELINE}


def early_records(kit_effects, implementation=results_store.KIT):
  """Three seeds of the baseline and of each variant, each variant's mean
  BASE_EARLY + its effect."""
  rows = []
  for name, effect in [(variants.BASELINE, 0.0)] + list(kit_effects.items()):
    for seed, offset in enumerate(SEED_OFFSETS):
      rows.append(results_store.Record(
          name, "pretrain", seed, results_store.OK,
          {"early_loss": BASE_EARLY + effect + offset},
          implementation=implementation))
  return rows


def held(rows, table_columns):
  by_variant = report.collect(rows, table_columns)
  return paper_agreement.compare(
      results_store.KIT, by_variant, early_column(table_columns),
      report.effects(by_variant, table_columns))


def test_spearman_is_scipys_with_ties():
  kit = [0.3, 0.1, 0.1, 0.7, 0.2, 0.2, 0.9]
  table = [1.0, 2.0, 2.0, 0.5, 3.0, 1.0, 0.0]
  assert paper_agreement.spearman(kit, table) == pytest.approx(
      stats.spearmanr(kit, table).statistic, abs=1e-12)
  assert paper_agreement.spearman([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]) is None


def test_exact_p_values_by_hand():
  # 3 rows, 6 pairings: rho is +1 and -1 once each, +-0.5 for the others.
  assert paper_agreement.permutation_p([1, 2, 3], [1, 2, 3]) == (
      pytest.approx(2 / 6), None)
  assert paper_agreement.permutation_p([1, 2, 3], [3, 2, 1]) == (
      pytest.approx(2 / 6), None)
  # 4 rows: only the identity and the reversal reach |rho| = 1.
  assert paper_agreement.permutation_p([1, 2, 3, 4], [10, 20, 30, 40])[0] == (
      pytest.approx(2 / 24))
  # A tie: kit ranks (1.5, 1.5, 3), rho = 1.5 / sqrt(3); of the 6 pairings
  # 4 reach |rho| = 0.866 and 2 give 0.
  assert paper_agreement.spearman([1, 1, 2], [1, 2, 3]) == pytest.approx(
      1.5 / 3 ** 0.5)
  assert paper_agreement.permutation_p([1, 1, 2], [1, 2, 3])[0] == (
      pytest.approx(4 / 6))


def test_exact_p_value_is_every_pairing_counted():
  kit = [0.3, 0.1, 0.1, 0.7, 0.2, 0.25, 0.9]   # a tie
  table = [1.0, 2.0, 2.5, 0.5, 3.0, 1.0, 0.0]  # another
  observed = abs(stats.spearmanr(kit, table).statistic)
  hits = [abs(stats.spearmanr([kit[i] for i in order], table).statistic)
          >= observed - 1e-9
          for order in itertools.permutations(range(len(kit)))]
  assert paper_agreement.permutation_p(kit, table) == (
      pytest.approx(np.mean(hits)), None)


def test_random_pairings_estimate_the_exact_p_value(monkeypatch):
  rng = np.random.default_rng(7)
  kit, table = rng.normal(size=9), rng.normal(size=9)
  random_p, drawn = paper_agreement.permutation_p(kit, table)
  assert drawn == paper_agreement.PERMUTATIONS
  assert paper_agreement.permutation_p(kit, table)[0] == random_p  # seeded
  monkeypatch.setattr(paper_agreement, "EXACT_UP_TO", 9)  # 9! pairings
  exact_p, enumerated = paper_agreement.permutation_p(kit, table)
  assert enumerated is None and 0.01 < exact_p < 0.99
  assert random_p == pytest.approx(exact_p, abs=0.005)  # 3 standard errors


def test_kit_effects_in_the_papers_order_give_rho_one():
  table_columns = report.columns(DOWNSTREAM)
  effects = paper_early_effects()
  same = held(early_records({name: 0.5 * effect + 0.1 * effect ** 3
                             for name, effect in effects.items()}),
              table_columns)
  assert len(same.rows) == len(effects) > paper_agreement.EXACT_UP_TO
  assert same.rho == pytest.approx(1.0)
  assert same.p == pytest.approx(1 / (1 + paper_agreement.PERMUTATIONS))
  assert same.permutations == paper_agreement.PERMUTATIONS
  reversed_order = held(early_records(
      {name: -2 * effect for name, effect in effects.items()}),
                        table_columns)
  assert reversed_order.rho == pytest.approx(-1.0)
  assert reversed_order.p < 1e-4


def test_directions_agree_disagree_or_stay_within_noise():
  # Table 1, early loss against 2.182 +- 0.005: SwiGLU 2.127 +- 0.003
  # better, ELU 2.270 +- 0.007 worse, GeLU 2.179 +- 0.003 the same (within
  # 2 sqrt(0.005^2 + 0.003^2) = 0.012).
  table_columns = report.columns(DOWNSTREAM)
  kit = {"swiglu": -0.5, "elu": -0.5, "gelu": -0.5, "geglu": 0.0}
  comparison = held(early_records(kit), table_columns)
  agreement = {row.variant: row.agreement for row in comparison.rows}
  assert agreement == {"swiglu": paper_agreement.AGREE,
                       "elu": paper_agreement.DISAGREE,
                       "gelu": paper_agreement.WITHIN_NOISE,   # the paper
                       "geglu": paper_agreement.WITHIN_NOISE}  # the kit
  assert (comparison.count(paper_agreement.AGREE),
          comparison.count(paper_agreement.DISAGREE),
          comparison.count(paper_agreement.WITHIN_NOISE)) == (1, 1, 2)
  gelu = [row for row in comparison.rows if row.variant == "gelu"][0]
  assert gelu.paper_noise == pytest.approx(2 * (0.005 ** 2 + 0.003 ** 2)
                                           ** 0.5)
  text = paper_agreement.markdown({results_store.KIT: report.collect(
      early_records(kit), table_columns)}, table_columns)
  assert "| kit | Early loss | 4 | " in text and " | 1 | 1 | 2 |" in text
  assert "kit, Early loss, agrees with the paper beyond noise: swiglu" in text
  assert "kit, Early loss, disagrees with the paper beyond noise: elu" in text


def test_one_seed_and_missing_metrics_and_too_few_rows(monkeypatch):
  own = variants.Variant("test_own", None, "own", "not in the paper")
  monkeypatch.setattr(variants, "VARIANTS", variants.VARIANTS + (own,))
  table_columns = report.columns(DOWNSTREAM)
  # test_own is measured but has no Table 1 row to compare with.
  rows = early_records({"swiglu": -0.5, "elu": 0.5, own.name: -0.5})
  rows += [results_store.Record(name, "sglue", 0, results_store.OK,
                                {"score": score})
           for name, score in (("baseline", 60.0), ("swiglu", 70.0),
                               ("elu", 50.0), ("gelu", 65.0))]
  found = paper_agreement.comparisons(
      {results_store.KIT: report.collect(rows, table_columns)}, table_columns)
  by_metric = {c.column.name: c for c in found}
  assert set(by_metric) == {"Early loss", "SGLUE"}  # no final loss measured
  assert [row.variant for row in by_metric["Early loss"].rows] == [
      "elu", "swiglu"]
  assert by_metric["Early loss"].rho is None  # 2 rows: too few
  assert paper_agreement.format_rho(by_metric["Early loss"]) == "too few rows"
  # SGLUE: one seed, never beyond noise; 3 rows, exact.
  sglue = by_metric["SGLUE"]
  assert sglue.count(paper_agreement.WITHIN_NOISE) == 3
  assert sglue.permutations is None and sglue.rho is not None
  assert paper_agreement.markdown({results_store.KIT: report.collect(
      early_records({}), table_columns)}, table_columns).startswith(
          "## Held against the paper\n\nNo variant")


def png_size(path):
  data = path.read_bytes()
  assert data.startswith(b"\x89PNG")
  return struct.unpack(">II", data[16:24])


def test_the_scatter_names_every_point_at_a_readable_size(tmp_path):
  table_columns = report.columns(DOWNSTREAM)
  effects = paper_early_effects()
  kit_rows = early_records({name: 0.5 * effect
                            for name, effect in effects.items()})
  release_rows = early_records({name: -0.5 * effect
                                for name, effect in effects.items()},
                               results_store.RELEASE)
  both = {implementation: report.collect(kit_rows + release_rows,
                                         table_columns, implementation)
          for implementation in results_store.IMPLEMENTATIONS}
  path = tmp_path / "agreement.png"
  labels = paper_agreement_plot.draw(both, table_columns, str(path))
  assert set(labels) == {(implementation, "Early loss")
                         for implementation in both}
  for names in labels.values():
    assert sorted(names) == sorted(effects)
  width, height = png_size(path)
  assert 0.5 <= width / height <= 2.5 and height >= 500
  assert paper_agreement_plot.draw(
      {results_store.KIT: report.collect(early_records({}), table_columns)},
      table_columns, str(tmp_path / "none.png")) == {}
  assert not (tmp_path / "none.png").exists()


def test_the_report_holds_the_study_against_the_paper(tmp_path):
  store = results_store.ResultStore(str(tmp_path))
  for record in early_records({"swiglu": -0.5, "elu": 0.4, "gelu": 0.0}):
    store.put(record)
  report_command.write(str(tmp_path))
  text = (tmp_path / "report.md").read_text()
  section = text[text.index("## Held against the paper"):]
  assert "| kit | Early loss | 3 | +1.00 | 0.333 (exact) |" in section
  assert (tmp_path / paper_agreement.PLOT_FILE).read_bytes().startswith(
      b"\x89PNG")
