"""Branched attention (the Weighted Transformer): against its equations in
numpy, against mtf 0.1.21's BranchedSelfAttention and BranchedEncDecAttention
for equal weights, causal in the decoder, and decoding incrementally as it
computes a whole sequence.

One graph per layer kind and direction runs two layers (sharing the self-
attention's relative bias table) on inputs whose rows are prefixes of one
another (test_synthesizer.prefix_rows), so the same outputs show causality;
the decoder's graph also decodes incrementally. Whole models decode
greedily and by beam search in tests/test_decoding.py (the
weighted_transformer variant).
"""
import functools

import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer_layers
import numpy as np
import pytest

from mtf_mods.layers import dimensions
from mtf_mods.layers.transformer_layers import branched_attention
from mtf_test_utils import parameter_count, random_weights, run_layer
from test_attention import softmax, two_layers
from test_synthesizer import D_MODEL, HEADS, D_KV, LENGTH
from test_synthesizer import decoded_incrementally, numpy_bias, prefix_rows

D_FF = 6
MEMORY_LENGTH = 3
DIRECTIONS = {"encoder": False, "decoder": True}  # autoregressive


def kit_layer(kind, constrained=True):
  if kind == "self":
    return branched_attention.BranchedSelfAttention(
        num_heads=HEADS, key_value_size=D_KV, hidden_size=D_FF,
        constrain_branch_weights=constrained)
  return branched_attention.BranchedEncDecAttention(
      num_heads=HEADS, key_value_size=D_KV, hidden_size=D_FF,
      constrain_branch_weights=constrained)


def mtf_layer(kind):
  """mtf's layer; its feed-forward is a DenseReluDense made in __init__
  from gin's bindings (the release's: d_ff, ReLU, biases)."""
  with gin.unlock_config():
    gin.bind_parameter("DenseReluDense.hidden_size", D_FF)
    gin.bind_parameter("DenseReluDense.use_bias", True)
  try:
    if kind == "self":
      return transformer_layers.BranchedSelfAttention(
          num_heads=HEADS, key_value_size=D_KV,
          relative_attention_type="bias_shared")
    return transformer_layers.BranchedEncDecAttention(
        num_heads=HEADS, key_value_size=D_KV)
  finally:
    with gin.unlock_config():
      gin.clear_config()


def memory():
  return np.random.default_rng(5).normal(
      size=(LENGTH, MEMORY_LENGTH, D_MODEL)).astype(np.float32)


def run(build, weights, autoregressive, incremental=False):
  """build(context, x) on prefix_rows() with an encoder output; with
  `incremental`, stacked with its position-by-position decoding."""
  x = prefix_rows()
  batch_dim, length_dim, model_dim = (
      mtf.Dimension(name, size) for name, size in zip(
          (dimensions.BATCH, dimensions.LENGTH, dimensions.D_MODEL), x.shape))
  memory_dim = mtf.Dimension(dimensions.MEMORY_LENGTH, MEMORY_LENGTH)

  def both(context, inputs):
    outputs = [build(context, inputs["x"])]
    if incremental:
      outputs.append(decoded_incrementally(build, context, inputs["x"]))
    return mtf.stack(outputs, "run", axis=0)
  return run_layer(both, {
      "x": (x, [batch_dim, length_dim, model_dim]),
      "encoder_output": (memory(), [batch_dim, memory_dim, model_dim])},
                   model_dim, length_dim, [batch_dim], weights=weights,
                   autoregressive=autoregressive)


@functools.lru_cache(maxsize=None)
def runs_of(kind):
  """{direction: (outputs [full(, incremental)], variables)} of two layers.

  Self-attention in the decoder also decodes incrementally here; encoder-
  decoder attention keeps its keys and values as the decoder's constant
  state, which only a whole model's decoding sets up (test_decoding)."""
  build = two_layers(kit_layer(kind))
  return {direction: run(build, random_weights(0), autoregressive,
                         incremental=autoregressive and kind == "self")
          for direction, autoregressive in DIRECTIONS.items()}


@pytest.fixture(params=["self", "enc_dec"])
def ours(request):
  return request.param, runs_of(request.param)


def on_simplex(w):
  w = np.maximum(w, 0)
  return w / w.sum()


