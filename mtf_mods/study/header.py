"""What a report shows: its study's configuration, and which records made it.

The report opens with the workdir's configuration (configuration.py), the
seeds, commits, dates and machines of the records it shows, and says which
records it leaves out: those of another configuration (`config_id`), which
a study never writes into a configured workdir but a copy by hand can. A
record without a configuration id was written before format 2: it counts
as the workdir's own where the configuration adopted such records, and the
header says so.
"""
import collections
import json

from mtf_mods.study import configuration


def select(study_records, written):
  """(records of the workdir's configuration, records of another one)."""
  if written is None:
    return list(study_records), []
  own = written["config_id"]
  return ([r for r in study_records if r.config_id in (own, "")],
          [r for r in study_records if r.config_id not in (own, "")])


def _counted(values):
  counts = collections.Counter(values)
  return ", ".join("%s (%d)" % (value or "unknown", n)
                   for value, n in counts.most_common())


def markdown(workdir, written, kept, left_out):
  """The report's opening lines."""
  lines = ["# Study report: %s" % workdir, ""]
  if written is None:
    lines.append("Configuration unknown: the workdir has no %s (results "
                 "format 1, written before studies recorded their "
                 "configuration)." % configuration.CONFIG_FILE)
  else:
    identity = written["identity"]
    lines.append("Configuration `%s` (%s, created %s): %s." % (
        written["config_id"], configuration.CONFIG_FILE, written["created"],
        "; ".join("%s %s" % (field, json.dumps(identity.get(field)))
                  for field in configuration.IDENTITY)))
    lines.append("Variants %s; up to %d seeds; implementations %s." % (
        ", ".join(written["variants"]), written["seeds"],
        ", ".join(written["implementations"])))
    if written.get("adopted_unconfigured_records"):
      lines.append("Records without a configuration id (results format 1, "
                   "written before it) are taken as this configuration's: "
                   "the kit cannot check them.")
  dates = sorted(r.finished_at for r in kept if r.finished_at)
  per_seed = collections.Counter(r.seed for r in kept)
  seeds = ", ".join("%d (%d)" % (seed, per_seed[seed])
                    for seed in sorted(per_seed))
  lines.append("Records shown: %d, of seeds %s; commits %s; %s; machines "
               "%s." % (len(kept), seeds, _counted(r.commit for r in kept),
                        "finished %s to %s" % (dates[0], dates[-1]) if dates
                        else "dates unknown",
                        _counted(r.machine for r in kept)))
  if left_out:
    lines.append("Left out: %d records of another configuration (%s); "
                 "give each configuration its own workdir." % (
                     len(left_out), _counted(r.config_id for r in left_out)))
  return "\n".join(lines) + "\n"


def figure_caption(workdir, written, kept):
  """The small print of every figure of a report: the study, its
  configuration and the commits of the records drawn."""
  commits = collections.Counter(r.commit or "unknown" for r in kept)
  return "mtf-mods report of %s: configuration %s; records of commit%s %s" % (
      workdir, written["config_id"] if written else "unknown",
      "" if len(commits) == 1 else "s",
      ", ".join(commit for commit, _ in commits.most_common()))
