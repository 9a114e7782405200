"""`mtf-mods mini-bench`: the mini benchmark, model against trivial baselines
(mini_bench.py)."""
import argparse

from mtf_mods import cli
from mtf_mods.flags import shared_flags

HELP = "the four downstream mini tasks: trained model vs trivial baselines"


def main(argv):
  parser = argparse.ArgumentParser(
      prog="mtf-mods mini-bench",
      description="Pre-train a variant on the embedded corpus, fine-tune it "
      "on the mini SuperGLUE, summarization and closed-book QA tasks, train "
      "the mini translation task from scratch, and print each best "
      "validation score beside its trivial baseline.")
  parser.add_argument("--workdir", default="runs/mini_bench",
                      help="where the runs and their model_dirs go "
                      "(default: %(default)s)")
  shared_flags.add_scale(parser)
  parser.add_argument("--variant", default="baseline",
                      help="the registered variant to train (default: "
                      "%(default)s)")
  parser.add_argument("--pretrained_model_dir", default=None,
                      help="a finished pre-training model_dir to fine-tune "
                      "from instead of pre-training (e.g. runs/demo/"
                      "baseline-cpu)")
  parser.add_argument("--applications", default=None,
                      help="comma-separated subset of: superglue, xsum, "
                      "webq, wmt")
  parser.add_argument("--baselines_only", action="store_true",
                      help="only compute and print the trivial baselines")
  parser.add_argument("--gin_param", action="append", default=[],
                      help="a gin binding added to every launch (repeat)")
  args = shared_flags.parse(parser, argv, "mini-bench")
  scale = cli.get_or_fail("mini-bench", "scale", args.scale)
  variant = cli.get_or_fail("mini-bench", "variant", args.variant)
  from mtf_mods.study import mini_bench  # pylint: disable=g-import-not-at-top
  from mtf_mods.config import protocol  # pylint: disable=g-import-not-at-top
  names = args.applications.split(",") if args.applications else None
  for name in names or ():
    if name not in protocol.names():
      cli.fail("mini-bench", "unknown application %r; valid: %s" % (
          name, ", ".join(protocol.names())))
  try:
    mini_bench.run(args.workdir, scale.name, variant.name,
                   args.pretrained_model_dir, names, args.baselines_only,
                   args.gin_param)
  except RuntimeError as e:
    cli.fail("mini-bench", e)
