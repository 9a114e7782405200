"""`mtf-mods report`: a study's Table 1, as Markdown, CSV and PNG plots."""
import argparse
import os

from mtf_mods import cli

HELP = "a study's results beside the paper's Table 1 (Markdown, CSV, PNG)"


def main(argv):
  parser = argparse.ArgumentParser(
      prog="mtf-mods report",
      description="Print and write a study's Table 1: the kit's figures, the "
      "paper's beside them, differences from the baseline marked where they "
      "exceed the baseline's seed-to-seed spread; with plots.")
  parser.add_argument("--workdir", default="runs/study",
                      help="the study's working directory")
  args = parser.parse_args(argv)
  write(args.workdir)


def write(workdir):
  """Prints the table; writes report.md, report.csv and the plots."""
  from mtf_mods import plots  # pylint: disable=g-import-not-at-top
  from mtf_mods import report  # pylint: disable=g-import-not-at-top
  from mtf_mods import results_store  # pylint: disable=g-import-not-at-top
  from mtf_mods import protocol  # pylint: disable=g-import-not-at-top
  records = results_store.ResultStore(workdir).all()
  if not records:
    cli.fail("report", "no study results in %s/results; run mtf-mods study "
             "--workdir %s first" % (workdir, workdir))
  table_columns = report.columns(protocol.APPLICATIONS)
  by_variant = report.collect(records, table_columns)
  table = report.markdown(by_variant, table_columns)
  failed = [r for r in records if r.status != results_store.OK]
  notes = ["", "Differences from the baseline in parentheses; * marks a kit "
           "difference larger than %g standard deviations of the baseline's "
           "seed-to-seed spread." % report.NOISE_SIGMAS]
  notes += ["failed: %s seed %d %s: %s" % (r.variant, r.seed, r.stage,
                                           r.error) for r in failed]
  text = table + "\n".join(notes) + "\n"
  print(text)
  with open(os.path.join(workdir, "report.md"), "w") as f:
    f.write(text)
  report.write_csv(os.path.join(workdir, "report.csv"), by_variant,
                   table_columns)
  drawn = {
      "loss_curves.png": plots.loss_curves(
          records, os.path.join(workdir, "loss_curves.png")),
      "metrics.png": plots.metric_bars(
          by_variant, table_columns, os.path.join(workdir, "metrics.png")),
  }
  written = ["report.md", "report.csv"] + [
      name for name, was_drawn in drawn.items() if was_drawn]
  print("written in %s: %s" % (workdir, ", ".join(written)))
