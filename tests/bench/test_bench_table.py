"""The bench's table, its comparison with the baseline, sweep shapes and
step alternation (no timing asserted)."""
import csv

import pytest

from mtf_mods.config import paper
from mtf_mods import variants
from mtf_mods.bench import scaling
from mtf_mods.bench import suite
from mtf_mods.bench import table
from mtf_mods.bench import timing


def test_rows_print_aligned_and_round_trip_through_tsv(tmp_path):
  rows = [{"section": "peak", "name": "matmul fp32 1024",
           "gflop_per_s": 123.456},
          {"section": "variant", "name": "baseline", "params": 128640,
           "steps_per_s": 2.5, "peak_fraction": 0.5512,
           "kit_over_peer": 1.234, "over_baseline": 1.0,
           "paper_over_baseline": 0.876, "notes": "a\tb"}]
  lines = table.render(rows).splitlines()
  assert lines[0].split() == list(table.COLUMNS)
  # every column starts at the same offset on every line
  start = lines[0].index("steps_per_s")
  assert lines[2][start:].startswith("2.50")
  assert lines[1][start:].startswith("-")
  assert "55%" in lines[2] and "1.23x" in lines[2]
  assert "1.00x" in lines[2] and "0.88x" in lines[2]

  path = tmp_path / "sub" / "bench.tsv"
  table.write_tsv(rows, str(path))
  with open(path) as f:
    read = list(csv.DictReader(f, delimiter="\t"))
  assert read[0]["gflop_per_s"] == "123.456"
  assert read[0]["steps_per_s"] == ""
  assert read[1]["peak_fraction"] == "0.5512"
  assert read[1]["notes"] == "a b"


def test_unknown_columns_are_refused():
  with pytest.raises(ValueError, match="speed"):
    table.render([{"section": "variant", "speed": 1.0}])


def test_the_baseline_is_measured_first_when_not_requested():
  def names(requested):
    return suite.Bench(suite.Options(variants=requested,
                                     scale="tiny")).variant_names()
  assert names(("glu", "rezero")) == ("baseline", "glu", "rezero")
  assert names(("glu", "baseline")) == ("glu", "baseline")


def test_variants_compare_with_the_baseline_here_and_in_table1(monkeypatch):
  monkeypatch.setattr(variants, "VARIANTS", variants.VARIANTS + (
      variants.Variant("mine", None, "own"),))
  rows = [{"name": "glu", "steps_per_s": 3.0},
          {"name": "baseline", "steps_per_s": 4.0},
          {"name": "block_sharing", "steps_per_s": 5.0},
          {"name": "mine", "steps_per_s": 2.0}]
  suite.compare_with_baseline(rows)
  assert [row["over_baseline"] for row in rows] == [0.75, 1.0, 1.25, 0.5]
  step_s = {name: row["Step/s"] for name, row in paper.table1().items()}
  assert [row.get("paper_over_baseline") for row in rows] == [
      pytest.approx(step_s["GLU"] / step_s["Vanilla Transformer"]), 1.0,
      pytest.approx(step_s["Block sharing"] / step_s["Vanilla Transformer"]),
      None]


def test_length_points_take_span_corruption_targets():
  points = scaling.length_points(16, {"inputs": 128, "targets": 29},
                                 (0.5, 1.0, 2.0, 4.0))
  assert points == [(16, {"inputs": 64, "targets": 14}),
                    (16, {"inputs": 128, "targets": 29}),
                    (16, {"inputs": 256, "targets": 58}),
                    (16, {"inputs": 512, "targets": 114})]


def test_batch_points_keep_the_lengths():
  lengths = {"inputs": 32, "targets": 8}
  assert scaling.batch_points(8, lengths, (0.5, 1.0, 2.0)) == [
      (4, lengths), (8, lengths), (16, lengths)]


class _Recorder:

  def __init__(self, name, log):
    self.name, self.log, self.first_step_seconds = name, log, 1.5

  def step(self):
    self.log.append(self.name)


def test_time_together_alternates_after_the_warm_up_each_first_in_turn():
  log = []
  a, b, c = (_Recorder(name, log) for name in "abc")
  timings = timing.time_together([a, b, c], steps=4, warmup=2)
  assert log == (["a", "b", "c"] * 2
                 + ["a", "b", "c", "b", "c", "a", "c", "a", "b", "a", "b", "c"])
  assert [len(t.step_seconds) for t in timings] == [4, 4, 4]
  assert [t.first_step_seconds for t in timings] == [1.5, 1.5, 1.5]
  assert all(t.steps_per_second > 0 for t in timings)


def test_time_together_needs_a_timed_step():
  with pytest.raises(ValueError, match="at least 1"):
    timing.time_together([_Recorder("a", [])], steps=0, warmup=0)
