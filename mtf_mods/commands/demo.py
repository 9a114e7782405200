"""`mtf-mods demo`: the README's main job (demo.py)."""
import argparse
import sys

from mtf_mods import cli

HELP = "the main job on the embedded default (see README)"


def main(argv):
  parser = argparse.ArgumentParser(
      prog="mtf-mods demo",
      description="Pre-train the Vanilla Transformer at a CPU scale on the "
      "embedded corpus, then report its held-out loss.")
  parser.add_argument("--workdir", default="runs/demo")
  parser.add_argument("--scale", default="cpu")
  parser.add_argument("--train_steps", type=int, default=None)
  args = parser.parse_args(argv)
  from mtf_mods import demo  # pylint: disable=g-import-not-at-top
  scale = cli.get_or_fail("demo", "scale", args.scale)
  sys.exit(demo.run(args.workdir, scale.name, args.train_steps))
