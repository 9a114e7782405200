"""Pictures of a study: held-out loss curves, per-metric bars, effects.

loss_curves.png: the held-out loss of every seed's pre-training, one
colour per variant and implementation (seed 0 thick): the record's curve
(seed 0 of a full study, every checkpoint), else the held-out losses its
model_dir's event files hold, else its early-loss point; a dashed line
marks the early step. No figure when every seed is a single point.
metrics.png: one panel per Table 1 metric the study measured, a bar per
variant down its side (with its seed-to-seed standard deviation where
there are several seeds) and the baseline's noise band (mean ± 2 standard
deviations) or, with a single seed, its value as a line. A bar's length is
its value, so each panel's axis starts at zero and spans every bar, error
bar and band, with a margin (`bar_limits`): the differences are read off
effects.png, not exaggerated by a cropped axis. effects.png: each variant's
difference from its implementation's baseline with its 95% interval, one
panel per metric, the implementations side by side. Both lay their panels
out in a grid of at most three columns (PANELS_PER_ROW), about as many rows
as columns, so a page holds them.
"""
import math
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-position

from mtf_mods.files import atomic_files  # pylint: disable=wrong-import-position
from mtf_mods.files import model_dir_reader  # pylint: disable=wrong-import-position
from mtf_mods import variants  # pylint: disable=wrong-import-position
from mtf_mods.study import budgets  # pylint: disable=wrong-import-position
from mtf_mods.study import configuration  # pylint: disable=wrong-import-position
from mtf_mods.study import records  # pylint: disable=wrong-import-position
from mtf_mods.study import table as report  # pylint: disable=wrong-import-position

BAR_MARGIN = 0.05  # of the span of a bar panel's axis, on each side
PANELS_PER_ROW = 3  # of effects.png
PANEL_INCHES = 3.6  # an effects panel's width, and its least height
CAPTION_CHARACTERS_PER_INCH = 22  # of 6-point small print
LEGEND_INSIDE_UP_TO = 12  # loss-curve legend entries inside the axes
LEGEND_ROWS = 26  # entries per column of a legend beside the axes


def _grid(count, width, height):
  """A figure of `count` panels of `width` x `height` inches, in rows of at
  most PANELS_PER_ROW and about as many rows as columns; its panels, the
  unused ones hidden."""
  columns = min(PANELS_PER_ROW, math.ceil(math.sqrt(count)))
  lines = math.ceil(count / columns)
  figure, panels = plt.subplots(lines, columns, squeeze=False,
                                figsize=(width * columns, height * lines))
  flat = [axes for line in panels for axes in line]
  for axes in flat[count:]:
    axes.set_visible(False)
  return figure, flat[:count]


def save(figure, path, caption=None):
  """Writes the figure as a PNG, whole or not at all, with `caption` (what
  produced it) in small print at its bottom left, and closes it."""
  if caption:
    width = int(figure.get_figwidth() * CAPTION_CHARACTERS_PER_INCH)
    text = textwrap.fill(caption, width, break_long_words=False,
                         break_on_hyphens=False)
    figure.text(0.005, 0.0, text, fontsize=6, color="dimgray", ha="left",
                va="top", gid="caption")
  with atomic_files.replacing(path, "wb") as f:
    # The tight box takes in the caption below the axes.
    figure.savefig(f, dpi=120, format="png", bbox_inches="tight")
  plt.close(figure)


def seed_curves(study_records, workdir):
  """{(implementation, variant, seed): {step: held-out loss}} of every
  finished pre-training record: its loss curve, else its model_dir's in
  the study's `workdir` (None: none read) held-out losses where they are
  more than one, else its early loss."""
  curves = {}
  for record in study_records:
    if record.status != records.OK or record.stage != budgets.PRETRAIN:
      continue
    curve = {int(step): loss for step, loss in
             (record.metrics.get("loss_curve") or {}).items()}
    if not curve and workdir is not None:
      curve = model_dir_reader.held_out_losses(configuration.run_dir(
          workdir, record.variant, record.seed, record.stage,
          record.implementation))
    if len(curve) < 2 and "early_step" in record.metrics:
      curve = {int(record.metrics["early_step"]):
               record.metrics["early_loss"]}
    curve = {step: loss for step, loss in curve.items() if step > 0}
    if curve:
      curves[(record.implementation, record.variant, record.seed)] = curve
  return curves


