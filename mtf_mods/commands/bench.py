"""`mtf-mods bench`: training speed per variant, beside PyTorch T5 (bench/)."""
import argparse
import datetime
import os
import sys

from mtf_mods import cli
from mtf_mods.launch import plugins
from mtf_mods.flags import shared_flags

HELP = "training speed per variant, beside PyTorch T5 and the matmul peak"
DEFAULT_TSV_DIR = os.path.join("runs", "bench")


def _factors(text):
  try:
    factors = tuple(float(f) for f in text.split(",") if f.strip())
  except ValueError:
    factors = ()
  if not factors or min(factors) <= 0:
    raise argparse.ArgumentTypeError(
        "expected positive numbers separated by commas, e.g. 0.5,1,2")
  return factors


def parse(argv):
  parser = argparse.ArgumentParser(
      prog="mtf-mods bench",
      description="Time the training step of variants at a scale (steps/s, "
      "tokens/s, set-up plus first step, utilisation of the fp32 matmul "
      "peak), beside the HuggingFace PyTorch T5 of the same configuration; "
      "time the input pipeline and the baseline's scaling with sequence "
      "length and batch size. Prints a table and writes it as TSV.")
  shared_flags.add_variants(parser, "baseline")
  shared_flags.add_scale(parser)
  parser.add_argument("--steps", type=int, default=20,
                      help="timed steps (default: %(default)s)")
  parser.add_argument("--warmup", type=int, default=3,
                      help="untimed steps after the first (default: "
                      "%(default)s)")
  shared_flags.add_switch(parser, "peer", True, "time the PyTorch T5 peer")
  shared_flags.add_switch(parser, "pipeline", True,
                          "time the input pipeline")
  shared_flags.add_switch(parser, "sweeps", True,
                          "time the baseline's scaling sweeps")
  parser.add_argument("--sweep_factors", type=_factors, default="0.5,1,2",
                      help="multiples of the scale's inputs length and batch "
                      "size (default: %(default)s)")
  parser.add_argument("--task", default=None,
                      help="input pipeline task (default: the scale's)")
  parser.add_argument("--intra_threads", type=int, default=None,
                      help="threads per op, TF and torch (default: all cores)")
  parser.add_argument("--inter_threads", type=int, default=None,
                      help="ops run at once, TF and torch (default: all cores, "
                      "TensorFlow's default in `mtf-mods train`)")
  shared_flags.add_switch(parser, "grappler", True,
                          "TensorFlow's graph rewrites, on in `mtf-mods "
                          "train` as in every TF session by default")
  shared_flags.add_switch(parser, "xla", False,
                          "XLA auto-clustering of the kit's step")
  shared_flags.add_switch(parser, "together", False,
                          "time every variant's step in the same "
                          "alternating rounds, without the peer: "
                          "over_baseline then holds on a machine whose "
                          "speed varies (every graph stays in memory at "
                          "once)")
  parser.add_argument("--tsv", default=None,
                      help="TSV path (default: %s/<scale>-<time>.tsv)"
                      % DEFAULT_TSV_DIR)
  plugins.add_flags(parser)
  return shared_flags.parse(parser, argv, "bench")


def main(argv):
  args = parse(argv)
  cli.load_plugins("bench", args.module_import, args.gin_location_prefix)
  names = cli.variant_names("bench", args.variants)
  scale = cli.get_or_fail("bench", "scale", args.scale)
  for flag in ("steps", "intra_threads", "inter_threads"):
    value = getattr(args, flag)
    if value is not None and value < 1:
      cli.fail("bench", "--%s must be at least 1, got %d" % (flag, value))
  if args.warmup < 0:
    cli.fail("bench", "--warmup must be at least 0, got %d" % args.warmup)
  from mtf_mods.bench import cpu_threads  # pylint: disable=g-import-not-at-top
  if args.xla:
    cpu_threads.enable_xla_on_cpu()
  from mtf_mods.bench import suite  # pylint: disable=g-import-not-at-top
  from mtf_mods.bench import table  # pylint: disable=g-import-not-at-top
  default = cpu_threads.default_threads()
  threads = cpu_threads.Threads(args.intra_threads or default.intra_op,
                                args.inter_threads or default.inter_op)
  options = suite.Options(
      variants=names, scale=scale.name, steps=args.steps, warmup=args.warmup,
      peer=args.peer, pipeline=args.pipeline, sweeps=args.sweeps,
      sweep_factors=args.sweep_factors, task=args.task, threads=threads,
      grappler=args.grappler, xla=args.xla, together=args.together)
  rows = suite.run(options)
  path = args.tsv or os.path.join(DEFAULT_TSV_DIR, "%s-%s.tsv" % (
      scale.name, datetime.datetime.now().strftime("%Y%m%d-%H%M%S")))
  table.write_tsv(rows, path)
  print(table.render(rows))
  for line in suite.target_lines(rows, scale.name):
    print(line)
  print("table written to %s" % path, file=sys.stderr)
