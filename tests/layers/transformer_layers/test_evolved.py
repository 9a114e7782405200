"""The Evolved Transformer's cell layers: against their equations in numpy,
against mtf 0.1.21's evolved_transformer layers for the same weights (with
the options that give mtf's behaviour), causal in the decoder and decoding
incrementally from a partial sequence as they compute all positions at
once, and inside a tiny Bitransformer that trains alike on one device and
on a 2x2 mesh.
"""
import types

import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import evolved_transformer
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.model import lowering
from mtf_mods.layers import dimensions
from mtf_mods.layers.transformer_layers import evolved
from mtf_test_utils import parameter_count, random_weights, run_layer
from test_attention import as_mtf_weights as attention_as_mtf_weights
from test_attention import numpy_attention, numpy_bucket
from test_convolution import decoding_context, flat_step

BATCH, LENGTH, D_MODEL, HEADS, D_KV, MEMORY = 2, 13, 8, 2, 4, 5


def example(seed, decoder):
  """x [batch, length, d_model], input ids (the second row padded at its
  end; in a decoder every row's first id the start 0) and an encoder
  output [batch, memory, d_model]."""
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(BATCH, LENGTH, D_MODEL)).astype(np.float32)
  ids = rng.integers(2, 50, size=(BATCH, LENGTH)).astype(np.int32)
  ids[1, -3:] = 0
  if decoder:
    ids[:, 0] = 0
  memory = rng.normal(size=(BATCH, MEMORY, D_MODEL)).astype(np.float32)
  return x, ids, memory


def run(call, x, ids, weights, decoder, memory=None):
  """call(context, x) with the ids as the context's inputs (and `memory` as
  the encoder output); (output, {variable: value})."""
  batch_dim = mtf.Dimension(dimensions.BATCH, x.shape[0])
  length_dim = mtf.Dimension(dimensions.LENGTH, x.shape[1])
  model_dim = mtf.Dimension(dimensions.D_MODEL, x.shape[2])
  inputs = {"x": (x, [batch_dim, length_dim, model_dim]),
            "ids": (ids, [batch_dim, length_dim])}
  if memory is not None:
    memory_dim = mtf.Dimension(dimensions.MEMORY_LENGTH, memory.shape[1])
    inputs["encoder_output"] = (memory, [batch_dim, memory_dim, model_dim])

  def build(context, tensors):
    context.inputs = tensors["ids"]
    return call(context, tensors["x"])
  return run_layer(build, inputs, model_dim, length_dim, [batch_dim],
                   weights=weights, autoregressive=decoder)


# ---------------------------------------------------------------------------
# The equations in numpy (the module docstring's).

def sigmoid(x):
  return 1.0 / (1.0 + np.exp(-x))


def layer_norm(h, gain, bias):
  centered = h - h.mean(-1, keepdims=True)
  variance = (centered ** 2).mean(-1, keepdims=True)
  return centered / np.sqrt(variance + evolved.NORM_EPSILON) * gain + bias


def pad_channels(h, size):
  return np.pad(h, [(0, 0), (0, 0), (0, size - h.shape[-1])])


def shifted(h, offset):
  """h_{t + offset}, 0 outside the sequence: [batch, length, c]."""
  out = np.zeros_like(h)
  n = h.shape[1]
  for t in range(n):
    if 0 <= t + offset < n:
      out[:, t] = h[:, t + offset]
  return out


def numpy_separable(h, values, name, window):
  depthwise = values[name + "/depthwise"]  # [K, c]
  o = sum(depthwise[i] * shifted(h, window[0] + i)
          for i in range(window[1] - window[0] + 1))
  o = o + values[name + "/depthwise_bias"]
  return o @ values[name + "/pointwise/kernel"] + values[
      name + "/pointwise/bias"]


def numpy_glu(x, values):
  def linear(name):
    return x @ values[name + "/kernel"] + values[name + "/bias"]
  return linear("glu_linear") * sigmoid(linear("glu_gate"))


def numpy_encoder_convolution(x, ids, values):
  mask = (ids != 0)[:, :, None].astype(np.float32)
  d = x.shape[-1]
  left = np.maximum(x @ values["conv1x1/kernel"], 0.0)
  kernel = values["conv3x1/kernel"]  # [3, d, d/2]
  right = np.maximum(sum(shifted(x * mask, i - 1) @ kernel[i]
                         for i in range(3)), 0.0)
  h = layer_norm(left + pad_channels(right, 4 * d),
                 values["layer_norm/gain"], values["layer_norm/bias"])
  y = numpy_separable(h * mask, values, "sep_conv9x1", (-4, 4))
  return pad_channels(y, d)


