"""The report's figures say what they show: every seed's curve with the
early step marked, bars on an uncropped axis, effects in a grid a page
holds."""
import struct

import pytest

from mtf_mods.config import protocol
from mtf_mods import variants
from mtf_mods.study import configuration
from mtf_mods.study import plots
from mtf_mods.study import records
from mtf_mods.study import table as report
from mtf_test_utils import write_scalar_events

EARLY = 2
OTHER = variants.VARIANTS[1].name
EARLY_LOSSES = {variants.BASELINE: [4.00, 4.02, 3.98],
                OTHER: [3.90, 3.93, 3.91]}


def early_only_records():
  """Three seeds of two variants stopped at the early step."""
  return [records.Record(name, "pretrain", seed, records.OK,
                         {"early_step": EARLY, "early_loss": loss})
          for name, losses in EARLY_LOSSES.items()
          for seed, loss in enumerate(losses)]


def test_loss_curves_show_every_seed_and_mark_the_early_step(tmp_path):
  """Seed 1 of the baseline has held-out losses at three checkpoints in its
  model_dir; the others only their record's early loss."""
  model_dir = configuration.run_dir(str(tmp_path), variants.BASELINE, 1,
                                    "pretrain")
  write_scalar_events(model_dir + "/eval_mini_validation", {
      1: {"neg_log_perplexity": -5.0}, EARLY: {"neg_log_perplexity": -4.02},
      4: {"neg_log_perplexity": -3.5}})
  rows = early_only_records()
  figure = plots.loss_curves_figure(plots.seed_curves(rows, str(tmp_path)),
                                    plots.early_steps(rows))
  lines = {line.get_gid(): line for line in figure.axes[0].get_lines()}
  assert set(lines) == {"kit/%s/seed%d" % (name, seed)
                        for name in EARLY_LOSSES for seed in range(3)} | {
                            "early step"}
  seed1 = lines["kit/%s/seed1" % variants.BASELINE]
  assert list(seed1.get_xdata()) == [1, EARLY, 4]
  assert list(seed1.get_ydata()) == pytest.approx([5.0, 4.02, 3.5])
  seed2 = lines["kit/%s/seed2" % OTHER]
  assert (list(seed2.get_xdata()), list(seed2.get_ydata())) == (
      [EARLY], [EARLY_LOSSES[OTHER][2]])
  assert list(lines["early step"].get_xdata()) == [EARLY, EARLY]
  assert plots.loss_curves(rows, str(tmp_path / "curves.png"), str(tmp_path))


def test_no_loss_curves_when_every_seed_is_one_point(tmp_path):
  rows = early_only_records()
  assert plots.loss_curves_figure(plots.seed_curves(rows, str(tmp_path)),
                                  plots.early_steps(rows)) is None
  assert not plots.loss_curves(rows, str(tmp_path / "curves.png"),
                               str(tmp_path))
  assert not (tmp_path / "curves.png").exists()


def test_a_legend_of_many_variants_stands_beside_the_curves():
  names = [v.name for v in variants.VARIANTS][:30]
  curves = {("kit", name, 0): {1: 5.0, EARLY: 4.0} for name in names}
  figure = plots.loss_curves_figure(curves, [EARLY])
  legend = figure.axes[0].get_legend()
  assert len(legend.get_texts()) == len(names) + 1
  figure.canvas.draw()
  box = legend.get_window_extent()
  axes_box = figure.axes[0].get_window_extent()
  assert box.x0 >= axes_box.x1  # beside the axes, not over the curves
  assert box.x1 <= figure.bbox.x1 and box.y0 >= figure.bbox.y0


def test_the_bars_axis_holds_zero_every_bar_and_the_noise_band():
  """Losses near 4 that differ by 0.1: the axis is not cropped to them."""
  columns = report.columns(())
  by_variant = report.collect(early_only_records(), columns)
  figure = plots.metric_bars_figure(by_variant, columns)
  axes, = figure.axes
  low, high = axes.get_xlim()
  cells = [by_variant[name]["Early loss"] for name in EARLY_LOSSES]
  tops = [c.mean + c.std for c in cells]
  base = by_variant[variants.BASELINE]["Early loss"]
  band_top = base.mean + report.NOISE_SIGMAS * base.std
  assert low <= 0.0
  assert high >= max(tops + [band_top])
  span = max(tops + [band_top]) - low
  assert high - max(tops + [band_top]) == pytest.approx(
      plots.BAR_MARGIN * span)


def png_size(path):
  with open(path, "rb") as f:
    head = f.read(24)
  assert head.startswith(b"\x89PNG")
  return struct.unpack(">II", head[16:24])


def test_the_effects_figure_is_a_grid_a_page_holds(tmp_path):
  """Seven judged metrics (Step/s, the two losses, four applications)."""
  rows = early_only_records()
  for name, speed, final in ((variants.BASELINE, 3.0, 3.5), (OTHER, 2.5, 3.4)):
    rows[[r.variant for r in rows].index(name)].metrics.update(
        steps_per_second=speed, final_loss=final)
    rows += [records.Record(name, application.name, 0, records.OK,
                            {"score": 50.0 + len(name)})
             for application in protocol.APPLICATIONS]
  columns = report.columns(protocol.APPLICATIONS)
  path = str(tmp_path / "effects.png")
  assert plots.effects({records.KIT: report.collect(rows, columns)}, columns,
                       path)
  width, height = png_size(path)
  assert width <= 2 * height and height <= 2 * width
