"""`mtf-mods variants`: the registry as a table of sizes."""
from mtf_mods import model_graph
from mtf_mods import paper
from mtf_mods import variants

HEADER = ("name", "table1_row", "params", "flops_per_step", "paper_params",
          "paper_ops")


def variant_rows(scale):
  """Yields the header, then one row per registered variant."""
  yield HEADER
  table = paper.table1()
  for variant in variants.VARIANTS:
    size = model_graph.measure([variant.gin_file, scale.gin_file], [],
                               scale.vocab_size)
    row = table[variant.table1_row]
    yield (variant.name, variant.table1_row, size.parameters,
           "%.4g" % size.flops_per_step, "%.0f" % row["Params"],
           "%.4g" % row["Ops"])
