"""paper_agreement.png: each variant's effect in the study against its
effect in the paper, one panel per implementation and metric, each point
named.

x is the paper's effect (Table 1 row minus the Vanilla Transformer's), y
the study's (mean minus its implementation's baseline), on the same
metric, so a point in the shaded quadrants moved the same way in both.
Colour: agrees / disagrees with the paper beyond noise, or within noise
(paper_agreement.py); bars: the study's 95% interval and the paper's noise
band where Table 1 gives one. Names are placed greedily beside their
points, away from the names already placed, with a leader line when they
had to move off.
"""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-position

from mtf_mods.study import agreement as paper_agreement  # pylint: disable=wrong-import-position
from mtf_mods.study import plots  # pylint: disable=wrong-import-position

COLOURS = {paper_agreement.AGREE: "tab:green",
           paper_agreement.DISAGREE: "tab:red",
           paper_agreement.WITHIN_NOISE: "tab:gray"}
PANEL_INCHES = (7.2, 6.2)
MAX_PANELS_PER_ROW = 3
LABEL_POINTS = 6.5
# Where a name may go, in points from its point: nearest first.
_RADII = (4, 10, 18, 28, 40, 55, 75, 100)
_DIRECTIONS = 12


def draw(by_implementation, table_columns, path, caption=None):
  """Writes the scatter; returns {(implementation, metric): [variant names
  placed beside their points]}, empty (and no file) when no variant has a
  measured effect and a Table 1 row."""
  comparisons = paper_agreement.comparisons(by_implementation, table_columns)
  if not comparisons:
    return {}
  columns = min(MAX_PANELS_PER_ROW, len(comparisons))
  lines = math.ceil(len(comparisons) / columns)
  figure, panels = plt.subplots(
      lines, columns, squeeze=False,
      figsize=(PANEL_INCHES[0] * columns, PANEL_INCHES[1] * lines))
  flat = [axes for line in panels for axes in line]
  for axes in flat[len(comparisons):]:
    axes.set_visible(False)
  for axes, comparison in zip(flat, comparisons):
    _scatter(axes, comparison)
  figure.tight_layout()
  figure.canvas.draw()
  renderer = figure.canvas.get_renderer()
  labels = {}
  for axes, comparison in zip(flat, comparisons):
    labels[(comparison.implementation, comparison.column.name)] = _name(
        axes, comparison.rows, renderer)
  plots.save(figure, path, caption)
  return labels


def _scatter(axes, comparison):
  """Points, bars, axes and title of one panel (names come later)."""
  held = comparison.rows
  for row in held:
    y_error = None
    if row.kit_low is not None:
      y_error = [[row.kit - row.kit_low], [row.kit_high - row.kit]]
    axes.errorbar(row.paper, row.kit, yerr=y_error, xerr=row.paper_noise,
                  fmt="none", ecolor="lightgray", elinewidth=0.8, zorder=1)
  for agreement, colour in COLOURS.items():
    chosen = [row for row in held if row.agreement == agreement]
    if chosen:
      axes.scatter([r.paper for r in chosen], [r.kit for r in chosen],
                   s=18, color=colour, zorder=3,
                   label="%s (%d)" % (agreement, len(chosen)))
  axes.margins(0.18)
  axes.axhline(0.0, color="gray", linewidth=0.8)
  axes.axvline(0.0, color="gray", linewidth=0.8)
  low_x, high_x = axes.get_xlim()
  low_y, high_y = axes.get_ylim()
  for x_span, y_span in (((0, high_x), (0, high_y)),
                         ((low_x, 0), (low_y, 0))):
    axes.fill_between(x_span, *y_span, color="tab:green", alpha=0.06,
                      linewidth=0, zorder=0)
  axes.set_xlim(low_x, high_x)
  axes.set_ylim(low_y, high_y)
  column = comparison.column
  better = "lower" if column.lower_is_better else "higher"
  ranking = paper_agreement.format_rho(comparison)
  if comparison.p is not None:
    ranking = "Spearman's rho %s, p %s" % (
        ranking, paper_agreement.format_p(comparison))
  axes.set_title("%s: %s (%s is better)\n%s, %d rows" % (
      comparison.implementation, column.name, better, ranking, len(held)),
                 fontsize=9)
  axes.set_xlabel("paper: Table 1 row minus Vanilla Transformer", fontsize=8)
  axes.set_ylabel("%s: variant minus its baseline"
                  % comparison.implementation, fontsize=8)
  axes.tick_params(labelsize=7)
  axes.grid(alpha=0.25)
  axes.legend(fontsize=7, loc="best")


def _name(axes, held, renderer):
  """Places each row's name at the nearest spot that overlaps no name
  placed before, no other point and stays inside the axes (or, failing
  that, the spot overlapping least); returns the names placed."""
  figure_dpi = axes.figure.dpi
  points = axes.transData.transform([(row.paper, row.kit) for row in held])
  inside = axes.get_window_extent(renderer)
  dot = 3.0 * figure_dpi / 72  # a point's half-width in pixels
  taken = [(x - dot, y - dot, x + dot, y + dot) for x, y in points]
  placed = []
  for index, row in enumerate(held):
    best = None
    for radius in _RADII:
      for step in range(_DIRECTIONS):
        angle = 2 * math.pi * step / _DIRECTIONS
        dx, dy = radius * math.cos(angle), radius * math.sin(angle)
        label = axes.annotate(
            row.variant, (row.paper, row.kit), xytext=(dx, dy),
            textcoords="offset points", fontsize=LABEL_POINTS,
            ha="left" if dx > 0.5 else "right" if dx < -0.5 else "center",
            va="bottom" if dy > 0.5 else "top" if dy < -0.5 else "center",
            zorder=4)
        box = label.get_window_extent(renderer)
        extent = (box.x0, box.y0, box.x1, box.y1)
        cost = sum(_overlap(extent, other)
                   for i, other in enumerate(taken) if i != index)
        cost += box.width * box.height - _overlap(
            extent, (inside.x0, inside.y0, inside.x1, inside.y1))
        if best is None or cost < best[0]:
          if best is not None:
            best[1].remove()
          best = (cost, label, extent, radius)
        else:
          label.remove()
        if cost == 0:
          break
      if best[0] == 0:
        break
    _, label, extent, radius = best
    if radius > _RADII[0]:
      axes.annotate("", (row.paper, row.kit),
                    xytext=label.xyann, textcoords="offset points",
                    arrowprops={"arrowstyle": "-", "color": "gray",
                                "linewidth": 0.5, "shrinkA": 0,
                                "shrinkB": 2}, zorder=2)
    taken.append(extent)
    placed.append(row.variant)
  return placed


def _overlap(first, second):
  width = min(first[2], second[2]) - max(first[0], second[0])
  height = min(first[3], second[3]) - max(first[1], second[1])
  return max(0.0, width) * max(0.0, height)
