"""Multi-head attention with T5's relative position bias.

Attention(Q, K, V) = softmax(Q K^T + B) V   (Vaswani et al. 2017, eq. 1)

The 1/sqrt(d_kv) scaling is folded into the query initializer, as in Mesh
TensorFlow's T5, or (fold_scaling_into_initializer=False) applied to the
queries at run time. B is the sum of a mask (causal, packing) and, for
self-attention, a learned scalar per head and relative-position bucket
(Raffel et al. 2019, Sec. 2.1). In the paper's baseline the bias table is
shared by all layers of a stack ("relative attention with shared biases",
Narang et al. 2021, Sec. 3); each stack (encoder, decoder) has its own.
Encoder-decoder attention has no position bias.

Heads live on the named dimension `dimensions.HEADS`, so attention shards
over the mesh's model axis under the default layout rules.
"""
import math

import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers import fused
from mtf_mods.layers import gather
from mtf_mods.layers.dense import dense

RELATIVE_ATTENTION_TYPES = (None, "shared_bias", "bias")
_MASKED = -1e9


def relative_position_bucket(relative_position, bidirectional=True,
                             num_buckets=32, max_distance=128):
  """Maps relative positions (memory - query) to bucket ids.

  Half of the buckets (per direction, when bidirectional) hold the exact
  small distances; the rest cover distances up to `max_distance`
  logarithmically; farther positions share the last bucket.
  """
  distance = -relative_position
  bucket = 0
  if bidirectional:
    num_buckets //= 2
    bucket += mtf.to_int32(mtf.less(distance, 0)) * num_buckets
    distance = mtf.abs(distance)
  else:
    distance = mtf.maximum(distance, 0)
  max_exact = num_buckets // 2
  log_ratio = (mtf.log(mtf.to_float(distance) / max_exact)
               / math.log(max_distance / max_exact))
  large = max_exact + mtf.to_int32(log_ratio * (num_buckets - max_exact))
  large = mtf.minimum(large, num_buckets - 1)
  return bucket + mtf.where(mtf.less(distance, max_exact), distance, large)


def visibility_bias(visible, dtype):
  """0 where `visible`, a large negative number elsewhere."""
  return mtf.cast(mtf.logical_not(visible), dtype) * _MASKED


def add_biases(logits, biases):
  """logits + the sum of `biases`, added one at a time.

  Each term broadcasts into the logits' own dimension order. Summing the
  terms first would lay their sum out in another order (a [batch, length]
  mask plus a [heads, length] table gives [batch, length, memory, heads]),
  and mtf would transpose that full-size tensor into the logits' order,
  forward and backward. A mask term is 0 where visible, so the sum is the
  same.
  """
  for bias in biases:
    logits += bias
  return logits


@gin.configurable(module="mtf_mods")
def attention_transposes(explicit=True):
  """True: `attend` transposes q, k and v to [batch, heads, length, d_kv]
  and its output back, each once; False: it leaves those transposes to
  every product's tf.einsum (the kit before issue 17's fix; the same
  values)."""
  return explicit


def with_leading(x, dims):
  """x with those of `dims` it has first, in their order, then its others."""
  leading = [d for d in dims if d in x.shape.dims]
  shape = mtf.Shape(leading + [d for d in x.shape.dims if d not in leading])
  return x if shape == x.shape else mtf.transpose(x, shape)


def attend(q, k, v, memory_length, biases, key_dim, dropout_rate, context):
  """softmax(q k + sum(biases)) v over `memory_length`.

  The logits and the output put the dims q shares with k (batch, heads)
  first: both einsums are then batched matmuls whose outputs need no
  transpose, about 1.3x faster training steps on CPU. The projections lay
  q, k and v out as [batch, length, heads, d_kv]; tf.einsum would
  transpose them inside each of the six products of the forward and
  backward pass, which on a 2-core Xeon took longer than one explicit
  transpose of each operand and of the output (5-14% of the cpu scale's
  baseline step; `attention_transposes`).
  """
  shared = [d for d in q.shape.dims if d in k.shape.dims and d != key_dim]
  own = [d for d in q.shape.dims if d not in k.shape.dims]
  explicit = attention_transposes()
  projected_layout = q.shape
  if explicit:
    q, k, v = [with_leading(x, shared) for x in (q, k, v)]
  logits = add_biases(mtf.einsum([q, k], output_shape=mtf.Shape(
      shared + own + [memory_length])), biases)
  o = attend_logits(logits, v, memory_length,
                    mtf.Shape(shared + own + [key_dim]), dropout_rate, context)
  return with_leading(o, projected_layout.dims) if explicit else o


