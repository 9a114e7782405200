"""Input pipelines traced without AutoGraph give the same batches, and a
function that needs AutoGraph fails with NEEDS_AUTOGRAPH."""
import numpy as np
import pytest
import tensorflow.compat.v1 as tf
from t5.models import mesh_transformer

from mtf_mods.launch import input_autograph
from mtf_mods import tasks  # noqa: F401  (registers the mini tasks)

LENGTHS = {"inputs": 64, "targets": 32}


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
  with pytest.MonkeyPatch.context() as patch:
    patch.setenv("MTF_MODS_CACHE", str(tmp_path_factory.mktemp("cache")))
    patch.setenv("MTF_MODS_MINI_TRAIN_DOCS", "400")
    patch.setenv("MTF_MODS_MINI_VALIDATION_DOCS", "40")
    patch.setenv("MTF_MODS_MINI_BENCH_TRAIN", "40")
    patch.setenv("MTF_MODS_MINI_BENCH_VALIDATION", "8")
    yield


def batches(dataset_fn, autograph, count=2):
  with tf.Graph().as_default():
    with input_autograph.converting(autograph):
      dataset = dataset_fn()
    features = tf.data.make_one_shot_iterator(dataset.batch(4)).get_next()
    with tf.Session() as session:
      return [session.run(features) for _ in range(count)]


@pytest.mark.parametrize("dataset_fn", [
    lambda: mesh_transformer.mesh_train_dataset_fn(
        "mini_span_corruption", LENGTHS, seed=1, pack=True),
    lambda: mesh_transformer.mesh_eval_dataset_fn(
        "mini_summarization", LENGTHS, dataset_split="validation")[0]
    .dataset_fn()], ids=["packed pre-training", "summarization validation"])
def test_same_batches_without_autograph(small_corpus, dataset_fn):
  del small_corpus
  converted, traced = batches(dataset_fn, True), batches(dataset_fn, False)
  for a, b in zip(converted, traced):
    assert sorted(a) == sorted(b)
    for key in a:
      np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def python_if_on_a_tensor():
  def halve_odd(x):
    if tf.equal(x % 2, 1):  # AutoGraph makes this a tf.cond
      return x // 2
    return x
  return tf.data.Dataset.range(4).map(halve_odd)


def test_a_function_needing_autograph_says_so():
  [batch] = batches(python_if_on_a_tensor, True, 1)
  assert batch.tolist() == [0, 0, 2, 1]
  with pytest.raises(input_autograph.NEEDS_AUTOGRAPH):
    batches(python_if_on_a_tensor, False, 1)
