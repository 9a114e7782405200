"""Pictures of a study: held-out loss curves and per-metric bars.

loss_curves.png: seed 0's held-out loss at every pre-training checkpoint,
one line per variant and implementation. effects.png: each variant's
difference from its implementation's baseline with its 95% interval, one
panel per metric, the implementations side by side. metrics.png: one
panel per Table 1 metric the study measured, a bar per variant (with its
seed-to-seed standard deviation where there are several seeds) and the
baseline's noise band (mean ± 2 standard deviations) or, with a single
seed, its value as a line.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-position

from mtf_mods import atomic_files  # pylint: disable=wrong-import-position
from mtf_mods import variants  # pylint: disable=wrong-import-position
from mtf_mods.study import records  # pylint: disable=wrong-import-position
from mtf_mods.study import table as report  # pylint: disable=wrong-import-position


def loss_curves(study_records, path):
  """Writes the curves; returns False if no record has a curve."""
  curves = {(r.implementation, r.variant): r.metrics["loss_curve"]
            for r in study_records
            if r.status == records.OK and r.metrics.get("loss_curve")}
  if not curves:
    return False
  figure, axes = plt.subplots(figsize=(7, 4.5))
  order = {v.name: i for i, v in enumerate(variants.VARIANTS)}
  for implementation, name in sorted(
      curves, key=lambda key: (records.IMPLEMENTATIONS.index(key[0]),
                               order.get(key[1], len(order)))):
    points = sorted((int(step), loss) for step, loss in curves[
        (implementation, name)].items() if int(step) > 0)
    label = (name if implementation == records.KIT
             else "%s (%s)" % (name, implementation))
    axes.plot([p[0] for p in points], [p[1] for p in points], marker="o",
              markersize=3, label=label,
              linestyle="-" if implementation == records.KIT else "--",
              linewidth=2.5 if name == variants.BASELINE else 1.2)
  axes.set_xlabel("pre-training step")
  axes.set_ylabel("held-out loss (nats / target token)")
  axes.set_title("Held-out loss during pre-training (seed 0)")
  axes.grid(alpha=0.3)
  axes.legend(fontsize=8)
  figure.tight_layout()
  with atomic_files.replacing(path, "wb") as f:
    figure.savefig(f, dpi=120, format="png")
  plt.close(figure)
  return True


def metric_bars(by_variant, table_columns, path):
  """Writes the bars; returns False if no metric was measured."""
  names = report.ordered_variants(by_variant)
  measured = [c for c in table_columns
              if c.name not in ("Params", "Ops")
              and any(by_variant[n][c.name].values for n in names)]
  if not measured:
    return False
  figure, panels = plt.subplots(1, len(measured), squeeze=False,
                                figsize=(3.2 * len(measured), 3.8))
  for axes, column in zip(panels[0], measured):
    cells = [by_variant[n][column.name] for n in names]
    means = [c.mean if c.mean is not None else 0.0 for c in cells]
    errors = [c.std or 0.0 for c in cells]
    colors = ["tab:gray" if n == variants.BASELINE else "tab:blue"
              for n in names]
    axes.bar(range(len(names)), means, yerr=errors, color=colors, capsize=3)
    base = by_variant.get(variants.BASELINE, {}).get(column.name)
    if base is not None and base.mean is not None:
      if base.std:
        spread = report.NOISE_SIGMAS * base.std
        axes.axhspan(base.mean - spread, base.mean + spread, color="orange",
                     alpha=0.3, label="baseline ± 2σ")
        axes.legend(fontsize=7)
      else:
        axes.axhline(base.mean, color="orange", linewidth=1)
    present = [m for m, c in zip(means, cells) if c.mean is not None]
    if present:
      low, high = min(present), max(present)
      margin = (high - low) * 0.5 or abs(high) * 0.05 or 1.0
      axes.set_ylim(low - margin, high + margin)
    axes.set_xticks(range(len(names)))
    axes.set_xticklabels(names, rotation=45, ha="right", fontsize=8)
    axes.set_title(column.name)
  figure.tight_layout()
  with atomic_files.replacing(path, "wb") as f:
    figure.savefig(f, dpi=120, format="png")
  plt.close(figure)
  return True


def effects(by_implementation, table_columns, path):
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
  figure, panels = plt.subplots(1, len(judged), squeeze=False,
                                figsize=(3.4 * len(judged),
                                         1.0 + 0.45 * len(names)))
  offsets = {implementation: (i - (len(found) - 1) / 2) * 0.25
             for i, implementation in enumerate(found)}
  for axes, column in zip(panels[0], judged):
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
  with atomic_files.replacing(path, "wb") as f:
    figure.savefig(f, dpi=120, format="png")
  plt.close(figure)
  return True
