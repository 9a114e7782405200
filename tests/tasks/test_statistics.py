"""Tests of the unigram entropy reference."""
import math

import pytest
import seqio
import tensorflow as tf

from mtf_mods.tasks import statistics


def test_entropy_of_counts_by_hand():
  expected = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))
  assert statistics.entropy_of_counts([2, 0, 1, 1]) == pytest.approx(expected)
  assert statistics.entropy_of_counts([7]) == 0.0


@pytest.fixture
def tiny_task():
  def dataset_fn(split, shuffle_files, seed=None):
    del split, shuffle_files, seed
    return tf.data.Dataset.from_generator(
        lambda: iter([{"targets": [5, 5, 6, 0]}, {"targets": [7, 0, 0]}]),
        output_signature={"targets": tf.TensorSpec([None], tf.int32)})

  seqio.TaskRegistry.add(
      "tiny_statistics_test",
      source=seqio.FunctionDataSource(dataset_fn, splits=["train"]),
      preprocessors=[],
      output_features={"targets": seqio.Feature(
          seqio.PassThroughVocabulary(10), add_eos=False)})
  yield "tiny_statistics_test"
  seqio.TaskRegistry.remove("tiny_statistics_test")


def test_target_unigram_entropy_by_hand(tiny_task):
  lengths = {"targets": 8}
  # ids 5, 5, 6, 7 (padding 0 excluded): p = 1/2, 1/4, 1/4.
  assert statistics.target_unigram_entropy(tiny_task, "train", lengths, 10) == (
      pytest.approx(-(0.5 * math.log(0.5) + 0.5 * math.log(0.25))))
  # first example only: ids 5, 5, 6.
  assert statistics.target_unigram_entropy(tiny_task, "train", lengths, 1) == (
      pytest.approx(-(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3))))


def test_target_unigram_entropy_of_the_mini_task_is_reproducible(small_mini):
  lengths = {"inputs": 64, "targets": 14}
  first = statistics.target_unigram_entropy(
      "mini_span_corruption", "validation", lengths, 50)
  second = statistics.target_unigram_entropy(
      "mini_span_corruption", "validation", lengths, 50)
  assert first == second
  assert 2.0 < first < 7.7  # below log(2100), the uniform distribution
