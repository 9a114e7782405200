"""What the README shows works: every `mtf-mods` command line in its code
blocks names a command that exists, and its flags parse with that
command's own parser (argparse, or for `train` the launcher's absl flags),
in this process and without running the command; its table of commands
lists every command; every link in the README and the docs pages reaches
a file, and a heading where it names one."""
import argparse
import contextlib
import glob
import importlib
import io
import os
import re
import shlex
from unittest import mock

from absl import flags
import pytest

from mtf_mods import cli
from mtf_test_utils import REPO

README = os.path.join(REPO, "README.md")
FENCED_BLOCK = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
# <workdir> and the like stand for a value of the user's.
PLACEHOLDER = re.compile(r"<[A-Za-z_]+>")
TABLE_COMMAND = re.compile(r"^\| `mtf-mods ([a-z-]+)` \|", re.M)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#+ (.*)$", re.M)
# Commands without flags: nothing to parse.
NO_FLAGS = ("gin-dir",)


class Parsed(Exception):
  """Raised where a command would go on to run, once its flags parsed."""


def _read(path):
  with open(path, encoding="utf-8") as f:
    return f.read()


def readme_command_lines():
  """The argument lists after `mtf-mods` of every command line in the
  README's fenced code blocks (continuation lines joined)."""
  commands = []
  for block in FENCED_BLOCK.findall(_read(README)):
    for line in block.replace("\\\n", " ").splitlines():
      line = line.strip()
      if line.startswith("$ "):
        line = line[2:]
      if not line or os.path.basename(line.split()[0]) != "mtf-mods":
        continue
      words = shlex.split(PLACEHOLDER.sub("x", line), comments=True)
      commands.append(words[1:])
  return commands


def _parse_argparse_command(module, argv):
  """Runs the command's main until its parser has parsed argv."""
  parse_args = argparse.ArgumentParser.parse_args

  def parse_then_stop(parser, args=None, namespace=None):
    raise Parsed(parse_args(parser, args, namespace))

  with mock.patch.object(argparse.ArgumentParser, "parse_args",
                         parse_then_stop):
    module.main(argv)


def _parse_train(module, argv):
  """Runs `mtf-mods train`'s main until absl has parsed its flags, then
  puts the flags back; TensorFlow's process-wide switches are left as
  they are."""
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  from absl import app  # pylint: disable=g-import-not-at-top

  def stop(main, argv=None):
    del main, argv
    raise Parsed()

  try:
    with mock.patch.object(app, "run", stop), \
        mock.patch.object(tf, "disable_v2_behavior"), \
        mock.patch.object(tf, "enable_resource_variables"):
      module.main(argv)
  finally:
    flags.FLAGS.unparse_flags()


def parse_error(words):
  """None if `mtf-mods WORDS` names a command whose parser accepts its
  flags, else what is wrong."""
  names = cli.command_names()
  if not words or words[0] not in names:
    return "no such command; valid: %s" % ", ".join(sorted(names))
  command, argv = words[0], words[1:]
  if command in NO_FLAGS:
    return "takes no flags" if argv else None
  module = importlib.import_module("mtf_mods.commands." + names[command])
  parse = _parse_train if command == "train" else _parse_argparse_command
  stderr = io.StringIO()
  try:
    with contextlib.redirect_stderr(stderr), \
        contextlib.redirect_stdout(io.StringIO()):
      parse(module, argv)
  except Parsed:
    return None
  except SystemExit as e:
    return "exit %s: %s" % (e.code, stderr.getvalue().strip())
  return "ran without parsing its flags"


COMMAND_LINES = readme_command_lines()


def test_the_readme_shows_commands():
  shown = {words[0] for words in COMMAND_LINES}
  assert {"demo", "train", "study", "report", "check", "variants"} <= shown


@pytest.mark.parametrize("words", COMMAND_LINES,
                         ids=[" ".join(w)[:80] for w in COMMAND_LINES])
def test_each_readme_command_exists_and_its_flags_parse(words):
  assert parse_error(words) is None, (
      "README: mtf-mods %s: %s" % (" ".join(words), parse_error(words)))


def test_a_misspelt_flag_or_command_is_caught():
  assert parse_error(["study", "--varaints=swiglu", "--seeds=3"])
  assert parse_error(["study", "--seeds=three"])
  assert parse_error(["train", "--variants=swiglu"])
  assert parse_error(["trian", "--variant=swiglu"])
  assert parse_error(["study", "--variants=swiglu", "--seeds=3"]) is None
  assert parse_error(["train", "--variant=swiglu", "--train_steps=3"]) is None


def test_train_takes_the_kits_off_switch_and_absls():
  for switch in ("--no_autograph", "--no-autograph", "--noautograph"):
    assert parse_error(["train", switch]) is None, switch
  assert parse_error(["train", "--no_such_switch"])


def test_the_commands_table_lists_every_command():
  listed = TABLE_COMMAND.findall(_read(README))
  assert sorted(listed) == sorted(cli.command_names())


def _anchor(heading):
  """GitHub's anchor of a Markdown heading."""
  text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
  return text.replace(" ", "-")


def _pages():
  return [README, os.path.join(REPO, "DESIGN.md")] + sorted(
      glob.glob(os.path.join(REPO, "docs", "**", "*.md"), recursive=True))


def test_every_link_of_the_readme_and_the_docs_reaches_its_target():
  broken = []
  for page in _pages():
    for target in LINK.findall(_read(page)):
      if re.match(r"[a-z]+:", target):  # https:, mailto:
        continue
      path, _, anchor = target.partition("#")
      path = (os.path.normpath(os.path.join(os.path.dirname(page), path))
              if path else page)
      if not os.path.exists(path):
        broken.append("%s: %s (no such file)" % (page, target))
      elif anchor and (os.path.isdir(path) or anchor not in {
          _anchor(h) for h in HEADING.findall(_read(path))}):
        broken.append("%s: %s (no such heading)" % (page, target))
  assert not broken, "\n".join(broken)


def test_the_readme_is_short_and_opens_with_its_two_commands():
  text = _read(README)
  assert len(text.splitlines()) <= 300
  first_block = FENCED_BLOCK.search(text).group(1).splitlines()
  assert [line.split()[:2] for line in first_block] == [
      ["make", "demo"], ["make", "test"]]
