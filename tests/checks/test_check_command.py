"""`mtf-mods check`: one line per check, exit code 1 if any fails."""
from mtf_mods import checks
from mtf_mods.checks.result import Result
from mtf_test_utils import call_cli


def test_one_line_per_check_and_exit_1_on_a_failure(monkeypatch):
  def run(variant):
    yield Result(variant.name, "first", True, "fine")
    yield Result(variant.name, "second", variant.name != "rezero", "why")
  monkeypatch.setattr(checks, "run", run)
  result = call_cli("check", "--variants=baseline,rezero")
  assert result.returncode == 1
  assert result.stdout.splitlines() == [
      "PASS baseline first: fine", "PASS baseline second: why",
      "PASS rezero first: fine", "FAIL rezero second: why"]
  assert "2 variants, 1 checks failed" in result.stderr
  assert call_cli("check", "--variants=baseline").returncode == 0


def test_an_unknown_variant_exits_2():
  result = call_cli("check", "--variants=no_such_variant")
  assert result.returncode == 2
  assert result.stderr.startswith("mtf-mods check: unknown variant "
                                  "'no_such_variant'; valid: baseline, ")
