"""A modification of your own, outside the kit: a plugin.

A plugin is a Python package of the user's that defines its layers with gin
and registers its variants with `mtf_mods.variants.register`, and a folder
of gin files holding `models/<name>.gin` for each of them (which may
include the kit's `models/baseline.gin` and `models/parts/`). Every command
that takes variants loads it from two flags named as t5's
`t5_mesh_transformer` names them:

  --module_import=PACKAGE         (repeatable) imported before any variant
                                  is looked up
  --gin_location_prefix=FOLDER    (repeatable, or comma-separated) searched
                                  for gin files after the kit's own folder

`add_flags` puts them on an argparse parser, `load` imports and searches,
and `Plugins.launch_flags` gives the flags that make a `mtf-mods train`
subprocess load the same plugins (a study passes them to every launch and
records them in its configuration).
"""
import argparse
import dataclasses
import importlib
import os

from mtf_mods.config import paths

MODULE_FLAG = "module_import"
GIN_FLAG = "gin_location_prefix"


class _CommaList(argparse.Action):
  """Appends each comma-separated item of the flag's value (absl's list
  flags, such as t5's --gin_location_prefix, take the comma form)."""

  def __call__(self, parser, namespace, values, option_string=None):
    items = list(getattr(namespace, self.dest) or [])
    items += [item for item in values.split(",") if item]
    setattr(namespace, self.dest, items)


def add_flags(parser):
  """Adds --module_import and --gin_location_prefix to an argparse parser."""
  parser.add_argument(
      "--" + MODULE_FLAG, action="append", default=[], metavar="PACKAGE",
      help="a Python module of your own to import first (repeatable): it "
      "defines layers with gin and registers variants with "
      "mtf_mods.variants.register")
  parser.add_argument(
      "--" + GIN_FLAG, action=_CommaList, default=[], metavar="FOLDER",
      help="a folder of your own gin files (models/<name>.gin), searched "
      "after the kit's (repeatable, or comma-separated)")


@dataclasses.dataclass(frozen=True)
class Plugins:
  """The loaded plugins: modules in import order, absolute gin folders."""
  modules: tuple = ()
  gin_dirs: tuple = ()

  def launch_flags(self):
    """The flags of a `mtf-mods train` launch that loads these plugins."""
    flags = ["--%s=%s" % (MODULE_FLAG, module) for module in self.modules]
    if self.gin_dirs:
      flags.append("--%s=%s" % (GIN_FLAG, ",".join(self.gin_dirs)))
    return flags

  def configuration(self):
    """{flag name: list}, as a study records them."""
    return {MODULE_FLAG: list(self.modules), GIN_FLAG: list(self.gin_dirs)}


class PluginError(ValueError):
  """A plugin that cannot load; its one line names the folder, module or
  variant at fault."""


def load(modules=(), gin_dirs=()):
  """Adds the gin folders to the search path, imports the modules, and
  checks that every variant they registered has its gin file.

  Returns:
    the Plugins loaded.

  Raises:
    PluginError: naming the folder that is not one, the module that does
      not import (and why), the name registered twice, or the variant whose
      models/<name>.gin is on no folder of the search path (a command exits
      2 with it: cli.load_plugins).
  """
  from mtf_mods import variants  # pylint: disable=g-import-not-at-top
  folders = []
  for folder in gin_dirs:
    if not _found(folder, directory=True):
      raise PluginError("--%s=%s is not a directory" % (GIN_FLAG, folder))
    folders.append(folder if _REMOTE in folder else os.path.abspath(folder))
    paths.add_plugin_gin_dir(folders[-1])
  for module in modules:
    before = set(variants.names())
    try:
      importlib.import_module(module)
    except variants.AlreadyRegistered as e:
      raise PluginError("--%s=%s: %s" % (MODULE_FLAG, module, e)) from e
    except Exception as e:  # pylint: disable=broad-except
      message = " ".join(str(e).split()) or type(e).__name__
      raise PluginError("--%s=%s does not import: %s: %s" % (
          MODULE_FLAG, module, type(e).__name__, message)) from e
    for name in variants.names():
      if name not in before:
        _check_gin_file(module, variants.get(name))
  return Plugins(tuple(modules), tuple(folders))


def _check_gin_file(module, variant):
  search = paths.gin_search_path()
  if not any(_found(os.path.join(folder, variant.gin_file))
             for folder in search):
    raise PluginError(
        "variant %s (registered by --%s=%s): gin file %s not found in %s; "
        "give its folder with --%s" % (
            variant.name, MODULE_FLAG, module, variant.gin_file,
            ", ".join(search), GIN_FLAG))


_REMOTE = "://"


def _found(path, directory=False):
  """Whether a local or remote (gs://...) file or folder exists."""
  if _REMOTE in path:
    import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
    return (tf.io.gfile.isdir if directory else tf.io.gfile.exists)(path)
  return (os.path.isdir if directory else os.path.exists)(path)
