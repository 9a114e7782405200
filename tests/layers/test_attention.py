"""Attention layers against softmax(q k + B) v computed in numpy."""
import math

import mesh_tensorflow as mtf
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_test_utils import LayerRun, dims, variable
from mtf_mods.layers import attention


def numpy_bucket(relative, bidirectional, num_buckets, max_distance):
  """Raffel et al. 2019 relative position buckets, one position at a time."""
  n = -relative
  bucket = 0
  if bidirectional:
    num_buckets //= 2
    if n < 0:
      bucket += num_buckets
    n = abs(n)
  else:
    n = max(n, 0)
  max_exact = num_buckets // 2
  if n < max_exact:
    return bucket + n
  large = max_exact + int(math.log(n / max_exact)
                          / math.log(max_distance / max_exact)
                          * (num_buckets - max_exact))
  return bucket + min(large, num_buckets - 1)


def softmax(x):
  e = np.exp(x - x.max(-1, keepdims=True))
  return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("bidirectional", [True, False])
def test_relative_position_bucket_matches_numpy(bidirectional):
  relative = np.arange(-300, 301, dtype=np.int32)
  with tf.Graph().as_default():
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    rel_dim = mtf.Dimension("rel", relative.size)
    rel = mtf.import_fully_replicated(mesh, tf.constant(relative),
                                      mtf.Shape([rel_dim]))
    buckets = attention.relative_position_bucket(
        rel, bidirectional=bidirectional, num_buckets=32, max_distance=128)
    mesh_impl = mtf.placement_mesh_impl.PlacementMeshImpl(
        mtf.convert_to_shape("all:1"), mtf.convert_to_layout_rules(""), [""])
    lowering = mtf.Lowering(graph, {mesh: mesh_impl})
    with tf.Session() as session:
      got = session.run(lowering.export_to_tf_tensor(buckets))
  expected = [numpy_bucket(int(r), bidirectional, 32, 128) for r in relative]
  np.testing.assert_array_equal(got, expected)
  assert got.min() == 0 and got.max() == 31


def numpy_attention(x, memory, values, bias):
  """Multi-head attention of x over memory with the layer's weights."""
  wq, wk, wv, wo = (variable(values, name + "/kernel") for name in "qkvo")
  q = np.einsum("bld,dhk->bhlk", x, wq)
  k = np.einsum("bmd,dhk->bhmk", memory, wk)
  v = np.einsum("bmd,dhk->bhmk", memory, wv)
  weights = softmax(np.einsum("bhlk,bhmk->bhlm", q, k) + bias)
  return np.einsum("bhlm,bhmk,hkd->bld", weights, v, wo)


@pytest.mark.parametrize("autoregressive", [False, True])
def test_self_attention_with_relative_bias_matches_numpy(autoregressive):
  d = dims(batch=2, length=5, d_model=8)
  x = np.random.default_rng(3).normal(size=(2, 5, 8)).astype(np.float32)
  layer = attention.MultiHeadSelfAttention(num_heads=2, key_value_size=4,
                                           relative_attention="shared_bias")
  run = LayerRun(d["d_model"], d["length"], [d["batch"]],
                 autoregressive=autoregressive)
  y, values = run(lambda context, inputs: layer.call(context, inputs["x"]),
                  {"x": (x, [d["batch"], d["length"], d["d_model"]])})
  table = variable(values, "relative_attention_bias")  # [heads, buckets]
  positions = np.arange(5)
  buckets = np.array([[numpy_bucket(m - q, not autoregressive, 32, 128)
                       for m in positions] for q in positions])
  bias = table[:, buckets]  # [heads, query, memory]
  if autoregressive:
    bias = bias + np.where(positions[None, :] > positions[:, None], -1e9, 0)
  expected = numpy_attention(x, x, values, bias)
  np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_shared_bias_is_one_table_for_all_layers():
  d = dims(batch=1, length=3, d_model=8)
  layer = attention.MultiHeadSelfAttention(num_heads=2, key_value_size=4)

  def two_layers(context, inputs):
    with tf.variable_scope("layer_0"):
      h = layer.call(context, inputs["x"])
    with tf.variable_scope("layer_1"):
      return layer.call(context, h)

  run = LayerRun(d["d_model"], d["length"], [d["batch"]])
  _, values = run(two_layers, {"x": (np.ones((1, 3, 8), np.float32),
                                     [d["batch"], d["length"], d["d_model"]])})
  tables = [name for name in values if "relative_attention_bias" in name]
  kernels = [name for name in values if name.endswith("q/kernel")]
  assert len(tables) == 1 and len(kernels) == 2


def test_enc_dec_attention_matches_numpy():
  d = dims(batch=2, length=3, memory_length=4, d_model=8)
  rng = np.random.default_rng(4)
  x = rng.normal(size=(2, 3, 8)).astype(np.float32)
  memory = rng.normal(size=(2, 4, 8)).astype(np.float32)
  layer = attention.MultiHeadEncDecAttention(num_heads=2, key_value_size=4)
  run = LayerRun(d["d_model"], d["length"], [d["batch"]], autoregressive=True)
  y, values = run(
      lambda context, inputs: layer.call(context, inputs["x"]),
      {"x": (x, [d["batch"], d["length"], d["d_model"]]),
       "encoder_output": (memory, [d["batch"], d["memory_length"],
                                   d["d_model"]])})
  expected = numpy_attention(x, memory, values, 0.0)
  np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_unknown_relative_attention_is_refused():
  with pytest.raises(ValueError, match="valid"):
    attention.MultiHeadSelfAttention(num_heads=2, key_value_size=4,
                                     relative_attention="sinusoid")