def numpy_decoder_convolution(x, ids, values, mask_zero_ids):
  mask = 1.0
  if mask_zero_ids:
    mask = (ids != 0)[:, :, None].astype(np.float32)
  d = x.shape[-1]
  left = np.maximum(numpy_separable(x * mask, values, "sep_conv11x1",
                                    (-10, 0)), 0.0)
  right = numpy_separable(x * mask, values, "sep_conv7x1_1", (-6, 0))
  h = layer_norm(left + pad_channels(right, 2 * d),
                 values["layer_norm/gain"], values["layer_norm/bias"])
  return numpy_separable(h * mask, values, "sep_conv7x1_2", (-6, 0))


def numpy_decoder_attention(x, memory, values):
  """Causal self-attention with its relative bias plus attention over the
  memory (test_attention's numpy_attention for each branch)."""
  def branch(scope):
    return {name: value for name, value in values.items()
            if name.startswith(scope + "/")}
  self_values = branch("self_attention")
  table = self_values["self_attention/relative_attention_bias"]
  positions = np.arange(x.shape[1])
  buckets = np.array([[numpy_bucket(m - q, False, 32, 128)
                       for m in positions] for q in positions])
  bias = table[:, buckets] + np.where(
      positions[None, :] > positions[:, None], -1e9, 0)
  return (numpy_attention(x, x, self_values, bias)
          + numpy_attention(x, memory, branch("enc_dec_attention"), 0.0))


def test_gated_linear_unit_matches_numpy():
  x, ids, _ = example(0, False)
  y, values = run(evolved.EvolvedGatedLinearUnit().call, x, ids,
                  random_weights(1), False)
  np.testing.assert_allclose(y, numpy_glu(x, values), rtol=1e-4, atol=1e-4)


