"""`mtf-mods check`: the suite's per-variant checks for any variant
(mtf_mods/checks)."""
import argparse
import sys
import time

from mtf_mods import cli
from mtf_mods.launch import plugins
from mtf_mods.flags import shared_flags

HELP = "the suite's per-variant checks (sizes, training, 2x2 mesh, decoding)"


def main(argv):
  parser = argparse.ArgumentParser(
      prog="mtf-mods check",
      description="Run, for each variant, the checks the kit's suite runs "
      "on every Table 1 row: parameters and FLOPs at each scale (ratios to "
      "the baseline; Table 1's numbers for its rows), a tiny model trains, "
      "the same losses and gradients on one device and on a 2x2 mesh that "
      "splits the model, greedy and beam decoding, a causal decoder. One "
      "line per check; exit code 1 if any fails.")
  shared_flags.add_variants(parser, None)
  plugins.add_flags(parser)
  args = shared_flags.parse(parser, argv, "check")
  if not args.module_import:  # else a plugin may register the names
    cli.variant_names("check", args.variants)
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  tf.disable_v2_behavior()
  import mtf_mods.layers  # noqa: F401  pylint: disable=g-import-not-at-top
  from mtf_mods import checks  # pylint: disable=g-import-not-at-top
  from mtf_mods import variants  # pylint: disable=g-import-not-at-top
  cli.load_plugins("check", args.module_import, args.gin_location_prefix)
  names = cli.variant_names("check", args.variants)
  start = time.time()
  failed = 0
  for name in names:
    for result in checks.run(variants.get(name)):
      failed += not result.passed
      print(result.line(), flush=True)
  print("mtf-mods check: %d variants, %d checks failed, %.0f s"
        % (len(names), failed, time.time() - start), file=sys.stderr)
  if failed:
    sys.exit(1)
