"""The Evolved Transformer's cells (So et al. 2019), as the study ran them
(Narang et al. 2021, Sec. 2.7; the authors' gin: mtf 0.1.21's
evolved_transformer layers, num_layers 6, one cell counting as two
vanilla layers).

The cells are LayerStack layer lists; the stack adds the pre-layer norm
and the residual of each block, x + F(LN(x)):

  encoder  [EvolvedGatedLinearUnit, EvolvedEncoderConvolution,
            MultiHeadSelfAttention, FeedForward (ReLU)]
  decoder  [EvolvedDecoderAttention, EvolvedDecoderConvolution,
            MultiHeadSelfAttention, MultiHeadEncDecAttention,
            FeedForward (Swish)]

With d = d_model, LN a layer norm with gain and bias over the channels,
m the input mask (0 where the input id is 0) and sep_K a separable
convolution of width K,

  GLU          y = (x W + b) * sigmoid(x V + c)                      d -> d
  encoder      a = relu(x W1)                                 1x1,   d -> 4d
  convolution  r = relu(conv_3(m x))                   window -1..1, d -> d/2
               h = LN(a + pad(r, 4d))
               y = pad(sep_9(m h), d)                  window -4..4, 4d -> d/2
  decoder      y = SelfAttention_2H(x) + EncDecAttention_H(x, encoder output)
  attention
  decoder      a = relu(sep_11(x))                    window -10..0, d -> 2d
  convolution  r = sep_7(x)                            window -6..0, d -> d/2
               h = LN(a + pad(r, 2d))
               y = sep_7'(h)                           window -6..0, 2d -> d
  sep_K(h)_t   = (sum_i k_i * h_{t+p+i} + e) P + f     p = the window's start,
                 k [K, channels] depthwise, P pointwise
  conv_K(h)_t  = sum_i h_{t+p+i} C_i                   C [K, d, d/2], no bias

pad(v, n) appends zero channels up to n; inputs outside the sequence are 0.
Dropout (while training) follows each branch and each layer's output, its
mask shared by the positions of a sequence, as mtf's; the decoder's
windows end at the position itself, so it is causal. While decoding, each
of its convolutions keeps the window of its last K inputs as its state
(set in "first_part" at initial_position - 1, advanced one position per
"incremental" step), as `convolution.LocalConvolution` does.

Following So et al. 2019 (and their tensor2tensor code) where mtf's layers
depart from it, with mtf's behaviour as an option:
- The decoder's self-attention branch has twice the heads of the other
  attention (So et al.'s 16 and 8) and the same width, H d_kv = d, so its
  heads are half as wide. mtf keeps d_kv per head, which doubles the
  branch's width and parameters (8 d^2, not 4 d^2):
  `self_attention_key_value_size = d_kv` is mtf's (the release's 216.3M
  parameters at paper scale; the default gives 202.2M).
- The decoder's convolutions read their inputs unmasked: padding only
  follows a sequence, which a causal window never reaches (windows cross
  the boundaries of packed examples either way). mtf zeroes the
  inputs whose id is 0, which in the decoder also blanks each sequence's
  start position: `mask_zero_ids = True`. Then the mask applies while
  decoding too; mtf masks only when it runs all positions at once, so its
  incremental decoding is not its teacher-forced computation.
As mtf (So et al. name the operations, not these details): no bias in the
1x1 and 3x1 convolutions, a bias after both the depthwise and the
pointwise part of a separable convolution, layer norm epsilon 1e-6.
Kernels are drawn from normals with mtf's standard deviations (fan_in^-1/2;
(s/K)^1/2 for a depthwise kernel) where mtf truncates them at two; the 3x1
kernel is Glorot uniform, as mtf's.

Named dimensions: the channels inside a convolution layer (4d in the
encoder, 2d in the decoder, and their d/2 branches before padding) are
dimensions.CONV_CHANNELS, never split: mtf cannot pad along a split
dimension; the encoder's d/2 output is d_model's first half before
padding, as mtf's. The attention branches shard their heads over the model
axis.
"""
import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import tensorflow.compat.v1 as tf

from mtf_mods.layers import depthwise_convolution
from mtf_mods.layers import dimensions
from mtf_mods.layers import fused
from mtf_mods.layers import layer_norm
from mtf_mods.layers.dense import dense
from mtf_mods.layers.transformer_layers import attention

