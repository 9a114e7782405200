"""Lightweight and dynamic convolutions (Wu et al. 2019) in place of
self-attention, as the study ran them (Narang et al. 2021, Sec. 2.7; the
authors' gin: mtf 0.1.21's transformer_layers.LocalConvAttnBlock).

With d = d_model, a window of K = max_relative_pos - min_relative_pos + 1
positions (the paper's width 9: -4..4 in the encoder, -8..0, causal, in the
decoder) and H = d / m filters, m = num_unique_depth_filters:

  g_t = (x_t W + b) * sigmoid(x_t V + c)          GLU input, d -> d
  a_t = softmax_i(f)               lightweight: f [H, K] learned
  a_t = softmax_i(g_t F + f)       dynamic: predicted from g_t
  o_t = sum_i a_t[:, i] * mask_s g_s + e,  s = t + min_relative_pos + i
  y_t = (o_t P + p) O + q          pointwise and output projections

The softmax normalizes each filter over its K positions; filter h serves
the m channels j H + h (j < m) of g, so each filter is shared by m
channels (the paper's "sharing weights across every m channels"). mask_s
is 0 where the input id at s is 0 (padding and, in the decoder, the start
position, whose input is the start id 0), else 1, and g_s = 0 outside the
sequence. As in mtf, the dynamic filters are predicted from the unmasked
g_t, windows cross the boundaries of packed examples, and P and O, which
compose to one linear map, are both trained.

num_unique_depth_filters has the meaning of mtf's Conv1DLocalAttn argument
(a filter of d / m channels repeated m times). The release binds 2, but
mtf's LocalConvAttnBlock does not pass it on, so the study ran m = 1, one
filter per channel: `num_unique_depth_filters = 1`, the default, is that
as-run block, variable for variable (the same outputs for the same
weights), and is the block that Table 1 counts; 2 is what the release
bound.

Differences from mtf: the kernels are drawn from normals with mtf's
standard deviations (d^-1/2; K^-1/2 for a lightweight filter, (K d)^-1/2
for a dynamic one's kernel) where mtf truncates them at two standard
deviations. While decoding (the state, as mtf's, is the window of the last
K inputs of the convolution), the mask applies too: mtf masks only when it
runs all positions at once, so its greedy decoding is not its
teacher-forced argmax, and in "first_part" it masks by the partial
sequence, one position off the ids its layers read.

Named dimensions: g and o are [d_kv = m, heads = H], so under the default
layout the filters, the GLU's output columns and the pointwise kernel's rows
split over the model axis (the pointwise projection then sums over the
devices, as attention's output projection does); a dynamic filter reads all
of g (gathered into d_model_in) and predicts its own heads' filters.
"""
import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import tensorflow.compat.v1 as tf

from mtf_mods.layers import depthwise_convolution
from mtf_mods.layers import dimensions
from mtf_mods.layers.dense import dense

KINDS = ("lightweight", "dynamic")


