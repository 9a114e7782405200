"""Tests of SentencePiece training and of the lazy vocabulary."""
import os
import pickle

import pytest
import sentencepiece as spm

from mtf_mods.tasks import vocabularies
from mtf_mods.tasks.mini import corpus as mini_corpus


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
  directory = tmp_path_factory.mktemp("corpus")
  return mini_corpus.write_corpus(str(directory), 300, 1)["train"]


def _read(path):
  with open(path, "rb") as f:
    return f.read()


def test_training_is_deterministic_with_t5_ids(text_file, tmp_path):
  os.makedirs(tmp_path / "a")
  os.makedirs(tmp_path / "b")
  first = vocabularies.train_sentencepiece(
      [text_file], str(tmp_path / "a" / "spm"), 500)
  second = vocabularies.train_sentencepiece(
      [text_file], str(tmp_path / "b" / "spm"), 500)
  assert first == str(tmp_path / "a" / "spm.model")
  assert _read(first) == _read(second)
  model = spm.SentencePieceProcessor(model_file=first)
  assert model.get_piece_size() == 500
  assert (model.pad_id(), model.eos_id(), model.unk_id(), model.bos_id()) == (
      0, 1, 2, -1)


def test_a_matching_model_is_reused_and_a_changed_input_retrains(
    text_file, tmp_path, monkeypatch):
  prefix = str(tmp_path / "spm")
  path = vocabularies.train_sentencepiece([text_file], prefix, 400)
  trained = _read(path)
  calls = []

  def fake_train(**kwargs):  # writes a model: its ids are renumbered after
    calls.append(kwargs)
    kwargs["model_writer"].write(trained)

  monkeypatch.setattr(spm.SentencePieceTrainer, "train", fake_train)
  assert vocabularies.train_sentencepiece([text_file], prefix, 400) == path
  assert not calls
  stat = os.stat(text_file)
  os.utime(text_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
  assert vocabularies.train_sentencepiece([text_file], prefix, 400) == path
  assert len(calls) == 1 and _read(path) == trained
  vocabularies.train_sentencepiece([text_file], prefix, 300)
  assert len(calls) == 2


class _Locator:
  """A picklable, comparable locate_model that counts its calls."""
  calls = 0

  def __init__(self, path):
    self.path = path

  def __call__(self):
    _Locator.calls += 1
    return self.path

  def __eq__(self, other):
    return isinstance(other, _Locator) and other.path == self.path


def test_lazy_vocabulary_loads_on_first_use_with_sentinels_last(
    text_file, tmp_path):
  model = vocabularies.train_sentencepiece(
      [text_file], str(tmp_path / "spm"), 600)
  _Locator.calls = 0
  vocabulary = vocabularies.LazySentencePieceVocabulary(_Locator(model))
  assert _Locator.calls == 0
  assert vocabulary.vocab_size == 600 + 100
  assert _Locator.calls >= 1
  assert vocabulary.extra_ids == 100
  assert vocabulary.tokenizer.id_to_piece(699) == "▁<extra_id_0>"
  assert vocabulary.tokenizer.id_to_piece(600) == "▁<extra_id_99>"
  ids = vocabulary.encode("The river flows through the city.")
  assert ids and max(ids) < 600
  assert vocabulary.decode(ids) == "The river flows through the city."
  copy = pickle.loads(pickle.dumps(vocabulary))
  assert copy == vocabulary
  assert copy.encode("The river") == vocabulary.encode("The river")


def _counts(model_file, text_file):
  processor = spm.SentencePieceProcessor(model_file=model_file)
  counts = [0] * processor.get_piece_size()
  with open(text_file) as f:
    for line in f:
      if line.strip():
        for i in processor.encode(line.rstrip("\n")):
          counts[i] += 1
  return processor, counts


def test_ids_follow_frequency_and_segment_as_the_trainers(text_file,
                                                          tmp_path):
  """SentencePiece's BPE trainer numbers the single characters last; the
  kit renumbers by frequency: the counts fall with the id after UNK, and
  every line segments into the same pieces as with the trainer's ids."""
  model_file = vocabularies.train_sentencepiece(
      [text_file], str(tmp_path / "spm"), 500)
  processor, counts = _counts(model_file, text_file)
  assert counts[3:] == sorted(counts[3:], reverse=True)
  single = [i for i in range(3, processor.get_piece_size())
            if len(processor.id_to_piece(i)) == 1 and counts[i]]
  assert min(single) < 50  # a frequent character is among the first ids
  trained = spm.SentencePieceProcessor(model_proto=_read(model_file))
  with open(text_file) as f:
    lines = [line.rstrip("\n") for line in f if line.strip()][:200]
  raw_order = _trainer_order(text_file, tmp_path)
  for line in lines:
    assert trained.encode(line, out_type=str) == raw_order.encode(
        line, out_type=str)


def _trainer_order(text_file, tmp_path):
  """The same model in the trainer's own order."""
  import io  # pylint: disable=g-import-not-at-top
  model = io.BytesIO()
  spm.set_random_generator_seed(0)
  with open(text_file) as f:
    lines = [line.rstrip("\n") for line in f if line.strip()]
  spm.SentencePieceTrainer.train(
      sentence_iterator=iter(lines), model_writer=model, vocab_size=500,
      hard_vocab_limit=False, minloglevel=2,
      **vocabularies._TRAINER_OPTIONS)  # pylint: disable=protected-access
  del tmp_path
  return spm.SentencePieceProcessor(model_proto=model.getvalue())
