"""The report's "What it says": counts and names of the modifications
beyond noise, and the ranking against Table 1, on records with a known
answer."""
from mtf_mods.config import protocol
from mtf_mods import variants
from mtf_mods.study import records as results_store
from mtf_mods.study import summary
from mtf_mods.study import table as report
from test_agreement import BASE_EARLY, early_records


def said(rows):
  table_columns = report.columns(protocol.APPLICATIONS)
  by_implementation = {}
  for implementation in results_store.IMPLEMENTATIONS:
    found = report.collect(rows, table_columns, implementation)
    if found:
      by_implementation[implementation] = found
  return summary.markdown(by_implementation, table_columns)


def rows_in_table1(count):
  return [v.name for v in variants.VARIANTS
          if v.in_table1 and v.name != variants.BASELINE][:count]


def test_counts_and_names_the_modifications_beyond_noise():
  better, worse, same = rows_in_table1(3)
  text = said(early_records({better: -0.5, worse: +0.5, same: 0.0}))
  items = [line for line in text.splitlines() if line.startswith("- ")]
  assert len(items) == 1 and items[0].startswith(
      "- **kit, early loss** (3 modifications, 3 seeds each): better than "
      "the baseline beyond noise: 1 (%s); worse beyond noise: 1 (%s); "
      "within noise or one seed: 1. Against Table 1: Spearman's rho "
      % (better, worse)), items
  assert "over 3 rows (permutation p = " in items[0]


def test_the_ranking_follows_a_study_that_copies_the_paper():
  table = report.collect(early_records({}),
                         report.columns(protocol.APPLICATIONS))
  names = rows_in_table1(6)
  early = table[variants.BASELINE]["Early loss"].paper
  paper_effects = {}
  for name in names:
    cells = report.collect(early_records({name: 0.0}),
                           report.columns(protocol.APPLICATIONS))
    paper_effects[name] = cells[name]["Early loss"].paper - early
  # The kit's effects: the paper's, ten times larger, so the ranks agree.
  text = said(early_records({n: 10 * e for n, e in paper_effects.items()}))
  assert "Spearman's rho +1.00 over 6 rows" in text
  # And reversed: the opposite ranking.
  text = said(early_records({n: -10 * e for n, e in paper_effects.items()}))
  assert "Spearman's rho -1.00 over 6 rows" in text


def test_one_seed_is_never_beyond_noise_and_seed_counts_are_a_range():
  better, worse = rows_in_table1(2)
  rows = early_records({better: -0.5}) + [results_store.Record(
      worse, "pretrain", 0, results_store.OK, {"early_loss": BASE_EARLY})]
  text = said(rows)
  assert ("(2 modifications, 1-3 seeds each): better than the baseline "
          "beyond noise: 1 (%s); worse beyond noise: none; within noise or "
          "one seed: 1." % better) in text


def test_each_implementation_has_its_own_item():
  name = rows_in_table1(1)[0]
  text = said(early_records({name: -0.5})
              + early_records({name: +0.5}, results_store.RELEASE))
  assert "- **kit, early loss** (1 modification, 3 seeds each)" in text
  assert "- **release, early loss** (1 modification, 3 seeds each)" in text
  assert "beyond noise: 1 (%s); worse beyond noise: none" % name in text
  assert "beyond noise: none; worse beyond noise: 1 (%s)" % name in text
  assert "Against Table 1: too few rows (1)." in text


def test_a_study_of_the_baseline_alone_says_so_and_the_section_is_found():
  text = said(early_records({}))
  assert "No modification has a measured effect yet" in text
  report_text = "# Study report: w\n\nheader\n\n" + text + "\n## Figures\n"
  assert summary.section(report_text) == text
  assert summary.section("# Study report: w\n") is None
