"""`mtf-mods variants`: the registry as a table of sizes beside Table 1's.

FLOPs are counted by `model_graph.count_flops` (2 per point of every einsum
of the training graph); the paper's Ops are forward multiply-adds. Both
sizes are compared as ratios to the baseline at the same scale:
`params_ratio` next to `paper_params_ratio` (Table 1's Params over the
Vanilla Transformer's), `flops_ratio` next to `paper_ops_ratio`. At a small
scale, `scale_departure` gives the registry's reason where a row's ratios
are not near its paper-scale ones (`variant.near`), else is empty. A
variant outside Table 1 has its own columns and empty paper columns.
"""
from mtf_mods.config import gin_files
from mtf_mods.model import model_graph
from mtf_mods.config import paper
from mtf_mods.config import protocol
from mtf_mods import variants

HEADER = ("name", "table1_row", "params", "paper_params", "params_ratio",
          "paper_params_ratio", "flops_per_step", "flops_ratio", "paper_ops",
          "paper_ops_ratio", "scale_departure")
# table1_row, params, params ratio, ops, ops ratio
NO_PAPER_COLUMNS = ("", "", "", "", "")


def _paper_columns(variant, baseline_row):
  """(table1_row, paper_params, paper_params_ratio, paper_ops,
  paper_ops_ratio) as printed."""
  if not variant.in_table1:
    return NO_PAPER_COLUMNS
  row = paper.table1()[variant.table1_row]
  return (variant.table1_row, "%.0f" % row["Params"],
          "%.3f" % (row["Params"] / baseline_row["Params"]),
          "%.4g" % row["Ops"], "%.3f" % (row["Ops"] / baseline_row["Ops"]))


def _size(variant, scale):
  files = gin_files.stage_gin_files(variant, scale, protocol.PRETRAIN_STAGE)
  return model_graph.measure(files, [], scale.vocab_size)


def variant_rows(scale, names=None):
  """Yields the header, then one row per registered variant in `names`
  (all if None), in the registry's order; the baseline, which every ratio
  divides by, is measured either way."""
  yield HEADER
  baseline = variants.get(variants.BASELINE)
  baseline_row = paper.table1()[baseline.table1_row]
  baseline_size = _size(baseline, scale)
  for variant in variants.VARIANTS:
    if names is not None and variant.name not in names:
      continue
    size = (baseline_size if variant.name == baseline.name
            else _size(variant, scale))
    (table1_row, paper_params, paper_params_ratio, paper_ops,
     paper_ops_ratio) = _paper_columns(variant, baseline_row)
    departure = variant.departure(scale.name)
    yield (variant.name, table1_row, size.parameters, paper_params,
           "%.3f" % (size.parameters / baseline_size.parameters),
           paper_params_ratio, "%.4g" % size.flops_per_step,
           "%.3f" % (size.flops_per_step / baseline_size.flops_per_step),
           paper_ops, paper_ops_ratio, departure.why if departure else "")

