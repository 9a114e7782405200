"""`mtf-mods demo`: the README's main job (demo.py)."""
import argparse
import sys

from mtf_mods import cli
from mtf_mods.flags import shared_flags

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
  shared_flags.add_scale(parser, shared_flags.DEMO_SCALE,
                         "the demo is the small job; cpu runs it at the "
                         "study's scale")
  parser.add_argument("--pretrain_steps", type=int, default=None,
                      help="pre-training steps (default: the demo's budget)")
  parser.add_argument("--downstream_steps", type=int, default=None,
                      help="fine-tuning and from-scratch steps (default: "
                      "the demo's budget)")
  parser.add_argument("--seeds", type=int, default=None,
                      help="pre-training seeds (default: the demo's budget)")
  shared_flags.add_dry_run(parser, "print the study's launcher commands "
                           "instead of running")
  args = shared_flags.parse(parser, argv, "demo")
  scale = cli.get_or_fail("demo", "scale", args.scale)
  from mtf_mods import demo  # pylint: disable=g-import-not-at-top
  budget = {name: getattr(args, name) for name in demo.DEMO_BUDGET
            if getattr(args, name) is not None}
  workdir = args.workdir or ("runs/demo" if scale.name == demo.DEMO_SCALE
                             else "runs/demo-%s" % scale.name)
  sys.exit(demo.run(workdir, scale, budget, args.dry_run))
