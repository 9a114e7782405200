"""`mtf-mods train`: the t5 launcher with the kit's names (launcher.py).

Its flags are absl flags, t5's and the kit's (train_flags.py): `--help`
lists the kit's and a bad variant, scale, stage or implementation is
refused before TensorFlow is imported; `--helpfull` lists t5's as well.
"""
import sys

from mtf_mods import cli
from mtf_mods.flags import old_spellings

HELP = "the t5 launcher with the kit's variants, scales, stages and tasks"
PROGRAM = "mtf-mods train"
SHORT_HELP = ("-h", "--help", "--helpshort")
FULL_HELP = "--helpfull"


def given(argv, name):
  """The last value of --NAME in argv (`--NAME=V` or `--NAME V`), or None."""
  value = None
  for i, argument in enumerate(argv):
    if argument.startswith("--%s=" % name):
      value = argument.split("=", 1)[1]
    elif argument == "--" + name and i + 1 < len(argv):
      value = argv[i + 1]
  return value


def check_names(argv):
  """Exits 2 on an unknown scale, stage, implementation, or variant (the
  variant only without --module_import, whose plugins may register it)."""
  from mtf_mods.config import gin_files  # pylint: disable=g-import-not-at-top
  from mtf_mods.flags import train_flags  # pylint: disable=g-import-not-at-top
  checks = {"scale": None, "stage": train_flags.stage_names(),
            "implementation": gin_files.IMPLEMENTATIONS}
  if given(argv, "module_import") is None:
    checks["variant"] = None
  for name, valid in checks.items():
    value = given(argv, name)
    if value is None:
      continue
    if valid is None:
      cli.get_or_fail("train", name, value)
    elif value not in valid:
      cli.fail("train", "unknown %s %r; valid: %s" % (
          name, value, ", ".join(sorted(valid))))


def absl_switches(argv, flag_values):
  """`--no_x` (the kit's spelling of an off switch) as absl's `--nox`."""
  result = []
  for argument in argv:
    name = argument[len("--no_"):]
    if (argument.startswith("--no_") and name in flag_values
        and flag_values[name].boolean):
      argument = "--no" + name
    result.append(argument)
  return result


def main(argv):
  if any(argument in SHORT_HELP for argument in argv):
    from mtf_mods.flags import train_flags  # pylint: disable=g-import-not-at-top
    print(train_flags.help_text())
    return
  argv = old_spellings.respell("train", argv)
  if FULL_HELP not in argv:
    check_names(argv)
  from absl import app  # pylint: disable=g-import-not-at-top
  from absl import flags  # pylint: disable=g-import-not-at-top
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  from mtf_mods.launch import launcher  # pylint: disable=g-import-not-at-top
  if FULL_HELP in argv:
    print(flags.FLAGS.get_help())
    return
  argv = absl_switches(argv, flags.FLAGS)
  program = [PROGRAM]
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
