"""`mtf-mods report`: a study's results in the layout of the paper's Table 1.

One row per variant with the kit's figures, then the paper's, each with its
difference from its own baseline. A kit difference is marked `*` when it
exceeds twice the baseline's seed-to-seed standard deviation of that metric;
only metrics measured over several seeds have one (the early loss, as in the
paper: mean and standard deviation over seeds). A variant outside Table 1 (a
modification of your own: `table1_row` None) has the kit's row and its
differences only; its paper fields in the CSV are empty.

Units as in Table 1: Params in parameters, Ops in forward multiply-adds per
training step (the kit's training FLOPs / 6, see model_graph.py), Step/s
measured in pre-training, losses in nats per target token, scores in %.
"""
import csv
import dataclasses
import math
import statistics

from mtf_mods import paper
from mtf_mods import results_store
from mtf_mods import variants

NOISE_SIGMAS = 2.0


@dataclasses.dataclass(frozen=True)
class Column:
  name: str               # Table 1 header (also the paper's TSV column)
  stage: str              # the study stage whose records hold it
  metric: str             # key in those records' metrics
  factor: float = 1.0     # kit value = metric * factor
  digits: int = 3
  human: bool = False     # print as 223M / 11.1T


PRETRAINING_COLUMNS = (
    Column("Params", "pretrain", "params", human=True),
    Column("Ops", "pretrain", "flops_per_step", factor=1 / 6, human=True),
    Column("Step/s", "pretrain", "steps_per_second", digits=2),
    Column("Early loss", "pretrain", "early_loss"),
    Column("Final loss", "pretrain", "final_loss"),
)


def columns(applications):
  """The report's columns: pre-training, then each downstream
  application's score (protocol.Application: `name`, `table1_column`)."""
  return PRETRAINING_COLUMNS + tuple(
      Column(application.table1_column, application.name, "score", digits=2)
      for application in applications)


@dataclasses.dataclass
class Cell:
  values: list
  paper: float = None
  paper_std: float = None

  @property
  def mean(self):
    return statistics.fmean(self.values) if self.values else None

  @property
  def std(self):
    return statistics.stdev(self.values) if len(self.values) > 1 else None


def collect(records, table_columns):
  """{variant name: {column name: Cell}} from ok records and Table 1 (no
  paper values for a variant outside it)."""
  table = paper.table1()
  by_variant = {}
  for record in records:
    if record.status != results_store.OK:
      continue
    cells = by_variant.setdefault(record.variant, {})
    for column in table_columns:
      value = record.metrics.get(column.metric)
      if column.stage == record.stage and value is not None:
        cells.setdefault(column.name, Cell([])).values.append(
            value * column.factor)
  for name, cells in by_variant.items():
    variant = variants.get(name)
    for column in table_columns:
      cell = cells.setdefault(column.name, Cell([]))
      if not variant.in_table1:
        continue
      row = table[variant.table1_row]
      key = "Early loss mean" if column.name == "Early loss" else column.name
      cell.paper = row[key]
      if column.name == "Early loss":
        cell.paper_std = row["Early loss std"]
  return by_variant


def ordered_variants(by_variant):
  """Registry order, which puts the baseline first."""
  return [v.name for v in variants.VARIANTS if v.name in by_variant]


def human(value):
  for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
    if abs(value) >= size:
      return "%.3g%s" % (value / size, unit)
  return "%.3g" % value


def format_value(column, value, std=None):
  if value is None or (isinstance(value, float) and math.isnan(value)):
    return "—"
  text = human(value) if column.human else "%.*f" % (column.digits, value)
  if std is not None:
    text += " ± %.*f" % (column.digits, std)
  return text


def format_delta(column, delta, significant):
  if delta is None:
    return ""
  text = human(delta) if column.human else "%+.*f" % (column.digits, delta)
  if column.human and delta >= 0:
    text = "+" + text
  return " (%s%s)" % (text, "*" if significant else "")


def differences(by_variant, table_columns):
  """{(variant, column): (kit delta, significant, paper delta)} for every
  variant but the baseline."""
  baseline = by_variant.get(variants.BASELINE, {})
  result = {}
  for name, cells in by_variant.items():
    if name == variants.BASELINE:
      continue
    for column in table_columns:
      cell, base = cells[column.name], baseline.get(column.name)
      kit_delta = paper_delta = None
      significant = False
      if base is not None and cell.mean is not None and base.mean is not None:
        kit_delta = cell.mean - base.mean
        significant = (base.std is not None
                       and abs(kit_delta) > NOISE_SIGMAS * base.std)
      if (base is not None and cell.paper is not None
          and base.paper is not None):
        paper_delta = cell.paper - base.paper
      result[(name, column.name)] = (kit_delta, significant, paper_delta)
  return result


def markdown(by_variant, table_columns):
  """The Table 1 layout: a kit row per variant, and a paper row for each
  variant in Table 1."""
  deltas = differences(by_variant, table_columns)
  header = ["Variant", ""] + [c.name for c in table_columns]
  lines = ["| " + " | ".join(header) + " |",
           "|" + "---|" * len(header)]
  for name in ordered_variants(by_variant):
    cells = by_variant[name]
    table1_row = variants.get(name).table1_row
    kit, published = [name, "kit"], [table1_row, "paper"]
    for column in table_columns:
      cell = cells[column.name]
      kit_delta, significant, paper_delta = deltas.get(
          (name, column.name), (None, False, None))
      kit.append(format_value(column, cell.mean, cell.std)
                 + format_delta(column, kit_delta, significant))
      published.append(format_value(column, cell.paper, cell.paper_std)
                       + format_delta(column, paper_delta, False))
    lines.append("| " + " | ".join(kit) + " |")
    if table1_row is not None:
      lines.append("| " + " | ".join(published) + " |")
  return "\n".join(lines) + "\n"


CSV_FIELDS = ("variant", "table1_row", "column", "kit_mean", "kit_std",
              "kit_seeds", "kit_delta", "exceeds_noise", "paper",
              "paper_std", "paper_delta")


def write_csv(path, by_variant, table_columns):
  deltas = differences(by_variant, table_columns)
  with open(path, "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for name in ordered_variants(by_variant):
      for column in table_columns:
        cell = by_variant[name][column.name]
        kit_delta, significant, paper_delta = deltas.get(
            (name, column.name), (None, False, None))
        writer.writerow({
            "variant": name, "table1_row": variants.get(name).table1_row,
            "column": column.name, "kit_mean": cell.mean,
            "kit_std": cell.std, "kit_seeds": len(cell.values),
            "kit_delta": kit_delta, "exceeds_noise": significant,
            "paper": cell.paper, "paper_std": cell.paper_std,
            "paper_delta": paper_delta})
