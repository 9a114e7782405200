"""Where the kit's gin files live, and a plugin's."""
import os

import mtf_mods

_PACKAGE_DIR = os.path.dirname(os.path.abspath(mtf_mods.__file__))


def gin_dir():
  """The kit's gin directory.

  An installed wheel carries the files in `mtf_mods/gin/`; a source checkout
  (and an editable install) keeps them in the repository's `gin/`.
  """
  installed = os.path.join(_PACKAGE_DIR, "gin")
  if os.path.isdir(installed):
    return installed
  return os.path.join(os.path.dirname(_PACKAGE_DIR), "gin")


def t5_gin_dir():
  """t5's gin directory, which `t5_mesh_transformer` also searches
  (t5.models, and TensorFlow with it, imported only here: a command's
  --help needs the kit's gin directory, not TensorFlow)."""
  import t5.models  # pylint: disable=g-import-not-at-top
  return os.path.join(os.path.dirname(t5.models.__file__), "gin")


# Folders of a plugin's gin files (--gin_location_prefix), searched after
# the kit's: a plugin adds files, it does not replace the kit's.
_PLUGIN_GIN_DIRS = []


def add_plugin_gin_dir(directory):
  """Searches `directory` (absolute) for gin files after the kit's own."""
  if directory not in _PLUGIN_GIN_DIRS:
    _PLUGIN_GIN_DIRS.append(directory)


def plugin_gin_dirs():
  return list(_PLUGIN_GIN_DIRS)


def gin_search_path():
  return [gin_dir()] + plugin_gin_dirs() + [t5_gin_dir()]
