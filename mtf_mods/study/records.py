"""What a study keeps: one JSON record per cell, on any filesystem.

A record holds the cell's identity (implementation, variant, stage, seed),
its status ("ok" or "failed"), its metrics (or its error), its duration,
the configuration it ran under (`config_id`, configuration.py) and what
produced it: the kit's version and commit, the machine, when it started
and finished (provenance.py). Records of the kit's implementation live in
<workdir>/results/<variant>/<stage>/seed<seed>.json, those of another
implementation under <workdir>/results/<implementation>/ in the same
layout (`implementation_dir`); a cell whose record says "ok" is finished
and is skipped when the study resumes. Only the study's driver writes
records, each atomically (atomic_files), through tf.io.gfile (storage.py).

The layout has a format number, RESULTS_FORMAT, written to
<workdir>/results/format.json with the first record:
- 1: a directory without that file, written before it existed: records
  without configuration or provenance (they read with those fields empty);
- 2: records carry `config_id` and their provenance, and the workdir holds
  the study's configuration (study.json).
A store refuses (NewerResultsFormat) a directory of a newer format than
this version reads, before it writes anything.
"""
import dataclasses
import json
import os

from mtf_mods.config import gin_files
from mtf_mods.files import atomic_files
from mtf_mods.study import storage

OK = "ok"
FAILED = "failed"
# The implementations a record may come from (config/gin_files.py).
KIT = gin_files.KIT
RELEASE = gin_files.RELEASE
IMPLEMENTATIONS = gin_files.IMPLEMENTATIONS
RESULTS_FORMAT = 2  # the layout of results/ and of its records
FORMAT_FILE = "format.json"


class NewerResultsFormat(ValueError):
  """A results directory written by a newer mtf-mods."""


@dataclasses.dataclass
class Record:
  variant: str
  stage: str
  seed: int
  status: str
  metrics: dict = dataclasses.field(default_factory=dict)
  error: str = ""
  duration_seconds: float = 0.0
  scale: str = ""
  data: str = ""
  implementation: str = KIT
  config_id: str = ""     # "" in format 1
  kit_version: str = ""
  commit: str = ""        # "" outside a git checkout, and in format 1
  machine: str = ""
  started_at: str = ""    # ISO 8601, UTC
  finished_at: str = ""


class ResultStore:
  """The records of one study's working directory."""

  def __init__(self, workdir):
    """Raises NewerResultsFormat if the directory's format is newer than
    RESULTS_FORMAT."""
    self.root = os.path.join(workdir, "results")
    found = self.format()
    if found > RESULTS_FORMAT:
      raise NewerResultsFormat(
          "%s holds study results of format %d (%s); this mtf-mods reads "
          "format %d and older: upgrade mtf-mods" % (
              self.root, found, FORMAT_FILE, RESULTS_FORMAT))

  def format(self):
    """The format number of the results directory (1 without FORMAT_FILE)."""
    path = os.path.join(self.root, FORMAT_FILE)
    text = storage.read_text(path)
    if text is None:
      return 1
    try:
      return int(json.loads(text)["format"])
    except (ValueError, KeyError, TypeError) as e:
      raise ValueError("%s is not a results format record (%s: %s); it "
                       "should hold {\"format\": N}" % (
                           path, type(e).__name__, e)) from e

  def path(self, variant, stage, seed, implementation=KIT):
    return os.path.join(implementation_dir(self.root, implementation),
                        variant, stage, "seed%d.json" % seed)

  def get(self, variant, stage, seed, implementation=KIT):
    return _read_record(self.path(variant, stage, seed, implementation))

  def is_finished(self, variant, stage, seed, implementation=KIT):
    record = self.get(variant, stage, seed, implementation)
    return record is not None and record.status == OK

  def put(self, record):
    """Writes atomically: the record replaces the previous one only once it
    is written whole; a write that fails leaves the previous one and no
    temporary file. The first record of a directory writes its format."""
    path = self.path(record.variant, record.stage, record.seed,
                     record.implementation)
    if self.format() < RESULTS_FORMAT:  # 1 also where the file is missing
      _write_json(os.path.join(self.root, FORMAT_FILE),
                  {"format": RESULTS_FORMAT})
    _write_json(path, dataclasses.asdict(record))

  def all(self):
    """Every record, the kit's first, then each other implementation's."""
    found = []
    for implementation in IMPLEMENTATIONS:
      pattern = os.path.join(implementation_dir(self.root, implementation),
                             "*", "*", "seed*.json")
      for path in storage.glob(pattern):
        record = _read_record(path)
        if record:
          found.append(record)
    return found


def _write_json(path, value):
  """Writes atomically (atomic_files): `value` replaces the file only once
  it is written whole; a write that fails leaves the file as it was."""
  with atomic_files.replacing(path) as f:
    json.dump(value, f, indent=2, sort_keys=True)


def _read_record(path):
  """The record in `path`; None if there is none or it is not a whole
  record (cut short by a write the kit did not make atomically, or a
  failing disk): its cell is then not finished and runs again."""
  try:
    text = storage.read_text(path)
    return None if text is None else Record(**json.loads(text))
  except (ValueError, TypeError):
    return None


def implementation_dir(root, implementation):
  """Where an implementation's files go under a study's `root`: the kit's
  in `root` itself (the layout of studies before implementations), any
  other's in root/<implementation>."""
  if implementation not in IMPLEMENTATIONS:
    raise ValueError("unknown implementation %r; valid: %s" % (
        implementation, ", ".join(IMPLEMENTATIONS)))
  return root if implementation == KIT else os.path.join(root,
                                                         implementation)
