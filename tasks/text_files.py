"""Span-corruption pretraining on the user's own plain-text files.

`register_text_files_task(name, train_patterns, ...)` registers the same
pipeline as the mini task (`pipeline.py`) on files of one document per line.
The patterns are expanded (tf.io.gfile.glob, so cloud paths work too) at
registration. A SentencePiece vocabulary is trained on the training files on
first use (its ids by frequency, vocabularies.py) and cached under
`<cache>/text_files/<hash>-spm<V>-ids-by-frequency/`, where the hash covers
the files' paths, sizes and modification times, so editing a file trains a
new one.

Without validation files, a deterministic 'validation_fraction' of the
training lines is held out: a line goes to validation when its fingerprint
(tf.strings.to_hash_bucket_fast) falls below the fraction, so identical lines
always land in the same split and nothing is copied. The vocabulary is trained
on all lines of the training files, held-out ones included.

Every file is checked at registration (`check_text_file`): it must be UTF-8
and hold at least one non-blank line, the shortest document the pipeline
trains on. Blank lines are dropped, and span corruption concatenates the
documents' tokens and cuts them into examples, so a line of one character
still makes tokens of an example; a file of blank lines makes none.
"""
import codecs
import dataclasses
import hashlib
import os
from typing import Optional, Sequence

import seqio
import tensorflow as tf

from mtf_mods.tasks import cache
from mtf_mods.tasks import pipeline
from mtf_mods.tasks import vocabularies

_HASH_BUCKETS = 1_000_000
_CHUNK_BYTES = 1 << 20


class TextFileError(ValueError):
  """A text file the task cannot train on; the message names it."""


def _as_list(patterns) -> list[str]:
  return [patterns] if isinstance(patterns, str) else list(patterns)


def _expand(patterns: Sequence[str]) -> list[str]:
  files = []
  for pattern in patterns:
    matches = sorted(tf.io.gfile.glob(pattern))
    if not matches:
      raise ValueError(f"no file matches the pattern {pattern!r}")
    files.extend(matches)
  return files


def check_text_file(path: str) -> None:
  """Raises TextFileError unless `path` is UTF-8 text with a non-blank line.

  Reads the whole file, in chunks: the message gives the line and byte
  offset of the first byte that is not UTF-8.
  """
  decoder = codecs.getincrementaldecoder("utf-8")()
  offset = lines = 0
  has_text = False
  with tf.io.gfile.GFile(path, "rb") as f:
    while True:
      chunk = f.read(_CHUNK_BYTES)
      pending = len(decoder.getstate()[0])  # bytes of a split character
      try:
        text = decoder.decode(chunk, final=not chunk)
      except UnicodeDecodeError as e:
        at = max(0, e.start - pending)
        line = lines + chunk.count(b"\n", 0, at) + 1
        raise TextFileError(
            f"text file {path} is not UTF-8: byte {e.object[e.start]:#04x} "
            f"at line {line} (byte offset {offset - pending + e.start}); "
            "convert it to UTF-8, e.g. iconv -f LATIN1 -t UTF-8") from None
      if not chunk:
        break
      has_text = has_text or bool(text.strip())
      offset += len(chunk)
      lines += chunk.count(b"\n")
  if not offset:
    raise TextFileError(f"text file {path} is empty; each file needs at least "
                        "one non-blank line (one document per line)")
  if not has_text:
    raise TextFileError(
        f"text file {path} has no line to train on (only blank lines, "
        f"{offset} bytes): each file needs at least one line with a "
        "non-blank character (one document per line)")


def _fingerprint(files: Sequence[str]) -> str:
  digest = hashlib.sha256()
  for path in files:
    stat = tf.io.gfile.stat(path)
    digest.update(f"{os.path.abspath(path)}\0{stat.length}\0"
                  f"{stat.mtime_nsec}\n".encode("utf-8"))
  return digest.hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class TextFilesVocabulary:
  """Locates (training on first use) the vocabulary of some training files."""
  files: tuple[str, ...]
  key: str
  vocab_size: int

  def __call__(self) -> str:
    directory = cache.cached_directory(
        self.key, lambda d: vocabularies.train_sentencepiece(
            list(self.files), os.path.join(d, "spm"), self.vocab_size))
    return os.path.join(directory, "spm.model")


@dataclasses.dataclass(frozen=True)
class HeldOutLines:
  """Line filter giving `fraction` of the lines to validation, the rest to train."""
  fraction: float

  def __call__(self, split: str, line: tf.Tensor) -> tf.Tensor:
    bucket = tf.strings.to_hash_bucket_fast(line, _HASH_BUCKETS)
    held_out = bucket < int(round(self.fraction * _HASH_BUCKETS))
    return held_out if split == "validation" else tf.logical_not(held_out)


def register_text_files_task(name: str, train_patterns: list[str],
                             validation_patterns: Optional[list[str]] = None,
                             vocab_size: int = 2000,
                             validation_fraction: float = 0.02) -> seqio.Task:
  """Registers (or replaces) a span-corruption task on plain-text files.

  Args:
    name: the seqio task name.
    train_patterns: glob patterns of training files, one document per line.
    validation_patterns: glob patterns of validation files; if None, a
      deterministic `validation_fraction` of the training lines is held out.
    vocab_size: SentencePiece pieces, before the 100 sentinels.
    validation_fraction: share of training lines held out when there are no
      validation files, strictly between 0 and 1.

  Returns:
    The registered task.

  Raises:
    ValueError: a pattern matches no file, or the fraction is out of range;
      TextFileError: a file is empty, not UTF-8, or all blank lines.
  """
  train_patterns = _as_list(train_patterns)
  train_files = _expand(train_patterns)
  split_files = {"train": train_files, "validation": train_files}
  keep_line = None
  if validation_patterns:
    split_files["validation"] = _expand(_as_list(validation_patterns))
  elif not 0 < validation_fraction < 1:
    raise ValueError("validation_fraction must be strictly between 0 and 1, "
                     f"got {validation_fraction}")
  else:
    keep_line = HeldOutLines(validation_fraction)
  for path in dict.fromkeys(train_files + split_files["validation"]):
    check_text_file(path)
  locate = TextFilesVocabulary(
      tuple(train_files),
      f"text_files/{_fingerprint(train_files)}-spm{vocab_size}"
      f"-{vocabularies.ID_ORDER}", vocab_size)
  source = pipeline.TextLineFiles(
      split_files.__getitem__, splits=("train", "validation"),
      description=", ".join(train_patterns), keep_line=keep_line)
  return pipeline.register_span_corruption_task(
      name, source, vocabularies.LazySentencePieceVocabulary(locate))
