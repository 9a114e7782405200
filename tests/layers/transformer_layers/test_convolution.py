"""LocalConvolution, lightweight and dynamic: against its equation in numpy,
against mtf 0.1.21's LocalConvAttnBlock for the same weights (as the study
ran it, and as the release's binding would have run), causal in the
decoder, and decoding incrementally from a partial sequence as it computes
all positions at once. Whole models decode it greedily and by beam search
in tests/test_decoding.py (the variants lightweight_convolution and
dynamic_convolution).
"""
import collections
import types

import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
from mesh_tensorflow.transformer import transformer_layers
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import lowering
from mtf_mods.layers import dimensions
from mtf_mods.layers.transformer_layers import convolution
from mtf_test_utils import parameter_count, random_weights, run_layer
from mtf_test_utils import variable

KINDS = pytest.mark.parametrize("kind", convolution.KINDS)
ENCODER, DECODER = (-4, 4), (-8, 0)  # the release's windows
MTF_TYPES = {"lightweight": "lightweight_conv", "dynamic": "dynamic_conv"}
BATCH, LENGTH, D_MODEL = 2, 12, 8


def example(seed, decoder):
  """x [batch, length, d_model] and the input ids: the second row padded
  (ids 0) at its end and, in a decoder, every row's first id the start 0."""
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(BATCH, LENGTH, D_MODEL)).astype(np.float32)
  ids = rng.integers(2, 50, size=(BATCH, LENGTH)).astype(np.int32)
  ids[1, -3:] = 0
  if decoder:
    ids[:, 0] = 0
  return x, ids


def run(call, x, ids, weights, decoder):
  """call(context, x), with the ids as the context's inputs."""
  batch_dim = mtf.Dimension(dimensions.BATCH, x.shape[0])
  length_dim = mtf.Dimension(dimensions.LENGTH, x.shape[1])
  model_dim = mtf.Dimension(dimensions.D_MODEL, x.shape[2])

  def build(context, inputs):
    context.inputs = inputs["ids"]
    return call(context, inputs["x"])
  return run_layer(build, {"x": (x, [batch_dim, length_dim, model_dim]),
                           "ids": (ids, [batch_dim, length_dim])},
                   model_dim, length_dim, [batch_dim], weights=weights,
                   autoregressive=decoder)


def softmax(x):
  e = np.exp(x - x.max(-1, keepdims=True))
  return e / e.sum(-1, keepdims=True)


def sigmoid(x):
  return 1.0 / (1.0 + np.exp(-x))


def numpy_convolution(x, ids, values, kind, window):
  """The layer's equation with its variables: filter h (of H) is shared
  by the channels [j, h] (j < m) of g."""
  def linear(h, name, subscripts):
    return (np.einsum(subscripts, h, variable(values, name + "/kernel"))
            + variable(values, name + "/bias"))
  window_size = window[1] - window[0] + 1
  g = (linear(x, "glu_linear", "btd,djh->btjh")
       * sigmoid(linear(x, "glu_gate", "btd,djh->btjh")))  # [b, t, m, H]
  if kind == "lightweight":
    filters = np.broadcast_to(softmax(variable(values, "filter")),
                              g.shape[:2] + (g.shape[3], window_size))
  else:
    filters = softmax(linear(g.reshape(g.shape[:2] + (-1,)), "filter",
                             "btc,chk->bthk"))  # [b, t, H, K]
  masked = g * (ids != 0)[:, :, None, None]
  o = np.zeros_like(g)
  for t in range(x.shape[1]):
    for i, s in enumerate(range(t + window[0], t + window[1] + 1)):
      if 0 <= s < x.shape[1]:
        o[:, t] += filters[:, t, None, :, i] * masked[:, s]
  o += variable(values, "depthwise_bias")
  return linear(linear(o, "pointwise", "btjh,jhc->btc"), "output",
                "btc,cd->btd")