def early_steps(study_records):
  """The early steps the pre-training records name (one in a study)."""
  return sorted({int(r.metrics["early_step"]) for r in study_records
                 if r.status == records.OK and "early_step" in r.metrics})


def has_curves(curves):
  """Whether `seed_curves` holds a curve: some seed with two points."""
  return any(len(curve) > 1 for curve in curves.values())


def loss_curves_figure(curves, early):
  """The figure of `seed_curves`, the `early` steps marked; None without
  a curve: when every seed is a single point (a study cut to the early
  step whose model_dirs are gone), metrics.png shows those losses. Each
  seed's line has the gid "<implementation>/<variant>/seed<n>", each early
  step's line "early step". Past LEGEND_INSIDE_UP_TO entries the legend
  stands beside the axes, in columns of LEGEND_ROWS."""
  if not has_curves(curves):
    return None
  entries = len({key[:2] for key in curves}) + len(early)
  columns = 1 if entries <= LEGEND_INSIDE_UP_TO else math.ceil(
      entries / LEGEND_ROWS)
  figure, axes = plt.subplots(figsize=(
      7 + (0 if columns == 1 else 2.2 * columns), 4.5))
  order = {v.name: i for i, v in enumerate(variants.VARIANTS)}
  colours = {}
  for implementation, name, seed in sorted(
      curves, key=lambda key: (records.IMPLEMENTATIONS.index(key[0]),
                               order.get(key[1], len(order)), key[2])):
    points = sorted(curves[(implementation, name, seed)].items())
    label = (name if implementation == records.KIT
             else "%s (%s)" % (name, implementation))
    first = (implementation, name) not in colours
    line, = axes.plot(
        [p[0] for p in points], [p[1] for p in points], marker="o",
        markersize=4 if len(points) == 1 else 3,
        color=colours.get((implementation, name)),
        label=label if first else None,
        linestyle="-" if implementation == records.KIT else "--",
        linewidth=(2.5 if name == variants.BASELINE else 1.2) * (
            1.0 if seed == 0 else 0.6),
        alpha=1.0 if seed == 0 else 0.6)
    line.set_gid("%s/%s/seed%d" % (implementation, name, seed))
    colours.setdefault((implementation, name), line.get_color())
  for step in early:
    marker = axes.axvline(step, color="gray", linestyle=":", linewidth=1,
                          label="early step (%d)" % step)
    marker.set_gid("early step")
  seeds = sorted({key[2] for key in curves})
  axes.set_xlabel("pre-training step")
  axes.set_ylabel("held-out loss (nats / target token)")
  axes.set_title("Held-out loss during pre-training: seeds %s (seed 0 "
                 "thick)" % ", ".join(str(seed) for seed in seeds),
                 fontsize=10)
  axes.grid(alpha=0.3)
  if columns == 1:
    axes.legend(fontsize=8)
  else:
    axes.legend(fontsize=7, ncol=columns, loc="upper left",
                bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
  figure.tight_layout()
  return figure


def loss_curves(study_records, path, workdir=None, caption=None):
  """Writes every seed's curve; returns False if no record has one."""
  figure = loss_curves_figure(seed_curves(study_records, workdir),
                              early_steps(study_records))
  if figure is None:
    return False
  save(figure, path, caption)
  return True


def bar_limits(values, errors, band=None):
  """(low, high) of a bar panel's axis: zero, every bar with its error bar
  and the baseline's band (low, high) within, and a margin of BAR_MARGIN of
  that span on each side."""
  ends = [0.0] + [v - e for v, e in zip(values, errors)] + [
      v + e for v, e in zip(values, errors)] + list(band or ())
  low, high = min(ends), max(ends)
  margin = (high - low) * BAR_MARGIN or 1.0
  return (low - margin if low < 0 else 0.0,
          high + margin if high > 0 else 0.0)


def metric_bars_figure(by_variant, table_columns):
  """The bars' figure, one panel per measured metric; None if none was."""
  names = report.ordered_variants(by_variant)
  measured = [c for c in table_columns
              if c.name not in ("Params", "Ops")
              and any(by_variant[n][c.name].values for n in names)]
  if not measured:
    return None
  figure, panels = _grid(len(measured), PANEL_INCHES,
                         max(3.8, 1.0 + 0.2 * len(names)))
  for axes, column in zip(panels, measured):
    cells = [by_variant[n][column.name] for n in names]
    present = [(i, c.mean, c.std or 0.0) for i, c in enumerate(cells)
               if c.mean is not None]
    colors = ["tab:gray" if names[i] == variants.BASELINE else "tab:blue"
              for i, _, _ in present]
    axes.barh([p[0] for p in present], [p[1] for p in present],
              xerr=[p[2] for p in present], color=colors, capsize=2)
    base = by_variant.get(variants.BASELINE, {}).get(column.name)
    band = None
    if base is not None and base.mean is not None:
      if base.std:
        spread = report.NOISE_SIGMAS * base.std
        band = (base.mean - spread, base.mean + spread)
        axes.axvspan(*band, color="orange", alpha=0.3, label="baseline ± 2σ")
        axes.legend(fontsize=7)
      else:
        axes.axvline(base.mean, color="orange", linewidth=1)
    axes.set_xlim(*bar_limits([p[1] for p in present],
                              [p[2] for p in present], band))
    axes.set_yticks(range(len(names)))
    axes.set_yticklabels(names, fontsize=8)
    axes.invert_yaxis()
    axes.set_title(column.name)
  figure.tight_layout()
  return figure


def metric_bars(by_variant, table_columns, path, caption=None):
  """Writes the bars; returns False if no metric was measured."""
  figure = metric_bars_figure(by_variant, table_columns)
  if figure is None:
    return False
  save(figure, path, caption)
  return True


def effects(by_implementation, table_columns, path, caption=None):
  """Writes each variant's effect with its interval, implementations side
  by side; returns False if no effect was measured."""
  found = {implementation: report.effects(by_variant, table_columns)
           for implementation, by_variant in by_implementation.items()}
  judged = [c for c in table_columns if c.judged and any(
      key[1] == c.name for f in found.values() for key in f)]
  if not judged:
    return False
  names = report.ordered_variants({key[0]: None for f in found.values()
                                   for key in f})
  figure, panels = _grid(len(judged), PANEL_INCHES,
                         max(PANEL_INCHES, 1.0 + 0.45 * len(names)))
  offsets = {implementation: (i - (len(found) - 1) / 2) * 0.25
             for i, implementation in enumerate(found)}
  for axes, column in zip(panels, judged):
    for implementation, effects_of_one in found.items():
      rows, deltas, errors = [], [], [[], []]
      for row, name in enumerate(names):
        effect = effects_of_one.get((name, column.name))
        if effect is None:
          continue
        difference = effect.difference
        rows.append(row + offsets[implementation])
        deltas.append(difference.delta)
        low = difference.low if difference.low is not None else (
            difference.delta)
        high = difference.high if difference.high is not None else (
            difference.delta)
        errors[0].append(difference.delta - low)
        errors[1].append(high - difference.delta)
      axes.errorbar(deltas, rows, xerr=errors, fmt="o", capsize=3,
                    label=implementation)
    axes.axvline(0.0, color="gray", linewidth=1)
    axes.set_yticks(range(len(names)))
    axes.set_yticklabels(names, fontsize=8)
    axes.invert_yaxis()
    better = "lower" if column.lower_is_better else "higher"
    axes.set_title("%s (%s is better)" % (column.name, better), fontsize=9)
    axes.set_xlabel("difference from the baseline", fontsize=8)
    axes.legend(fontsize=7)
  figure.tight_layout()
  save(figure, path, caption)
  return True
