"""`mtf-mods report`: a study's results in the layout of the paper's Table 1,
and whether each effect is beyond noise and transfers.

Table 1: one row per variant and implementation (the kit's layers, the
release on mtf's layers) with the measured figures, then the paper's, each
with its difference from its own baseline. A measured difference is marked
`*` when it is beyond the seed-to-seed noise: Welch's 95% interval over
seeds, Holm-corrected over the study's variants (significance.py); only
metrics measured over several seeds can be (the early loss, as in the
paper: mean and standard deviation over seeds).

Effects: per variant, implementation and metric, the difference from that
implementation's baseline with its interval and verdict (better, worse,
within noise, one seed), whether the effect transfers (`transfers`), and
the paper's direction. Implementations: the release's figure minus the
kit's for the same variant, with the same test. A variant outside Table 1
(a modification of your own: `table1_row` None) has measured rows and
differences only; its paper fields in the CSV are empty.

Units as in Table 1: Params in parameters, Ops in forward multiply-adds per
training step (the kit's training FLOPs / 6, see model_graph.py), Step/s
measured in pre-training, losses in nats per target token, scores in %.
"""
import csv
import dataclasses
import math
import statistics

from mtf_mods.files import atomic_files
from mtf_mods.config import paper
from mtf_mods.study import significance
from mtf_mods import variants
from mtf_mods.study import records

NOISE_SIGMAS = 2.0  # the baseline's noise band in metrics.png
PRETRAINING = "pretraining"  # the application of the losses, in transfers


@dataclasses.dataclass(frozen=True)
class Column:
  name: str               # Table 1 header (also the paper's TSV column)
  stage: str              # the study stage whose records hold it
  metric: str             # key in those records' metrics
  factor: float = 1.0     # kit value = metric * factor
  digits: int = 3
  human: bool = False     # print as 223M / 11.1T
  # True for losses, False for speeds and scores; None for sizes, which
  # get no verdict.
  lower_is_better: bool = None
  application: str = ""   # the application it measures (for transfers)

  @property
  def judged(self):
    return self.lower_is_better is not None


PRETRAINING_COLUMNS = (
    Column("Params", "pretrain", "params", human=True),
    Column("Ops", "pretrain", "flops_per_step", factor=1 / 6, human=True),
    Column("Step/s", "pretrain", "steps_per_second", digits=2,
           lower_is_better=False),
    Column("Early loss", "pretrain", "early_loss", lower_is_better=True,
           application=PRETRAINING),
    Column("Final loss", "pretrain", "final_loss", lower_is_better=True,
           application=PRETRAINING),
)


