"""SentencePiece vocabularies: deterministic training, and loading on first use.

`train_sentencepiece` trains a model with the ids T5 expects (0 = padding,
1 = EOS, 2 = UNK, no BOS). It is deterministic: one thread, a fixed seed for
SentencePiece's sentence sampling, and input read in the given file order, so
the same files give a byte-identical model. Every character seen gets a piece
(character_coverage 1.0), so a rare letter never turns into UNK. It writes `<prefix>.model` and a
`<prefix>.json` marker holding the options and the inputs' paths, sizes and
modification times; a later call whose marker matches returns at once.

The model type is BPE. SentencePiece's unigram trainer, tried first, splits the
most frequent function words of template-generated text ("▁is" -> "▁" + "is");
BPE segments it as one would expect. The paper does not fix the model type.

Ids follow frequency. SentencePiece's BPE trainer numbers the merged pieces
in merge order and puts every single-character piece (letters, digits,
punctuation, the word boundary "▁") after them, the last ids, though they
are among the most frequent tokens. The adaptive input embeddings and the
adaptive softmax (mtf_mods/layers/vocabulary/clusters.py) give the first
ids the largest embeddings, as T5's vocabulary, whose ids follow
frequency, lets them. So after training, the pieces after padding, EOS
and UNK are renumbered by how often they occur in the training text
(ties by the trainer's order), each keeping its score: BPE merges by
score, so every text segments into the same pieces (ID_ORDER names this
order in the cache keys of the vocabularies trained here).

`LazySentencePieceVocabulary` is a `seqio.SentencePieceVocabulary` with 100
sentinel ids (as the paper) whose model file is located, or made, by a
callable on first use, so registering a task does no work.
"""
import io
import json
import os
from typing import Callable, Sequence

import collections

import seqio
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2
import tensorflow as tf

from mtf_mods.files import atomic_files

NUM_SENTINELS = 100
# Part of every cache key of a vocabulary trained here: a cached model of
# the trainer's own order is not reused.
ID_ORDER = "ids-by-frequency"
_FIXED_IDS = 3  # padding, EOS, UNK keep T5's ids 0, 1, 2
_SAMPLING_SEED = 0
_TRAINER_OPTIONS = dict(
    model_type="bpe",
    pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
    character_coverage=1.0,
    input_sentence_size=2_000_000,
    shuffle_input_sentence=True,
    max_sentence_length=65536,
    num_threads=1,
)


def _lines(text_files: Sequence[str]):
  """Non-blank lines of the files, in order, without line ends."""
  for path in text_files:
    with tf.io.gfile.GFile(path, "r") as f:
      for line in f:
        line = line.rstrip("\r\n")
        if line.strip():
          yield line


def _marker(text_files: Sequence[str], vocab_size: int) -> str:
  files = []
  for path in text_files:
    stat = tf.io.gfile.stat(path)
    files.append([os.path.abspath(path), stat.length, stat.mtime_nsec])
  return json.dumps(dict(vocab_size=vocab_size, options=_TRAINER_OPTIONS,
                         seed=_SAMPLING_SEED, files=files, ids=ID_ORDER),
                    sort_keys=True)


def ids_by_frequency(model: bytes, text_files: Sequence[str]) -> bytes:
  """The model with its pieces after the first _FIXED_IDS renumbered by
  their count in the segmented text files, most frequent first (ties in
  the model's order); each piece keeps its score and type."""
  processor = spm.SentencePieceProcessor(model_proto=model)
  counts = collections.Counter()
  for line in _lines(text_files):
    counts.update(processor.encode(line))
  proto = sentencepiece_model_pb2.ModelProto()
  proto.ParseFromString(model)
  pieces = list(proto.pieces)
  order = sorted(range(_FIXED_IDS, len(pieces)), key=lambda i: (-counts[i], i))
  del proto.pieces[:]
  for i in list(range(_FIXED_IDS)) + order:
    proto.pieces.add().CopyFrom(pieces[i])
  return proto.SerializeToString()


def train_sentencepiece(text_files: list[str], model_prefix: str,
                        vocab_size: int) -> str:
  """Trains a SentencePiece model on text files, or reuses a matching one.

  Args:
    text_files: plain-text files; each non-blank line is one sentence.
    model_prefix: the model is written to `<model_prefix>.model`.
    vocab_size: number of pieces, including padding, EOS and UNK. A corpus too
      small for it gives fewer pieces rather than an error.

  Returns:
    The path of the .model file.
  """
  model_path = model_prefix + ".model"
  marker_path = model_prefix + ".json"
  marker = _marker(text_files, vocab_size)
  if os.path.exists(model_path) and os.path.exists(marker_path):
    with open(marker_path, encoding="utf-8") as f:
      if f.read() == marker:
        return model_path
  spm.set_random_generator_seed(_SAMPLING_SEED)
  model = io.BytesIO()
  spm.SentencePieceTrainer.train(
      sentence_iterator=_lines(text_files), model_writer=model,
      vocab_size=vocab_size, hard_vocab_limit=False, minloglevel=2,
      **_TRAINER_OPTIONS)
  atomic_files.write_bytes(model_path,
                           ids_by_frequency(model.getvalue(), text_files))
  atomic_files.write_bytes(marker_path, marker.encode("utf-8"))
  return model_path


class LazySentencePieceVocabulary(seqio.SentencePieceVocabulary):
  """A SentencePiece vocabulary whose model is located (or made) on first use.

  `locate_model()` returns the path of the .model file, training it if needed;
  it is called again whenever the model is needed, so it should be cheap once
  the model exists, and it may return another path later (for example after
  the cache directory changed). It must be picklable and compare equal to its
  copies (e.g. a frozen dataclass with __call__; not a lambda or a bound
  method), because gin copies vocabularies and seqio compares them.
  """

  def __init__(self, locate_model: Callable[[], str],
               extra_ids: int = NUM_SENTINELS):
    self._locate_model = locate_model
    super().__init__(sentencepiece_model_file=None, extra_ids=extra_ids)

  @property
  def sentencepiece_model_file(self) -> str:
    return self._locate_model()

  def _model_context(self):
    path = self._locate_model()
    if path != self._sentencepiece_model_file:
      self._sentencepiece_model_file = path
      self._model = None
    return super()._model_context()

  def __getstate__(self):
    state = super().__getstate__()
    state["_sentencepiece_model_file"] = None
    return state
