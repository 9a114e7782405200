"""Old spellings of renamed flags, still accepted for scripts that use them.

Each is put in its new spelling before the command's parser sees it, with
one line on stderr naming the new one (docs/cli.md lists the renames).
"""
import sys

# Every command's: the dashed forms before the flags took t5's underscores.
DRY_RUN = ("--dry-run", "--dry_run")
SWITCH_OFF_OLD, SWITCH_OFF = "--no-", "--no_"


def respell(command, argv, renamed=()):
  """argv with each old spelling replaced by its new one; one note per old
  spelling used.

  Args:
    command: the subcommand's name, for the note.
    argv: its arguments.
    renamed: (old flag, new flag) pairs of the command, e.g.
      ("--stages", "--applications").
  """
  pairs = dict(renamed)
  pairs.setdefault(*DRY_RUN)
  noted, result = set(), []
  for argument in argv:
    name, equals, value = argument.partition("=")
    new = pairs.get(name)
    if new is None and name.startswith(SWITCH_OFF_OLD):
      new = SWITCH_OFF + name[len(SWITCH_OFF_OLD):]
    if new is not None:
      if name not in noted:
        print("mtf-mods %s: %s is now spelt %s; the old spelling works for "
              "now" % (command, name, new), file=sys.stderr)
        noted.add(name)
      argument = new + equals + value
    result.append(argument)
  return result
