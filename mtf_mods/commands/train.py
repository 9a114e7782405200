"""`mtf-mods train`: the t5 launcher with the kit's names (launcher.py)."""
import sys

HELP = "the t5 launcher with the kit's variants, scales, stages and tasks"


def main(argv):
  from absl import app  # pylint: disable=g-import-not-at-top
  from absl import flags  # pylint: disable=g-import-not-at-top
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  from mtf_mods import launcher  # pylint: disable=g-import-not-at-top
  program = ["mtf-mods train"]
  try:
    flags.FLAGS(program + argv)
  except flags.Error as e:
    print("mtf-mods train: %s (see mtf-mods train --helpfull)" % e,
          file=sys.stderr)
    sys.exit(2)
  tf.disable_v2_behavior()
  # Resource variables: a read is a snapshot that no later write changes in
  # place. The order of a step's reads and writes: ordered_updates.
  tf.enable_resource_variables()
  app.run(launcher.main, argv=program + argv)