@KINDS
@pytest.mark.parametrize("window", [ENCODER, DECODER],
                         ids=["encoder", "decoder"])
def test_matches_numpy(kind, window):
  """m = 2: 4 filters over 8 channels."""
  decoder = window == DECODER
  x, ids = example(1, decoder)
  layer = convolution.LocalConvolution(kind, *window,
                                       num_unique_depth_filters=2)
  y, values = run(layer.call, x, ids, random_weights(0), decoder)
  assert variable(values, "glu_linear/kernel").shape == (D_MODEL, 2, 4)
  np.testing.assert_allclose(
      y, numpy_convolution(x, ids, values, kind, window),
      rtol=1e-4, atol=1e-4)


def flat_step(layer, run_call, fused_kernels):
  """(layer's output and the gradients of its input and of each weight of
  sum(y^2), flattened into one vector; {TensorFlow op type: count} of the
  lowered graph; the sizes of its tensors) with
  `mtf_mods.fused_kernels.enabled = fused_kernels`; run_call(call) runs
  call(context, x) on a test's example."""
  graphs = []

  def call(context, x):
    graphs.append(tf.get_default_graph())
    y = layer.call(context, x)
    weights = [v.outputs[0] for v in context.mesh.graph.trainable_variables]
    gradients = mtf.gradients([mtf.reduce_sum(mtf.square(y))], [x] + weights)
    return mtf.concat([mtf.reshape(t, [mtf.Dimension("flat", t.size)])
                       for t in [y] + gradients], "flat")

  with gin_config.parsed([], ["mtf_mods.fused_kernels.enabled = %s"
                              % fused_kernels]):
    values, _ = run_call(call)
  operations = graphs[0].get_operations()
  return values, collections.Counter(op.type for op in operations), {
      t.shape.num_elements() for op in operations for t in op.outputs
      if t.shape.is_fully_defined()}


def test_lightweight_runs_one_depthwise_convolution_each_way():
  """With fused kernels the lightweight layer convolves by TensorFlow's
  depthwise kernels (the forward pass and the input gradient one
  DepthwiseConv2dNative each, the filter gradient one
  DepthwiseConv2dNativeBackpropFilter) and builds no window of K shifted
  copies of its input; its output and gradients are those of mtf's window
  and product. The dynamic layer's filters differ by position: it keeps
  the window."""
  x, ids = example(8, False)
  window_size = BATCH * LENGTH * D_MODEL * (ENCODER[1] - ENCODER[0] + 1)

  def step(kind, fused_kernels):
    return flat_step(convolution.LocalConvolution(kind, *ENCODER),
                     lambda call: run(call, x, ids, random_weights(9), False),
                     fused_kernels)
  values, ops, sizes = step("lightweight", True)
  window_values, window_ops, window_sizes = step("lightweight", False)
  assert ops["DepthwiseConv2dNative"] == 2, ops
  assert ops["DepthwiseConv2dNativeBackpropFilter"] == 1, ops
  assert window_size not in sizes and window_size in window_sizes
  assert "DepthwiseConv2dNative" not in window_ops
  np.testing.assert_allclose(values, window_values, rtol=1e-5, atol=1e-5)
  _, dynamic_ops, dynamic_sizes = step("dynamic", True)
  assert "DepthwiseConv2dNative" not in dynamic_ops
  assert window_size in dynamic_sizes


def as_mtf_weights(values, kind):
  """Our variables under mtf's names and in its shapes: its d_model channel
  j H + h is our [j, h]; its K filter variables are our filter's columns."""
  theirs = {"local_conv_inp_0": "glu_linear", "local_conv_inp_1": "glu_gate",
            "separable_conv1d/pointwise_dense": "pointwise",
            "local_conv_attn_op_projection": "output"}
  by_mtf_name = {"separable_conv1d/depthwise_conv_hack/depthwise_dense_0/"
                 "bias": values["depthwise_bias"]}
  for name, ours in theirs.items():
    for part in ("kernel", "bias"):
      by_mtf_name["%s/%s" % (name, part)] = values["%s/%s" % (ours, part)]
  if kind == "lightweight":
    for i, column in enumerate(values["filter"].T):
      by_mtf_name["lightwt_depthwise_dense_%d/kernel" % i] = column
  else:
    for i in range(values["filter/bias"].shape[-1]):
      for part in ("kernel", "bias"):
        by_mtf_name["dyn_conv_depthwise_dense_%d/%s" % (i, part)] = (
            values["filter/" + part][..., i])
  return by_mtf_name, lambda name, shape: by_mtf_name[name].reshape(shape)


