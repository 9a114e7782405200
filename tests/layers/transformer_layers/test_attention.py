"""Attention layers against softmax(q k + B) v computed in numpy, and against
mtf 0.1.21's SelfAttention (relative_attention_type "bias_shared") and
EncDecAttention, the layers of the study's baseline: same variables, same
outputs for the same weights, and the same initial distributions.
"""
import math

import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer_layers
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import lowering
from mtf_mods.layers import dimensions
from mtf_mods.layers import gather
from mtf_mods.layers.transformer_layers import attention
from mtf_test_utils import parameter_count, random_weights, run_layer
from mtf_test_utils import variable


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
    with lowering.open_session(graph, mesh, [buckets]) as run:
      [got] = run.session.run(run.outputs)
  expected = [numpy_bucket(int(r), bidirectional, 32, 128) for r in relative]
  np.testing.assert_array_equal(got, expected)
  assert got.min() == 0 and got.max() == 31


def run(build, x, weights, memory=None, autoregressive=False):
  """build(context, x) on x [batch, length, d_model] (and an encoder output
  `memory` [batch, memory_length, d_model]); returns (output, variables)."""
  batch, length, d_model = x.shape
  batch_dim = mtf.Dimension(dimensions.BATCH, batch)
  length_dim = mtf.Dimension(dimensions.LENGTH, length)
  model_dim = mtf.Dimension(dimensions.D_MODEL, d_model)
  inputs = {"x": (x, [batch_dim, length_dim, model_dim])}
  if memory is not None:
    memory_dim = mtf.Dimension(dimensions.MEMORY_LENGTH, memory.shape[1])
    inputs["encoder_output"] = (memory, [batch_dim, memory_dim, model_dim])
  return run_layer(lambda context, inputs: build(context, inputs["x"]),
                   inputs, model_dim, length_dim, [batch_dim],
                   weights=weights, autoregressive=autoregressive)


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
  x = np.random.default_rng(3).normal(size=(2, 5, 8)).astype(np.float32)
  layer = attention.MultiHeadSelfAttention(num_heads=2, key_value_size=4,
                                           relative_attention="shared_bias")
  y, values = run(layer.call, x, random_weights(0),
                  autoregressive=autoregressive)
  table = variable(values, "relative_attention_bias")  # [heads, buckets]
  positions = np.arange(5)
  buckets = np.array([[numpy_bucket(m - q, not autoregressive, 32, 128)
                       for m in positions] for q in positions])
  bias = table[:, buckets]  # [heads, query, memory]
  if autoregressive:
    bias = bias + np.where(positions[None, :] > positions[:, None], -1e9, 0)
  expected = numpy_attention(x, x, values, bias)
  np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def terms(equation):
  """The operands' and the output's labels of an einsum equation."""
  return equation.replace("->", ",").split(",")


def attention_step(layer, explicit):
  """Lowers a causal self-attention layer's output and its weights'
  gradients with `attention_transposes.explicit`; returns (the values, the
  equations of every tf.einsum between two 4-d operands)."""
  x = np.random.default_rng(5).normal(size=(2, 6, 8)).astype(np.float32)
  graphs = []

  def build(context, x):
    graphs.append(tf.get_default_graph())
    y = layer.call(context, x)
    weights = [v.outputs[0] for v in context.mesh.graph.trainable_variables]
    gradients = mtf.gradients([mtf.reduce_sum(mtf.square(y))], weights)
    return mtf.stack([mtf.reduce_sum(mtf.abs(t)) for t in [y] + gradients],
                     "terms")

  with gin_config.parsed([], ["mtf_mods.attention_transposes.explicit = %s"
                              % explicit]):
    values, _ = run(build, x, random_weights(0), autoregressive=True)
  equations = [op.get_attr("equation").decode()
               for op in graphs[0].get_operations() if op.type == "Einsum"]
  return values, [e for e in equations
                  if [len(t) for t in terms(e)] == [4, 4, 4]]


def assert_products_are_batched_over_leading_batch_and_heads(layer):
  """With the explicit transposes, each product of q, k, v, the weights
  and their gradients has the batch and heads dims first in both operands
  and the output (a plain batched matmul); without them, tf.einsum
  transposes inside; the values are the same."""
  values, products = attention_step(layer, explicit=True)
  old_values, old_products = attention_step(layer, explicit=False)
  leading = lambda e: {t[:2] for t in terms(e)}
  assert len(products) == len(old_products) == 6
  assert all(len(leading(e)) == 1 for e in products), products
  assert any(len(leading(e)) > 1 for e in old_products), old_products
  np.testing.assert_allclose(values, old_values, rtol=1e-5)


