"""`mtf-mods variants`: the registry as a table of sizes beside Table 1's.

FLOPs are counted by `model_graph.count_flops` (2 per point of every einsum
of the training graph); the paper's Ops are forward multiply-adds. The two
are compared as ratios to the baseline at the same scale: `flops_ratio`
(ours) next to `paper_ops_ratio` (Table 1's Ops over the Vanilla
Transformer's). A variant outside Table 1 has its own columns and empty
paper columns.
"""
from mtf_mods import gin_files
from mtf_mods import model_graph
from mtf_mods import paper
from mtf_mods import protocol
from mtf_mods import variants

HEADER = ("name", "table1_row", "params", "paper_params", "flops_per_step",
          "flops_ratio", "paper_ops", "paper_ops_ratio")
NO_PAPER_COLUMNS = ("", "", "", "")  # table1_row, params, ops, ops ratio


def _paper_columns(variant, baseline_ops):
  """(table1_row, paper_params, paper_ops, paper_ops_ratio) as printed."""
  if not variant.in_table1:
    return NO_PAPER_COLUMNS
  row = paper.table1()[variant.table1_row]
  return (variant.table1_row, "%.0f" % row["Params"], "%.4g" % row["Ops"],
          "%.3f" % (row["Ops"] / baseline_ops))


def _size(variant, scale):
  files = gin_files.stage_gin_files(variant, scale, protocol.PRETRAIN_STAGE)
  return model_graph.measure(files, [], scale.vocab_size)


def variant_rows(scale, names=None):
  """Yields the header, then one row per registered variant in `names`
  (all if None), in the registry's order; the baseline, which every ratio
  divides by, is measured either way."""
  yield HEADER
  baseline = variants.get(variants.BASELINE)
  baseline_ops = paper.table1()[baseline.table1_row]["Ops"]
  baseline_size = _size(baseline, scale)
  baseline_flops = baseline_size.flops_per_step
  for variant in variants.VARIANTS:
    if names is not None and variant.name not in names:
      continue
    size = (baseline_size if variant.name == baseline.name
            else _size(variant, scale))
    table1_row, paper_params, paper_ops, paper_ops_ratio = _paper_columns(
        variant, baseline_ops)
    yield (variant.name, table1_row, size.parameters, paper_params,
           "%.4g" % size.flops_per_step,
           "%.3f" % (size.flops_per_step / baseline_flops), paper_ops,
           paper_ops_ratio)