NORM_EPSILON = 1e-6
ENCODER_WINDOWS = {"conv3x1": (-1, 1), "sep_conv9x1": (-4, 4)}
DECODER_WINDOWS = {"sep_conv11x1": (-10, 0), "sep_conv7x1_1": (-6, 0),
                   "sep_conv7x1_2": (-6, 0)}


def _half(model_dim):
  if model_dim.size % 2:
    raise ValueError("the Evolved Transformer's convolutions need an even "
                     "d_model, not %d" % model_dim.size)
  return model_dim.size // 2


def _dropout(context, x, rate):
  """Dropout while training, one mask for all positions of a sequence."""
  if not context.train or rate <= 0.0:
    return x
  noise_shape = x.shape
  if context.length_dim in x.shape.dims:
    noise_shape -= context.length_dim
  return mtf.dropout(x, context.train, rate=rate, noise_shape=noise_shape)


def _input_mask(context):
  """1 where the input id is not 0, else 0 (padding; a decoder's start)."""
  ids = context.inputs
  if context.mode == "first_part":
    # mtf's decoders give this mode the partial targets, one position
    # ahead of the ids their layers read.
    ids = mtf.shift(ids, 1, context.length_dim, wrap=False)
  return mtf.cast(mtf.not_equal(ids, 0), context.activation_dtype)


def _window(context, x, width_dim, min_relative_pos):
  """x at positions t + min_relative_pos + i, i < width: [..., width, c].

  "incremental" (a causal window only): the state is the window of the
  position before, shifted by one and completed with x. "first_part"
  records the window at initial_position - 1 (zeros without a partial
  sequence).
  """
  if context.mode == "incremental":
    last = mtf.one_hot(mtf.constant(x.mesh, width_dim.size - 1,
                                    dtype=tf.int32),
                       width_dim, dtype=context.activation_dtype)
    [previous] = context.get_states(1)
    window = mtf.shift(previous, -1, width_dim, wrap=False) + last * x
    context.record_new_states([window])
    return window
  length_dim = context.length_dim
  window = mtf.stack(
      [mtf.shift(x, -(min_relative_pos + i), length_dim, wrap=False)
       for i in range(width_dim.size)],
      width_dim.name, axis=x.shape.dims.index(length_dim) + 1)
  if context.mode == "first_part":
    if context.initial_position is None:
      state = mtf.zeros(x.mesh, window.shape - length_dim,
                        dtype=window.dtype)
    else:
      before_start = mtf.one_hot(context.initial_position - 1, length_dim,
                                 dtype=context.activation_dtype)
      state = mtf.einsum([window, before_start],
                         output_shape=window.shape - length_dim)
    context.record_new_states([state])
  return window


def _width_dim(window):
  low, high = window
  return mtf.Dimension(dimensions.CONV_WIDTH, high - low + 1)


def _depthwise(context, x, kernel, width_dim, min_relative_pos):
  """sum_i k_i * x_{t+p+i}: one depthwise convolution where
  `layers.depthwise_convolution` serves (fused kernels on, not decoding);
  else a product of k with the window of K shifted copies of x."""
  if depthwise_convolution.serves(context, x, kernel):
    return depthwise_convolution.convolve(x, kernel, context.length_dim,
                                          min_relative_pos)
  windowed = _window(context, x, width_dim, min_relative_pos)
  return mtf.einsum([windowed, kernel],
                    output_shape=windowed.shape - width_dim)


def separable_convolution(context, x, in_dim, out_dim, window, name,
                          initializer_scale=1.0):
  """(sum_i k_i * x_{t+p+i} + e) P + f over the window (p, p + K - 1)."""
  width_dim = _width_dim(window)
  width = width_dim.size
  with tf.variable_scope(name):
    kernel = mtf.get_variable(
        x.mesh, "depthwise",
        mtf.Shape(context.model.ensemble_dims + [width_dim, in_dim]),
        initializer=tf.random_normal_initializer(
            stddev=(initializer_scale / width) ** 0.5),
        dtype=context.variable_dtype)
    bias = mtf.get_variable(
        x.mesh, "depthwise_bias",
        mtf.Shape(context.model.ensemble_dims + [in_dim]),
        initializer=tf.zeros_initializer(), dtype=context.variable_dtype)
    depthwise = _depthwise(context, x, kernel, width_dim, window[0]) + bias
    return dense(depthwise, [out_dim], [in_dim], context, "pointwise",
                 use_bias=True,
                 stddev=(initializer_scale / in_dim.size) ** 0.5)


