"""`mtf-mods bench` at the tiny scale for one step: the table's shape.

The figures are not asserted (speed targets are the benchmark's business,
not the tests'); the columns, the sections and the batch shapes of the rows
are.
"""
import csv

from mtf_mods.bench import machine
from mtf_test_utils import call_cli, run_cli

EXPECTED_COLUMNS = [
    "section", "name", "params", "batch", "inputs", "targets",
    "steps_per_s", "tokens_per_s", "first_step_s", "gflop_per_s",
    "peak_fraction", "peer_tokens_per_s", "kit_over_peer", "over_baseline",
    "paper_over_baseline", "over_training", "notes"]


def test_bench_prints_and_writes_the_table(mini_env, tmp_path):
  tsv = tmp_path / "bench.tsv"
  result = run_cli("bench", "--scale=tiny", "--variants=baseline",
                   "--steps=1", "--warmup=0", "--sweep_factors=1,2",
                   "--tsv=%s" % tsv, env=mini_env)
  assert result.returncode == 0, result.stderr[-3000:]
  with open(tsv) as f:
    reader = csv.DictReader(f, delimiter="\t")
    assert reader.fieldnames == EXPECTED_COLUMNS
    rows = list(reader)
  printed = result.stdout.splitlines()
  assert printed[0].split() == EXPECTED_COLUMNS
  assert [line.split()[0] for line in printed[1:len(rows) + 1]] == [
      row["section"] for row in rows]

  by_section = {}
  for row in rows:
    by_section.setdefault(row["section"], []).append(row)
  assert sorted(by_section) == sorted([
      "machine", "peak", "variant", "input_pipeline", "length_sweep",
      "batch_sweep"])
  assert float(by_section["peak"][0]["gflop_per_s"]) > 0
  assert machine.vector_instructions() in by_section["machine"][0]["notes"]

  variant, = by_section["variant"]
  assert variant["name"] == "baseline"
  assert (variant["batch"], variant["inputs"], variant["targets"]) == (
      "8", "32", "8")
  for column in ("steps_per_s", "tokens_per_s", "first_step_s",
                 "gflop_per_s", "peak_fraction", "peer_tokens_per_s",
                 "kit_over_peer"):
    assert float(variant[column]) > 0, column
  assert "HF T5 2+2 layers" in variant["notes"]
  # the baseline is its own reference, here and in Table 1
  assert float(variant["over_baseline"]) == 1.0
  assert float(variant["paper_over_baseline"]) == 1.0
  variant_line, = [line for line in printed if line.startswith("variant")]
  for column in ("over_baseline", "paper_over_baseline"):
    start = printed[0].index(" %s " % column) + 1
    assert variant_line[start:].startswith("1.00x "), column

  pipeline, = by_section["input_pipeline"]
  assert pipeline["name"] == "mini_span_corruption"
  assert float(pipeline["over_training"]) > 0

  assert [(r["batch"], r["inputs"], r["targets"])
          for r in by_section["length_sweep"]] == [("8", "32", "8"),
                                                   ("8", "64", "14")]
  assert [(r["batch"], r["inputs"], r["targets"])
          for r in by_section["batch_sweep"]] == [("8", "32", "8"),
                                                  ("16", "32", "8")]
  for row in by_section["length_sweep"] + by_section["batch_sweep"]:
    assert float(row["steps_per_s"]) > 0
  assert "utilisation of the matmul peak" in result.stdout


def test_bench_refuses_an_unknown_variant():
  result = call_cli("bench", "--variants=baseline,nope")
  assert result.returncode == 2
  line, = result.stderr.strip().splitlines()
  assert line.startswith("mtf-mods bench: unknown variant 'nope'; valid: ")
  assert "baseline" in line


def test_bench_together_times_every_variant_in_the_same_rounds(tmp_path):
  tsv = tmp_path / "together.tsv"
  result = run_cli("bench", "--scale=tiny", "--variants=glu,rms_norm",
                   "--together", "--steps=1", "--warmup=0", "--no_pipeline",
                   "--no_sweeps", "--tsv=%s" % tsv)
  assert result.returncode == 0, result.stderr[-3000:]
  with open(tsv) as f:
    rows = [r for r in csv.DictReader(f, delimiter="\t")
            if r["section"] == "variant"]
  assert [r["name"] for r in rows] == ["baseline", "glu", "rms_norm"]
  for row in rows:
    assert "timed in the same rounds as every variant" in row["notes"]
    assert row["kit_over_peer"] == ""  # no peer in shared rounds
    assert float(row["over_baseline"]) > 0
  assert float(rows[0]["over_baseline"]) == 1.0
  assert rows[0]["notes"].startswith("not requested")
