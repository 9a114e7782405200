"""The `mtf-mods` command: subcommands, errors, help, old spellings, and
the variants table."""
import importlib
import importlib.metadata
import json
import subprocess
import sys
from unittest import mock

import pytest

from mtf_mods import cli
from mtf_mods.config import paper
from mtf_mods import variants
from mtf_test_utils import REPO, call_cli, run_cli


def test_every_command_module_is_a_subcommand():
  names = cli.command_names()
  assert {"demo", "train", "variants", "gin-dir"} <= set(names)
  usage = cli.usage()
  for name in names:
    assert name in usage


def test_unknown_command_exits_2_with_one_line():
  result = call_cli("no-such-command")
  assert result.returncode == 2
  assert result.stderr.strip().splitlines() == [
      "mtf-mods no-such-command: unknown command; valid: "
      + ", ".join(sorted(cli.command_names()))]


def test_variants_lists_every_registered_variant():
  result = call_cli("variants", "--scale=tiny")
  assert result.returncode == 0, result.stderr[-2000:]
  rows = [line.split("\t") for line in result.stdout.splitlines()]
  assert rows[0] == ["name", "table1_row", "params", "paper_params",
                     "params_ratio", "paper_params_ratio", "flops_per_step",
                     "flops_ratio", "paper_ops", "paper_ops_ratio",
                     "scale_departure"]
  assert [row[0] for row in rows[1:]] == variants.names()
  table = paper.table1()
  vanilla = table["Vanilla Transformer"]
  baseline = rows[1]
  assert baseline[0] == variants.BASELINE
  for row in rows[1:]:
    (name, table1_row, params, paper_params, params_ratio, paper_params_ratio,
     flops, flops_ratio, ops, ratio, departure) = row
    variant = variants.get(name)
    assert table1_row == (variant.table1_row or "")
    assert int(params) > 0 and float(flops) > 0
    assert float(params_ratio) == pytest.approx(
        int(params) / int(baseline[2]), abs=1e-3)
    at_tiny = variant.departure("tiny")
    assert departure == (at_tiny.why if at_tiny else "")
    if not variant.in_table1:  # a modification of your own
      assert paper_params == paper_params_ratio == ops == ratio == ""
      assert float(flops_ratio) > 0
      continue
    assert float(paper_params) == table[table1_row]["Params"]
    assert float(paper_params_ratio) == pytest.approx(
        table[table1_row]["Params"] / vanilla["Params"], abs=1e-3)
    assert float(ops) == pytest.approx(table[table1_row]["Ops"], rel=1e-3)
    assert float(ratio) == pytest.approx(
        table[table1_row]["Ops"] / vanilla["Ops"], abs=1e-3)
    assert float(flops_ratio) > 0
  assert baseline[4] == baseline[5] == baseline[7] == baseline[9] == "1.000"


def test_variants_refuses_an_unknown_scale():
  result = call_cli("variants", "--scale=huge")
  assert result.returncode == 2
  assert result.stderr.strip() == (
      "mtf-mods variants: unknown scale 'huge'; valid: tiny, cpu, paper")


def test_variants_lists_the_variants_asked_for_or_refuses_a_name():
  result = call_cli("variants", "--scale=tiny", "--variants=rms_norm,glu")
  assert result.returncode == 0, result.stderr[-2000:]
  names = [line.split("\t")[0] for line in result.stdout.splitlines()[1:]]
  assert names == [n for n in variants.names() if n in ("rms_norm", "glu")]
  refused = call_cli("variants", "--variants=glu,nope")
  assert refused.returncode == 2
  assert "unknown variant 'nope'" in refused.stderr


# One CLI (docs/cli.md): help for every flag of every command, help and bad
# names without TensorFlow, --version, the old spellings.

def command_parser(command):
  """The argparse parser `mtf-mods COMMAND` builds, caught as it parses."""
  import argparse  # pylint: disable=g-import-not-at-top
  caught = []

  def catch(parser, args=None, namespace=None):
    del args, namespace
    caught.append(parser)
    raise SystemExit(0)

  module = importlib.import_module(
      "mtf_mods.commands." + cli.command_names()[command])
  with mock.patch.object(argparse.ArgumentParser, "parse_args", catch):
    with pytest.raises(SystemExit):
      module.main([])
  return caught[0]


@pytest.mark.parametrize("command", sorted(set(cli.command_names())
                                           - {"train"}))
def test_every_flag_of_a_command_has_help_text(command):
  parser = command_parser(command)
  flags_without_help = [action.option_strings[0]
                        for action in parser._actions  # pylint: disable=protected-access
                        if not (action.help or "").strip()]
  assert not flags_without_help


def test_every_flag_train_adds_has_help_text():
  from absl import flags  # pylint: disable=g-import-not-at-top
  from mtf_mods.flags import train_flags  # pylint: disable=g-import-not-at-top
  defined = flags.FLAGS.get_flags_for_module(train_flags.__name__)
  assert {flag.name for flag in defined} == set(train_flags.KIT_FLAGS)
  assert all(flag.help.strip() for flag in defined)
  help_text = train_flags.help_text()
  for name in train_flags.KIT_FLAGS:
    assert "--%s" % name in help_text
  assert "--helpfull" in help_text


