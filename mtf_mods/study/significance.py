"""Is a difference beyond the seed-to-seed noise? Welch's t and Holm.

A variant's effect on a metric is the difference of its mean over seeds
from its baseline's mean, d = mean(a) - mean(b). Its 95% interval is
Welch's (Welch 1947): with s_a^2, s_b^2 the sample variances over n_a, n_b
seeds,

  se = sqrt(s_a^2 / n_a + s_b^2 / n_b),
  nu = se^4 / ((s_a^2 / n_a)^2 / (n_a - 1) + (s_b^2 / n_b)^2 / (n_b - 1)),
  d +- t_{0.975, nu} se,  p = 2 P(T_nu > |d| / se),

which does not assume equal variances (a variant can be noisier than its
baseline). It needs at least two seeds on each side; with 3 seeds it is
wide, as it should be. A bootstrap was not chosen: over 3 seeds it has 10
distinct resamples per side and understates the spread.

The p-values of the variants of a study are corrected for the number of
variants by Holm's step-down method (Holm 1979), per implementation and
metric: the k-th smallest of m p-values is multiplied by (m - k + 1), made
non-decreasing and capped at 1. A cell is beyond noise when its adjusted
p-value is below ALPHA.
"""
import dataclasses
import math
import statistics

from scipy import stats

ALPHA = 0.05
BETTER, WORSE, NOISE, ONE_SEED = ("better", "worse", "within noise",
                                  "one seed")


@dataclasses.dataclass(frozen=True)
class Difference:
  """mean(a) - mean(b) with its 95% Welch interval and two-sided p-value
  (low, high and p are None with fewer than two seeds on a side)."""
  delta: float
  low: float = None
  high: float = None
  p: float = None


def welch(a, b):
  """The Difference of the means of samples a and b (lists of floats)."""
  delta = statistics.fmean(a) - statistics.fmean(b)
  if len(a) < 2 or len(b) < 2:
    return Difference(delta)
  share_a = statistics.variance(a) / len(a)
  share_b = statistics.variance(b) / len(b)
  se = math.sqrt(share_a + share_b)
  if se == 0:  # every seed alike on both sides
    return Difference(delta, delta, delta, 1.0 if delta == 0 else 0.0)
  nu = (share_a + share_b) ** 2 / (share_a ** 2 / (len(a) - 1)
                                    + share_b ** 2 / (len(b) - 1))
  half = stats.t.ppf(0.975, nu) * se
  p = 2 * stats.t.sf(abs(delta) / se, nu)
  return Difference(delta, delta - half, delta + half, float(p))


def holm(p_values):
  """Holm-adjusted p-values, in the order given."""
  order = sorted(range(len(p_values)), key=lambda i: p_values[i])
  adjusted = [None] * len(p_values)
  running = 0.0
  for rank, index in enumerate(order):
    running = max(running, (len(p_values) - rank) * p_values[index])
    adjusted[index] = min(1.0, running)
  return adjusted


def verdict(delta, p_adjusted, lower_is_better):
  """better / worse / within noise, or one seed when there is no p-value."""
  if p_adjusted is None:
    return ONE_SEED
  if p_adjusted >= ALPHA or delta == 0:
    return NOISE
  return BETTER if (delta < 0) == lower_is_better else WORSE


def beyond_noise(label):
  return label in (BETTER, WORSE)
