"""Synthesizer self-attention (Tay et al. 2020), as Narang et al. 2021 ran it.

The paper (Sec. 2.7, Table 1) replaces encoder and decoder self-attention
by mtf 0.1.21's `transformer_layers.Synthesizer` in seven modes; this layer
computes what its `attention.synthetic_attention` computes. For one head h,
inputs X (n positions) and the tables' first n rows and columns:

  Y = softmax(A_h + B_h) V_h W_o,   B = masks + shared relative bias

with the attention logits A of each mode:

  dense               A_h = relu(Q_h) Pi    (the release's "dense_minus")
  random              A_h = R[:, h, :]
  factorized          A_h[i, j] = sum_r R1[r, h, j] R2[r, h, j]
  dense_plus, random_plus
                      A_h = Q_h K_h^T + S_h
  dense_plus_alpha, random_plus_alpha
                      A_h = (1 - sigmoid(a)) Q_h K_h^T + sigmoid(a) S_h

where S_h is the dense or random mode's A_h, Q = X W_q (the
1/sqrt(d_kv) folded into W_q's initializer, as in attention.py), K = X W_k,
and V = X W_v in the plus modes, V = X W_kv otherwise (mtf's tied k = v,
whose keys nothing reads). The tables:
  Pi   [d_kv, max_length], shared by the heads (mtf's dense layer over
       d_kv), truncated normal with std d_kv^-1/2 as that layer's;
  R    [max_length, heads, max_length], Glorot uniform over that shape
       (mtf's default initializer);
  R1, R2  [16, heads, max_length], Glorot uniform. mtf's einsum broadcasts
       their product over the query position: every query of a head has
       the same synthetic logits, unlike Tay et al.'s R1 R2^T;
  a    a scalar, initialised to 0 (sigmoid(a) = 1/2).
Row i of R is the i-th position of the (packed) sequence, as in mtf; while
decoding, the current position's row.

mtf sizes the tables to 512 positions whatever the sequence; here they
hold `max_length` (bound per scale to its sequence length), and a longer
sequence is refused. The decoder's causal and packing masks, the shared
relative position bias and the incremental decoding are
MultiHeadSelfAttention's.

Heads: the release binds num_heads and key_value_size of mtf's SelfAttention
only, which gin does not pass on to its subclass Synthesizer, so the
paper's Synthesizers ran with the constructor's defaults, 8 heads of 128
(inner size 1024, against the baseline's 12 of 64): Table 1's parameter
counts and operations are those of 8 x 128.
"""
import gin
import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers import fused
from mtf_mods.layers.dense import dense
from mtf_mods.layers.scalar import scalar_variable
from mtf_mods.layers.transformer_layers import attention

SYNTHESIZE_MODES = ("dense", "dense_plus", "dense_plus_alpha", "factorized",
                    "random", "random_plus", "random_plus_alpha")
FACTORIZED_RANK = 16  # as mtf's synthetic_attention


