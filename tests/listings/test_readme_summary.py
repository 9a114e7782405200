"""The kit's own Table 1 as the repository ships it: `mtf-mods report`
regenerates the committed report from the committed records, and the
README quotes that report's summary, nothing typed by hand."""
import os
import shutil

from mtf_mods.commands import report as report_command
from mtf_mods.listings import readme_summary
from mtf_mods.study import agreement_plot
from mtf_mods.study import plots
from mtf_test_utils import REPO

COMMITTED = os.path.join(REPO, readme_summary.STUDY)


def read(path):
  with open(path) as f:
    return f.read()


def test_the_readme_quotes_the_committed_reports_summary():
  readme = read(os.path.join(REPO, readme_summary.README))
  expected = readme_summary.quoted(read(os.path.join(COMMITTED, "report.md")))
  assert readme_summary.block_in(readme) == expected, (
      "the README's summary of %s is stale; regenerate it: python -m "
      "mtf_mods.listings.readme_summary" % readme_summary.STUDY)
  assert expected.count("\n- **") >= 1


def test_report_regenerates_the_committed_report_from_its_records(
    tmp_path, monkeypatch):
  """report.md and report.csv, byte for byte (the plots are drawn by the
  same code from the same records; not redrawn here: the loss curves are
  drawn when a seed has a curve, the other figures whenever a metric was
  measured, as in this study)."""
  shutil.copytree(COMMITTED, tmp_path / readme_summary.STUDY,
                  ignore=shutil.ignore_patterns("*.png", "report.*", "runs"))
  monkeypatch.chdir(tmp_path)
  for module, function in ((plots, "metric_bars"), (plots, "effects"),
                           (agreement_plot, "draw")):
    monkeypatch.setattr(module, function, lambda *unused: True)
  monkeypatch.setattr(
      plots, "loss_curves", lambda found, path, workdir, caption: (
          plots.has_curves(plots.seed_curves(found, workdir))))
  report_command.write(readme_summary.STUDY)
  for name in ("report.md", "report.csv"):
    assert read(tmp_path / readme_summary.STUDY / name) == read(
        os.path.join(COMMITTED, name)), (
            "%s/%s is not what mtf-mods report writes from its records; "
            "regenerate it: mtf-mods report --workdir=%s"
            % (readme_summary.STUDY, name, readme_summary.STUDY))


def test_rewrite_replaces_only_the_block(tmp_path):
  (tmp_path / readme_summary.STUDY).mkdir(parents=True)
  (tmp_path / readme_summary.STUDY / "report.md").write_text(
      "# Study report\n\n## What it says\n\n- **kit, early loss** (...)\n\n"
      "How to read it.\n\n## Figures\n")
  (tmp_path / readme_summary.README).write_text(
      "before\n%s\n- old\n%s\nafter\n"
      % (readme_summary.BEGIN, readme_summary.END))
  readme_summary.rewrite(str(tmp_path))
  assert (tmp_path / readme_summary.README).read_text() == (
      "before\n%s\n- **kit, early loss** (...)\n%s\nafter\n"
      % (readme_summary.BEGIN, readme_summary.END))
