"""Old module paths, still importable for gin files and scripts that name
them.

The modules that sat at the top of mtf_mods/ moved into packages by concern
(DESIGN.md's layout): a gin file of a user's that says `import
mtf_mods.sizing`, as the kit's own variant files did, or a script that
imports `mtf_mods.launcher`, gets the moved module under its old name, with
one line on stderr naming the new path. Gin's configurables kept their
names (`@mtf_mods.scaled`, ...): every one is registered with
module="mtf_mods", wherever its file is.
"""
import importlib
import importlib.abc
import importlib.util
import sys

# Old name under mtf_mods -> its path under mtf_mods now.
MOVED = {
    "adam": "training.adam",
    "atomic_files": "files.atomic_files",
    "branch_weight_schedule": "training.branch_weight_schedule",
    "catalogue": "listings.catalogue",
    "checkpoint_plan": "training.checkpoint_plan",
    "checkpoint_selection": "config.checkpoint_selection",
    "finetuning": "training.finetuning",
    "gin_config": "config.gin_config",
    "gin_files": "config.gin_files",
    "input_autograph": "launch.input_autograph",
    "input_checks": "launch.input_checks",
    "launch_report": "launch.launch_report",
    "launcher": "launch.launcher",
    "launches": "launch.launches",
    "listing": "listings.listing",
    "loss_guard": "training.loss_guard",
    "lowering": "model.lowering",
    "mesh_run": "model.mesh_run",
    "mini_bench": "study.mini_bench",
    "model_dir_guard": "launch.model_dir_guard",
    "model_dir_reader": "files.model_dir_reader",
    "model_graph": "model.model_graph",
    "model_parts": "model.model_parts",
    "old_spellings": "flags.old_spellings",
    "ordered_updates": "training.ordered_updates",
    "paper": "config.paper",
    "paths": "config.paths",
    "plugins": "launch.plugins",
    "protocol": "config.protocol",
    "reproducible_random": "training.reproducible_random",
    "scales": "config.scales",
    "schedules": "training.schedules",
    "shared_flags": "flags.shared_flags",
    "significance": "study.significance",
    "sizing": "config.sizing",
    "train_flags": "flags.train_flags",
    # `mtf_mods.training` is now the package; importing it loads loop.py.
}
_PACKAGE = __name__.rpartition(".")[0]


class _MovedModule(importlib.abc.Loader):
  """Loads an old name as the module at its new path (one module object)."""

  def __init__(self, new_name):
    self.new_name = new_name

  def create_module(self, spec):
    return importlib.import_module(self.new_name)

  def exec_module(self, module):
    pass


class _OldPathFinder(importlib.abc.MetaPathFinder):

  def find_spec(self, fullname, path, target=None):
    package, _, old = fullname.rpartition(".")
    if package != _PACKAGE or old not in MOVED:
      return None
    new_name = "%s.%s" % (_PACKAGE, MOVED[old])
    print("mtf-mods: module %s is now %s; the old path works for now"
          % (fullname, new_name), file=sys.stderr)
    return importlib.util.spec_from_loader(fullname, _MovedModule(new_name))


def install():
  """Lets `import mtf_mods.<old name>` find the moved module."""
  if not any(isinstance(f, _OldPathFinder) for f in sys.meta_path):
    sys.meta_path.append(_OldPathFinder())