def mtf_block(kind, window, num_unique_depth_filters):
  """mtf's LocalConvAttnBlock; given m > 1, the block the release's binding
  meant: its inner layer built with m, which the block never passes on."""
  block = transformer_layers.LocalConvAttnBlock(
      *window, output_size=D_MODEL, attention_type=MTF_TYPES[kind])
  if num_unique_depth_filters > 1:
    inner = type(block.conv_local_attn_layer)
    block.conv_local_attn_layer = inner(
        *window, output_size=D_MODEL,
        num_unique_depth_filters=num_unique_depth_filters)
  return block


@KINDS
@pytest.mark.parametrize("m,window", [(1, ENCODER), (1, DECODER),
                                      (2, DECODER)],
                         ids=["as_run-encoder", "as_run-decoder",
                              "as_bound-decoder"])
def test_equals_mtfs_local_conv_attn_block(kind, m, window):
  """num_unique_depth_filters = 1 is the block the study ran; 2 is what
  mtf computes when the release's binding reaches its inner layer."""
  decoder = window == DECODER
  x, ids = example(2, decoder)
  ours = convolution.LocalConvolution(kind, *window,
                                      num_unique_depth_filters=m)
  y, values = run(ours.call, x, ids, random_weights(3, scale=1.0), decoder)
  by_mtf_name, weights = as_mtf_weights(values, kind)
  y_mtf, mtf_values = run(mtf_block(kind, window, m).call, x, ids, weights,
                          decoder)
  assert sorted(mtf_values) == sorted(by_mtf_name)
  assert parameter_count(mtf_values) == parameter_count(values)
  np.testing.assert_allclose(y, y_mtf, rtol=1e-5, atol=1e-5)


