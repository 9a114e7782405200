"""`mtf-mods profile`: where a training step's time goes, kit against peer."""
import argparse
import sys

from mtf_mods import cli
from mtf_mods.launch import plugins
from mtf_mods.flags import shared_flags

HELP = "per-op profile of one training step, the kit's beside PyTorch T5's"


def parse(argv):
  parser = argparse.ArgumentParser(
      prog="mtf-mods profile",
      description="Trace one training step of each variant (TensorFlow step "
      "statistics) and of its HuggingFace PyTorch T5 peer (torch.profiler), "
      "and print the time per category (matmuls by shape, transposes and "
      "reshapes, layer norms, softmax, the optimizer's update, the session "
      "call) side by side, with the input pipeline's time per batch.")
  shared_flags.add_variants(parser, "baseline")
  shared_flags.add_scale(parser)
  parser.add_argument("--steps", type=int, default=5,
                      help="untraced steps whose median is printed beside "
                      "the trace (default: %(default)s)")
  shared_flags.add_switch(parser, "peer", True, "profile the PyTorch T5 peer")
  shared_flags.add_switch(parser, "pipeline", True,
                          "time the input pipeline per batch")
  plugins.add_flags(parser)
  return shared_flags.parse(parser, argv, "profile")


def main(argv):
  args = parse(argv)
  cli.load_plugins("profile", args.module_import, args.gin_location_prefix)
  names = cli.variant_names("profile", args.variants)
  scale = cli.get_or_fail("profile", "scale", args.scale)
  if args.steps < 1:
    cli.fail("profile", "--steps must be at least 1, got %d" % args.steps)
  from mtf_mods.bench import profile_run  # pylint: disable=g-import-not-at-top
  for text in profile_run.profile_variants(names, scale, args.steps,
                                           args.peer, args.pipeline):
    print(text, flush=True)
  print("categories: mtf_mods/bench/step_profile.py", file=sys.stderr)
