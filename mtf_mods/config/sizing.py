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


@gin.configurable(module="mtf_mods")
def scaled_square_root(values=gin.REQUIRED, ratio="1", multiple_of=1,
                       at_least=1):
  """sqrt(ratio x product(values)), rounded to the nearest positive multiple
  of `multiple_of` (ties up), and at least `at_least`.

  For a size whose square is what scales: a table of n^2 rows of d_model
  (the product key memory's n_keys^2 slots) keeps its share of a model of
  num_layers blocks of about d_model^2 parameters each when n^2 scales as
  num_layers x d_model: values = [%num_layers, %d_model] and the ratio
  that gives the paper's n at the paper's sizes.

  Args:
    values: the scale's sizes (scale macros) whose product scales n^2.
    ratio: a fraction as a string.
    multiple_of: the rounding's multiple.
    at_least: the smallest result (the memory's knn: it selects knn of
      the n_keys sub-keys).

  Returns:
    an int.
  """
  root = math.sqrt(fractions.Fraction(ratio) * math.prod(values))
  return max(at_least,
             max(1, math.floor(root / multiple_of + 0.5)) * multiple_of)


@gin.configurable(module="mtf_mods")
def per_placed_block(value=gin.REQUIRED, num_blocks=gin.REQUIRED,
                     period=gin.REQUIRED, multiple_of=1):
  """`value` x (num_blocks / period) / ceil(num_blocks / period), as `scaled`
  rounds.

  A layer in every period-th of num_blocks blocks, counted from the last,
  is in ceil(num_blocks / period) of them: one more than num_blocks /
  period where that is not whole. A size the paper gives per such block
  (num_blocks / period of them, whole at its 12 blocks) keeps its total
  over the stack: the experts' 32 in 3 of 12 blocks are 24 in 2 of 6 (the
  cpu scale) and 16 in 1 of 2 (tiny).
  """
  ratio = fractions.Fraction(num_blocks, period) / math.ceil(
      fractions.Fraction(num_blocks, period))
  return scaled(value, str(ratio), multiple_of)
