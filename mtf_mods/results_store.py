"""One JSON record per study cell: variant x stage x seed.

A record holds the cell's identity (implementation, variant, stage, seed),
its status ("ok" or "failed"), its metrics (or its error) and its duration.
Records of the kit's implementation live in
<workdir>/results/<variant>/<stage>/seed<seed>.json, those of another
implementation under <workdir>/results/<implementation>/ in the same layout
(`implementation_dir`); a cell whose record says "ok" is finished and is
skipped when the study resumes.
"""
import dataclasses
import glob
import json
import os
import tempfile

OK = "ok"
FAILED = "failed"
KIT = "kit"          # the kit's layers (gin/models/)
RELEASE = "release"  # the authors' release on mtf's layers (gin/reference/)
IMPLEMENTATIONS = (KIT, RELEASE)


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
    self.root = os.path.join(workdir, "results")

  def path(self, variant, stage, seed, implementation=KIT):
    return os.path.join(implementation_dir(self.root, implementation),
                        variant, stage, "seed%d.json" % seed)

  def get(self, variant, stage, seed, implementation=KIT):
    path = self.path(variant, stage, seed, implementation)
    if not os.path.exists(path):
      return None
    with open(path) as f:
      return Record(**json.load(f))

  def is_finished(self, variant, stage, seed, implementation=KIT):
    record = self.get(variant, stage, seed, implementation)
    return record is not None and record.status == OK

  def put(self, record):
    """Writes atomically: the record replaces the previous one only once it
    is written whole; a write that fails leaves the previous one and no
    temporary file."""
    path = self.path(record.variant, record.stage, record.seed,
                     record.implementation)
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
    """Every record, the kit's first, then each other implementation's."""
    records = []
    for implementation in IMPLEMENTATIONS:
      pattern = os.path.join(implementation_dir(self.root, implementation),
                             "*", "*", "seed*.json")
      for path in sorted(glob.glob(pattern)):
        with open(path) as f:
          records.append(Record(**json.load(f)))
    return records


def implementation_dir(root, implementation):
  """Where an implementation's files go under a study's `root`: the kit's
  in `root` itself (the layout of studies before implementations), any
  other's in root/<implementation>."""
  if implementation not in IMPLEMENTATIONS:
    raise ValueError("unknown implementation %r; valid: %s" % (
        implementation, ", ".join(IMPLEMENTATIONS)))
  return root if implementation == KIT else os.path.join(root,
                                                         implementation)