def columns(applications):
  """The report's columns: pre-training, then each downstream
  application's score (protocol.Application: `name`, `table1_column`)."""
  return PRETRAINING_COLUMNS + tuple(
      Column(application.table1_column, application.name, "score", digits=2,
             lower_is_better=False, application=application.table1_column)
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


def collect(study_records, table_columns, implementation=records.KIT):
  """{variant name: {column name: Cell}} from the implementation's ok
  records and Table 1 (no paper values for a variant outside it)."""
  table = paper.table1()
  by_variant = {}
  for record in study_records:
    if (record.status != records.OK
        or record.implementation != implementation):
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


@dataclasses.dataclass(frozen=True)
class Effect:
  """A variant's difference from its baseline on one metric."""
  difference: significance.Difference
  p_holm: float = None
  verdict: str = significance.ONE_SEED


def effects(by_variant, table_columns):
  """{(variant, column name): Effect} of every variant but the baseline on
  every judged column both measured; Holm's correction runs over the
  variants, per column."""
  baseline = by_variant.get(variants.BASELINE, {})
  result = {}
  for column in table_columns:
    base = baseline.get(column.name)
    if not column.judged or base is None or not base.values:
      continue
    found = {name: significance.welch(cells[column.name].values, base.values)
             for name, cells in by_variant.items()
             if name != variants.BASELINE and cells[column.name].values}
    tested = [name for name, d in found.items() if d.p is not None]
    adjusted = dict(zip(tested, significance.holm(
        [found[name].p for name in tested])))
    for name, difference in found.items():
      p_holm = adjusted.get(name)
      result[(name, column.name)] = Effect(
          difference, p_holm, significance.verdict(
              difference.delta, p_holm, column.lower_is_better))
  return result


def differences(by_variant, table_columns):
  """{(variant, column): (measured delta, beyond noise, paper delta)} for
  every variant but the baseline."""
  baseline = by_variant.get(variants.BASELINE, {})
  found = effects(by_variant, table_columns)
  result = {}
  for name, cells in by_variant.items():
    if name == variants.BASELINE:
      continue
    for column in table_columns:
      cell, base = cells[column.name], baseline.get(column.name)
      kit_delta = paper_delta = None
      if base is not None and cell.mean is not None and base.mean is not None:
        kit_delta = cell.mean - base.mean
      effect = found.get((name, column.name))
      significant = effect is not None and significance.beyond_noise(
          effect.verdict)
      if (base is not None and cell.paper is not None
          and base.paper is not None):
        paper_delta = cell.paper - base.paper
      result[(name, column.name)] = (kit_delta, significant, paper_delta)
  return result


def markdown(by_variant, table_columns, implementation=records.KIT):
  """The Table 1 layout: a measured row per variant (labelled with its
  implementation), and a paper row for each variant in Table 1."""
  deltas = differences(by_variant, table_columns)
  header = ["Variant", ""] + [c.name for c in table_columns]
  lines = ["| " + " | ".join(header) + " |",
           "|" + "---|" * len(header)]
  for name in ordered_variants(by_variant):
    cells = by_variant[name]
    table1_row = variants.get(name).table1_row
    kit, published = [name, implementation], [table1_row, "paper"]
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


def paper_direction(cell, base, column):
  """The paper's verdict on a variant's metric: better, worse or the same
  (a difference within twice the two rows' combined seed spread where
  Table 1 gives one, the early loss; else a difference of exactly 0 at
  Table 1's precision); None without a paper value."""
  if (cell is None or base is None or cell.paper is None
      or base.paper is None):
    return None
  delta = cell.paper - base.paper
  spread = 0.0
  if cell.paper_std is not None and base.paper_std is not None:
    spread = 2 * math.hypot(cell.paper_std, base.paper_std)
  if abs(delta) <= spread or delta == 0:
    return "same"
  return (significance.BETTER if (delta < 0) == column.lower_is_better
          else significance.WORSE)


def application_verdicts(name, found, table_columns):
  """{application: verdict} of a variant from one implementation's
  effects: pre-training's is the final loss's when it is beyond noise,
  else the early loss's."""
  result = {}
  for column in table_columns:
    effect = found.get((name, column.name))
    if not column.application or effect is None:
      continue
    current = result.get(column.application)
    if current is None or not significance.beyond_noise(current):
      result[column.application] = effect.verdict
  return result


def agreement(pairs):
  """yes / no / untested: whether every pair of verdicts that are both
  beyond noise agrees."""
  tested = [(a, b) for a, b in pairs if significance.beyond_noise(a)
            and significance.beyond_noise(b)]
  if not tested:
    return "untested"
  return "yes" if all(a == b for a, b in tested) else "no"


def transfers(name, found_by_implementation, table_columns):
  """Whether a variant's effect transfers: (between implementations,
  between applications), each yes / no / untested (nothing beyond noise in
  both). Between implementations: each judged metric's verdicts in the
  two. Between applications: every pair of applications (pre-training,
  then each downstream score) within one implementation."""
  found = list(found_by_implementation.values())
  across_implementations = []
  if len(found) == 2:
    for column in table_columns:
      first, second = (f.get((name, column.name)) for f in found)
      if first is not None and second is not None:
        across_implementations.append((first.verdict, second.verdict))
  across_applications = []
  for effects_of_one in found:
    verdicts = list(application_verdicts(name, effects_of_one,
                                         table_columns).values())
    across_applications += [(a, b) for i, a in enumerate(verdicts)
                            for b in verdicts[i + 1:]]
  return agreement(across_implementations), agreement(across_applications)


SIGNS = {significance.BETTER: "+", significance.WORSE: "-", "same": "="}


def paper_summary(name, by_variant, table_columns):
  """The paper's direction per application, e.g. "pretraining +, SGLUE =",
  + better, - worse, = the same (pre-training: the final loss)."""
  cells = by_variant.get(name, {})
  baseline = by_variant.get(variants.BASELINE, {})
  parts = {}
  for column in table_columns:
    if not column.application or column.name == "Early loss":
      continue
    direction = paper_direction(cells.get(column.name),
                                baseline.get(column.name), column)
    if direction is not None:
      parts[column.application] = SIGNS[direction]
  return ", ".join("%s %s" % item for item in parts.items())


def format_effect(column, effect):
  if effect is None:
    return "—"
  difference = effect.difference
  text = "%+.*f" % (column.digits, difference.delta)
  if difference.low is not None:
    text += " [%+.*f, %+.*f]" % (column.digits, difference.low,
                                 column.digits, difference.high)
  return "%s %s" % (text, effect.verdict)


def effects_markdown(by_implementation, table_columns):
  """Per variant and implementation: each judged metric's difference from
  that implementation's baseline, [95% interval], verdict; then whether it
  transfers and the paper's direction."""
  found = {implementation: effects(by_variant, table_columns)
           for implementation, by_variant in by_implementation.items()}
  judged = [c for c in table_columns if c.judged and any(
      key[1] == c.name for f in found.values() for key in f)]
  header = (["Variant", "Implementation"] + [c.name for c in judged]
            + ["Transfers: implementations", "applications", "Paper"])
  lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
  names = ordered_variants({name: None for by_variant in
                            by_implementation.values()
                            for name in by_variant})
  kit = by_implementation.get(records.KIT) or next(
      iter(by_implementation.values()))
  for name in names:
    if name == variants.BASELINE:
      continue
    between, within = transfers(name, found, table_columns)
    for implementation, effects_of_one in found.items():
      if name not in by_implementation[implementation]:
        continue
      row = [name, implementation] + [
          format_effect(c, effects_of_one.get((name, c.name)))
          for c in judged]
      row += [between, within, paper_summary(name, kit, table_columns)]
      lines.append("| " + " | ".join(row) + " |")
  return "\n".join(lines) + "\n"


def implementation_differences(by_implementation, table_columns):
  """{(variant, column name): Effect} of the release's figure minus the
  kit's, for every variant both measured (the baseline included), Holm
  over the variants per column; None with fewer than two
  implementations."""
  if set(by_implementation) != set(records.IMPLEMENTATIONS):
    return None
  kit = by_implementation[records.KIT]
  release = by_implementation[records.RELEASE]
  result = {}
  for column in table_columns:
    if not column.judged:
      continue
    found = {name: significance.welch(release[name][column.name].values,
                                      kit[name][column.name].values)
             for name in ordered_variants(kit)
             if name in release and kit[name][column.name].values
             and release[name][column.name].values}
    tested = [name for name, d in found.items() if d.p is not None]
    adjusted = dict(zip(tested, significance.holm(
        [found[name].p for name in tested])))
    for name, difference in found.items():
      p_holm = adjusted.get(name)
      label = significance.verdict(difference.delta, p_holm, True)
      if significance.beyond_noise(label):
        label = "differ"
      result[(name, column.name)] = Effect(difference, p_holm, label)
  return result


def implementations_markdown(by_implementation, table_columns):
  """Release minus kit per variant and judged metric: [95% interval] and
  "differ" or "within noise"; None unless both implementations ran."""
  found = implementation_differences(by_implementation, table_columns)
  if not found:
    return None
  judged = [c for c in table_columns
            if any(key[1] == c.name for key in found)]
  lines = ["| Variant | " + " | ".join(c.name for c in judged) + " |",
           "|" + "---|" * (len(judged) + 1)]
  for name in ordered_variants({key[0]: None for key in found}):
    lines.append("| " + " | ".join(
        [name] + [format_effect(c, found.get((name, c.name)))
                  for c in judged]) + " |")
  return "\n".join(lines) + "\n"


CSV_FIELDS = ("implementation", "variant", "table1_row", "column",
              "kit_mean", "kit_std", "kit_seeds", "kit_delta", "ci_low",
              "ci_high", "p_holm", "verdict", "exceeds_noise", "paper",
              "paper_std", "paper_delta", "paper_direction",
              "transfers_implementations", "transfers_applications")


def write_csv(path, by_implementation, table_columns):
  """One row per implementation, variant and column; kit_* fields are the
  figures measured by the kit in the row's implementation."""
  found = {implementation: effects(by_variant, table_columns)
           for implementation, by_variant in by_implementation.items()}
  with atomic_files.replacing(path) as f:
    writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for implementation, by_variant in by_implementation.items():
      deltas = differences(by_variant, table_columns)
      baseline = by_variant.get(variants.BASELINE, {})
      for name in ordered_variants(by_variant):
        between, within = ("", "") if name == variants.BASELINE else (
            transfers(name, found, table_columns))
        for column in table_columns:
          cell = by_variant[name][column.name]
          kit_delta, significant, paper_delta = deltas.get(
              (name, column.name), (None, False, None))
          effect = found[implementation].get((name, column.name))
          difference = effect.difference if effect else None
          direction = None
          if column.judged and name != variants.BASELINE:
            direction = paper_direction(cell, baseline.get(column.name),
                                        column)
          writer.writerow({
              "implementation": implementation, "variant": name,
              "table1_row": variants.get(name).table1_row,
              "column": column.name, "kit_mean": cell.mean,
              "kit_std": cell.std, "kit_seeds": len(cell.values),
              "kit_delta": kit_delta,
              "ci_low": difference.low if difference else None,
              "ci_high": difference.high if difference else None,
              "p_holm": effect.p_holm if effect else None,
              "verdict": effect.verdict if effect else None,
              "exceeds_noise": significant,
              "paper": cell.paper, "paper_std": cell.paper_std,
              "paper_delta": paper_delta, "paper_direction": direction,
              "transfers_implementations": between,
              "transfers_applications": within})