@gin.configurable(module="mtf_mods")
class EvolvedGatedLinearUnit(transformer.TransformerLayer):
  """y = (x W + b) * sigmoid(x V + c), d -> d (Dauphin et al. 2017): the
  first block of So et al.'s encoder cell; mtf's GatedLinearUnitLayer."""

  def call(self, context, x, losses=None):
    del losses
    model_dim = context.model.model_dim
    inner_dim = mtf.Dimension(dimensions.D_MODEL_IN, model_dim.size)
    x = mtf.replace_dimensions(x, model_dim, inner_dim)
    return (dense(x, [model_dim], [inner_dim], context, "glu_linear",
                  use_bias=True)
            * mtf.sigmoid(dense(x, [model_dim], [inner_dim], context,
                                "glu_gate", use_bias=True)))


@gin.configurable(module="mtf_mods")
class EvolvedEncoderConvolution(transformer.TransformerLayer):
  """1x1 (ReLU, 4d) and 3x1 (ReLU, d/2) branches, added, layer-normed, then
  a 9x1 separable convolution to d/2, padded to d (the module docstring's
  equations); mtf's EncoderConvolutionalLayer.

  Attributes:
    dropout_rate: dropout on each branch and the output while training.
    initializer_scale: s of the separable convolution's initializers.
    norm_epsilon: the layer norm's epsilon.
  """

  def __init__(self, dropout_rate=0.0, initializer_scale=1.0,
               norm_epsilon=NORM_EPSILON):
    self.dropout_rate = dropout_rate
    self.initializer_scale = initializer_scale
    self.norm_epsilon = norm_epsilon

  def call(self, context, x, losses=None):
    del losses
    if context.model.fully_autoregressive:
      raise ValueError("EvolvedEncoderConvolution sees positions after its "
                       "own; a decoder takes EvolvedDecoderConvolution")
    model_dim = context.model.model_dim
    half = _half(model_dim)
    hidden_dim = mtf.Dimension(dimensions.CONV_CHANNELS, 4 * model_dim.size)
    branch_dim = mtf.Dimension(dimensions.CONV_CHANNELS, half)
    mask = _input_mask(context)
    left = fused.relu(dense(x, [hidden_dim], [model_dim], context, "conv1x1"))
    left = _dropout(context, left, self.dropout_rate)
    right = fused.relu(self.convolution(context, x * mask, branch_dim))
    right = _dropout(context, right, self.dropout_rate)
    h = left + mtf.pad(right, [0, hidden_dim.size - half],
                       dimensions.CONV_CHANNELS)
    h = layer_norm.layer_norm(h, hidden_dim, context, self.norm_epsilon)
    y = separable_convolution(
        context, h * mask, hidden_dim, mtf.Dimension(model_dim.name, half),
        ENCODER_WINDOWS["sep_conv9x1"], "sep_conv9x1",
        self.initializer_scale)
    y = _dropout(context, y, self.dropout_rate)
    return mtf.pad(y, [0, model_dim.size - half], model_dim.name)

  def convolution(self, context, x, out_dim):
    """sum_i x_{t-1+i} C_i: the 3x1 convolution, d -> d/2, no bias."""
    model_dim = context.model.model_dim
    width_dim = _width_dim(ENCODER_WINDOWS["conv3x1"])
    with tf.variable_scope("conv3x1"):
      kernel = mtf.get_variable(
          x.mesh, "kernel", mtf.Shape(context.model.ensemble_dims + [
              width_dim, model_dim, out_dim]),
          initializer=tf.glorot_uniform_initializer(),
          dtype=context.variable_dtype)
    window = _window(context, x, width_dim, ENCODER_WINDOWS["conv3x1"][0])
    return mtf.einsum([window, kernel], output_shape=mtf.Shape(
        (window.shape - [width_dim, model_dim]).dims + [out_dim]))