def test_encoder_convolution_matches_numpy():
  x, ids, _ = example(2, False)
  y, values = run(evolved.EvolvedEncoderConvolution().call, x, ids,
                  random_weights(3), False)
  assert values["conv1x1/kernel"].shape == (D_MODEL, 4 * D_MODEL)
  assert values["sep_conv9x1/pointwise/kernel"].shape == (4 * D_MODEL,
                                                          D_MODEL // 2)
  np.testing.assert_allclose(y, numpy_encoder_convolution(x, ids, values),
                             rtol=1e-4, atol=1e-4)
  assert (y[..., D_MODEL // 2:] == 0).all()


@pytest.mark.parametrize("mask_zero_ids", [False, True],
                         ids=["so_et_al", "mtf_mask"])
def test_decoder_convolution_matches_numpy(mask_zero_ids):
  x, ids, _ = example(4, True)
  layer = evolved.EvolvedDecoderConvolution(mask_zero_ids=mask_zero_ids)
  y, values = run(layer.call, x, ids, random_weights(5), True)
  np.testing.assert_allclose(
      y, numpy_decoder_convolution(x, ids, values, mask_zero_ids),
      rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("layer,decoder,convolutions,widest", [
    (evolved.EvolvedEncoderConvolution(), False, 1, 9 * 4 * D_MODEL),
    (evolved.EvolvedDecoderConvolution(), True, 3, 11 * D_MODEL)],
                         ids=["encoder", "decoder"])
def test_separable_convolutions_run_one_depthwise_convolution_each_way(
    layer, decoder, convolutions, widest):
  """With fused kernels the depthwise part of each separable convolution
  is TensorFlow's depthwise kernels (DepthwiseConv2dNative for the forward
  pass and the input gradient, DepthwiseConv2dNativeBackpropFilter for
  the kernel's), with no window of K shifted copies of its input (the
  widest, `widest` channel-positions a position, is gone); the output and
  gradients are those of mtf's window and product."""
  x, ids, _ = example(6, decoder)

  def step(fused_kernels):
    return flat_step(layer, lambda call: run(call, x, ids, random_weights(7),
                                             decoder), fused_kernels)
  values, ops, sizes = step(True)
  window_values, window_ops, window_sizes = step(False)
  assert ops["DepthwiseConv2dNative"] == 2 * convolutions, ops
  assert ops["DepthwiseConv2dNativeBackpropFilter"] == convolutions, ops
  assert "DepthwiseConv2dNative" not in window_ops
  window_size = BATCH * LENGTH * widest
  assert window_size not in sizes and window_size in window_sizes
  np.testing.assert_allclose(values, window_values, rtol=1e-5, atol=1e-5)


def test_decoder_attention_matches_numpy():
  """Default widths: 2H = 4 self-attention heads of d_kv / 2 = 2 (the
  branch as wide as the H = 2 heads of 4 over the encoder)."""
  x, ids, memory = example(6, True)
  layer = evolved.EvolvedDecoderAttention(num_heads=HEADS,
                                          key_value_size=D_KV)
  y, values = run(layer.call, x, ids, random_weights(7), True, memory)
  assert values["self_attention/q/kernel"].shape == (D_MODEL, 2 * HEADS,
                                                     D_KV // 2)
  assert values["enc_dec_attention/q/kernel"].shape == (D_MODEL, HEADS, D_KV)
  np.testing.assert_allclose(y, numpy_decoder_attention(x, memory, values),
                             rtol=1e-4, atol=1e-4)


def test_an_odd_d_model_is_refused():
  x = np.zeros((1, 3, 7), np.float32)
  with pytest.raises(ValueError, match="even d_model, not 7"):
    run(evolved.EvolvedDecoderConvolution().call, x,
        np.ones((1, 3), np.int32), None, True)


def test_the_encoder_convolution_is_refused_in_a_decoder():
  x, ids, _ = example(8, True)
  with pytest.raises(ValueError, match="EvolvedDecoderConvolution"):
    run(evolved.EvolvedEncoderConvolution().call, x, ids, None, True)


# ---------------------------------------------------------------------------
# Against mtf 0.1.21's layers for the same weights.

def as_mtf_convolution_weights(values):
  """Our convolution layers' variables under mtf's names and shapes: its
  depthwise kernel is one variable per position (depthwise_dense_i), its
  depthwise bias that of position 0; its 3x1 kernel is [1, 3, d, d/2]."""
  by_mtf_name = {}
  for name, value in values.items():
    scope, _, rest = name.partition("/")
    if rest == "depthwise":
      for i, row in enumerate(value):
        by_mtf_name["%s/separable_conv1d/depthwise_conv_hack/"
                    "depthwise_dense_%d/kernel" % (scope, i)] = row
    elif rest == "depthwise_bias":
      by_mtf_name["%s/separable_conv1d/depthwise_conv_hack/"
                  "depthwise_dense_0/bias" % scope] = value
    elif rest.startswith("pointwise/"):
      by_mtf_name["%s/separable_conv1d/pointwise_dense/%s"
                  % (scope, rest.split("/")[1])] = value
    elif scope == "layer_norm":
      by_mtf_name["layer_prepostprocess/layer_norm/layer_norm_%s" % {
          "gain": "scale", "bias": "bias"}[rest]] = value
    elif scope == "conv1x1":
      by_mtf_name["conv1x1/dense/kernel"] = value
    elif scope == "conv3x1":
      by_mtf_name["conv3x1/conv2d/kernel"] = value[None]
    else:
      raise AssertionError("unmapped variable " + name)
  return by_mtf_name


def assert_equal_to_mtf(ours, theirs, by_mtf_name, decoder, seed,
                        memory=True, ids=None):
  """Our layer's outputs and variables against mtf's loaded with them."""
  x, example_ids, example_memory = example(seed, decoder)
  ids = example_ids if ids is None else ids
  memory = example_memory if memory else None
  y, values = run(ours.call, x, ids, random_weights(seed + 1, scale=1.0),
                  decoder, memory)
  mtf_values_wanted = by_mtf_name(values)
  y_mtf, mtf_values = run(
      theirs.call, x, ids,
      lambda name, shape: mtf_values_wanted[name].reshape(shape), decoder,
      memory)
  assert sorted(mtf_values) == sorted(mtf_values_wanted)
  assert parameter_count(mtf_values) == parameter_count(values)
  np.testing.assert_allclose(y, y_mtf, rtol=1e-5, atol=1e-5)
  return y, y_mtf


def test_gated_linear_unit_equals_mtfs():
  names = {"glu_linear": "glu_0", "glu_gate": "glu_1"}
  assert_equal_to_mtf(
      evolved.EvolvedGatedLinearUnit(),
      evolved_transformer.GatedLinearUnitLayer(),
      lambda values: {names[n.split("/")[0]] + "/" + n.split("/")[1]: v
                      for n, v in values.items()},
      decoder=False, seed=10, memory=False)


def test_encoder_convolution_equals_mtfs():
  """With padding (ids 0) at the end of the second row."""
  assert_equal_to_mtf(
      evolved.EvolvedEncoderConvolution(),
      evolved_transformer.EncoderConvolutionalLayer(D_MODEL, 0.0),
      as_mtf_convolution_weights, decoder=False, seed=12, memory=False)


def test_decoder_convolution_with_mtfs_mask_equals_mtfs():
  assert_equal_to_mtf(
      evolved.EvolvedDecoderConvolution(mask_zero_ids=True),
      evolved_transformer.DecoderConvolutionalLayer(D_MODEL, 0.0),
      as_mtf_convolution_weights, decoder=True, seed=14, memory=False)


def test_decoder_convolution_equals_mtfs_where_no_input_id_is_0():
  """The default (no mask) is mtf's layer on inputs without an id 0; with
  the decoder's start id 0 it differs from it from position 0 on."""
  x, ids, _ = example(16, True)
  nonzero = np.where(ids == 0, 7, ids)
  assert_equal_to_mtf(
      evolved.EvolvedDecoderConvolution(),
      evolved_transformer.DecoderConvolutionalLayer(D_MODEL, 0.0),
      as_mtf_convolution_weights, decoder=True, seed=16, memory=False,
      ids=nonzero)
  weights = random_weights(17, scale=1.0)
  y, values = run(evolved.EvolvedDecoderConvolution().call, x, ids, weights,
                  True)
  wanted = as_mtf_convolution_weights(values)
  y_mtf, _ = run(
      evolved_transformer.DecoderConvolutionalLayer(D_MODEL, 0.0).call, x,
      ids, lambda name, shape: wanted[name].reshape(shape), True)
  assert np.abs(y - y_mtf)[:, 0].max() > 1e-3


def mtf_decoder_attention():
  """mtf's DecoderAttentionLayer with its attentions as the release's gin
  binds them: d_kv per head and the shared relative bias (without gin,
  mtf's SelfAttention defaults to d_kv 128 and no bias)."""
  layer = evolved_transformer.DecoderAttentionLayer(base_num_heads=HEADS)
  layer._self_attention.key_value_size = D_KV  # pylint: disable=protected-access
  layer._self_attention.relative_attention_type = "bias_shared"  # pylint: disable=protected-access
  layer._enc_dec_attention.key_value_size = D_KV  # pylint: disable=protected-access
  return layer


def test_decoder_attention_with_mtfs_widths_equals_mtfs():
  """self_attention_key_value_size = d_kv: 2H heads of d_kv each."""
  y, _ = assert_equal_to_mtf(
      evolved.EvolvedDecoderAttention(HEADS, D_KV,
                                      self_attention_key_value_size=D_KV),
      mtf_decoder_attention(),
      lambda values: attention_as_mtf_weights(values)[0],
      decoder=True, seed=18)
  assert np.isfinite(y).all()


def test_decoder_attention_default_is_half_as_wide_as_mtfs():
  """So et al.'s self-attention branch (2H heads, total width H d_kv) has
  the same heads as mtf's and half its q, k, v, o parameters."""
  x, ids, memory = example(20, True)
  _, ours = run(evolved.EvolvedDecoderAttention(HEADS, D_KV).call, x, ids,
                None, True, memory)
  _, theirs = run(mtf_decoder_attention().call, x, ids, None, True, memory)
  for name in "qkvo":
    assert ours["self_attention/%s/kernel" % name].size * 2 == theirs[
        "self_attention/" + name].size
  assert (ours["self_attention/relative_attention_bias"].shape
          == theirs["self_attention/relative_attention_bias"].shape
          == (2 * HEADS, 32))


# ---------------------------------------------------------------------------
# Causality and incremental decoding (as test_synthesizer's prefix rows and
# decoded_incrementally, here from a partial sequence, with input ids and
# an encoder output: mtf's sample_autoregressive's contexts).

DECODE_LENGTH, START = 14, 5  # longer than the widest window (11)


def prefix_rows(seed):
  """x [n, n, d_model] and targets [n, n], row i equal to row 0 before
  position i and different from i on; the decoder's ids are the targets
  shifted right after the start id 0. Row 0 ends in padding (targets 0).
  One encoder output for all rows."""
  n = DECODE_LENGTH
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(n, n, D_MODEL)).astype(np.float32)
  targets = rng.integers(2, 50, size=(n, n)).astype(np.int32)
  targets[0, -3:] = 0
  for i in range(1, n):
    x[i, :i] = x[0, :i]
    targets[i, :i] = targets[0, :i]
  ids = np.pad(targets[:, :-1], [(0, 0), (1, 0)])
  memory = np.broadcast_to(
      rng.normal(size=(1, MEMORY, D_MODEL)), (n, MEMORY, D_MODEL)).astype(
          np.float32)
  return x, targets, ids, memory


def decode(layer, seed):
  """(all positions at once [n, n, d], positions START.. decoded one at a
  time after "first_part" on a partial sequence of START targets, with
  noise in x after it [n, n - START, d], the decoder's ids)."""
  x, targets, ids, memory = prefix_rows(seed)
  n = DECODE_LENGTH
  partial = np.where(np.arange(n) < START, targets, 0)
  x_first_part = np.where(np.arange(n)[:, None] < START, x, x * 3 + 1)
  with tf.Graph().as_default():
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    batch_dim = mtf.Dimension(dimensions.BATCH, n)
    length_dim = mtf.Dimension(dimensions.LENGTH, n)
    model_dim = mtf.Dimension(dimensions.D_MODEL, D_MODEL)
    memory_dim = mtf.Dimension(dimensions.MEMORY_LENGTH, MEMORY)
    model = types.SimpleNamespace(model_dim=model_dim, ensemble_dims=[],
                                  fully_autoregressive=True)

    def tensor(value, dims):
      return mtf.import_fully_replicated(mesh, tf.constant(value),
                                         mtf.Shape(dims))
    length_range = mtf.range(mesh, length_dim, tf.int32)
    encoder_output = tensor(memory, [batch_dim, memory_dim, model_dim])

    def context(mode, inputs, position, **kwargs):
      return decoding_context(
          mesh, model, mode, length_dim, batch_dim, inputs,
          position=position, write_priority=length_range,
          read_priority=position, encoder_output=encoder_output, **kwargs)

    def call(ctx, value):
      with tf.variable_scope("layer", reuse=tf.AUTO_REUSE):
        return layer.call(ctx, value)
    full = call(context("eval", tensor(ids, [batch_dim, length_dim]),
                        length_range),
                tensor(x, [batch_dim, length_dim, model_dim]))
    first_part = context(
        "first_part", tensor(partial, [batch_dim, length_dim]), length_range,
        initial_position=tensor(np.full(n, START, np.int32), [batch_dim]),
        constant_states=[])
    call(first_part, tensor(x_first_part, [batch_dim, length_dim,
                                           model_dim]))
    states = first_part.new_states
    steps = []
    for t in range(START, n):
      step = context(
          "incremental", tensor(ids[:, t], [batch_dim]),
          mtf.constant(mesh, t, mtf.Shape([batch_dim]), tf.int32),
          states=states, constant_states=first_part.constant_states)
      steps.append(call(step, tensor(x[:, t], [batch_dim, model_dim])))
      states = step.new_states
    with lowering.open_session(graph, mesh, [full] + steps,
                               initial_values=random_weights(seed)) as r:
      full_value, *step_values = r.session.run(r.outputs)
  return full_value, np.stack(step_values, 1), ids


DECODER_LAYERS = {
    "attention": lambda: evolved.EvolvedDecoderAttention(HEADS, D_KV),
    "convolution": evolved.EvolvedDecoderConvolution,
    "convolution_mtf_mask": lambda: evolved.EvolvedDecoderConvolution(
        mask_zero_ids=True),
}


@pytest.fixture(scope="module", params=sorted(DECODER_LAYERS))
def decoded(request):
  return decode(DECODER_LAYERS[request.param](), seed=30)


def test_decoder_layers_are_causal(decoded):
  """Row i differs from row 0 from position i on: its outputs before i
  are row 0's, and at i they differ (unless a mask hides x there: row 0's
  padding)."""
  full, _, ids = decoded
  for i in range(1, DECODE_LENGTH):
    np.testing.assert_allclose(full[i, :i], full[0, :i], rtol=1e-5,
                               atol=1e-5, err_msg=str(i))
    if ids[i, i]:
      assert np.abs(full[i, i] - full[0, i]).max() > 1e-4, i


def test_incremental_decoding_from_a_partial_sequence_equals_all_at_once(
    decoded):
  full, steps, _ = decoded
  np.testing.assert_allclose(steps, full[:, START:], rtol=1e-5, atol=1e-5)
