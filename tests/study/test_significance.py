"""Welch's interval and p-value, Holm's correction and the verdicts, against
their formulas computed here with numpy and scipy."""
import numpy as np
import pytest
from scipy import stats

from mtf_mods.study import significance


def welch_by_hand(a, b):
  a, b = np.asarray(a), np.asarray(b)
  va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
  se = np.sqrt(va + vb)
  df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
  delta = a.mean() - b.mean()
  half = stats.t.ppf(0.975, df) * se
  return delta, delta - half, delta + half, 2 * stats.t.sf(abs(delta) / se,
                                                          df)


@pytest.mark.parametrize("a,b", [
    ([1.5, 1.6, 1.4], [2.0, 2.1, 1.9]),
    ([2.05, 1.95, 2.0, 2.01], [2.0, 2.1, 1.9]),
    ([3.0, 3.4], [3.1, 3.0, 2.9, 3.05, 3.2]),
])
def test_welch_matches_its_formula_and_scipy(a, b):
  found = significance.welch(a, b)
  delta, low, high, p = welch_by_hand(a, b)
  assert (found.delta, found.low, found.high, found.p) == pytest.approx(
      (delta, low, high, p), rel=1e-9)
  assert found.p == pytest.approx(
      stats.ttest_ind(a, b, equal_var=False).pvalue, rel=1e-9)


def test_one_seed_has_no_interval_and_identical_seeds_a_point():
  one = significance.welch([1.0], [2.0, 2.2])
  assert one.delta == pytest.approx(-1.1)
  assert (one.low, one.high, one.p) == (None, None, None)
  assert significance.verdict(one.delta, None, True) == "one seed"
  same = significance.welch([1.0, 1.0], [2.0, 2.0])
  assert (same.low, same.high, same.p) == (-1.0, -1.0, 0.0)


def test_holm_multiplies_the_kth_smallest_by_m_minus_k_and_keeps_order():
  # 0.01 * 4, 0.02 * 3 = 0.06, 0.03 * 2 = 0.06, 0.5 * 1 (order kept).
  assert significance.holm([0.03, 0.01, 0.5, 0.02]) == pytest.approx(
      [0.06, 0.04, 0.5, 0.06])
  assert significance.holm([0.9, 0.3]) == pytest.approx([0.9, 0.6])
  # 0.3 * 3 = 0.9; 0.35 * 2 = 0.7 and 0.4 * 1 are raised to it.
  assert significance.holm([0.4, 0.3, 0.35]) == pytest.approx([0.9] * 3)


@pytest.mark.parametrize("delta,p,lower,expected", [
    (-0.5, 0.001, True, "better"), (-0.5, 0.001, False, "worse"),
    (0.5, 0.001, True, "worse"), (0.5, 0.001, False, "better"),
    (-0.5, 0.05, True, "within noise"), (0.0, 0.0, True, "within noise"),
])
def test_verdicts_follow_the_metrics_direction(delta, p, lower, expected):
  assert significance.verdict(delta, p, lower) == expected
