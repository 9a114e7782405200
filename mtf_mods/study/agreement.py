"""Held against the paper: does a study rank the modifications as Table 1
does, and do their directions agree?

For each implementation of a study and each metric the paper judges a
modification by (the early and final loss, and every downstream score)
that the study measured, over the variants that have a Table 1 row (the
baseline excluded):

- Effects. The kit's effect of a variant is its mean over seeds minus its
  own implementation's baseline's mean (report.effects); the paper's is
  the variant's Table 1 row minus the Vanilla Transformer's row.

- Rank correlation. Spearman's rho (Spearman 1904) is Pearson's
  correlation of the two effects' ranks, r_i = rank(kit_i) and
  q_i = rank(paper_i), tied values taking the mean of the ranks they
  span:

    rho = sum_i (r_i - r_bar)(q_i - q_bar)
          / sqrt(sum_i (r_i - r_bar)^2 sum_i (q_i - q_bar)^2).

  A positive rho means the kit orders the variants as the paper does.
  Its two-sided p-value is a permutation test of "no association": the
  share of the n! pairings of the kit's ranks with the paper's (ties kept
  as they are) whose |rho| is at least the observed one. Up to
  EXACT_UP_TO rows every pairing is enumerated; above, PERMUTATIONS
  random pairings drawn with numpy's generator seeded with SEED, and
  p = (1 + hits) / (1 + PERMUTATIONS), which counts the observed pairing
  among them (Phipson and Smyth 2010), so p is never 0. Fewer than
  MIN_ROWS rows: "too few rows"; every effect tied on a side: no ranking.

- Directions. A row agrees with the paper beyond noise when both sides
  are beyond their noise and in the same direction (better or worse),
  disagrees beyond noise when both are beyond and opposite, and is
  within noise when either side is within its noise:
    the kit's noise: the report's verdict (Welch's 95% interval over
      seeds, Holm-corrected over the study's variants per metric); a
      metric measured with one seed on a side has no noise estimate, so
      it is never beyond noise;
    the paper's noise: Table 1 gives a standard deviation (over 5 runs)
      for the early loss only; a difference within twice the two rows'
      combined standard deviation, 2 sqrt(s_variant^2 + s_baseline^2), is
      within noise (report.paper_direction, the report's Paper column).
      The final loss and the downstream scores are single runs with no
      spread given: only an exact tie at Table 1's precision is within
      noise there, so the paper's side of those rows is taken at its word.
"""
import dataclasses
import itertools
import math

import numpy as np
from scipy import stats

from mtf_mods.study import significance
from mtf_mods import variants
from mtf_mods.study import table as report

MIN_ROWS = 3
EXACT_UP_TO = 8            # 8! = 40,320 pairings enumerated
PERMUTATIONS = 100_000     # random pairings above EXACT_UP_TO rows
SEED = 0
_CHUNK = 10_000            # random pairings drawn at once
AGREE, DISAGREE, WITHIN_NOISE = ("agrees", "disagrees", "within noise")


@dataclasses.dataclass(frozen=True)
class Row:
  """One variant's effect on one metric, in the study and in the paper."""
  variant: str
  kit: float              # the implementation's effect
  paper: float            # Table 1's effect
  kit_verdict: str        # better / worse / within noise / one seed
  paper_direction: str    # better / worse / same
  kit_low: float = None   # the kit's 95% interval, where there is one
  kit_high: float = None
  paper_noise: float = None  # the paper's half-band, where Table 1 has one

  @property
  def agreement(self):
    if (not significance.beyond_noise(self.kit_verdict)
        or not significance.beyond_noise(self.paper_direction)):
      return WITHIN_NOISE
    return AGREE if self.kit_verdict == self.paper_direction else DISAGREE


@dataclasses.dataclass(frozen=True)
class Comparison:
  """One implementation's effects on one metric against the paper's."""
  implementation: str
  column: report.Column
  rows: tuple
  rho: float = None          # None: too few rows, or a side all tied
  p: float = None
  permutations: int = None   # None when every pairing was enumerated

  def count(self, agreement):
    return sum(row.agreement == agreement for row in self.rows)

  def named(self, agreement):
    return [row.variant for row in self.rows if row.agreement == agreement]


def spearman(kit, paper):
  """Spearman's rho of two equal-length sequences (ties: mean ranks);
  None when a side has a single distinct value."""
  return _rho(_centred_ranks(kit), _centred_ranks(paper))


def permutation_p(kit, paper):
  """(two-sided permutation p-value of Spearman's rho, the number of
  random pairings drawn or None when all n! were enumerated); (None, None)
  when rho is undefined."""
  kit_ranks, paper_ranks = _centred_ranks(kit), _centred_ranks(paper)
  observed = _rho(kit_ranks, paper_ranks)
  if observed is None:
    return None, None
  scale = np.linalg.norm(kit_ranks) * np.linalg.norm(paper_ranks)
  threshold = abs(observed) - 1e-9  # rounding must not drop a tie

  def hits(pairings):
    return int(np.sum(np.abs(pairings @ paper_ranks) / scale >= threshold))

  if len(kit_ranks) <= EXACT_UP_TO:
    pairings = np.array(list(itertools.permutations(kit_ranks)))
    return hits(pairings) / len(pairings), None
  rng = np.random.default_rng(SEED)
  found = 0
  for start in range(0, PERMUTATIONS, _CHUNK):
    size = min(_CHUNK, PERMUTATIONS - start)
    found += hits(rng.permuted(np.tile(kit_ranks, (size, 1)), axis=1))
  return (1 + found) / (1 + PERMUTATIONS), PERMUTATIONS


