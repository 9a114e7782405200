"""Parsing the kit's gin configs the way `t5_mesh_transformer` does.

mesh_tensorflow's defaults.gin first, then the given files and bindings, with
the kit's and t5's gin directories on the search path and t5's deprecated
references skipped.
"""
import contextlib
import difflib
import inspect
import logging
import os
import re
import tokenize

import gin
from mesh_tensorflow.transformer import utils as mtf_utils
from t5.models import mesh_transformer

from mtf_mods.config import paths

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
  """Folds a (multi-line) gin error message into one line, without the
  lines gin adds for each configurable the error passed through."""
  return " ".join(part.strip() for part in str(error).splitlines()
                  if part.strip()
                  and not part.strip().startswith("In call to configurable"))


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
  """Clears gin and parses defaults.gin, `gin_files` and `gin_params`.

  As gin.parse_config_files_and_bindings, but each binding on its own, so
  that an error names the binding (gin would give its line in the bindings
  joined); an error in a file names the file and line.
  """
  with gin.unlock_config():
    gin.clear_config(clear_constants=True)
    for directory in paths.gin_search_path():
      if directory not in gin.config._LOCATION_PREFIXES:  # pylint: disable=protected-access
        gin.add_config_file_search_path(directory)
    skip = mesh_transformer.DEPRECATED_GIN_REFERENCES
    with _files_named_in_tokenizer_errors():
      try:
        gin.config.parse_config_file(_MTF_DEFAULTS, skip_unknown=skip)
        for gin_file in gin_files:
          gin.config.parse_config_file(resolve(gin_file),
                                      skip_unknown=skip)
      except _GIN_ERRORS as e:
        raise ConfigError("gin config error: %s" % describe(e)) from e
    for binding in gin_params:
      try:
        gin.parse_config(binding, skip_unknown=skip)
      except _GIN_ERRORS as e:
        raise ConfigError("gin config error in the binding %r: %s" % (
            binding, describe(e))) from e


_GIN_ERRORS = (ValueError, IOError, KeyError, TypeError, ImportError,
               SyntaxError, tokenize.TokenError)
# What gin appends to an error's message: the file and line (with the
# statement, and a caret under a column), or the line in the bindings
# joined (the binding is named instead).
_FILE_LOCATION = re.compile(r'\n\s*In file "(.*?)", line (\d+)\n\s*(.*)')
_CARET = re.compile(r"\n\s*\^\s*$", re.M)
_BINDINGS_LOCATION = re.compile(r"\s*In bindings string line \d+\s.*$")


def describe(error):
  """One line: gin's error with its file and line, and for a name that gin
  does not know, the close matches of it."""
  if isinstance(error, SyntaxError):
    line = (error.text or "").strip()
    where = (' In file "%s", line %d%s' % (error.filename, error.lineno,
                                           ": " + line if line else "")
             if error.filename else "")
    text = "%s.%s" % (error.msg.rstrip("."), where)
  elif isinstance(error, tokenize.TokenError):
    text = "%s (%s)" % (error.args[0], _NOT_CLOSED)
  else:
    text = _FILE_LOCATION.sub(r' In file "\1", line \2: \3',
                              _CARET.sub("", str(error)))
    text = _BINDINGS_LOCATION.sub("", one_line(text))
  hint = close_matches(str(error))
  return text.rstrip(".") + hint if hint else text


_NOT_CLOSED = "a bracket or a string opened before the end is not closed"
_UNKNOWN_CONFIGURABLE = re.compile(
    r"No configurable matching (?:reference )?'@?([\w.]+)")
_UNKNOWN_PARAMETER = re.compile(
    r"Configurable '([\w.]+)' doesn't have a parameter named '(\w+)'")
_MAX_LISTED = 30


def close_matches(message):
  """"; close matches for ..." for the unknown configurable or parameter
  that a gin error message names; "" for other messages."""
  try:
    unknown = _UNKNOWN_PARAMETER.search(message)
    if unknown:
      configurable, name = unknown.groups()
      valid = sorted(parameter_names(configurable))
      kind = "parameters of %s" % configurable
    else:
      unknown = _UNKNOWN_CONFIGURABLE.search(message)
      if not unknown:
        return ""
      name = unknown.group(1)
      valid = sorted(configurable_names(name.count(".") + 1))
      kind = "registered configurables"
  except (KeyError, TypeError, ValueError, AttributeError):
    return ""  # gin's registry not as this version of gin keeps it
  matches = difflib.get_close_matches(name, valid, n=5)
  if matches:
    return "; close matches for %r: %s" % (name, ", ".join(matches))
  if len(valid) <= _MAX_LISTED:
    return "; no close match for %r; the %s: %s" % (name, kind,
                                                   ", ".join(valid))
  return "; no close match for %r among the %d %s" % (name, len(valid), kind)


def configurable_names(components=1):
  """The registered configurables' names, each by its last `components`
  dot-separated parts (the way a binding may name it)."""
  return {".".join(selector.split(".")[-components:])
          for selector, _ in gin.config._REGISTRY.items()}  # pylint: disable=protected-access


def parameter_names(selector):
  """The names a binding may give the parameters of configurable `selector`."""
  configurable = gin.config._REGISTRY.get_match(selector)  # pylint: disable=protected-access
  function = configurable.wrapped
  if inspect.isclass(function):
    function = function.__init__
  parameters = inspect.signature(function).parameters.values()
  return {p.name for p in parameters if p.name != "self" and p.kind in (
      p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


@contextlib.contextmanager
def _files_named_in_tokenizer_errors():
  """gin's parser lets Python's tokenizer errors (a bracket or a string
  still open at the end of a file) through without the file: while this
  block runs, gin's parse_config_file (which also parses the included
  files) adds it, as a SyntaxError."""
  parse_config_file = gin.config.parse_config_file

  def naming_the_file(config_file, *args, **kwargs):
    try:
      return parse_config_file(config_file, *args, **kwargs)
    except tokenize.TokenError as e:
      message, (line, _) = e.args
      raise SyntaxError("%s (%s)" % (message, _NOT_CLOSED),
                        (config_file, line, 0, "")) from e

  gin.config.parse_config_file = naming_the_file
  try:
    yield
  finally:
    gin.config.parse_config_file = parse_config_file


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