@gin.configurable(module="mtf_mods")
class Synthesizer(attention.MultiHeadSelfAttention):
  """Self-attention over synthetic (and dot-product) logits.

  Attributes:
    synthesize_mode: one of SYNTHESIZE_MODES.
    max_length: positions (query and memory) the tables hold; longer
      sequences raise a ValueError.
    Other attributes as MultiHeadSelfAttention.
  """

  def __init__(self, num_heads=gin.REQUIRED, key_value_size=gin.REQUIRED,
               synthesize_mode=gin.REQUIRED, max_length=512,
               dropout_rate=0.0, relative_attention="shared_bias",
               num_buckets=32, max_distance=128,
               fold_scaling_into_initializer=True):
    super().__init__(num_heads, key_value_size, dropout_rate,
                     relative_attention, num_buckets, max_distance,
                     fold_scaling_into_initializer)
    if synthesize_mode not in SYNTHESIZE_MODES:
      raise ValueError("unknown synthesize_mode %r; valid: %s"
                       % (synthesize_mode, SYNTHESIZE_MODES))
    self.synthesize_mode = synthesize_mode
    self.max_length = max_length

  @property
  def synthesis(self):
    """How S is made: "dense", "random" or "factorized"."""
    return self.synthesize_mode.split("_")[0]

  @property
  def uses_query(self):
    """Whether the mode projects queries (all but random and factorized)."""
    return self.synthesis == "dense" or self.dot_product

  @property
  def dot_product(self):
    """Whether the logits add Q K^T (the plus modes)."""
    return "_plus" in self.synthesize_mode

  def call(self, context, x, losses=None):
    del losses
    if context.length_dim.size > self.max_length:
      raise ValueError(
          "Synthesizer: sequence length %d exceeds the %d positions of its "
          "tables (max_length, bound to the scale's max_sequence_length); "
          "use sequences of at most %d tokens, or bind max_sequence_length"
          % (context.length_dim.size, self.max_length, self.max_length))
    memory_length = mtf.Dimension(dimensions.MEMORY_LENGTH,
                                  context.length_dim.size)
    q = self.query(context, x) if self.uses_query else None
    memory, memory_position = self.memory(context, x, memory_length)
    # As attend orders them: batch and heads first, then the queries; with
    # attention_transposes, q, k and v are transposed so once each.
    batch_heads = [d for d in memory[-1].shape.dims
                   if d not in (memory_length, self.kv_dim)]
    queries = [d for d in x.shape.dims
               if d not in batch_heads + [context.model.model_dim]]
    explicit = attention.attention_transposes()
    if explicit:
      memory = [attention.with_leading(m, batch_heads) for m in memory]
      q = None if q is None else attention.with_leading(q, batch_heads)
    v = memory[-1]
    logits_shape = mtf.Shape(batch_heads + queries + [memory_length])
    logits = self.synthetic_logits(context, q, logits_shape)
    if self.dot_product:
      logits = self.mix(context, mtf.einsum([q, memory[0]], logits_shape),
                        logits)
    logits = attention.add_biases(
        logits, self.biases(context, memory_position, memory_length))
    o = attention.attend_logits(
        logits, v, memory_length,
        mtf.Shape(batch_heads + queries + [self.kv_dim]), self.dropout_rate,
        context)
    if explicit:
      o = attention.with_leading(o, x.shape.dims)
    return self.output(context, o)

  def memory(self, context, x, memory_length):
    """([k, v], or [v] without a dot product) over memory_length, and the
    memory positions; cached while decoding as MultiHeadSelfAttention's."""
    if context.mode == "incremental":
      m = x
    else:
      m = mtf.replace_dimensions(x, context.length_dim, memory_length)
    if self.dot_product:
      memory = list(self.keys_and_values(context, m))
    else:
      memory = [dense(m, [self.heads_dim, self.kv_dim],
                      [context.model.model_dim], context, "kv")]
    if context.mode == "incremental":
      write = mtf.one_hot(context.position, memory_length,
                          dtype=context.activation_dtype)
      memory = [old * (1.0 - write) + new * write
                for old, new in zip(context.get_states(len(memory)), memory)]
      memory_position = mtf.range(context.mesh, memory_length, tf.int32)
    else:
      memory_position = mtf.replace_dimensions(
          context.position, context.length_dim, memory_length)
    if context.mode in ("first_part", "incremental"):
      context.record_new_states(memory)
    return memory, memory_position

  def synthetic_logits(self, context, q, logits_shape):
    """S of the mode, over the dims of `logits_shape` it depends on."""
    memory_length = logits_shape.dims[-1]
    if self.synthesis == "dense":
      with tf.variable_scope("pi"):
        pi = self.table(context, "kernel", [self.kv_dim], memory_length,
                        tf.truncated_normal_initializer(
                            stddev=self.key_value_size ** -0.5))
      return mtf.einsum([fused.relu(q), pi], logits_shape)
    if self.synthesis == "random":
      length = mtf.Dimension(context.length_dim.name, self.max_length)
      r = self.table(context, "R", [length, self.heads_dim], memory_length,
                     tf.glorot_uniform_initializer())
      return query_rows(context, r, length)
    rank = mtf.Dimension(dimensions.SYNTHESIZER_RANK, FACTORIZED_RANK)
    r1, r2 = (self.table(context, name, [rank, self.heads_dim],
                         memory_length, tf.glorot_uniform_initializer())
              for name in ("R1", "R2"))
    return mtf.einsum([r1, r2], reduced_dims=[rank])

  def table(self, context, name, dims, memory_length, initializer):
    """A learned table over dims + [max_length memory positions], its
    memory positions sliced to the memory's."""
    table_memory = mtf.Dimension(memory_length.name, self.max_length)
    shape = mtf.Shape(context.model.ensemble_dims + dims + [table_memory])
    table = mtf.get_variable(context.mesh, name, shape,
                             initializer=initializer,
                             dtype=context.variable_dtype)
    return mtf.slice(table, 0, memory_length.size, memory_length.name)

  def mix(self, context, dot_logits, synthetic_logits):
    """Q K^T + S, or its sigmoid(alpha) interpolation."""
    if not self.synthesize_mode.endswith("_alpha"):
      return dot_logits + synthetic_logits
    alpha = mtf.sigmoid(scalar_variable(context, "alpha", 0.0))
    return (1.0 - alpha) * dot_logits + alpha * synthetic_logits


def query_rows(context, table, length):
  """The rows of `table` (over `length`, max_length positions) of the
  current queries: the first n, or while decoding the current position's."""
  if context.mode == "incremental":
    return mtf.gather(table, context.position, length)
  return mtf.slice(table, 0, context.length_dim.size, length.name)

