"""Fixup's TransformerLayers: residual learning without normalization
(Zhang, Dauphin & Ma 2019).

The model has no layer norm; instead, their three rules:
  1. the last layer of every residual branch starts at 0 (the attention
     output projection "o", the feed-forward output projection "wo");
  2. the other layers of a branch start from He et al.'s initialization,
     N(0, 2 / fan_in), scaled by L^(-1 / (2m - 2)), where L is the number of
     residual branches of the network and m the number of layers of the
     branch: m = 2 for the feed-forward block (L^-1/2) and, as in the study's
     mtf layers, m = 4 for attention (q, k, v, o: L^-1/6);
  3. scalar biases, initialised to 0, and a scalar multiplier,
     initialised to 1, at the end of every branch. Fixup puts a bias before
     each linear layer and activation; as the study's layers, we put one
     before each branch and the multiplier at its end (the LayerStack
     sublayers of `sublayers.fixup`), and one before the feed-forward
     output projection wo (here, in FixupFeedForward).
He initialization uses a truncated normal (cut at 2 standard deviations)
rescaled to the intended variance, as the study's layers did.

Narang et al. 2021 (Sec. 2.2) train this model with Adam. The encoder has
two branches per layer and the decoder three, so at paper scale
L = 2 * 12 + 3 * 12 = 60; `gin/models/fixup.gin` binds L = 5 * num_layers.
The softmax stays tied to the input embedding (as in the baseline and the
study), so Fixup's zero-initialized classification layer does not apply.
"""
import math

import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers import fused
from mtf_mods.layers.dense import dense
from mtf_mods.layers.scalar import scalar_variable
from mtf_mods.layers.transformer_layers import attention

# The standard deviation of N(0, 1) truncated at +-2.
_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978
ATTENTION_LAYERS_PER_BRANCH = 4
FEED_FORWARD_LAYERS_PER_BRANCH = 2


def fixup_stddev(fan_in, num_blocks, layers_per_branch):
  """sqrt(2 / fan_in) * L^(-1 / (2m - 2)): rule 2 for one weight."""
  return (math.sqrt(2.0 / fan_in)
          * num_blocks ** (-1.0 / (2 * layers_per_branch - 2)))


def truncated_normal(stddev):
  """A truncated normal initializer whose samples have std `stddev`."""
  return tf.truncated_normal_initializer(
      stddev=stddev / _TRUNCATED_NORMAL_STDDEV)


class _FixupAttentionProjections:
  """q, k, v with Fixup-scaled He initialization; o initialised to 0.

  The 1/sqrt(d_kv) scaling of the logits multiplies q at run time: Fixup's
  initialization is of the weights themselves (the study's Fixup layers
  refuse mtf's folding of the scaling into q's initializer). With
  `rescale_initialization` False, the projections start from mtf's standard
  initialization instead: N(0, 1 / fan_in) for q, k, v and o.
  """
  rescale_initialization = True

  def projection_initializer(self, fan_in):
    if self.rescale_initialization:
      return truncated_normal(fixup_stddev(fan_in, self.num_blocks,
                                           ATTENTION_LAYERS_PER_BRANCH))
    return tf.random_normal_initializer(stddev=fan_in ** -0.5)

  def query(self, context, x):
    model_dim = context.model.model_dim
    q = dense(x, [self.heads_dim, self.kv_dim], [model_dim], context, "q",
              initializer=self.projection_initializer(model_dim.size))
    return q * self.key_value_size ** -0.5

  def keys_and_values(self, context, m):
    model_dim = context.model.model_dim
    new_dims = [self.heads_dim, self.kv_dim]
    initializer = self.projection_initializer(model_dim.size)
    return (dense(m, new_dims, [model_dim], context, "k",
                  initializer=initializer),
            dense(m, new_dims, [model_dim], context, "v",
                  initializer=initializer))

  def output(self, context, o):
    initializer = tf.zeros_initializer()
    if not self.rescale_initialization:
      initializer = tf.random_normal_initializer(
          stddev=(self.num_heads * self.key_value_size) ** -0.5)
    return dense(o, [context.model.model_dim], [self.heads_dim, self.kv_dim],
                 context, "o", initializer=initializer)


@gin.configurable(module="mtf_mods")
class FixupSelfAttention(_FixupAttentionProjections,
                         attention.MultiHeadSelfAttention):
  """Self-attention with Fixup initialization (rules 1 and 2).

  Attributes:
    num_blocks: L, the number of residual branches in the model.
    Other attributes as MultiHeadSelfAttention.
  """

  def __init__(self, num_blocks=gin.REQUIRED, **kwargs):
    super().__init__(**kwargs)
    self.num_blocks = num_blocks


@gin.configurable(module="mtf_mods")
class FixupEncDecAttention(_FixupAttentionProjections,
                           attention.MultiHeadEncDecAttention):
  """Encoder-decoder attention with Fixup initialization.

  Attributes:
    num_blocks: as FixupSelfAttention.
    rescale_initialization: True (Fixup): rules 1 and 2 as in
      self-attention. False: mtf's standard initialization, as in the
      study's released config, whose EncDecAttentionFixup inherits it from
      mtf's EncDecAttention.
  """

  def __init__(self, num_blocks=gin.REQUIRED, rescale_initialization=True,
               **kwargs):
    super().__init__(**kwargs)
    self.num_blocks = num_blocks
    self.rescale_initialization = rescale_initialization


@gin.configurable(module="mtf_mods")
class FixupFeedForward(transformer.TransformerLayer):
  """FFN(x) = (relu(x W1) + b) W2 with Fixup initialization.

  W1 ~ He * L^-1/2, W2 = 0, b a scalar bias initialised to 0 (rule 3: a bias
  before each linear layer); no vector biases, as in the study.

  Attributes:
    hidden_size: d_ff.
    num_blocks: L, the number of residual branches in the model.
    dropout_rate: dropout on the hidden activations while training.
  """

  def __init__(self, hidden_size=gin.REQUIRED, num_blocks=gin.REQUIRED,
               dropout_rate=0.0):
    self.hidden_size = hidden_size
    self.num_blocks = num_blocks
    self.dropout_rate = dropout_rate

  def call(self, context, x, losses=None):
    del losses
    model_dim = context.model.model_dim
    hidden_dim = mtf.Dimension(dimensions.D_FF, self.hidden_size)
    stddev = fixup_stddev(model_dim.size, self.num_blocks,
                          FEED_FORWARD_LAYERS_PER_BRANCH)
    h = fused.relu(dense(x, [hidden_dim], [model_dim], context, "wi",
                         initializer=truncated_normal(stddev)))
    if context.train and self.dropout_rate > 0.0:
      h = mtf.dropout(h, context.train, rate=self.dropout_rate,
                      noise_shape=h.shape - context.length_dim)
    with tf.variable_scope("fixup_bias"):
      h += scalar_variable(context, "bias", 0.0)
    return dense(h, [model_dim], [hidden_dim], context, "wo",
                 initializer=tf.zeros_initializer())
