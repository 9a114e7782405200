"""The report's "What it cost", from records with known times."""
from mtf_mods import variants
from mtf_mods.study import cost
from mtf_mods.study import records as results_store

MACHINE = "vm: test CPU, 2 cores"


def timed(name, seed, seconds, implementation=results_store.KIT,
          status=results_store.OK):
  return results_store.Record(name, "pretrain", seed, status, {},
                              duration_seconds=seconds,
                              implementation=implementation, machine=MACHINE)


def test_sums_ranks_and_names_the_machine():
  slow, fast = variants.VARIANTS[1].name, variants.VARIANTS[2].name
  found = [timed(variants.BASELINE, 0, 120), timed(variants.BASELINE, 1, 60),
           timed(slow, 0, 600), timed(slow, 1, 300), timed(fast, 0, 30),
           timed(fast, 1, 0.0),  # no time recorded: not counted
           timed(slow, 0, 900, results_store.RELEASE)]
  text = cost.markdown(found, results_store.IMPLEMENTATIONS)
  items = [line for line in text.splitlines() if line.startswith("- ")]
  assert items == [
      "- **kit**: 5 cells, 0.3 h of cell time; per cell 0.5 min to 10.0 "
      "min, the baseline's 1.5 min on average. The costliest per cell: "
      "%s (7.5 min), %s (1.5 min), %s (0.5 min)."
      % (slow, variants.BASELINE, fast),
      "- **release**: 1 cell, 0.2 h of cell time; per cell 15.0 min to "
      "15.0 min. The costliest per cell: %s (15.0 min)." % slow]
  assert "On %s (6 records)." % MACHINE in text


def test_no_timed_record_no_section():
  assert cost.markdown([timed(variants.BASELINE, 0, 0.0)],
                       results_store.IMPLEMENTATIONS) == ""
