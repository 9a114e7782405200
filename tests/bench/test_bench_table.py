"""The bench's table, sweep shapes and step alternation (no timing asserted)."""
import csv

import pytest

from mtf_mods.bench import scaling
from mtf_mods.bench import table
from mtf_mods.bench import timing


def test_rows_print_aligned_and_round_trip_through_tsv(tmp_path):
  rows = [{"section": "peak", "name": "matmul fp32 1024",
           "gflop_per_s": 123.456},
          {"section": "variant", "name": "baseline", "params": 128640,
           "steps_per_s": 2.5, "peak_fraction": 0.5512,
           "kit_over_peer": 1.234, "notes": "a\tb"}]
  lines = table.render(rows).splitlines()
  assert lines[0].split() == list(table.COLUMNS)
  # every column starts at the same offset on every line
  start = lines[0].index("steps_per_s")
  assert lines[2][start:].startswith("2.50")
  assert lines[1][start:].startswith("-")
  assert "55%" in lines[2] and "1.23x" in lines[2]

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


def test_time_together_alternates_after_the_warm_up():
  log = []
  a, b = _Recorder("a", log), _Recorder("b", log)
  timings = timing.time_together([a, b], steps=3, warmup=2)
  assert log == ["a", "b"] * 5
  assert [len(t.step_seconds) for t in timings] == [3, 3]
  assert [t.first_step_seconds for t in timings] == [1.5, 1.5]
  assert all(t.steps_per_second > 0 for t in timings)


def test_time_together_needs_a_timed_step():
  with pytest.raises(ValueError, match="at least 1"):
    timing.time_together([_Recorder("a", [])], steps=0, warmup=0)