@gin.configurable(module="mtf_mods")
class EvolvedDecoderAttention(transformer.TransformerLayer):
  """Self-attention with 2H heads plus attention over the encoder with H
  heads, summed (So et al.'s 16 and 8 heads); mtf's DecoderAttentionLayer.

  The branches are the kit's MultiHeadSelfAttention and
  MultiHeadEncDecAttention, built with these head counts and widths and
  otherwise configured by their own gin bindings (relative position bias,
  dropout), as mtf's layer builds its SelfAttention and EncDecAttention.

  Attributes:
    num_heads: H, the heads of the encoder-decoder branch (mtf's
      base_num_heads).
    key_value_size: d_kv of the encoder-decoder branch.
    self_attention_heads: the self-attention branch's heads; None: 2 H,
      So et al.'s ratio and mtf's count (24 at the paper's H = 12; their
      tensor2tensor code takes max(16, H), which is 16 here).
    self_attention_key_value_size: its d_kv; None: H d_kv divided over
      its heads (So et al.); d_kv is mtf's, a branch twice as wide.
  """

  def __init__(self, num_heads=gin.REQUIRED, key_value_size=gin.REQUIRED,
               self_attention_heads=None,
               self_attention_key_value_size=None):
    self.num_heads = num_heads
    self.key_value_size = key_value_size
    self.self_attention_heads = self_attention_heads or 2 * num_heads
    if self_attention_key_value_size is None:
      width = num_heads * key_value_size
      if width % self.self_attention_heads:
        raise ValueError(
            "self_attention_heads %d do not divide the attention width "
            "%d (num_heads x key_value_size)"
            % (self.self_attention_heads, width))
      self_attention_key_value_size = width // self.self_attention_heads
    self.self_attention_key_value_size = self_attention_key_value_size
    self.self_attention = attention.MultiHeadSelfAttention(
        num_heads=self.self_attention_heads,
        key_value_size=self_attention_key_value_size)
    self.enc_dec_attention = attention.MultiHeadEncDecAttention(
        num_heads=num_heads, key_value_size=key_value_size)

  def call(self, context, x, losses=None):
    with tf.variable_scope("self_attention"):
      left = self.self_attention.call(context, x, losses)
    with tf.variable_scope("enc_dec_attention"):
      right = self.enc_dec_attention.call(context, x, losses)
    return left + right


@gin.configurable(module="mtf_mods")
class EvolvedDecoderConvolution(transformer.TransformerLayer):
  """Causal separable convolutions: 11x1 (ReLU, 2d) and 7x1 (d/2) branches,
  added, layer-normed, then a 7x1 separable convolution to d (the module
  docstring's equations); mtf's DecoderConvolutionalLayer.

  Attributes:
    dropout_rate: dropout on each branch and the output while training.
    initializer_scale: s of the separable convolutions' initializers.
    norm_epsilon: the layer norm's epsilon.
    mask_zero_ids: zero each convolution's input where the input id is 0,
      the decoder's start positions included (mtf's); False reads them
      as they are (So et al.).
  """

  def __init__(self, dropout_rate=0.0, initializer_scale=1.0,
               norm_epsilon=NORM_EPSILON, mask_zero_ids=False):
    self.dropout_rate = dropout_rate
    self.initializer_scale = initializer_scale
    self.norm_epsilon = norm_epsilon
    self.mask_zero_ids = mask_zero_ids

  def call(self, context, x, losses=None):
    del losses
    model_dim = context.model.model_dim
    half = _half(model_dim)
    hidden_dim = mtf.Dimension(dimensions.CONV_CHANNELS, 2 * model_dim.size)
    mask = _input_mask(context) if self.mask_zero_ids else 1.0

    def convolve(h, in_dim, out_dim, name):
      return separable_convolution(context, h * mask, in_dim, out_dim,
                                   DECODER_WINDOWS[name], name,
                                   self.initializer_scale)
    left = fused.relu(convolve(x, model_dim, hidden_dim, "sep_conv11x1"))
    left = _dropout(context, left, self.dropout_rate)
    right = convolve(x, model_dim,
                     mtf.Dimension(dimensions.CONV_CHANNELS, half),
                     "sep_conv7x1_1")
    right = _dropout(context, right, self.dropout_rate)
    h = left + mtf.pad(right, [0, hidden_dim.size - half],
                       dimensions.CONV_CHANNELS)
    h = layer_norm.layer_norm(h, hidden_dim, context, self.norm_epsilon)
    y = convolve(h, hidden_dim, model_dim, "sep_conv7x1_2")
    return _dropout(context, y, self.dropout_rate)
