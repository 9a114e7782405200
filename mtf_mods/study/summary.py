"""What a study says, in a few lines: the report's opening section.

For each implementation of a study and each metric the paper judges a
modification by (agreement.compared_columns: the losses and the downstream
scores) that the study measured:

- how many modifications are better than their implementation's baseline
  beyond the seed-to-seed noise, and which; how many are worse beyond it,
  and which; how many are within noise or have a single seed (the report's
  Effects verdicts: Welch's 95% interval, Holm-corrected over the study's
  variants);
- how well the study's ranking of the modifications follows Table 1's:
  Spearman's rho over the rows both have, its permutation p-value, and the
  rows whose direction agrees or disagrees with the paper beyond noise
  (agreement.py).

Every figure comes from the records through table.effects and
agreement.comparisons. The README quotes the section of the kit's own
Table 1 study (mtf_mods.listings.readme_summary), and a test holds the two
equal.
"""
from mtf_mods.study import agreement
from mtf_mods.study import significance
from mtf_mods.study import table as report
from mtf_mods import variants

TITLE = "## What it says"


def _seeds(by_variant, column):
  """"3 seeds", "1 seed" or "1-3 seeds": the seeds per variant on
  `column`."""
  counts = sorted({len(cells[column.name].values)
                   for cells in by_variant.values()
                   if cells[column.name].values})
  if counts[0] == counts[-1]:
    return "%d seed%s" % (counts[0], "" if counts[0] == 1 else "s")
  return "%d-%d seeds" % (counts[0], counts[-1])


def _named(names):
  return "%d (%s)" % (len(names), ", ".join(names)) if names else "none"


def _ranking(comparison):
  """The sentence on the study's ranking against Table 1's."""
  if comparison is None:
    return "None of them has a Table 1 row to rank against."
  if comparison.rho is None:
    return "Against Table 1: %s (%d)." % (
        agreement.format_rho(comparison), len(comparison.rows))
  return ("Against Table 1: Spearman's rho %s over %d rows (permutation "
          "p = %.2g); beyond noise on both sides, the directions agree for "
          "%d and disagree for %d." % (
              agreement.format_rho(comparison), len(comparison.rows),
              comparison.p, comparison.count(agreement.AGREE),
              comparison.count(agreement.DISAGREE)))


def lines(by_implementation, table_columns):
  """One Markdown item per implementation and measured judged metric."""
  compared = {(c.implementation, c.column.name): c
              for c in agreement.comparisons(by_implementation,
                                             table_columns)}
  items = []
  for implementation, by_variant in by_implementation.items():
    found = report.effects(by_variant, table_columns)
    for column in agreement.compared_columns(table_columns):
      verdicts = {name: found[(name, column.name)].verdict
                  for name in report.ordered_variants(by_variant)
                  if (name, column.name) in found}
      if not verdicts:
        continue
      better = [n for n, v in verdicts.items() if v == significance.BETTER]
      worse = [n for n, v in verdicts.items() if v == significance.WORSE]
      items.append(
          "- **%s, %s** (%d modification%s, %s each): better than the "
          "baseline beyond noise: %s; worse beyond noise: %s; within noise "
          "or one seed: %d. %s" % (
              implementation, column.name.lower(), len(verdicts),
              "" if len(verdicts) == 1 else "s", _seeds(by_variant, column),
              _named(better), _named(worse),
              len(verdicts) - len(better) - len(worse),
              _ranking(compared.get((implementation, column.name)))))
  return items


def markdown(by_implementation, table_columns):
  """The report's section: its title, the items, how to read them."""
  items = lines(by_implementation, table_columns)
  if not items:
    return (TITLE + "\n\nNo modification has a measured effect yet: the "
            "study has no %s record beside another variant's.\n"
            % variants.BASELINE)
  return (TITLE + "\n\n" + "\n".join(items) + "\n\nBeyond noise: Welch's "
          "95%% interval over seeds, Holm-corrected over the study's "
          "variants (alpha %g), as in Effects below; the ranking as in "
          "\"Held against the paper\".\n" % significance.ALPHA)


def section(report_markdown):
  """The section as it stands in a written report.md (its title to the
  next section's), or None when the report has none."""
  text = report_markdown.split("\n")
  if TITLE not in text:
    return None
  start = text.index(TITLE)
  end = next((i for i in range(start + 1, len(text))
              if text[i].startswith("## ")), len(text))
  return "\n".join(text[start:end]).strip() + "\n"
