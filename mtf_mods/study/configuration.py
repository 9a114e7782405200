"""What a study is: its configuration, kept in <workdir>/study.json.

A study's records mean something only under the configuration that made
them. Its identity (IDENTITY) is everything that changes what a cell
measures: the scale, the data and its version, the step budgets, whether
seeds stop at the early step, the gin bindings every launch takes and the
plugins (modules and gin search paths) that define its variants. The
first run in a workdir writes them there; a later run with another
identity is refused, naming each field that differs, before anything
runs. A study may grow under the same identity: more variants, more seeds,
another implementation (the file keeps the union of what ran). Every
record carries the identity's hash (`config_id`), so the report leaves out
records of another configuration.

Where a launch runs (--tpu flags, the cluster, resources per cell) is not
part of the identity; nor are the kit's version, commit and machine, which
each record keeps for itself (provenance.py).

A workdir written before configurations existed (results format 1) has no
study.json: the first run that resumes it adopts its own configuration
for the records already there, and the file says so
(`adopted_unconfigured_records`), since the kit cannot check them.
"""
import dataclasses
import hashlib
import json
import os

from mtf_mods.files import atomic_files
from mtf_mods.launch import plugins as plugins_module
from mtf_mods.config import protocol
from mtf_mods.study import budgets
from mtf_mods.study import provenance
from mtf_mods.study import records
from mtf_mods.study import storage

CONFIG_FILE = storage.CONFIG_FILE
IDENTITY = ("scale", "data", "data_version", "pretrain_steps", "early_only",
            "downstream_steps", "gin_params", "plugins")


class ConfigurationMismatch(ValueError):
  """The workdir holds a study of another configuration."""


@dataclasses.dataclass
class StudyConfig:
  """A study: what it runs (variants, seeds, implementations) under which
  configuration (the IDENTITY fields), and where its launches run."""
  variants: list
  scale: object              # scales.Scale
  data: str                  # protocol.MINI_DATA or protocol.REAL_DATA
  seeds: int
  workdir: str
  pretrain_steps: int = 0    # 0: the scale's own budget
  downstream_steps: int = 0  # 0: the budgets/<scale> files' own
  gin_params: tuple = ()     # bindings every launch takes
  # the plugins.Plugins every launch loads
  plugins: object = dataclasses.field(default_factory=plugins_module.Plugins)
  launch_flags: tuple = ()   # where launches run (--tpu=...): not identity
  implementations: tuple = (records.KIT,)
  early_only: bool = False   # every seed stops at the early step

  def run_dir(self, variant, seed, stage, implementation=records.KIT):
    return run_dir(self.workdir, variant, seed, stage, implementation)

  def identity(self):
    """{field: value} of IDENTITY: what a cell's figures depend on."""
    return {
        "scale": self.scale.name,
        "data": self.data,
        "data_version": data_version(self.data),
        "pretrain_steps": budgets.pretraining_budget(
            self.scale, self.pretrain_steps).final,
        "early_only": bool(self.early_only),
        "downstream_steps": self.downstream_steps or "the scale's own",
        "gin_params": list(self.gin_params),
        "plugins": self.plugins.configuration(),
    }


def run_dir(workdir, variant, seed, stage, implementation=records.KIT):
  """The model_dir of a cell's launches in the study's workdir."""
  runs = records.implementation_dir(os.path.join(workdir, "runs"),
                                    implementation)
  return os.path.join(runs, variant, "seed%d" % seed, stage)


def config_id(identity):
  """A short hash of an identity: equal identities, equal ids."""
  text = json.dumps(identity, sort_keys=True)
  return hashlib.sha256(text.encode()).hexdigest()[:12]


def data_version(data):
  """What names the data exactly: the mini world's generator versions and
  sizes (their cache keys), or the real tasks' TFDS versions."""
  if data == protocol.MINI_DATA:
    from mtf_mods.tasks.mini import benchmark  # pylint: disable=g-import-not-at-top
    from mtf_mods.tasks.mini import pretraining  # pylint: disable=g-import-not-at-top
    corpus = pretraining.MiniCorpus()
    return "%s-spm%d %s" % (corpus.key(), corpus.vocab_size,
                            benchmark.MiniBenchmark().key())
  return " ".join([protocol.PRETRAINING_TASKS[data]]
                  + [a.task(data) for a in protocol.APPLICATIONS])


def recorded_plugins(workdir):
  """(modules, gin folders) the workdir's study was run with, or None
  without a configuration there."""
  written = read(workdir)
  if written is None:
    return None
  recorded = written["identity"].get("plugins") or {}
  return (recorded.get("module_import", []),
          recorded.get("gin_location_prefix", []))


def load_plugins(modules, folders, workdir):
  """Loads the plugins given or, with none given, those the workdir's
  study recorded (so a resumed study and its report get them), saying so;
  returns the plugins.Plugins loaded. Raises ValueError (one line) on a
  bad plugin or an unreadable study.json."""
  if not modules and not folders:
    modules, folders = recorded_plugins(workdir) or ([], [])
    if modules or folders:
      print("== plugins of %s/%s: %s" % (
          workdir, CONFIG_FILE, " ".join(plugins_module.Plugins(
              tuple(modules), tuple(folders)).launch_flags())))
  return plugins_module.load(modules, folders)


def path(workdir):
  return os.path.join(workdir, CONFIG_FILE)


def read(workdir):
  """The workdir's study.json as a dict, or None if it has none."""
  text = storage.read_text(path(workdir))
  if text is None:
    return None
  try:
    written = json.loads(text)
    written["identity"]  # pylint: disable=pointless-statement
  except (ValueError, KeyError, TypeError) as e:
    raise ValueError("%s is not a study configuration (%s: %s); move it "
                     "away to start a new study there"
                     % (path(workdir), type(e).__name__, e)) from e
  return written


def differences(written, identity):
  """"field: A here, B in the workdir" for each differing IDENTITY field."""
  found = written.get("identity", {})
  return ["%s %s here, %s in the workdir" % (
      field, json.dumps(identity.get(field)), json.dumps(found.get(field)))
          for field in IDENTITY if identity.get(field) != found.get(field)]


def check(config):
  """Raises ConfigurationMismatch (one line naming each differing field
  with both values) if the workdir holds a study of another identity;
  returns the identity."""
  identity = config.identity()
  written = read(config.workdir)
  if written is not None:
    different = differences(written, identity)
    if different:
      raise ConfigurationMismatch(
          "%s holds a study of another configuration: %s; run it with its "
          "own settings to resume or grow it, or give this study another "
          "--workdir" % (config.workdir, "; ".join(different)))
  return identity


def write(config, store):
  """Writes (or grows) the workdir's study.json for `config`, after
  `check`: the union of the variants, seeds and implementations run."""
  identity = check(config)
  written = read(config.workdir)
  if written is None:
    written = {"identity": identity, "config_id": config_id(identity),
               "created": provenance.now(), "created_by": provenance.stamp(),
               "variants": [], "seeds": 0, "implementations": [],
               "adopted_unconfigured_records": bool(store.all())}
  written["variants"] = _union(written["variants"],
                               [v.name for v in config.variants])
  written["implementations"] = _union(written["implementations"],
                                      config.implementations)
  written["seeds"] = max(written["seeds"], config.seeds)
  atomic_files.write_text(path(config.workdir),
                          json.dumps(written, indent=2, sort_keys=True))
  return written


def _union(old, new):
  return list(old) + [name for name in new if name not in old]
