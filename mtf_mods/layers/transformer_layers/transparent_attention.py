"""Transparent attention (Bapna et al. 2018; Narang et al. 2021, Sec. 2.7).

Learned weighted residual connections along the encoder's depth: each decoder
module attends over its own softmax-weighted combination of the encoder's
module outputs instead of the encoder's final output,

  m_j = sum_i softmax_i(W)_ij h_i,   i = 0..N_enc, j = 0..N_dec - 1,

then, per head, the baseline's encoder-decoder attention over m_j,

  softmax(q (m_j W_k)^T + B) m_j W_v   (projected by W_o),

with the mask B hiding the encoder's padding. h_0 is the encoder stack's
input (the embeddings after the stack's initial sublayers), h_i the residual
stream after the encoder's i-th module of `layers_per_encoder_module`
layers, h_N_enc the stack's final output (after its final layer norm, when
the modules span the encoder). Decoder layer l (counted over the decoder
stack) is in module j = l // `layers_per_decoder_module`. W is one
[N_enc + 1, N_dec] weight per decoder stack, made by the first transparent
layer, with W ~ N(0, 1 / (N_enc + 1)). While training, dropout of rate
`dropout_rate` (also the attention weights' dropout) zeroes entries of W,
and scales the rest by 1 / (1 - rate), before the softmax. The paper's
setting (the authors' gin): modules of 2 encoder layers (self-attention,
feed-forward) and of 3 decoder layers (self-attention, this layer,
feed-forward), N_enc = N_dec = num_layers.

This is mtf 0.1.21's transformer_layers.TransparentEncDecAttention: the same
mixture, weight, initializer (mtf's without its unit-scaling convention) and
variable name ("w", in the first transparent layer's scope). While decoding,
m_j and its keys and values are computed once, in "first_part", and the keys
and values kept as constant state; mtf also builds m_j again in every
incremental step, where it goes unused.
"""
import gin
import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers.transformer_layers import attention

_CACHE_KEY = "mtf_mods.transparent_attention"


@gin.configurable(module="mtf_mods")
class TransparentEncDecAttention(attention.MultiHeadEncDecAttention):
  """Encoder-decoder attention over a learned mixture of encoder modules.

  Attributes:
    layers_per_encoder_module: encoder layers per module (whose outputs are
      mixed).
    layers_per_decoder_module: decoder layers per module (each module has
      its own mixture).
    encoder_num_modules: N_enc, modules in the encoder.
    decoder_num_modules: N_dec, modules in the decoder.
  """

  def __init__(self, num_heads=gin.REQUIRED, key_value_size=gin.REQUIRED,
               layers_per_encoder_module=gin.REQUIRED,
               layers_per_decoder_module=gin.REQUIRED,
               encoder_num_modules=gin.REQUIRED,
               decoder_num_modules=gin.REQUIRED, dropout_rate=0.0,
               fold_scaling_into_initializer=True):
    super().__init__(num_heads, key_value_size, dropout_rate,
                     fold_scaling_into_initializer)
    self.layers_per_encoder_module = layers_per_encoder_module
    self.layers_per_decoder_module = layers_per_decoder_module
    self.encoder_num_modules = encoder_num_modules
    self.decoder_num_modules = decoder_num_modules

  def keys_and_values(self, context, m):
    """Keys and values of this layer's mixture m_j, not of `m`.

    MultiHeadEncDecAttention.call passes the encoder's final output `m`
    (outside "incremental" mode, where the keys and values are constant
    state).
    """
    del m
    return super().keys_and_values(context, self.memory(context))

  def memory(self, context):
    """m_j: [<batch dims>, memory_length, d_model] for this layer's module."""
    module = context.layer_index // self.layers_per_decoder_module
    if module >= self.decoder_num_modules:
      raise ValueError(
          "decoder layer %d is in module %d, but decoder_num_modules = %d"
          % (context.layer_index, module, self.decoder_num_modules))
    mixture, module_outputs = self.mixture(context)
    decoder_dim = mixture.shape.dims[-1]
    weights = mtf.gather(mixture, module, decoder_dim)
    return mtf.einsum([weights, module_outputs],
                      reduced_dims=[module_outputs.shape.dims[0]])

  def mixture(self, context):
    """(softmax_i(W) [<ensemble>, N_enc + 1, N_dec], the stacked h_i).

    Made once per decoder stack call (the context's cache), by the first
    transparent layer, so that all share one W.
    """
    if _CACHE_KEY in context.cache:
      return context.cache[_CACHE_KEY]
    outputs = context.encoder_layer_outputs or []
    step = self.layers_per_encoder_module
    module_outputs = outputs[:1] + outputs[step::step]
    if len(module_outputs) != self.encoder_num_modules + 1:
      raise ValueError(
          "%d encoder layer outputs give %d module outputs (modules of %d "
          "layers), not encoder_num_modules + 1 = %d"
          % (len(outputs), len(module_outputs), step,
             self.encoder_num_modules + 1))
    encoder_dim = mtf.Dimension(dimensions.ENCODER_MODULE_OUTPUTS,
                                self.encoder_num_modules + 1)
    decoder_dim = mtf.Dimension(dimensions.DECODER_MODULE_INPUTS,
                                self.decoder_num_modules)
    stacked = mtf.stack(
        [mtf.rename_dimension(h, dimensions.LENGTH, dimensions.MEMORY_LENGTH)
         for h in module_outputs], encoder_dim.name)
    w = mtf.get_variable(
        context.mesh, "w",
        mtf.Shape(context.model.ensemble_dims + [encoder_dim, decoder_dim]),
        initializer=tf.random_normal_initializer(
            stddev=encoder_dim.size ** -0.5),
        dtype=context.variable_dtype)
    w = mtf.dropout(w, context.train, rate=self.dropout_rate)
    context.cache[_CACHE_KEY] = (mtf.softmax(w, encoder_dim), stacked)
    return context.cache[_CACHE_KEY]
