"""Parsing the kit's gin configs the way `t5_mesh_transformer` does.

mesh_tensorflow's defaults.gin first, then the given files and bindings, with
the kit's and t5's gin directories on the search path and t5's deprecated
references skipped.
"""
import contextlib
import logging
import os

import gin
from mesh_tensorflow.transformer import utils as mtf_utils
from t5.models import mesh_transformer

from mtf_mods import paths

_MTF_DEFAULTS = os.path.join(
    os.path.dirname(mtf_utils.__file__), "gin", "defaults.gin")


class _SearchPathMisses(logging.Filter):
  """Drops gin's "Path not found" errors for each search-path directory
  tried before the one that holds an included file."""

  def filter(self, record):
    return not record.pathname.endswith(os.path.join("gin",
                                                     "resource_reader.py"))


logging.getLogger().addFilter(_SearchPathMisses())


class ConfigError(ValueError):
  """A gin file or binding that cannot be parsed; message on one line."""


def one_line(error):
  """Folds a (multi-line) gin error message into one line."""
  return " ".join(part.strip() for part in str(error).splitlines()
                  if part.strip())


def resolve(gin_file):
  """An absolute path for `gin_file`, looked up on the kit's search path."""
  if os.path.exists(gin_file):
    return os.path.abspath(gin_file)
  for directory in paths.gin_search_path():
    candidate = os.path.join(directory, gin_file)
    if os.path.exists(candidate):
      return candidate
  raise ConfigError("gin file %r not found in the working directory or in %s"
                    % (gin_file, ", ".join(paths.gin_search_path())))


def parse(gin_files, gin_params=()):
  """Clears gin and parses defaults.gin, `gin_files` and `gin_params`."""
  with gin.unlock_config():
    gin.clear_config(clear_constants=True)
    for directory in paths.gin_search_path():
      gin.add_config_file_search_path(directory)
    skip = mesh_transformer.DEPRECATED_GIN_REFERENCES
    try:
      gin.parse_config_file(_MTF_DEFAULTS, skip_unknown=skip)
      gin.parse_config_files_and_bindings(
          [resolve(f) for f in gin_files], list(gin_params), skip_unknown=skip,
          finalize_config=False)
    except (ValueError, IOError, KeyError, TypeError, ImportError,
            SyntaxError) as e:
      raise ConfigError("gin config error: %s" % one_line(e)) from e


@contextlib.contextmanager
def parsed(gin_files, gin_params=()):
  """Parses the config for the duration of the block, then clears it."""
  parse(gin_files, gin_params)
  try:
    yield
  finally:
    with gin.unlock_config():
      gin.clear_config(clear_constants=True)


def query(name):
  """The value bound to `name` (a macro, or `configurable.parameter`); a
  parameter bound to a macro gives the macro's value."""
  value = gin.query_parameter(name if "." in name else "%" + name)
  if (isinstance(value, gin.config.ConfigurableReference)
      and value.configurable.name == "macro"):
    return query(value.scopes[-1])
  return value
