"""Sizes relative to the scale: one variant gin file for every scale.

Table 1 states its size changes at paper scale (GLU variants: d_ff 2048 for
3072; 24 layers, d_ff 1536, 6 heads; ...). Each is a ratio of the baseline's
size, so a variant gin file states the ratio and every scale gets the same
relative change:

    mtf_mods.FeedForward.hidden_size = @d_ff/mtf_mods.scaled()
    d_ff/mtf_mods.scaled.value = %d_ff      # the scale's baseline size
    d_ff/mtf_mods.scaled.ratio = "2/3"      # 3072 -> 2048, 768 -> 512

The gin scope (here `d_ff/`) keeps the bindings of different sizes apart.
Where the scale allows, the change is exact: the paper and cpu scales give
whole numbers for every ratio of Table 1. Elsewhere (the tiny scale) the
size is rounded to the nearest multiple of `multiple_of`: 2 for the
dimensions the 2x2 test mesh splits over its model axis (heads, d_ff), 1
for counts such as layers.
"""
import fractions
import math

import gin


@gin.configurable(module="mtf_mods")
def scaled(value=gin.REQUIRED, ratio="1", multiple_of=1):
  """`value` x `ratio` if a whole number, else a multiple of `multiple_of`.

  Args:
    value: the baseline's size at this scale (usually a scale macro).
    ratio: a fraction as a string, e.g. "2/3", "3/2", "2".
    multiple_of: a size that needs rounding is rounded to the nearest
      positive multiple of this (ties up).

  Returns:
    an int.
  """
  exact = fractions.Fraction(value) * fractions.Fraction(ratio)
  if exact.denominator == 1 and exact > 0:
    return int(exact)
  multiples = math.floor(exact / multiple_of + fractions.Fraction(1, 2))
  return max(1, multiples) * multiple_of
