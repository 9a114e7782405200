"""report.md says what it shows: a header with the configuration, seeds,
commits, dates and machines of its records, then every figure it drew."""
import os
import re

from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.commands import report
from mtf_mods.study import configuration
from mtf_mods.study import plots
from mtf_mods.study import records

OTHER = variants.VARIANTS[1]


def test_the_header_names_what_made_the_records_and_links_the_figures(
    tmp_path, monkeypatch):
  captions = {}
  saving = plots.save

  def save(figure, path, caption=None):
    captions[os.path.basename(path)] = caption
    assert [t.get_text() for t in figure.texts if t.get_gid() == "caption"
            ] == [] and caption
    saving(figure, path, caption)
    assert [" ".join(t.get_text().split()) for t in figure.texts
            if t.get_gid() == "caption"] == [caption]

  monkeypatch.setattr(plots, "save", save)
  workdir = str(tmp_path)
  store = records.ResultStore(workdir)
  written = configuration.write(configuration.StudyConfig(
      variants=[variants.get(variants.BASELINE), OTHER],
      scale=scales.get("tiny"), data="mini", seeds=3, workdir=workdir,
      pretrain_steps=16, early_only=True), store)
  for name, losses in ((variants.BASELINE, (4.0, 4.1, 3.9)),
                       (OTHER.name, (3.5, 3.6, 3.4))):
    for seed, loss in enumerate(losses):
      metrics = {"early_step": 2, "early_loss": loss}
      if seed == 0:  # a curve to draw
        metrics["loss_curve"] = {"1": loss + 1.0, "2": loss}
      store.put(records.Record(
          name, "pretrain", seed, records.OK, metrics,
          config_id=written["config_id"],
          commit="abc123" if seed < 2 else "def456",
          machine="host: cpu, avx2, 2 cores",
          finished_at="2026-12-07T0%d:00:00+00:00" % seed))
  report.write(workdir)
  text = (tmp_path / "report.md").read_text()
  head = text[:text.index("## Figures")]
  assert "Configuration `%s`" % written["config_id"] in head
  assert 'scale "tiny"' in head and 'early_only true' in head
  assert "Records shown: 6, of seeds 0 (2), 1 (2), 2 (2);" in head
  assert "commits abc123 (4), def456 (2)" in head
  assert ("finished 2026-12-07T00:00:00+00:00 to "
          "2026-12-07T02:00:00+00:00") in head
  assert "machines host: cpu, avx2, 2 cores (6)" in head
  figures = sorted(path.name for path in tmp_path.glob("*.png"))
  # Every figure says the study, configuration and commits that made it.
  assert sorted(captions) == figures
  assert set(captions.values()) == {
      "mtf-mods report of %s: configuration %s; records of commits "
      "abc123, def456" % (workdir, written["config_id"])}
  assert {"loss_curves.png", "metrics.png", "effects.png"} <= set(figures)
  linked = re.findall(r"!\[[^]]+\]\(([^)]+)\)", text)
  assert sorted(linked) == figures
  assert text.index("## Figures") < text.index("| Variant |")