def attend_logits(logits, v, memory_length, output_shape, dropout_rate,
                  context):
  """softmax(logits) v over `memory_length`, with dropout on the weights
  while training (the Synthesizer's logits come from its own tables)."""
  weights = fused.softmax(logits, memory_length)
  if context.train and dropout_rate > 0.0:
    weights = mtf.dropout(
        weights, context.train, rate=dropout_rate,
        noise_shape=weights.shape - context.length_dim)
  return mtf.einsum([weights, v], output_shape=output_shape)


class _Attention(transformer.TransformerLayer):
  """Projections shared by self- and encoder-decoder attention.

  Attributes:
    num_heads: number of heads H.
    key_value_size: d_kv, the width of each head.
    dropout_rate: dropout on the attention weights while training.
    fold_scaling_into_initializer: True: q's initializer has std
      (d_model d_kv)^-1/2 and no scaling at run time; False: std
      d_model^-1/2 and q is multiplied by d_kv^-1/2 at run time.
  """

  def __init__(self, num_heads, key_value_size, dropout_rate,
               fold_scaling_into_initializer=True):
    self.num_heads = num_heads
    self.key_value_size = key_value_size
    self.dropout_rate = dropout_rate
    self.fold_scaling_into_initializer = fold_scaling_into_initializer

  @property
  def heads_dim(self):
    return mtf.Dimension(dimensions.HEADS, self.num_heads)

  @property
  def kv_dim(self):
    return mtf.Dimension(dimensions.D_KV, self.key_value_size)

  def query(self, context, x):
    model_dim = context.model.model_dim
    scaling = self.key_value_size ** -0.5
    if self.fold_scaling_into_initializer:
      return dense(x, [self.heads_dim, self.kv_dim], [model_dim], context,
                   "q", stddev=model_dim.size ** -0.5 * scaling)
    return dense(x, [self.heads_dim, self.kv_dim], [model_dim], context,
                 "q") * scaling

  def keys_and_values(self, context, m):
    model_dim = context.model.model_dim
    new_dims = [self.heads_dim, self.kv_dim]
    return (dense(m, new_dims, [model_dim], context, "k"),
            dense(m, new_dims, [model_dim], context, "v"))

  def output(self, context, o):
    return dense(o, [context.model.model_dim], [self.heads_dim, self.kv_dim],
                 context, "o")


