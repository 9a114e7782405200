"""The `mtf-mods` command: subcommands, errors, and the variants table."""
from mtf_mods import cli
from mtf_mods import variants
from mtf_test_utils import run_cli


def test_every_command_module_is_a_subcommand():
  names = cli.command_names()
  assert {"demo", "train", "variants", "gin-dir"} <= set(names)
  usage = cli.usage()
  for name in names:
    assert name in usage


def test_unknown_command_exits_2_with_one_line():
  result = run_cli("no-such-command")
  assert result.returncode == 2
  assert result.stderr.strip().splitlines() == [
      "mtf-mods no-such-command: unknown command; valid: "
      + ", ".join(sorted(cli.command_names()))]


def test_variants_lists_every_registered_variant():
  result = run_cli("variants", "--scale=tiny")
  assert result.returncode == 0, result.stderr[-2000:]
  rows = [line.split("\t") for line in result.stdout.strip().splitlines()]
  assert rows[0] == ["name", "table1_row", "params", "flops_per_step",
                     "paper_params", "paper_ops"]
  assert [row[0] for row in rows[1:]] == variants.names()
  for row in rows[1:]:
    assert int(row[2]) > 0 and float(row[3]) > 0


def test_variants_refuses_an_unknown_scale():
  result = run_cli("variants", "--scale=huge")
  assert result.returncode == 2
  assert result.stderr.strip() == (
      "mtf-mods variants: unknown scale 'huge'; valid: tiny, cpu, paper")