def test_attention_products_are_batched_over_leading_batch_and_heads():
  assert_products_are_batched_over_leading_batch_and_heads(
      attention.MultiHeadSelfAttention(num_heads=2, key_value_size=4))


def two_layers(layer):
  """Two of `layer`, one after the other, as in a stack of two layers."""
  def build(context, x):
    with tf.variable_scope("layer_0"):
      h = layer.call(context, x)
    with tf.variable_scope("layer_1"):
      return layer.call(context, h)
  return build


def test_shared_bias_is_one_table_for_all_layers():
  layer = attention.MultiHeadSelfAttention(num_heads=2, key_value_size=4)
  _, values = run(two_layers(layer), np.ones((1, 3, 8), np.float32),
                  random_weights(0))
  tables = [name for name in values if "relative_attention_bias" in name]
  kernels = [name for name in values if name.endswith("q/kernel")]
  assert len(tables) == 1 and len(kernels) == 2


@pytest.mark.parametrize("relative_attention,lookups",
                         [("shared_bias", 1), ("bias", 2)])
def test_layers_sharing_the_table_share_one_lookup(relative_attention,
                                                   lookups):
  """Two layers over the same positions gather the shared table's bias
  once (each its own table: twice), by a gather, not a one-hot product."""
  layer = attention.MultiHeadSelfAttention(
      num_heads=2, key_value_size=4, relative_attention=relative_attention)
  graphs = []

  def build(context, x):
    graphs.append(context.mesh.graph)
    return two_layers(layer)(context, x)

  run(build, np.ones((1, 3, 8), np.float32), random_weights(0))
  gathers = [op for op in graphs[0].operations
             if isinstance(op, gather.GatherOperation)]
  assert len(gathers) == lookups
  assert not any(isinstance(op, mtf.EinsumOperation)
                 and any("relative_attention_bias" in t.name
                         for t in op.inputs)
                 for op in graphs[0].operations)


def test_enc_dec_attention_matches_numpy():
  rng = np.random.default_rng(4)
  x = rng.normal(size=(2, 3, 8)).astype(np.float32)
  memory = rng.normal(size=(2, 4, 8)).astype(np.float32)
  layer = attention.MultiHeadEncDecAttention(num_heads=2, key_value_size=4)
  y, values = run(layer.call, x, random_weights(0), memory=memory,
                  autoregressive=True)
  expected = numpy_attention(x, memory, values, 0.0)
  np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def as_mtf_weights(values):
  """Our variables by the names mtf's attention gives them, and a `weights`
  function loading them, in its shapes, into its layer.

  mtf calls the kernels q, k, v, o (ours q/kernel, ...) and combines heads
  and d_kv into one dimension: [d_model, heads d_kv] for q, k, v and
  [heads d_kv, d_model] for o, the same numbers in the same order. The
  relative bias table is [heads, buckets] in both.
  """
  theirs = {name[:-len("/kernel")] if name.endswith("/kernel") else name:
            value for name, value in values.items()}
  return theirs, lambda name, shape: theirs[name].reshape(shape)


