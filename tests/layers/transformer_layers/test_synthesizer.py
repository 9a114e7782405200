"""The Synthesizer in its seven modes: against its equations in numpy,
against mtf 0.1.21's transformer_layers.Synthesizer (relative_attention_type
"bias_shared") for equal weights, causal in the decoder, decoding
incrementally as it computes a whole sequence, and refusing sequences
longer than its tables.

One graph per mode and direction (encoder, decoder) runs two layers that
share one relative bias table; the decoder's graph also decodes them
incrementally. Its input rows are prefixes of one another (row i equals row
0 before position i), so the same outputs show causality. Whole models
decode each mode greedily and by beam search in tests/test_decoding.py (the
synthesizer_* variants).
"""
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
from mesh_tensorflow.transformer import transformer_layers
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers.transformer_layers import synthesizer
from mtf_test_utils import parameter_count, random_weights, run_layer
from test_attention import (
    assert_products_are_batched_over_leading_batch_and_heads,
    numpy_bucket, softmax, two_layers)

MODES = synthesizer.SYNTHESIZE_MODES
LENGTH, D_MODEL, HEADS, D_KV = 5, 8, 2, 4
MAX_LENGTH = 7  # more than LENGTH: the tables' unused rows must not count
MTF_MAX_LENGTH = 512  # hard-coded in mtf's synthetic_attention


def mtf_mode(mode):
  """mtf's name of a mode: the kit's "dense" is the release's."""
  return "dense_minus" if mode == "dense" else mode


def prefix_rows(seed=0):
  """[LENGTH, LENGTH, D_MODEL] inputs whose row i equals row 0 before
  position i and differs from it from position i on."""
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(LENGTH, LENGTH, D_MODEL)).astype(np.float32)
  for i in range(1, LENGTH):
    x[i, :i] = x[0, :i]
  return x


def run(build, x, weights, autoregressive):
  """build(context, x) on x [batch, length, d_model]; (output, variables)."""
  batch_dim, length_dim, model_dim = (
      mtf.Dimension(name, size) for name, size in zip(
          (dimensions.BATCH, dimensions.LENGTH, dimensions.D_MODEL), x.shape))
  return run_layer(lambda context, inputs: build(context, inputs["x"]),
                   {"x": (x, [batch_dim, length_dim, model_dim])},
                   model_dim, length_dim, [batch_dim], weights=weights,
                   autoregressive=autoregressive)


def incremental_context(context, mode, position, states):
  """A decoding context as mtf's Unitransformer.sample_autoregressive
  makes it: "first_part" over the whole sequence, then "incremental" one
  position at a time, from the states of the step before."""
  length_range = mtf.range(context.mesh, context.length_dim, tf.int32)
  return transformer.Context(
      model=context.model, mesh=context.mesh, batch_dims=context.batch_dims,
      length_dim=context.length_dim, variable_dtype=context.variable_dtype,
      mode=mode, position=position,
      position_is_default=mode == "first_part", states=states,
      new_states=[], write_priority=length_range,
      read_priority=position)


def decoded_incrementally(build, context, x):
  """build's outputs position by position, from zero states (mtf's decode
  without a partial sequence), stacked over the length."""
  first = incremental_context(context, "first_part", mtf.range(
      context.mesh, context.length_dim, tf.int32), None)
  build(first, x)
  states = [mtf.zeros_like(s) for s in first.new_states]
  outputs = []
  for t in range(context.length_dim.size):
    position = mtf.constant(context.mesh, t, mtf.Shape(context.batch_dims),
                            tf.int32)
    step = incremental_context(context, "incremental", position, states)
    outputs.append(build(step, mtf.gather(x, t, context.length_dim)))
    states = step.new_states
  return mtf.stack(outputs, context.length_dim.name, axis=1)


def layer(mode, max_length=MAX_LENGTH, key_value_size=D_KV):
  return synthesizer.Synthesizer(num_heads=HEADS,
                                 key_value_size=key_value_size,
                                 synthesize_mode=mode, max_length=max_length)


DIRECTIONS = {"encoder": False, "decoder": True}  # autoregressive


@pytest.mark.parametrize("mode", ["dense_plus", "random_plus"])
def test_products_are_batched_over_leading_batch_and_heads(mode):
  """As attention's (`attention_transposes`): q, k and v transposed once
  each, not inside every product."""
  assert_products_are_batched_over_leading_batch_and_heads(layer(mode))


