"""The bench's table: one row per measurement, printed and written as TSV.

Every row has the same columns; a cell that does not apply to a row's
section is empty. Sections:
  machine         the CPU, threads, library versions and date
  peak            the fastest fp32 matmul (GFLOP/s): this machine's limit
  variant         a variant's training step, its PyTorch peer's, and its
                  speed relative to the baseline's: in this run and in
                  the paper's Table 1 (the baseline is always measured)
  input_pipeline  batches of the pre-training task, against training's need
  length_sweep    the baseline's step at other sequence lengths
  batch_sweep     the baseline's step at other batch sizes
The TSV holds plain numbers (fractions as fractions); the printed table
rounds them and shows fractions as percentages.
"""

from mtf_mods.files import atomic_files

COLUMNS = (
    "section",
    "name",
    "params",               # trainable parameters of the kit's model
    "batch",                # sequences per step
    "inputs",               # inputs length
    "targets",              # targets length
    "steps_per_s",
    "tokens_per_s",         # batch x (inputs + targets) x steps/s
    "first_step_s",         # graph build / model set-up plus the first step
    "gflop_per_s",          # model FLOPs per step x steps/s
    "peak_fraction",        # gflop_per_s / the matmul's, in the same rounds
    "peer_tokens_per_s",    # the HuggingFace PyTorch T5 of the same config
    "kit_over_peer",        # tokens_per_s / peer_tokens_per_s
    "over_baseline",        # steps_per_s / the baseline's in the same run
    "paper_over_baseline",  # Table 1's Step/s of the variant's row / the
                            # Vanilla Transformer's (empty outside Table 1)
    "over_training",        # input pipeline tokens/s / the training step's
    "notes",
)

_PRINTED = {
    "steps_per_s": "%.2f", "tokens_per_s": "%.0f", "first_step_s": "%.1f",
    "gflop_per_s": "%.1f", "peer_tokens_per_s": "%.0f",
    "kit_over_peer": "%.2fx", "over_baseline": "%.2fx",
    "paper_over_baseline": "%.2fx", "over_training": "%.1fx",
}
_PERCENT = ("peak_fraction",)


def _check(row):
  unknown = set(row) - set(COLUMNS)
  if unknown:
    raise ValueError("unknown columns %s" % sorted(unknown))


def _printed(column, value):
  if value is None or value == "":
    return "-"
  if column in _PERCENT:
    return "%.0f%%" % (100.0 * value)
  if column in _PRINTED and isinstance(value, (int, float)):
    return _PRINTED[column] % value
  return str(value)


def _tsv_cell(value):
  if value is None:
    return ""
  if isinstance(value, float):
    return "%.6g" % value
  return str(value).replace("\t", " ").replace("\n", " ")


def render(rows):
  """The rows as an aligned text table (with a header line)."""
  for row in rows:
    _check(row)
  cells = [list(COLUMNS)] + [[_printed(c, row.get(c)) for c in COLUMNS]
                             for row in rows]
  widths = [max(len(line[i]) for line in cells)
            for i in range(len(COLUMNS) - 1)]
  lines = []
  for line in cells:
    padded = [cell.ljust(width) for cell, width in zip(line, widths)]
    lines.append("  ".join(padded + [line[-1]]).rstrip())
  return "\n".join(lines)


def write_tsv(rows, path):
  """Writes the header and the rows to `path` (directories made)."""
  for row in rows:
    _check(row)
  with atomic_files.replacing(path) as f:
    f.write("\t".join(COLUMNS) + "\n")
    for row in rows:
      f.write("\t".join(_tsv_cell(row.get(c)) for c in COLUMNS) + "\n")