def test_train_defaults_to_the_protocols_first_stage():
  from mtf_mods.config import protocol  # pylint: disable=g-import-not-at-top
  from mtf_mods.flags import train_flags  # pylint: disable=g-import-not-at-top
  assert train_flags.PRETRAIN_STAGE == protocol.PRETRAIN_STAGE


# Runs in a fresh interpreter: each `mtf-mods ARGS` through cli.main, then
# its exit code and whether TensorFlow was imported, as JSON.
WITHOUT_TENSORFLOW = r"""
import contextlib, io, json, sys
from mtf_mods import cli
answers = []
for argv in json.loads(sys.argv[1]):
  out, err = io.StringIO(), io.StringIO()
  code = 0
  with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    try:
      cli.main(argv)
    except SystemExit as e:
      code = e.code
  answers.append([argv, code, out.getvalue(), err.getvalue()])
print(json.dumps({"answers": answers,
                  "tensorflow": "tensorflow" in sys.modules}))
"""


def answer_without_tensorflow(argvs):
  result = subprocess.run(
      [sys.executable, "-c", WITHOUT_TENSORFLOW, json.dumps(argvs)],
      capture_output=True, text=True, cwd=REPO, timeout=120, check=True)
  return json.loads(result.stdout)


def test_help_and_bad_names_answer_without_importing_tensorflow():
  helps = [[]] + [[name, "--help"] for name in sorted(cli.command_names())]
  bad_names = [["no-such-command"], ["train", "--variant=nope"],
               ["train", "--scale=huge"], ["train", "--stage=nope"],
               ["variants", "--scale=huge"], ["demo", "--scale=huge"],
               ["study", "--scale=huge"],
               ["study", "--variants=nope", "--workdir=/nonexistent/study"],
               ["check", "--variants=nope"],
               ["bench", "--variants=nope"], ["profile", "--scale=huge"],
               ["mini-bench", "--variant=nope"]]
  answered = answer_without_tensorflow(helps + bad_names + [["--version"]])
  assert not answered["tensorflow"]
  for argv, code, out, err in answered["answers"]:
    if argv in helps:
      assert code in (0, None), (argv, err)
      assert out.startswith("usage: "), (argv, out[:200])
    elif argv in bad_names:
      assert code == 2, (argv, code)
      assert len(err.strip().splitlines()) == 1 and "valid:" in err, err


def test_help_prints_no_tensorflow_warnings():
  for argv in (["--help"], ["train", "--help"], ["study", "--help"]):
    result = run_cli(*argv)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("usage: ")
    for noise in ("WARNING", "oneDNN", "pkg_resources", "cuda"):
      assert noise not in result.stdout, argv


def test_train_help_lists_the_kits_flags():
  result = run_cli("train", "--help")
  assert result.returncode == 0, result.stderr
  for flag in ("--variant", "--implementation", "--scale", "--stage",
               "--task", "--autograph | --no_autograph"):
    assert flag in result.stdout


def test_version_prints_the_installed_version():
  result = run_cli("--version")
  assert result.returncode == 0
  assert result.stdout == "mtf-mods %s\n" % importlib.metadata.version(
      "mtf-mods")


def test_an_old_spelling_works_with_one_line_naming_the_new_one():
  common = ["study", "--scale=tiny", "--seeds=1", "--workdir=runs/x"]
  new = call_cli(*common, "--dry_run", "--applications=pretrain",
                 "--implementations=kit")
  old = call_cli(*common, "--dry-run", "--stages=pretrain",
                 "--implementation=kit")
  assert new.returncode == old.returncode == 0, old.stderr
  assert old.stdout == new.stdout
  notes = [line for line in old.stderr.splitlines()
           if "the old spelling works" in line]
  assert notes == [
      "mtf-mods study: --dry-run is now spelt --dry_run; the old spelling "
      "works for now",
      "mtf-mods study: --stages is now spelt --applications; the old "
      "spelling works for now",
      "mtf-mods study: --implementation is now spelt --implementations; "
      "the old spelling works for now"]
  assert "old spelling" not in new.stderr


def test_an_off_switch_takes_the_underscore_and_the_old_dash():
  from mtf_mods.commands import bench  # pylint: disable=g-import-not-at-top
  assert bench.parse(["--no_peer"]).peer is False
  assert bench.parse(["--no-peer"]).peer is False
  assert bench.parse(["--peer"]).peer is True
  assert bench.parse([]).peer is True


def test_scale_defaults_one_per_kind_of_command():
  from mtf_mods.flags import shared_flags  # pylint: disable=g-import-not-at-top
  defaults = {command: command_parser(command).get_default("scale")
              for command in ("study", "bench", "profile", "mini-bench",
                              "variants", "demo")}
  assert defaults == {"study": shared_flags.TRAINING_SCALE,
                      "bench": shared_flags.TRAINING_SCALE,
                      "profile": shared_flags.TRAINING_SCALE,
                      "mini-bench": shared_flags.TRAINING_SCALE,
                      "variants": shared_flags.SIZES_SCALE,
                      "demo": shared_flags.DEMO_SCALE}
