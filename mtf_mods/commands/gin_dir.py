"""`mtf-mods gin-dir`: where the kit's gin files are."""
from mtf_mods import paths

HELP = "print the kit's gin directory (for --gin_location_prefix)"


def main(argv):
  del argv
  print(paths.gin_dir())
