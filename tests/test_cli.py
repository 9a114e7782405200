"""The `mtf-mods` command: subcommands, errors, and the variants table."""
import pytest

from mtf_mods import cli
from mtf_mods import paper
from mtf_mods import variants
from mtf_test_utils import call_cli


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
