"""The study's files on any filesystem TensorFlow reads: a local directory,
gs://, a mounted shared filesystem, or ram:// in the tests.

Every read, listing and removal of a study's own files (its configuration,
records, format file, lock and report) goes through tf.io.gfile here;
writes go through atomic_files, which takes the same road for a path with
a scheme. TensorFlow is imported on first use, so commands that only parse
their flags start fast.
"""

# The study's configuration in its workdir (configuration.py); named here,
# where no TensorFlow is imported, so that a command can look for it before
# TensorFlow loads.
CONFIG_FILE = "study.json"


def _gfile():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return tf.io.gfile


def is_local(path):
  """Whether `path` is on the local filesystem (no scheme://)."""
  return "://" not in path


def exists(path):
  return _gfile().exists(path)


def read_text(path):
  """The file's text, or None if it does not exist."""
  gfile = _gfile()
  if not gfile.exists(path):
    return None
  with gfile.GFile(path, "r") as f:
    return f.read()


def glob(pattern):
  return sorted(_gfile().glob(pattern))


def remove(path):
  """Removes a file; a file already gone is no error."""
  gfile = _gfile()
  if gfile.exists(path):
    gfile.remove(path)


def makedirs(path):
  _gfile().makedirs(path)
