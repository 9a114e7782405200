"""Writing a file whole or not at all.

Every result, record, report and cache file of the kit is written through
`replacing(path)`: to a temporary file beside `path`, renamed over it only
once it is written and flushed. A write that fails (a full disk, a read-only
directory, a kill) leaves the previous version of `path` as it was and no
temporary file behind, and raises `WriteFailed` naming the file. Paths with
a scheme (gs://...) go through tf.io.gfile, whose rename is the same step.
"""
import contextlib
import os
import tempfile
import uuid


class WriteFailed(OSError):
  """A file could not be written; the previous version is intact."""


@contextlib.contextmanager
def replacing(path, mode="w"):
  """Yields a file object whose contents replace `path` when the block ends.

  Args:
    path: the file to (re)write; its directory is created if missing.
    mode: "w" (text) or "wb" (bytes).

  Raises:
    WriteFailed: the file could not be written, with the reason.
  """
  if "://" in path:
    with _replacing_with_gfile(path, mode) as f:
      yield f
    return
  directory = os.path.dirname(os.path.abspath(path))
  temporary = None
  try:
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    with os.fdopen(handle, mode) as f:
      yield f
      f.flush()
      os.fsync(f.fileno())
    os.replace(temporary, path)
    temporary = None
  except OSError as e:
    raise WriteFailed("could not write %s (%s); its previous version, if any, "
                      "is unchanged" % (path, e.strerror or e)) from e
  finally:
    if temporary is not None and os.path.exists(temporary):
      os.remove(temporary)


@contextlib.contextmanager
def _replacing_with_gfile(path, mode):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  temporary = "%s.tmp-%s" % (path, uuid.uuid4().hex)
  try:
    with tf.io.gfile.GFile(temporary, mode) as f:
      yield f
    tf.io.gfile.rename(temporary, path, overwrite=True)
  except (OSError, tf.errors.OpError) as e:
    if tf.io.gfile.exists(temporary):
      tf.io.gfile.remove(temporary)
    raise WriteFailed("could not write %s (%s); its previous version, if any, "
                      "is unchanged" % (path, e)) from e


def write_text(path, text):
  with replacing(path) as f:
    f.write(text)


def write_bytes(path, data):
  with replacing(path, "wb") as f:
    f.write(data)