def assert_equal_to_mtf(ours, theirs, x, memory=None, autoregressive=False,
                        fused_atol=1e-5):
  """Same variables and same output for the same (random) weights: to 1e-5
  with mtf's softmax (`mtf_mods.fused_kernels.enabled = False`), and to
  `fused_atol` times the output's largest value with the kit's."""
  y, values = run(ours, x, random_weights(7, scale=1.0), memory=memory,
                  autoregressive=autoregressive)
  with gin_config.parsed([], ["mtf_mods.fused_kernels.enabled = False"]):
    y_composed, _ = run(ours, x, random_weights(7, scale=1.0), memory=memory,
                        autoregressive=autoregressive)
  by_mtf_name, weights = as_mtf_weights(values)
  y_mtf, mtf_values = run(theirs, x, weights, memory=memory,
                          autoregressive=autoregressive)
  assert sorted(mtf_values) == sorted(by_mtf_name)
  assert parameter_count(mtf_values) == parameter_count(values)
  np.testing.assert_allclose(y_composed, y_mtf, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(y, y_mtf, rtol=1e-5,
                             atol=fused_atol * np.abs(y_mtf).max())


FOLD = pytest.mark.parametrize("fold", [True, False],
                               ids=["scale_in_init", "scale_at_run_time"])


@FOLD
@pytest.mark.parametrize("autoregressive", [False, True],
                         ids=["encoder", "decoder"])
def test_self_attention_equals_mtfs_self_attention(autoregressive, fold):
  """The baseline's self-attention, bidirectional (encoder) and causal
  (decoder), over 20 positions (exact and logarithmic buckets), in two
  layers that share one relative bias table."""
  x = np.random.default_rng(8).normal(size=(2, 20, 8)).astype(np.float32)
  ours = attention.MultiHeadSelfAttention(
      num_heads=2, key_value_size=4, relative_attention="shared_bias",
      fold_scaling_into_initializer=fold)
  theirs = transformer_layers.SelfAttention(
      num_heads=2, key_value_size=4, relative_attention_type="bias_shared",
      fold_scaling_into_initializer=fold)
  # Two layers of unit-scale weights give logits in the hundreds, where
  # mtf's exp(x - logsumexp(x)) rounds the logsumexp: tf.nn.softmax's
  # weights differ from it by about 1e-4 of the output.
  assert_equal_to_mtf(two_layers(ours), two_layers(theirs), x,
                      autoregressive=autoregressive, fused_atol=3e-4)


@FOLD
def test_enc_dec_attention_equals_mtfs_enc_dec_attention(fold):
  rng = np.random.default_rng(9)
  x = rng.normal(size=(2, 3, 8)).astype(np.float32)
  memory = rng.normal(size=(2, 5, 8)).astype(np.float32)
  ours = attention.MultiHeadEncDecAttention(
      num_heads=2, key_value_size=4, fold_scaling_into_initializer=fold)
  theirs = transformer_layers.EncDecAttention(
      num_heads=2, key_value_size=4, fold_scaling_into_initializer=fold)
  assert_equal_to_mtf(ours.call, theirs.call, x, memory=memory,
                      autoregressive=True)


# Large enough kernels (131072 weights each) for a sample std within 1%,
# with d_model, d_kv and heads x d_kv all different.
D_MODEL, HEADS, D_KV = 256, 4, 128


@FOLD
def test_initial_stddevs_are_mtfs(fold):
  """q ~ N(0, 1 / (d_model d_kv)) with the 1/sqrt(d_kv) of the logits folded
  in, else N(0, 1 / d_model) (the scaling then multiplies q at run time,
  checked above against mtf); k, v ~ N(0, 1 / d_model); o ~ N(0, 1 /
  (heads d_kv)). The same as mtf's own initializers for the same setting."""
  expected = {"q": D_MODEL ** -0.5 * (D_KV ** -0.5 if fold else 1.0),
              "k": D_MODEL ** -0.5, "v": D_MODEL ** -0.5,
              "o": (HEADS * D_KV) ** -0.5}
  x = np.zeros((1, 2, D_MODEL), np.float32)
  memory = np.zeros((1, 2, D_MODEL), np.float32)
  for ours, theirs in (
      (attention.MultiHeadSelfAttention, transformer_layers.SelfAttention),
      (attention.MultiHeadEncDecAttention,
       transformer_layers.EncDecAttention)):
    _, values = run(ours(num_heads=HEADS, key_value_size=D_KV,
                         fold_scaling_into_initializer=fold).call,
                    x, None, memory=memory)
    _, mtf_values = run(theirs(num_heads=HEADS, key_value_size=D_KV,
                               fold_scaling_into_initializer=fold).call,
                        x, None, memory=memory)
    for name, stddev in expected.items():
      kernel = values[name + "/kernel"]
      assert kernel.std() == pytest.approx(stddev, rel=0.01), (ours, name)
      assert abs(kernel.mean()) < 0.02 * stddev, (ours, name)
      assert mtf_values[name].std() == pytest.approx(stddev, rel=0.01), (
          theirs, name)


def test_unknown_relative_attention_is_refused():
  with pytest.raises(ValueError, match="valid"):
    attention.MultiHeadSelfAttention(num_heads=2, key_value_size=4,
                                     relative_attention="sinusoid")


def test_the_relative_bias_table_starts_as_mtfs():
  """Glorot's uniform over [heads, buckets] (TensorFlow's default, which
  mtf's SelfAttention gets), not N(0, 1): for the paper's 12 heads and 32
  buckets a std of sqrt(2 / 44) = 0.21. Checked with 64 heads (2,048
  draws): bounded by sqrt(6 / 96), std that / sqrt(3), as mtf's table."""
  heads, d_kv = 64, 2
  limit = (6 / (heads + 32)) ** 0.5
  x = np.zeros((1, 2, 8), np.float32)
  tables = []
  for layer in (attention.MultiHeadSelfAttention(num_heads=heads,
                                                 key_value_size=d_kv),
                transformer_layers.SelfAttention(
                    num_heads=heads, key_value_size=d_kv,
                    relative_attention_type="bias_shared")):
    _, values = run(layer.call, x, None)
    [table] = [v for name, v in values.items()
               if name.endswith("relative_attention_bias")]
    assert table.shape == (heads, 32)
    tables.append(table)
  for table in tables:
    assert np.abs(table).max() <= limit
    assert table.std() == pytest.approx(limit / 3 ** 0.5, rel=0.05)
    assert abs(table.mean()) < 0.05 * limit
