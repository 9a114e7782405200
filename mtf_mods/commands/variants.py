"""`mtf-mods variants`: one row per registered variant, with its sizes."""
import argparse

from mtf_mods import cli
from mtf_mods.launch import plugins
from mtf_mods.flags import shared_flags

HELP = ("one row per registered variant: Table 1 row, params, FLOPs and "
        "their ratios to the baseline beside the paper's")


def main(argv):
  parser = argparse.ArgumentParser(
      prog="mtf-mods variants",
      description="One row per registered variant: Table 1 row, trainable "
      "parameters and FLOPs of one training step at the scale, each beside "
      "the paper's and as a ratio to the baseline beside the paper's ratio; "
      "at a small scale, the registry's reason where a row's ratios depart "
      "from its paper-scale ones.")
  shared_flags.add_scale(parser, shared_flags.SIZES_SCALE,
                         "the sizes Table 1 gives")
  shared_flags.add_variants(parser, "all", "the baseline is measured for "
                            "the ratios either way")
  plugins.add_flags(parser)
  args = shared_flags.parse(parser, argv, "variants")
  cli.load_plugins("variants", args.module_import, args.gin_location_prefix)
  scale = cli.get_or_fail("variants", "scale", args.scale)
  names = cli.variant_names("variants", args.variants)
  from mtf_mods.listings import listing  # pylint: disable=g-import-not-at-top
  for line in listing.variant_rows(scale, names):
    print("\t".join(str(cell) for cell in line), flush=True)
