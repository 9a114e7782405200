"""The flags several `mtf-mods` commands share: one name, one meaning and
one help text each, put on a command's argparse parser by these functions.

The naming rules (docs/cli.md):
  - flag names are t5's style, words joined by underscores (`--dry_run`,
    `--pretrain_until`), as `mtf-mods train` takes t5's own absl flags;
  - a singular name takes exactly one value (`--variant`, `--stage`), a
    plural one a comma-separated list (`--variants`, `--applications`,
    `--implementations`), where `all` means every registered name;
  - an on/off flag is `--x`, turned off by `--no_x`;
  - `--scale` defaults to `cpu` in every command that trains or times a
    model (TRAINING_SCALE); `variants`, which measures sizes to set them
    beside Table 1's, defaults to the paper's; `demo` is the tiny job.

Nothing here imports TensorFlow: `--help` and a bad name answer at once.
"""
import argparse

from mtf_mods.flags import old_spellings
from mtf_mods.config import scales

TRAINING_SCALE = "cpu"
SIZES_SCALE = "paper"
DEMO_SCALE = "tiny"


def add_scale(parser, default=TRAINING_SCALE, why=""):
  """--scale: a named scale (mtf_mods.config.scales)."""
  parser.add_argument(
      "--scale", default=default,
      help="a named scale: %s (default: %s%s)" % (
          ", ".join(scales.names()), default, "; " + why if why else ""))


def add_variants(parser, default, more_help=""):
  """--variants: comma-separated registered variants, or all."""
  parser.add_argument(
      "--variants", default=default, required=default is None,
      help="comma-separated registered variants, or all (mtf-mods "
      "variants lists them)%s%s" % (
          "; " + more_help if more_help else "",
          "" if default is None else " (default: %s)" % default))


def add_switch(parser, name, default, help_text):
  """--NAME and --no_NAME: an on/off flag."""
  parser.add_argument(
      "--" + name, action=_Switch, default=default,
      option_strings_off=["--no_" + name],
      help="%s (default: %s; --no_%s turns it off)" % (
          help_text, "on" if default else "off", name))


class _Switch(argparse.Action):
  """`--x` sets True, `--no_x` False."""

  def __init__(self, option_strings, dest, option_strings_off=(),
               default=False, **kwargs):
    super().__init__(list(option_strings) + list(option_strings_off), dest,
                     nargs=0, default=default, **kwargs)
    self.off = set(option_strings_off)

  def __call__(self, parser, namespace, values, option_string=None):
    setattr(namespace, self.dest, option_string not in self.off)

  def format_usage(self):
    return " | ".join(self.option_strings)


def add_dry_run(parser, help_text):
  parser.add_argument("--dry_run", action="store_true", help=help_text)


def parse(parser, argv, command, renamed=()):
  """parser.parse_args(argv) once each old spelling of a flag (`renamed`:
  (old, new) pairs, and every command's --dry-run and --no-x) is put in
  its new one, with a note on stderr."""
  return parser.parse_args(old_spellings.respell(command, argv, renamed))