@gin.configurable(module="mtf_mods")
class MultiHeadSelfAttention(_Attention):
  """Multi-head self-attention with an optional relative position bias.

  Attributes:
    relative_attention: None, "shared_bias" (one table per stack, the
      paper's baseline) or "bias" (one table per layer).
    num_buckets, max_distance: relative position bucketing.
  """

  def __init__(self, num_heads=gin.REQUIRED, key_value_size=gin.REQUIRED,
               dropout_rate=0.0, relative_attention="shared_bias",
               num_buckets=32, max_distance=128,
               fold_scaling_into_initializer=True):
    super().__init__(num_heads, key_value_size, dropout_rate,
                     fold_scaling_into_initializer)
    if relative_attention not in RELATIVE_ATTENTION_TYPES:
      raise ValueError("unknown relative_attention %r; valid: %s"
                       % (relative_attention, RELATIVE_ATTENTION_TYPES))
    self.relative_attention = relative_attention
    self.num_buckets = num_buckets
    self.max_distance = max_distance

  def call(self, context, x, losses=None):
    del losses
    memory_length = mtf.Dimension(dimensions.MEMORY_LENGTH,
                                  context.length_dim.size)
    q = self.query(context, x)
    if context.mode == "incremental":
      k, v = self.keys_and_values(context, x)
      write = mtf.one_hot(context.position, memory_length,
                          dtype=context.activation_dtype)
      old_k, old_v = context.get_states(2)
      k = old_k * (1.0 - write) + k * write
      v = old_v * (1.0 - write) + v * write
      memory_position = mtf.range(context.mesh, memory_length, tf.int32)
    else:
      m = mtf.replace_dimensions(x, context.length_dim, memory_length)
      k, v = self.keys_and_values(context, m)
      memory_position = mtf.replace_dimensions(
          context.position, context.length_dim, memory_length)
    if context.mode in ("first_part", "incremental"):
      context.record_new_states([k, v])
    biases = self.biases(context, memory_position, memory_length)
    o = attend(q, k, v, memory_length, biases, self.kv_dim,
               self.dropout_rate, context)
    return self.output(context, o)

  def biases(self, context, memory_position, memory_length):
    """The causal and packing masks and the relative position bias, the
    terms of B (a list, empty without any)."""
    dtype = context.activation_dtype
    biases = []
    if context.read_priority is not None:
      write_priority = mtf.replace_dimensions(
          context.write_priority, context.length_dim, memory_length)
      biases.append(visibility_bias(
          mtf.greater_equal(context.read_priority, write_priority), dtype))
    sequence_id = context.sequence_id
    if (isinstance(sequence_id, mtf.Tensor)
        and context.length_dim in sequence_id.shape.dims):
      memory_sequence_id = mtf.replace_dimensions(
          sequence_id, context.length_dim, memory_length)
      biases.append(visibility_bias(
          mtf.equal(sequence_id, memory_sequence_id), dtype))
    if self.relative_attention is not None:
      biases.append(self.relative_bias(context, memory_position))
    return biases

  def relative_bias(self, context, memory_position):
    """The table's entry for each head and relative-position bucket, laid
    out [heads, length, memory] as the logits are.

    A gather (its gradient a scatter-add), not mtf.gather's one-hot
    product. With "shared_bias" the layers of a stack that see the same
    positions (all but those after a Funnel pooling) look up one table with
    the same buckets, so they share one lookup."""
    table = self.relative_bias_table(context)

    def look_up():
      buckets = relative_position_bucket(
          memory_position - context.position,
          bidirectional=not context.model.fully_autoregressive,
          num_buckets=self.num_buckets, max_distance=self.max_distance)
      return with_leading(gather.gather(table, buckets, table.shape.dims[-1]),
                          table.shape.dims[:-1])
    return self.once_per_stack(
        context, ("mtf_mods.relative_position_bias", tuple(table.shape.dims),
                  context.position, tuple(memory_position.shape.dims)),
        look_up)

  def once_per_stack(self, context, key, make):
    """make(); with "shared_bias", the stack's one result of it for `key`."""
    if self.relative_attention != "shared_bias":
      return make()
    if key not in context.cache:
      context.cache[key] = make()
    return context.cache[key]

  def relative_bias_table(self, context):
    """[heads, buckets] table; with "shared_bias" created once per stack.

    Initialized as the release's (the paper is silent): mtf creates it with
    TensorFlow's default, Glorot's uniform over [heads, buckets], about 0.21
    std for the paper's 12 heads and 32 buckets."""
    shape = mtf.Shape(context.model.ensemble_dims + [
        self.heads_dim, mtf.Dimension(dimensions.BUCKETS, self.num_buckets)])
    return self.once_per_stack(
        context, ("mtf_mods.relative_attention_bias", tuple(shape.dims)),
        lambda: mtf.get_variable(
            context.mesh, "relative_attention_bias", shape,
            initializer=tf.glorot_uniform_initializer(),
            dtype=context.variable_dtype))


@gin.configurable(module="mtf_mods")
class MultiHeadEncDecAttention(_Attention):
  """Multi-head attention from the decoder over the encoder output."""

  def __init__(self, num_heads=gin.REQUIRED, key_value_size=gin.REQUIRED,
               dropout_rate=0.0, fold_scaling_into_initializer=True):
    super().__init__(num_heads, key_value_size, dropout_rate,
                     fold_scaling_into_initializer)

  def call(self, context, x, losses=None):
    del losses
    q = self.query(context, x)
    if context.mode == "incremental":
      k, v, memory_length = context.get_constant_state()
    else:
      memory = context.encoder_output
      memory_length = context.encoder_length_dim
      k, v = self.keys_and_values(context, memory)
      if context.mode == "first_part":
        context.record_constant_state((k, v, memory_length))
    biases = []
    # While decoding, mtf sets sequence_id to the int 1 (every decoded
    # position belongs to sequence 1): the encoder's padding (id 0) must
    # still be hidden.
    if (context.sequence_id is not None
        and isinstance(context.encoder_sequence_id, mtf.Tensor)):
      biases.append(visibility_bias(
          mtf.equal(context.sequence_id, context.encoder_sequence_id),
          context.activation_dtype))
    o = attend(q, k, v, memory_length, biases, self.kv_dim, self.dropout_rate,
               context)
    return self.output(context, o)
