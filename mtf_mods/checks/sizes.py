"""A variant's size: parameters and training FLOPs at every scale, with
their ratios to the baseline's, and for a Table 1 row the paper's numbers.

Table 1 prints Params in millions: the paper-scale count must round to it,
unless the variant's `params_note` says why not (and then it must not:
a stale note fails). The FLOPs ratio to the baseline must be within 0.01 of
Table 1's Ops ratio to the Vanilla Transformer's, unless `flops_note` says
why not (likewise). `measure(scale_name, variant)` is any function giving
`model_graph.ModelSize` (the suite passes its cached one).
"""
import math

from mtf_mods.model import model_graph
from mtf_mods.config import paper
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.checks.result import Result

OPS_TOLERANCE = 0.01


def measure(scale_name, variant):
  scale = scales.get(scale_name)
  return model_graph.measure([variant.gin_file, scale.gin_file], [],
                             scale.vocab_size)


def sizes(variant, measured=measure):
  """Parameters and FLOPs at every scale, each with its ratio to the
  baseline's; fails on a count that is not a positive finite number."""
  baseline = variants.get(variants.BASELINE)
  parts, passed = [], True
  for scale_name in scales.names():
    size, base = measured(scale_name, variant), measured(scale_name,
                                                         baseline)
    counts = (size.parameters, size.flops_per_step)
    passed &= all(0 < count < math.inf for count in counts)
    parts.append("%s %s params (%.3fx), %.4g FLOPs (%.3fx)" % (
        scale_name, f"{size.parameters:,}", size.parameters / base.parameters,
        size.flops_per_step, size.flops_per_step / base.flops_per_step))
  return Result(variant.name, "sizes", passed, "; ".join(parts))


def table1_parameters(variant, measured=measure):
  parameters = measured("paper", variant).parameters
  printed = paper.table1()[variant.table1_row]["Params"]
  rounds = round(parameters / 1e6) == printed / 1e6
  shown = "%s params at paper scale, Table 1 %gM" % (f"{parameters:,}",
                                                      printed / 1e6)
  if variant.params_note:
    if rounds:
      return Result(variant.name, "table1 params", False, shown
                    + ": they round to it; the params_note is stale")
    return Result(variant.name, "table1 params", True, shown
                  + ", as its params_note says")
  return Result(variant.name, "table1 params", rounds, shown)


def table1_flops_ratio(variant, measured=measure):
  baseline = variants.get(variants.BASELINE)
  ratio = (measured("paper", variant).flops_per_step
           / measured("paper", baseline).flops_per_step)
  table1 = paper.table1()
  paper_ratio = (table1[variant.table1_row]["Ops"]
                 / table1[baseline.table1_row]["Ops"])
  within = abs(ratio - paper_ratio) <= OPS_TOLERANCE
  shown = "FLOPs ratio %.3f, Table 1's Ops ratio %.3f" % (ratio, paper_ratio)
  if variant.flops_note:
    return Result(variant.name, "table1 flops", not within, shown + (
        ": within %g; the flops_note is stale" % OPS_TOLERANCE if within
        else ", as its flops_note says"))
  return Result(variant.name, "table1 flops", within, shown)


def check(variant, measured=measure):
  results = [sizes(variant, measured)]
  if variant.in_table1:
    results += [table1_parameters(variant, measured),
                table1_flops_ratio(variant, measured)]
  return results