@pytest.fixture(scope="module", params=MODES)
def ours(request):
  """(mode, {direction: (outputs, variables)}): two layers on
  `prefix_rows`; outputs [full] in the encoder, [full, decoded
  incrementally] in the decoder."""
  mode = request.param
  build = two_layers(layer(mode))
  runs = {}
  for direction, autoregressive in DIRECTIONS.items():
    def both(context, x, autoregressive=autoregressive):
      outputs = [build(context, x)]
      if autoregressive:
        outputs.append(decoded_incrementally(build, context, x))
      return mtf.stack(outputs, "run", axis=0)
    runs[direction] = run(both, prefix_rows(), random_weights(0),
                          autoregressive)
  return mode, runs


def numpy_synthesizer(mode, x, values, scope, bias):
  """One layer's output: the module docstring's equations."""
  def get(name):
    return values[scope + name]
  n = x.shape[1]
  q = k = None
  if mode != "random" and mode != "factorized":
    q = np.einsum("bld,dhk->bhlk", x, get("q/kernel"))
  if "plus" in mode:
    k = np.einsum("bmd,dhk->bhmk", x, get("k/kernel"))
    v = np.einsum("bmd,dhk->bhmk", x, get("v/kernel"))
  else:
    v = np.einsum("bmd,dhk->bhmk", x, get("kv/kernel"))
  if mode.startswith("dense"):
    s = np.einsum("bhlk,km->bhlm", np.maximum(q, 0), get("pi/kernel")[:, :n])
  elif mode.startswith("random"):
    s = get("R")[:n, :, :n].transpose(1, 0, 2)[None]
  else:  # the same logits for every query
    s = (get("R1")[:, :, :n] * get("R2")[:, :, :n]).sum(0)[None, :, None]
  logits = s
  if mode.endswith("_plus"):
    logits = np.einsum("bhlk,bhmk->bhlm", q, k) + s
  elif mode.endswith("_alpha"):
    alpha = 1 / (1 + np.exp(-get("alpha")))
    logits = (1 - alpha) * np.einsum("bhlk,bhmk->bhlm", q, k) + alpha * s
  weights = softmax(logits + bias)
  return np.einsum("bhlm,bhmk,hkd->bld", weights, v, get("o/kernel"))


def numpy_bias(values, autoregressive):
  """The shared relative position bias (and the causal mask)."""
  table = values["layer_0/relative_attention_bias"]  # [heads, buckets]
  positions = np.arange(LENGTH)
  buckets = np.array([[numpy_bucket(m - q, not autoregressive, 32, 128)
                       for m in positions] for q in positions])
  bias = table[:, buckets]
  if autoregressive:
    bias = bias + np.where(positions[None, :] > positions[:, None], -1e9, 0)
  return bias


def test_matches_numpy(ours):
  mode, runs = ours
  for direction, (y, values) in runs.items():
    bias = numpy_bias(values, DIRECTIONS[direction])
    expected = prefix_rows()
    for scope in ("layer_0/", "layer_1/"):
      expected = numpy_synthesizer(mode, expected, values, scope, bias)
    np.testing.assert_allclose(y[0], expected, rtol=1e-4, atol=1e-4,
                               err_msg=direction)


def test_decoder_is_causal(ours):
  """Row i differs from row 0 from position i on: in the decoder, outputs
  before i are row 0's; the encoder sees the change everywhere."""
  _, runs = ours
  for direction, (y, _) in runs.items():
    for i in range(1, LENGTH):
      same = np.allclose(y[0, i, :i], y[0, 0, :i], rtol=1e-5, atol=1e-5)
      assert same == DIRECTIONS[direction], (direction, i)


def test_incremental_decoding_equals_the_whole_sequence(ours):
  _, runs = ours
  y, _ = runs["decoder"]
  np.testing.assert_allclose(y[1], y[0], rtol=1e-5, atol=1e-5)