@gin.configurable(module="mtf_mods")
class LocalConvolution(transformer.TransformerLayer):
  """GLU -> softmax-normalized depthwise convolution -> two projections.

  Attributes:
    kind: "lightweight" (learned filters) or "dynamic" (filters predicted
      from the input at each position).
    min_relative_pos, max_relative_pos: the window, relative to the output
      position (inclusive); a decoder's must end at 0.
    num_unique_depth_filters: m, the number of channels sharing a filter
      (a divisor of d_model); 1 is the study's as-run block.
  """

  def __init__(self, kind="lightweight", min_relative_pos=gin.REQUIRED,
               max_relative_pos=gin.REQUIRED, num_unique_depth_filters=1):
    if kind not in KINDS:
      raise ValueError("unknown kind %r; valid: %s" % (kind, KINDS))
    if min_relative_pos > max_relative_pos:
      raise ValueError("empty window %d..%d"
                       % (min_relative_pos, max_relative_pos))
    self.kind = kind
    self.min_relative_pos = min_relative_pos
    self.max_relative_pos = max_relative_pos
    self.num_unique_depth_filters = num_unique_depth_filters

  @property
  def width(self):
    return self.max_relative_pos - self.min_relative_pos + 1

  def call(self, context, x, losses=None):
    del losses
    model_dim = context.model.model_dim
    if model_dim.size % self.num_unique_depth_filters:
      raise ValueError("num_unique_depth_filters %d does not divide d_model %d"
                       % (self.num_unique_depth_filters, model_dim.size))
    if context.model.fully_autoregressive and self.max_relative_pos != 0:
      raise ValueError("a decoder's window must end at its position: "
                       "max_relative_pos %d, not 0" % self.max_relative_pos)
    channel_dims = [
        mtf.Dimension(dimensions.D_KV, self.num_unique_depth_filters),
        mtf.Dimension(dimensions.HEADS,
                      model_dim.size // self.num_unique_depth_filters)]
    width_dim = mtf.Dimension(dimensions.CONV_WIDTH, self.width)
    g = (dense(x, channel_dims, [model_dim], context, "glu_linear",
               use_bias=True)
         * mtf.sigmoid(dense(x, channel_dims, [model_dim], context,
                             "glu_gate", use_bias=True)))
    filters = mtf.softmax(
        self.filter_logits(context, g, channel_dims, width_dim), width_dim)
    o = self.convolve(context, g * self.input_mask(context), filters,
                      width_dim)
    o += mtf.get_variable(
        x.mesh, "depthwise_bias",
        mtf.Shape(context.model.ensemble_dims + channel_dims),
        initializer=tf.zeros_initializer(), dtype=context.variable_dtype)
    inner_dim = mtf.Dimension(dimensions.D_MODEL_IN, model_dim.size)
    p = dense(o, [inner_dim], channel_dims, context, "pointwise",
              use_bias=True)
    return dense(p, [model_dim], [inner_dim], context, "output",
                 use_bias=True)

  def filter_logits(self, context, g, channel_dims, width_dim):
    """[heads, width] learned, or predicted from g at each position."""
    heads_dim = channel_dims[-1]
    if self.kind == "lightweight":
      return mtf.get_variable(
          g.mesh, "filter",
          mtf.Shape(context.model.ensemble_dims + [heads_dim, width_dim]),
          initializer=tf.random_normal_initializer(
              stddev=self.width ** -0.5),
          dtype=context.variable_dtype)
    model_dim = context.model.model_dim
    inner_dim = mtf.Dimension(dimensions.D_MODEL_IN, model_dim.size)
    q = mtf.replace_dimensions(g, channel_dims, inner_dim)
    return dense(q, [heads_dim, width_dim], [inner_dim], context, "filter",
                 use_bias=True,
                 stddev=(self.width * model_dim.size) ** -0.5)

  def convolve(self, context, g, filters, width_dim):
    """o_t = sum_i a_t[:, i] g_{t + min_relative_pos + i}: for learned
    filters, one depthwise convolution where `layers.depthwise_convolution`
    serves (fused kernels on, not decoding); else mtf's way, a product of
    the filters with the window of K shifted copies of g."""
    if (self.kind == "lightweight"
        and depthwise_convolution.serves(context, g, filters)):
      return depthwise_convolution.convolve(
          g, filters, context.length_dim, self.min_relative_pos)
    window = self.window(context, g, width_dim)
    return mtf.einsum([window, filters], output_shape=g.shape)

  def input_mask(self, context):
    """1 where the input id is not 0 (padding, the decoder's start)."""
    ids = context.inputs
    if context.mode == "first_part":
      # mtf's decoders give this mode the partial sequences, one position
      # ahead of the ids their layers read.
      ids = mtf.shift(ids, 1, context.length_dim, wrap=False)
    return mtf.cast(mtf.not_equal(ids, 0), context.activation_dtype)

  def window(self, context, g, width_dim):
    """g at positions t + min_relative_pos + i, i < width: [..., width, ...].

    While decoding, the state is the window of the position before: set
    in "first_part" (at initial_position - 1), advanced by one position
    per "incremental" step.
    """
    if context.mode == "incremental":
      last = mtf.one_hot(mtf.constant(g.mesh, self.width - 1, dtype=tf.int32),
                         width_dim, dtype=context.activation_dtype)
      [previous] = context.get_states(1)
      window = mtf.shift(previous, -1, width_dim, wrap=False) + last * g
      context.record_new_states([window])
      return window
    window = mtf.stack(
        [mtf.shift(g, -(self.min_relative_pos + i), context.length_dim,
                   wrap=False) for i in range(self.width)],
        width_dim.name, axis=g.shape.dims.index(context.length_dim) + 1)
    if context.mode == "first_part":
      before_start = mtf.one_hot(context.initial_position - 1,
                                 context.length_dim,
                                 dtype=context.activation_dtype)
      context.record_new_states([mtf.einsum(
          [window, before_start], output_shape=window.shape
          - context.length_dim)])
    return window
