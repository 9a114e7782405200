"""Where the kit's gin files live."""
import os

import t5.models

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
  """t5's gin directory, which `t5_mesh_transformer` also searches."""
  return os.path.join(os.path.dirname(t5.models.__file__), "gin")


def gin_search_path():
  return [gin_dir(), t5_gin_dir()]
