"""Tests of the registered mini task, down to t5's mesh dataset functions."""
import os
import pickle

import numpy as np
import pytest
import seqio
from t5.models import mesh_transformer
import tensorflow_datasets as tfds

from mtf_mods.tasks import span_corruption
import mtf_mods.tasks
from mtf_mods.tasks.mini import pretraining

LENGTHS = {"inputs": 64, "targets": 16}
FIRST_SENTINEL = pretraining.VOCAB_SIZE + 99  # <extra_id_0>


def _examples(split, count, seed=0):
  task = seqio.get_mixture_or_task(pretraining.TASK_NAME)
  dataset = task.get_dataset(LENGTHS, split=split, shuffle=False, seed=seed)
  return list(tfds.as_numpy(dataset.take(count)))


def test_import_registers_the_task_without_generating_anything(cache):
  assert pretraining.TASK_NAME in mtf_mods.tasks.TASK_NAMES
  assert pretraining.TASK_NAME in seqio.TaskRegistry.names()
  try:
    task = pretraining.register_mini_task(num_train_docs=10, num_validation_docs=2)
    assert task.splits == ("train", "validation")
    assert mtf_mods.tasks.mini_vocabulary().extra_ids == 100
    assert not cache.exists()
  finally:
    pretraining.register_mini_task()


def test_vocabulary_has_the_pieces_and_sentinels_at_the_end(small_mini):
  vocabulary = mtf_mods.tasks.mini_vocabulary()
  assert vocabulary.vocab_size == pretraining.VOCAB_SIZE + 100
  assert vocabulary.tokenizer.id_to_piece(FIRST_SENTINEL) == "▁<extra_id_0>"
  assert vocabulary.tokenizer.id_to_piece(pretraining.VOCAB_SIZE) == "▁<extra_id_99>"
  assert os.path.exists(vocabulary.sentencepiece_model_file)
  copy = pickle.loads(pickle.dumps(vocabulary))  # as gin and seqio copy it
  assert copy == vocabulary and copy.vocab_size == vocabulary.vocab_size


def test_examples_are_span_corrupted(small_mini):
  for split in ("train", "validation"):
    examples = _examples(split, 5)
    assert len(examples) == 5
    for example in examples:
      inputs, targets = example["inputs"], example["targets"]
      assert len(inputs) <= LENGTHS["inputs"]
      assert len(targets) <= span_corruption.span_corruption_targets_length(64)
      assert (inputs >= pretraining.VOCAB_SIZE).any()
      assert targets[0] == FIRST_SENTINEL
      assert inputs[-1] == targets[-1] == 1  # EOS
  train, validation = _examples("train", 1), _examples("validation", 1)
  assert not np.array_equal(train[0]["targets"], validation[0]["targets"])


def test_corpus_size_comes_from_the_environment(small_mini):
  corpus = pretraining.MiniCorpus()
  assert corpus.sizes() == (400, 40)
  with open(corpus.files()["train"]) as f:
    assert sum(1 for _ in f) == 400
  assert pretraining.MiniCorpus(num_train_docs=7).sizes() == (7, 40)


def test_a_bad_environment_value_is_a_one_line_error(monkeypatch):
  monkeypatch.setenv(pretraining.TRAIN_DOCS_ENV, "lots")
  with pytest.raises(ValueError, match=f"^{pretraining.TRAIN_DOCS_ENV} must be a "
                     "positive integer, got 'lots'$"):
    pretraining.MiniCorpus().sizes()


def test_mesh_train_dataset_fn_packs_the_task(small_mini):
  dataset = mesh_transformer.mesh_train_dataset_fn(
      pretraining.TASK_NAME, LENGTHS, seed=1)
  batch = next(iter(tfds.as_numpy(dataset.take(1))))
  assert batch["inputs"].shape == (64,) and batch["targets"].shape == (16,)
  assert {"inputs_segmentation", "targets_position"} <= set(batch)
  assert batch["targets"][0] == FIRST_SENTINEL


def test_mesh_eval_dataset_fn_reads_validation(small_mini):
  evals = mesh_transformer.mesh_eval_dataset_fn(
      pretraining.TASK_NAME, LENGTHS, "validation", pack=True)
  assert [e.name for e in evals] == [pretraining.TASK_NAME]
  examples = list(tfds.as_numpy(evals[0].dataset_fn()))
  assert len(examples) > 5
  assert all(e["targets"].shape == (16,) for e in examples)
