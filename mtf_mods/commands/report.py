"""`mtf-mods report`: a study's Table 1, as Markdown, CSV and PNG plots."""
import argparse
import os

from mtf_mods.files import atomic_files
from mtf_mods import cli
from mtf_mods.launch import plugins
from mtf_mods.flags import shared_flags

HELP = "a study's results beside the paper's Table 1 (Markdown, CSV, PNG)"


def main(argv):
  parser = argparse.ArgumentParser(
      prog="mtf-mods report",
      description="Print and write a study's Table 1: the measured figures "
      "of each implementation, the paper's beside them, each variant's "
      "difference from its baseline with a 95% interval and a verdict, "
      "whether it transfers; with plots.")
  parser.add_argument("--workdir", default="runs/study",
                      help="the study's working directory (default: "
                      "%(default)s)")
  plugins.add_flags(parser)
  args = shared_flags.parse(parser, argv, "report")
  from mtf_mods.study import configuration  # pylint: disable=g-import-not-at-top
  try:
    configuration.load_plugins(args.module_import, args.gin_location_prefix,
                               args.workdir)
  except ValueError as e:
    cli.fail("report", e)
  write(args.workdir)


def write(workdir):
  """Prints the table; writes report.md, report.csv and the plots."""
  from mtf_mods.config import protocol  # pylint: disable=g-import-not-at-top
  from mtf_mods.study import significance  # pylint: disable=g-import-not-at-top
  from mtf_mods.study import configuration  # pylint: disable=g-import-not-at-top
  from mtf_mods.study import header  # pylint: disable=g-import-not-at-top
  from mtf_mods.study import plots  # pylint: disable=g-import-not-at-top
  from mtf_mods.study import records as results_store  # pylint: disable=g-import-not-at-top
  from mtf_mods.study import table as report  # pylint: disable=g-import-not-at-top
  try:
    study_config = configuration.read(workdir)
    everything = results_store.ResultStore(workdir).all()
  except ValueError as e:  # a results directory of a newer format
    cli.fail("report", e)
  records, left_out = header.select(everything, study_config)
  if not records:
    cli.fail("report", "no study results %sin %s/results; run mtf-mods study "
             "--workdir %s first" % ("of its configuration " if left_out
                                     else "", workdir, workdir))
  table_columns = report.columns(protocol.APPLICATIONS)
  present = {r.implementation for r in records}
  by_implementation = {
      implementation: report.collect(records, table_columns, implementation)
      for implementation in results_store.IMPLEMENTATIONS
      if implementation in present}
  first = next(iter(by_implementation.values()))
  caption = header.figure_caption(workdir, study_config, records)
  drawn = {
      "loss_curves.png": plots.loss_curves(
          records, os.path.join(workdir, "loss_curves.png"), workdir,
          caption),
      "metrics.png": plots.metric_bars(
          first, table_columns, os.path.join(workdir, "metrics.png"),
          caption),
      "effects.png": plots.effects(
          by_implementation, table_columns,
          os.path.join(workdir, "effects.png"), caption),
  }
  from mtf_mods.study import agreement as paper_agreement  # pylint: disable=g-import-not-at-top
  from mtf_mods.study import agreement_plot as paper_agreement_plot  # pylint: disable=g-import-not-at-top
  drawn[paper_agreement.PLOT_FILE] = paper_agreement_plot.draw(
      by_implementation, table_columns,
      os.path.join(workdir, paper_agreement.PLOT_FILE), caption)
  figures = [name for name, was_drawn in drawn.items() if was_drawn]
  from mtf_mods.study import summary  # pylint: disable=g-import-not-at-top
  sections = [header.markdown(workdir, study_config, records, left_out),
              summary.markdown(by_implementation, table_columns)]
  if figures:
    sections.append(figures_markdown(figures))
  sections += [report.markdown(by_variant, table_columns, implementation)
               for implementation, by_variant in by_implementation.items()]
  sections.append(
      "Differences from the baseline in parentheses; * marks one beyond "
      "the seed-to-seed noise: Welch's 95%% interval over seeds, Holm-"
      "corrected over the study's variants (alpha %g).\n"
      % significance.ALPHA)
  sections.append("## Effects\n\n" + report.effects_markdown(
      by_implementation, table_columns)
      + "\nEach cell: difference from the implementation's own baseline "
      "[Welch's 95% interval over seeds] and the verdict after Holm's "
      "correction; \"one seed\" where a side has a single seed. Transfers: "
      "whether the verdicts agree where both are beyond noise, between the "
      "implementations and between the applications (untested: no such "
      "pair). Paper: Table 1's direction per application (+ better, - "
      "worse, = the same).\n")
  sections.append(paper_agreement.markdown(by_implementation, table_columns))
  compared = report.implementations_markdown(by_implementation,
                                             table_columns)
  if compared:
    sections.append("## Release minus kit\n\n" + compared + "\nThe "
                    "release's figure minus the kit's for the same variant, "
                    "[Welch's 95% interval], Holm-corrected over variants.\n")
  from mtf_mods.study import cost  # pylint: disable=g-import-not-at-top
  spent = cost.markdown(records, results_store.IMPLEMENTATIONS)
  if spent:
    sections.append(spent)
  failed = [r for r in records if r.status != results_store.OK]
  sections += ["failed: %s%s seed %d %s: %s" % (
      "" if r.implementation == results_store.KIT else r.implementation + "/",
      r.variant, r.seed, r.stage, r.error) for r in failed]
  text = "\n".join(sections) + "\n"
  print(text)
  atomic_files.write_text(os.path.join(workdir, "report.md"), text)
  report.write_csv(os.path.join(workdir, "report.csv"), by_implementation,
                   table_columns)
  print("written in %s: %s" % (workdir, ", ".join(
      ["report.md", "report.csv"] + figures)))


FIGURE_CAPTIONS = {
    "loss_curves.png": "Held-out loss of every seed during pre-training",
    "metrics.png": "Each Table 1 metric measured, per variant",
    "effects.png": "Each variant's difference from its baseline, with "
                   "its 95% interval",
}


def figures_markdown(figures):
  """The figures drawn, as images linked relative to report.md."""
  from mtf_mods.study import agreement as paper_agreement  # pylint: disable=g-import-not-at-top
  captions = dict(FIGURE_CAPTIONS, **{
      paper_agreement.PLOT_FILE: "Each variant's effect in the study "
                                 "against its effect in the paper"})
  return "## Figures\n\n" + "\n\n".join(
      "![%s](%s)" % (captions[name], name) for name in figures) + "\n"