def as_mtf_weights(values, seed=1):
  """A `weights` function loading our variables into mtf's Synthesizer.

  mtf names the projections q, k, v, kv, o (ours q/kernel, ...) and
  combines heads and d_kv into one dimension; pi/kernel, R, R1, R2 and the
  relative bias keep their names, alpha is [1] (ours a scalar). mtf's
  tables hold 512 positions: ours fill their first MAX_LENGTH, the rest
  large random numbers that mtf's slices must leave out.
  """
  rng = np.random.default_rng(seed)

  def weights(name, shape):
    value = values.get(name + "/kernel", values.get(name))
    if value.ndim != len(shape) or value.shape == tuple(shape):
      return value.reshape(shape)
    table = (rng.normal(size=shape) * 100).astype(np.float32)
    table[tuple(slice(0, n) for n in value.shape)] = value
    return table
  return weights


def test_equals_mtfs_synthesizer(ours):
  """Same variables, same outputs; the tables differ only in size."""
  mode, runs = ours
  theirs = transformer_layers.Synthesizer(
      num_heads=HEADS, key_value_size=D_KV, synthesize_mode=mtf_mode(mode),
      relative_attention_type="bias_shared")
  for direction, (y, values) in runs.items():
    y_mtf, mtf_values = run(two_layers(theirs), prefix_rows(),
                            as_mtf_weights(values), DIRECTIONS[direction])
    assert sorted(mtf_values) == sorted(
        name if "/pi/" in name else name.replace("/kernel", "")
        for name in values)
    resized = [[MAX_LENGTH if n == MTF_MAX_LENGTH else n for n in v.shape]
               for v in mtf_values.values()]
    assert parameter_count(values) == sum(
        int(np.prod(shape)) for shape in resized)
    np.testing.assert_allclose(y[0], y_mtf, rtol=1e-5, atol=1e-5,
                               err_msg=direction)


def glorot_std(shape):
  """The std of tf's Glorot uniform initializer for `shape`."""
  receptive = np.prod(shape[:-2])
  return (2 / (receptive * (shape[-2] + shape[-1]))) ** 0.5


def test_initial_distributions_are_mtfs():
  """At mtf's 512 positions, the tables start as mtf's: R, R1, R2 Glorot
  uniform over their shapes, pi a normal truncated at 2 std of std
  d_kv^-1/2 (as mtf's dense layer), alpha at 0."""
  d_kv = 16
  x = np.zeros((1, 2, D_MODEL), np.float32)
  modes = ("dense", "random_plus_alpha", "factorized")

  def build(make):
    def three(context, x):
      outputs = []
      for mode in modes:
        with tf.variable_scope(mode):
          outputs.append(make(mode).call(context, x))
      return mtf.add_n(outputs)
    return three
  _, values = run(build(lambda mode: layer(
      mode, MTF_MAX_LENGTH, key_value_size=d_kv)), x, None, False)
  _, mtf_values = run(build(lambda mode: transformer_layers.Synthesizer(
      num_heads=HEADS, key_value_size=d_kv, synthesize_mode=mtf_mode(mode),
      relative_attention_type="bias_shared")), x, None, False)

  rank, length = synthesizer.FACTORIZED_RANK, MTF_MAX_LENGTH
  expected = {"dense/pi/kernel": 0.8796 * d_kv ** -0.5,
              "random_plus_alpha/R": glorot_std((length, HEADS, length)),
              "factorized/R1": glorot_std((rank, HEADS, length)),
              "factorized/R2": glorot_std((rank, HEADS, length))}
  for name, std in expected.items():
    assert values[name].shape == mtf_values[name].shape
    assert values[name].std() == pytest.approx(std, rel=0.03), name
    assert mtf_values[name].std() == pytest.approx(std, rel=0.03), name
  assert values["random_plus_alpha/alpha"] == 0.0
  np.testing.assert_array_equal(mtf_values["random_plus_alpha/alpha"], [0.0])


def test_a_sequence_longer_than_the_tables_is_refused():
  x = np.zeros((1, LENGTH, D_MODEL), np.float32)
  with pytest.raises(ValueError) as error:
    run(layer("random", max_length=LENGTH - 1).call, x, None, True)
  message = str(error.value)
  assert "\n" not in message
  assert "sequence length 5" in message and "4 positions" in message


def test_unknown_mode_is_refused():
  with pytest.raises(ValueError, match="valid"):
    layer("dense_minus")


# A Bitransformer at tiny scale whose encoder and decoder layers hold one
# Synthesizer of every mode.
