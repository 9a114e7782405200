"""Tests of span-corruption tasks on the user's own text files."""
import os
import pickle

import pytest
import seqio
import tensorflow_datasets as tfds

from mtf_mods.tasks import text_files
from mtf_mods.tasks import vocabularies
from mtf_mods.tasks.mini import corpus as mini_corpus

LENGTHS = {"inputs": 64, "targets": 16}
VOCAB = 300


@pytest.fixture
def files(tmp_path):
  """Two training files and one validation file of plain text."""
  paths = mini_corpus.write_corpus(str(tmp_path), 300, 30, seed=5)
  with open(paths["train"]) as f:
    lines = f.readlines()
  for i, part in enumerate((lines[:150], lines[150:])):
    with open(tmp_path / f"part{i}.txt", "w") as f:
      f.writelines(part)
  os.remove(paths["train"])
  return tmp_path


def _texts(task, split):
  dataset = task.source.get_dataset(split, shuffle=False)
  return [ex["text"].decode("utf-8") for ex in tfds.as_numpy(dataset)]


def test_held_out_split_is_deterministic_and_disjoint(files, cache):
  task = text_files.register_text_files_task(
      "own_text_test", [str(files / "part*.txt")], vocab_size=VOCAB,
      validation_fraction=0.2)
  train, validation = _texts(task, "train"), _texts(task, "validation")
  assert not set(train) & set(validation)
  assert len(train) + len(validation) == 300
  assert 20 <= len(validation) <= 100
  assert _texts(task, "validation") == validation
  assert not cache.exists()  # nothing trained before first use


def test_examples_use_a_vocabulary_trained_on_the_files(files, cache):
  task = text_files.register_text_files_task(
      "own_text_test", [str(files / "part*.txt")],
      validation_patterns=[str(files / "validation.txt")], vocab_size=VOCAB)
  vocabulary = task.output_features["targets"].vocabulary
  assert vocabulary.vocab_size == VOCAB + 100
  assert pickle.loads(pickle.dumps(vocabulary)) == vocabulary
  example = next(iter(tfds.as_numpy(task.get_dataset(
      LENGTHS, split="validation", shuffle=False, seed=0).take(1))))
  assert (example["inputs"] >= VOCAB).any()
  assert example["targets"][0] == VOCAB + 99
  model = vocabulary.sentencepiece_model_file
  assert model.startswith(str(cache / "text_files"))
  assert model.endswith(f"-spm{VOCAB}-{vocabularies.ID_ORDER}{os.sep}"
                        "spm.model")
  with open(files / "validation.txt") as f:
    assert len(_texts(task, "validation")) == len(f.readlines())


def test_re_registering_replaces_the_task(files):
  text_files.register_text_files_task("own_text_test", [str(files / "part0.txt")])
  task = text_files.register_text_files_task(
      "own_text_test", [str(files / "part1.txt")])
  assert seqio.get_mixture_or_task("own_text_test") is task
  assert task.source.list_shards("train") == [str(files / "part1.txt")]


def test_a_pattern_matching_nothing_is_a_one_line_error(files):
  pattern = str(files / "missing*.txt")
  with pytest.raises(ValueError, match="^no file matches the pattern") as error:
    text_files.register_text_files_task(
        "own_text_test", [str(files / "part0.txt")],
        validation_patterns=[pattern])
  assert pattern in str(error.value) and "\n" not in str(error.value)


def test_the_validation_fraction_must_be_a_fraction(files):
  with pytest.raises(ValueError, match="validation_fraction"):
    text_files.register_text_files_task(
        "own_text_test", [str(files / "part0.txt")], validation_fraction=1.5)