@KINDS
def test_the_release_binding_gives_shared_filters_mtf_does_not(kind):
  """With num_unique_depth_filters = 2 each of our d_model / 2 filters
  serves 2 channels (their sharing is the numpy test's equation); mtf's
  block given the same 2 still makes d_model filters, one per channel."""
  x, ids = example(4, True)
  _, values = run(convolution.LocalConvolution(
      kind, *DECODER, num_unique_depth_filters=2).call, x, ids, None, True)
  _, mtf_values = run(transformer_layers.LocalConvAttnBlock(
      *DECODER, output_size=D_MODEL, num_unique_depth_filters=2,
      attention_type=MTF_TYPES[kind]).call, x, ids, None, True)
  name = "filter" if kind == "lightweight" else "filter/bias"
  assert variable(values, name).shape == (D_MODEL // 2, 9)
  mtf_name = ("lightwt_depthwise_dense_0/kernel" if kind == "lightweight"
              else "dyn_conv_depthwise_dense_0/bias")
  assert mtf_values[mtf_name].shape == (D_MODEL,)


@KINDS
def test_decoder_is_causal(kind):
  """Row 1 is row 0 with its inputs (x and ids) after position 5 changed:
  the outputs up to 5 are the same, those after differ."""
  x, ids = example(5, True)
  x[1], ids[1] = x[0], ids[0]
  x[1, 6:] += 1.0
  ids[1, 6:] = 7
  layer = convolution.LocalConvolution(kind, *DECODER)
  y, _ = run(layer.call, x, ids, random_weights(6), True)
  np.testing.assert_array_equal(y[0, :6], y[1, :6])
  assert (np.abs(y[0, 6:] - y[1, 6:]).max(-1) > 1e-3).all()


def test_a_decoder_window_must_end_at_its_position():
  x, ids = example(7, True)
  with pytest.raises(ValueError, match="max_relative_pos 4"):
    run(convolution.LocalConvolution("lightweight", *ENCODER).call, x, ids,
        None, True)


def test_unknown_kind_is_refused():
  with pytest.raises(ValueError, match="valid"):
    convolution.LocalConvolution("separable", -1, 0)


def decoding_context(mesh, model, mode, length_dim, batch_dim, inputs,
                     **kwargs):
  return transformer.Context(
      model=model, mesh=mesh, batch_dims=[batch_dim], length_dim=length_dim,
      variable_dtype=mtf.VariableDType(tf.float32, tf.float32, tf.float32),
      mode=mode, new_states=[], inputs=inputs, **kwargs)


@KINDS
def test_incremental_decoding_from_a_partial_sequence_equals_all_at_once(
    kind):
  """The decoder layer on 14 positions at once, and from a partial sequence
  of 5 targets: "first_part" on it (x after it is noise that must not
  matter), then one "incremental" step per position. The first window
  holds the start position (input id 0, masked) and positions before it;
  the second row's last inputs are padding (ids 0)."""
  length, start = 14, 5
  rng = np.random.default_rng(8)
  x = rng.normal(size=(BATCH, length, D_MODEL)).astype(np.float32)
  targets = rng.integers(2, 50, size=(BATCH, length)).astype(np.int32)
  targets[1, -3:] = 0
  ids = np.pad(targets[:, :-1], [(0, 0), (1, 0)])  # the decoder's inputs
  partial = np.where(np.arange(length) < start, targets, 0)
  x_first_part = np.where(np.arange(length)[:, None] < start, x, x * 3 + 1)
  layer = convolution.LocalConvolution(kind, *DECODER)
  with tf.Graph().as_default():
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    batch_dim = mtf.Dimension(dimensions.BATCH, BATCH)
    length_dim = mtf.Dimension(dimensions.LENGTH, length)
    model_dim = mtf.Dimension(dimensions.D_MODEL, D_MODEL)
    model = types.SimpleNamespace(model_dim=model_dim, ensemble_dims=[],
                                  fully_autoregressive=True)

    def tensor(value, dims):
      return mtf.import_fully_replicated(mesh, tf.constant(value),
                                         mtf.Shape(dims))

    def call(context, inputs):
      with tf.variable_scope("conv", reuse=tf.AUTO_REUSE):
        return layer.call(context, inputs)
    position = mtf.range(mesh, length_dim, tf.int32)
    outputs = [call(decoding_context(
        mesh, model, "eval", length_dim, batch_dim,
        tensor(ids, [batch_dim, length_dim]), position=position),
        tensor(x, [batch_dim, length_dim, model_dim]))]
    first_part = decoding_context(
        mesh, model, "first_part", length_dim, batch_dim,
        tensor(partial, [batch_dim, length_dim]), position=position,
        initial_position=tensor(np.full(BATCH, start, np.int32),
                                [batch_dim]))
    call(first_part, tensor(x_first_part, [batch_dim, length_dim,
                                           model_dim]))
    states = first_part.new_states
    for t in range(start, length):
      step = decoding_context(
          mesh, model, "incremental", length_dim, batch_dim,
          tensor(ids[:, t], [batch_dim]), states=states,
          position=mtf.constant(mesh, t, dtype=tf.int32))
      outputs.append(call(step, tensor(x[:, t], [batch_dim, model_dim])))
      states = step.new_states
    with lowering.open_session(graph, mesh, outputs,
                               initial_values=random_weights(9)) as run_:
      full, *steps = run_.session.run(run_.outputs)
  np.testing.assert_allclose(np.stack(steps, 1), full[:, start:],
                             rtol=1e-5, atol=1e-5)
