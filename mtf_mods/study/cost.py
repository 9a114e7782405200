"""What a study cost: the report's section, from its records' own times.

Each record keeps its cell's wall time (`duration_seconds`, from the
executor's start of the cell to its record) and the machine it ran on.
Per implementation: the cells, their summed time, and the variants whose
cells took longest on average, with the baseline's for scale. Cells that
ran side by side (a Ray cluster) each count their own time, so the sum is
the cells' time, not the study's wall time; a cell resumed after an
interruption counts its last run only.
"""
import collections
import statistics

from mtf_mods import variants

TITLE = "## What it cost"
COSTLIEST = 5


def _minutes(seconds):
  return "%.1f min" % (seconds / 60)


def _hours(seconds):
  return "%.1f h" % (seconds / 3600)


def lines(study_records, implementations):
  """One Markdown item per implementation with timed records."""
  items = []
  for implementation in implementations:
    timed = [r for r in study_records if r.implementation == implementation
             and r.duration_seconds]
    if not timed:
      continue
    per_variant = collections.defaultdict(list)
    for record in timed:
      per_variant[record.variant].append(record.duration_seconds)
    means = {name: statistics.fmean(times)
             for name, times in per_variant.items()}
    costliest = sorted(means, key=lambda name: -means[name])[:COSTLIEST]
    baseline = means.get(variants.BASELINE)
    items.append(
        "- **%s**: %d cell%s, %s of cell time; per cell %s to %s%s. The "
        "costliest per cell: %s." % (
            implementation, len(timed), "" if len(timed) == 1 else "s",
            _hours(sum(r.duration_seconds for r in timed)),
            _minutes(min(r.duration_seconds for r in timed)),
            _minutes(max(r.duration_seconds for r in timed)),
            "" if baseline is None else ", the baseline's %s on average"
            % _minutes(baseline),
            ", ".join("%s (%s)" % (name, _minutes(means[name]))
                      for name in costliest)))
  return items


def markdown(study_records, implementations):
  """The section, or "" when no record has a time."""
  items = lines(study_records, implementations)
  if not items:
    return ""
  machines = collections.Counter(r.machine or "unknown"
                                 for r in study_records if r.duration_seconds)
  return (TITLE + "\n\n" + "\n".join(items) + "\n\nOn %s. Each cell's wall "
          "time, from its start to its record, averaged over its seeds for "
          "the costliest; cells that ran side by side each count their own "
          "time, and a cell resumed after an interruption counts its last "
          "run only.\n" % ", ".join("%s (%d records)" % item
                                    for item in machines.most_common()))