def numpy_branched(x, memory_, values, scope, bias, constrained=True):
  """One layer: sum_i alpha_i FFN(kappa_i head_i W_i^O)."""
  def get(name):
    return values[scope + name]
  q = np.einsum("bld,dhk->bhlk", x, get("q/kernel"))
  k = np.einsum("bmd,dhk->bhmk", memory_, get("k/kernel"))
  v = np.einsum("bmd,dhk->bhmk", memory_, get("v/kernel"))
  heads = np.einsum("bhlm,bhmk->bhlk",
                    softmax(np.einsum("bhlk,bhmk->bhlm", q, k) + bias), v)
  kappa, alpha = get("kappa"), get("alpha")
  if constrained:
    kappa, alpha = on_simplex(kappa), on_simplex(alpha)
  branches = np.einsum("bhlk,hkd,h->bhld", heads, get("o/kernel"), kappa)
  hidden = np.maximum(branches @ get("wi/kernel") + get("wi/bias"), 0)
  ffn = hidden @ get("wo/kernel") + get("wo/bias")
  return np.einsum("bhld,h->bld", ffn, alpha)


def test_matches_numpy(ours):
  kind, runs = ours
  for direction, (y, values) in runs.items():
    expected = prefix_rows()
    for scope in ("layer_0/", "layer_1/"):
      if kind == "self":
        expected = numpy_branched(expected, expected, values, scope,
                                  numpy_bias(values, DIRECTIONS[direction]))
      else:
        expected = numpy_branched(expected, memory(), values, scope, 0.0)
    np.testing.assert_allclose(y[0], expected, rtol=1e-4, atol=1e-4,
                               err_msg=direction)


def test_branch_weights_start_uniform_and_are_per_layer(ours):
  _, runs = ours
  _, values = runs["encoder"]
  for name in ("layer_0/kappa", "layer_0/alpha", "layer_1/kappa",
               "layer_1/alpha"):
    assert values[name].shape == (HEADS,)
  # Initial values (no `weights`): U(0, 1).
  _, initial = run(two_layers(kit_layer("self")), None, False)
  weights = np.concatenate([initial[n] for n in initial
                            if n.endswith(("kappa", "alpha"))])
  assert weights.size == 4 * HEADS
  assert weights.min() >= 0.0 and weights.max() < 1.0
  assert len(set(weights.tolist())) == weights.size


def test_decoder_self_attention_is_causal(ours):
  """Row i differs from row 0 from position i on: in the decoder, outputs
  before i are row 0's. Encoder-decoder attention is position-wise over
  the decoder's positions, so causal in both directions."""
  kind, runs = ours
  for direction, (y, _) in runs.items():
    for i in range(1, LENGTH):
      same = np.allclose(y[0, i, :i], y[0, 0, :i], rtol=1e-5, atol=1e-5)
      assert same == (DIRECTIONS[direction] or kind == "enc_dec"), (
          direction, i)


def test_incremental_self_attention_equals_the_whole_sequence():
  y, _ = runs_of("self")["decoder"]
  np.testing.assert_allclose(y[1], y[0], rtol=1e-5, atol=1e-5)


def positive_branch_weights(weights):
  """`weights` with |kappa| and |alpha|: some of each stay off zero on the
  simplex."""
  def positive(name, shape):
    value = weights(name, shape)
    return np.abs(value) if name.endswith(("kappa", "alpha")) else value
  return positive


def mtf_names(name):
  """mtf's name of our variable: its q, k, v, o have no "/kernel"."""
  for projection in ("q", "k", "v", "o"):
    name = name.replace("/%s/kernel" % projection, "/" + projection)
  return name


@pytest.mark.parametrize("constrained", [False, True])
def test_equals_mtfs_branched_attention(ours, constrained):
  """Same variables, same outputs: unconstrained, for any weights (mtf
  0.1.21 never applies its kappa and alpha constraint: the release as it
  ran); constrained, for mtf's weights put on the simplex as ours are."""
  kind, _ = ours
  theirs = mtf_layer(kind)
  y, values = run(two_layers(kit_layer(kind, constrained)),
                  positive_branch_weights(random_weights(3)), False)
  theirs_values = {mtf_names(name): value for name, value in values.items()}
  if constrained:
    theirs_values = {
        name: on_simplex(value) if name.endswith(("kappa", "alpha"))
        else value for name, value in theirs_values.items()}
  y_mtf, mtf_values = run(two_layers(theirs),
                          lambda name, shape: theirs_values[name], False)
  assert sorted(mtf_values) == sorted(theirs_values)
  assert parameter_count(mtf_values) == parameter_count(values)
  np.testing.assert_allclose(y[0], y_mtf[0], rtol=1e-4, atol=1e-4)
