"""`mtf-mods variants`: the registry as a table of sizes beside Table 1's.

FLOPs are counted by `model_graph.count_flops` (2 per point of every einsum
of the training graph); the paper's Ops are forward multiply-adds. The two
are compared as ratios to the baseline at the same scale: `flops_ratio`
(ours) next to `paper_ops_ratio` (Table 1's Ops over the Vanilla
Transformer's).
"""
from mtf_mods import model_graph
from mtf_mods import paper
from mtf_mods import variants

HEADER = ("name", "table1_row", "params", "paper_params", "flops_per_step",
          "flops_ratio", "paper_ops", "paper_ops_ratio")


def variant_rows(scale):
  """Yields the header, then one row per registered variant."""
  yield HEADER
  table = paper.table1()
  baseline = variants.get(variants.BASELINE)
  baseline_flops = None
  baseline_ops = table[baseline.table1_row]["Ops"]
  for variant in variants.VARIANTS:
    size = model_graph.measure([variant.gin_file, scale.gin_file], [],
                               scale.vocab_size)
    if variant.name == baseline.name:
      baseline_flops = size.flops_per_step
    row = table[variant.table1_row]
    yield (variant.name, variant.table1_row, size.parameters,
           "%.0f" % row["Params"], "%.4g" % size.flops_per_step,
           "%.3f" % (size.flops_per_step / baseline_flops),
           "%.4g" % row["Ops"], "%.3f" % (row["Ops"] / baseline_ops))