def _centred_ranks(values):
  ranks = stats.rankdata(np.asarray(values, dtype=float))
  return ranks - ranks.mean()


def _rho(kit_ranks, paper_ranks):
  """Pearson's correlation of centred ranks; None if a side is constant."""
  scale = np.linalg.norm(kit_ranks) * np.linalg.norm(paper_ranks)
  if scale == 0:
    return None
  return float(kit_ranks @ paper_ranks / scale)


def compared_columns(table_columns):
  """The metrics held against the paper: the losses and the downstream
  scores (not sizes or speed)."""
  return [c for c in table_columns if c.judged and c.application]


def rows(by_variant, column, found):
  """The Rows of one implementation's variants that have a Table 1 row,
  a measured effect and a paper value on `column`; `found` is
  report.effects of that implementation."""
  baseline = by_variant.get(variants.BASELINE, {}).get(column.name)
  result = []
  for name in report.ordered_variants(by_variant):
    effect = found.get((name, column.name))
    cell = by_variant[name][column.name]
    direction = report.paper_direction(cell, baseline, column)
    if name == variants.BASELINE or effect is None or direction is None:
      continue
    difference = effect.difference
    noise = None
    if cell.paper_std is not None and baseline.paper_std is not None:
      noise = 2 * math.hypot(cell.paper_std, baseline.paper_std)
    result.append(Row(name, difference.delta, cell.paper - baseline.paper,
                      effect.verdict, direction, difference.low,
                      difference.high, noise))
  return tuple(result)


def compare(implementation, by_variant, column, found):
  """The Comparison of one implementation on one metric."""
  held = rows(by_variant, column, found)
  if len(held) < MIN_ROWS:
    return Comparison(implementation, column, held)
  kit = [row.kit for row in held]
  paper = [row.paper for row in held]
  p, permutations = permutation_p(kit, paper)
  return Comparison(implementation, column, held, spearman(kit, paper), p,
                    permutations)


def comparisons(by_implementation, table_columns):
  """Every implementation's Comparison on every compared metric that has
  at least one row, implementations first."""
  result = []
  for implementation, by_variant in by_implementation.items():
    found = report.effects(by_variant, table_columns)
    for column in compared_columns(table_columns):
      comparison = compare(implementation, by_variant, column, found)
      if comparison.rows:
        result.append(comparison)
  return result


def format_p(comparison):
  if comparison.p is None:
    return "—"
  how = ("exact" if comparison.permutations is None
         else "%s random pairings" % format(comparison.permutations, ","))
  return "%.3g (%s)" % (comparison.p, how)


def format_rho(comparison):
  if len(comparison.rows) < MIN_ROWS:
    return "too few rows"
  if comparison.rho is None:
    return "no ranking (a side all tied)"
  return "%+.2f" % comparison.rho


PLOT_FILE = "paper_agreement.png"


def markdown(by_implementation, table_columns):
  """The report's section "Held against the paper", with its table and the
  variants that agree or disagree beyond noise."""
  found = comparisons(by_implementation, table_columns)
  title = "## Held against the paper\n\n"
  if not found:
    return (title + "No variant of this study has both a measured effect "
            "and a Table 1 row to hold against the paper.\n")
  lines = ["| Implementation | Metric | Rows | Spearman's rho | "
           "p (permutation) | Agree | Disagree | Within noise |",
           "|" + "---|" * 8]
  named = []
  for comparison in found:
    lines.append("| %s | %s | %d | %s | %s | %d | %d | %d |" % (
        comparison.implementation, comparison.column.name,
        len(comparison.rows), format_rho(comparison), format_p(comparison),
        comparison.count(AGREE), comparison.count(DISAGREE),
        comparison.count(WITHIN_NOISE)))
    for agreement in (AGREE, DISAGREE):
      if comparison.named(agreement):
        named.append("- %s, %s, %s with the paper beyond noise: %s" % (
            comparison.implementation, comparison.column.name, agreement,
            ", ".join(comparison.named(agreement))))
  text = title + "\n".join(lines) + "\n"
  if named:
    text += "\n" + "\n".join(named) + "\n"
  return text + (
      "\nOver the variants with a Table 1 row (the baseline excluded), per "
      "implementation and metric: Spearman's rank correlation between each "
      "variant's effect in the study (its mean minus its implementation's "
      "baseline's) and in the paper (its Table 1 row minus the Vanilla "
      "Transformer's), ties ranked by their mean rank; its two-sided "
      "permutation p-value, exact up to %d rows, else over %s random "
      "pairings (seed %d). Agree / disagree: both sides beyond noise, in "
      "the same / the opposite direction; within noise: either side is "
      "not. The study's noise is the Effects verdict (one seed: never "
      "beyond noise); the paper's is twice the two rows' combined standard "
      "deviation for the early loss, the one column where Table 1 gives "
      "one; its other columns are single runs, taken at their word. "
      "Pictured in %s.\n" % (EXACT_UP_TO, format(PERMUTATIONS, ","), SEED,
                             PLOT_FILE))
