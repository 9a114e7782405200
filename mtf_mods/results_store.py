"""One JSON record per study cell: variant x stage x seed.

A record holds the cell's identity (implementation, variant, stage, seed),
its status ("ok" or "failed"), its metrics (or its error) and its duration.
Records of the kit's implementation live in
<workdir>/results/<variant>/<stage>/seed<seed>.json, those of another
implementation under <workdir>/results/<implementation>/ in the same layout
(`implementation_dir`); a cell whose record says "ok" is finished and is
skipped when the study resumes.

The layout has a format number, RESULTS_FORMAT, written to
<workdir>/results/format.json with the first record; a results directory
without that file is of format 1 (every study written before it existed).
A store refuses (NewerResultsFormat) a directory of a newer format than
this version reads, before it writes anything.
"""
import dataclasses
import glob
import json
import os

from mtf_mods import atomic_files

OK = "ok"
FAILED = "failed"
KIT = "kit"          # the kit's layers (gin/models/)
RELEASE = "release"  # the authors' release on mtf's layers (gin/reference/)
IMPLEMENTATIONS = (KIT, RELEASE)
RESULTS_FORMAT = 1  # the layout of results/ and of its records
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
    if not os.path.exists(path):
      return 1
    try:
      with open(path) as f:
        return int(json.load(f)["format"])
    except (ValueError, KeyError, TypeError) as e:
      raise ValueError("%s is not a results format record (%s: %s); it "
                       "should hold {\"format\": N}" % (
                           path, type(e).__name__, e)) from e

  def path(self, variant, stage, seed, implementation=KIT):
    return os.path.join(implementation_dir(self.root, implementation),
                        variant, stage, "seed%d.json" % seed)

  def get(self, variant, stage, seed, implementation=KIT):
    path = self.path(variant, stage, seed, implementation)
    if not os.path.exists(path):
      return None
    return _read_record(path)

  def is_finished(self, variant, stage, seed, implementation=KIT):
    record = self.get(variant, stage, seed, implementation)
    return record is not None and record.status == OK

  def put(self, record):
    """Writes atomically: the record replaces the previous one only once it
    is written whole; a write that fails leaves the previous one and no
    temporary file."""
    path = self.path(record.variant, record.stage, record.seed,
                     record.implementation)
    if not os.path.exists(os.path.join(self.root, FORMAT_FILE)):
      _write_json(os.path.join(self.root, FORMAT_FILE),
                  {"format": RESULTS_FORMAT})
    _write_json(path, dataclasses.asdict(record))

  def all(self):
    """Every record, the kit's first, then each other implementation's."""
    records = []
    for implementation in IMPLEMENTATIONS:
      pattern = os.path.join(implementation_dir(self.root, implementation),
                             "*", "*", "seed*.json")
      for path in sorted(glob.glob(pattern)):
        record = _read_record(path)
        if record:
          records.append(record)
    return records


def _write_json(path, value):
  """Writes atomically (atomic_files): `value` replaces the file only once
  it is written whole; a write that fails leaves the file as it was."""
  with atomic_files.replacing(path) as f:
    json.dump(value, f, indent=2, sort_keys=True)


def _read_record(path):
  """The record in `path`, or None if it is not a whole record (cut short
  by a write the kit did not make atomically, or a failing disk): its cell
  is then not finished and runs again."""
  try:
    with open(path) as f:
      return Record(**json.load(f))
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
