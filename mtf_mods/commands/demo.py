"""`mtf-mods demo`: the README's main job (demo.py)."""
import argparse
import sys

from mtf_mods import cli

HELP = "the main job: a small study on the embedded default (see README)"


def main(argv):
  parser = argparse.ArgumentParser(
      prog="mtf-mods demo",
      description="The baseline, SwiGLU and SeLU through the whole mini "
      "protocol at a small scale, then the report and a summary.")
  parser.add_argument("--workdir", default=None,
                      help="default: runs/demo, or runs/demo-<scale> at "
                      "another scale than the demo's (a workdir holds one "
                      "study configuration)")
  parser.add_argument("--scale", default=None,
                      help="default: the tiny scale (demo.DEMO_SCALE)")
  parser.add_argument("--pretrain_steps", type=int, default=None)
  parser.add_argument("--downstream_steps", type=int, default=None)
  parser.add_argument("--seeds", type=int, default=None)
  parser.add_argument("--dry-run", dest="dry_run", action="store_true")
  args = parser.parse_args(argv)
  from mtf_mods import demo  # pylint: disable=g-import-not-at-top
  scale = cli.get_or_fail("demo", "scale", args.scale or demo.DEMO_SCALE)
  budget = {name: getattr(args, name) for name in demo.DEMO_BUDGET
            if getattr(args, name) is not None}
  workdir = args.workdir or ("runs/demo" if scale.name == demo.DEMO_SCALE
                             else "runs/demo-%s" % scale.name)
  sys.exit(demo.run(workdir, scale, budget, args.dry_run))
