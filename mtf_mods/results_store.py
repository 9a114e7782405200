"""One JSON record per study cell: variant x stage x seed.

A record holds the cell's identity, its status ("ok" or "failed"), its
metrics (or its error) and its duration. Records live in
<workdir>/results/<variant>/<stage>/seed<seed>.json; a cell whose record
says "ok" is finished and is skipped when the study resumes.
"""
import dataclasses
import glob
import json
import os
import tempfile

OK = "ok"
FAILED = "failed"


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


class ResultStore:
  """The records of one study's working directory."""

  def __init__(self, workdir):
    self.root = os.path.join(workdir, "results")

  def path(self, variant, stage, seed):
    return os.path.join(self.root, variant, stage, "seed%d.json" % seed)

  def get(self, variant, stage, seed):
    path = self.path(variant, stage, seed)
    if not os.path.exists(path):
      return None
    with open(path) as f:
      return Record(**json.load(f))

  def is_finished(self, variant, stage, seed):
    record = self.get(variant, stage, seed)
    return record is not None and record.status == OK

  def put(self, record):
    """Writes atomically: the record replaces the previous one only once it
    is written whole; a write that fails leaves the previous one and no
    temporary file."""
    path = self.path(record.variant, record.stage, record.seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path),
                                         suffix=".tmp")
    try:
      with os.fdopen(handle, "w") as f:
        json.dump(dataclasses.asdict(record), f, indent=2, sort_keys=True)
      os.replace(temporary, path)
    except BaseException:
      os.remove(temporary)
      raise

  def all(self):
    records = []
    for path in sorted(glob.glob(os.path.join(self.root, "*", "*",
                                              "seed*.json"))):
      with open(path) as f:
        records.append(Record(**json.load(f)))
    return records
