"""`mtf-mods gin-dir`: where the kit's gin files are."""
import argparse

from mtf_mods.config import paths
from mtf_mods.flags import shared_flags

HELP = "print the kit's gin directory (for --gin_location_prefix)"


def main(argv):
  parser = argparse.ArgumentParser(
      prog="mtf-mods gin-dir",
      description="Print the folder of the kit's gin files, for t5's "
      "--gin_location_prefix or a plugin's includes.")
  shared_flags.parse(parser, argv, "gin-dir")
  print(paths.gin_dir())
