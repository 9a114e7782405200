"""The Funnel Transformer encoder: mean pooling of the sequence between blocks.

Narang et al. 2021, Sec. 2.7 (after Dai et al. 2020): the encoder's layers
are split into blocks, and the sequence is halved by mean pooling between
consecutive blocks; the paper uses "mean pooling with 3 blocks in the
encoder", pooled "after every 4 layers" of its 12, and reduces the encoder
only: the decoder attends over the shorter encoder output.

With window (and stride) p = `pooling_size` (2), pooling maps a sequence
h_1..h_n (n divisible by p) to

    pool(h)_j = (1/p) sum_{i=1..p} h_{p(j-1)+i},    j = 1..n/p.

A stack of L layers in B blocks of L/B layers (the block size follows the
scale's num_layers: 4 at the paper's 12, 2 at the cpu scale's 6) pools
B - 1 times, so the encoder output has n / p^(B-1) positions (512 -> 128 at
paper scale). As in Mesh TensorFlow 0.1.21's FunnelTransformerLayerStack
(mesh_tensorflow/transformer/funnel_transformer.py), the reference where the
paper is silent:

- Where the pooling happens. In block b > 1, the first layer (self-
  attention, with its residual) still reads the unpooled sequence; its
  output is pooled, and the block's other layers run at the pooled length.
  Dai et al. instead pool only the queries of that attention (keys and
  values unpooled); mtf's order averages the attention's outputs instead
  of its queries. `pool_between_blocks = True` pools the last output of
  each block instead, the paper's words read literally ("pooled after
  every 4 layers"): the first attention of a block then also runs at the
  pooled length (training-step FLOPs as `model_graph` counts them: 0.686
  of the baseline's at paper scale, against 0.701 in mtf's order).
- Padding. Padding windows take part in the mean like any position
  (mtf's choice; `exclude_padding_from_mean = True` averages a window's
  non-padding positions only: a window of a token and padding pools to the
  token). A pooled position belongs to the sequence of its window's
  largest sequence id, so it is padding (id 0) only when its whole window
  is; for right-padded inputs this is mtf's choice, the id of the window's
  first position.
- Positions are 0..n/p - 1 after pooling: the relative position bias of the
  later blocks (the stack's one shared table) is looked up at the pooled
  distances.
- A length not divisible by p cannot pool (mtf fails in a reshape); here
  the graph build stops with a ValueError naming the length.
- Packing is not supported (the release: `pack = False`): the encoder's
  sequence ids must be 0 (padding) or 1; larger ids (packed examples) stop
  the step with an InvalidArgumentError naming it. (On TPU, XLA drops the
  assertion.)

The stack keeps the baseline's sublayers (`transformer.LayerStack`'s
bindings: the paper's pre-layer norm); the release's funnel encoder used RMS
norm, which the `sublayers_*` arguments bind for this stack alone. The layers
keep `make_layer_stack`'s names, so the model has exactly the baseline's
variables: pooling adds no weights.

Usage (gin/models/funnel_transformer.gin): bind
`encoder/transformer.make_layer_stack.layer_stack_cls` to
@mtf_mods.FunnelLayerStack and `transformer.make_bitransformer
.bitransformer_cls` to @mtf_mods.FunnelBitransformer.
"""
import re

import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions

POOLING_TYPES = {"mean": mtf.reduce_mean, "max": mtf.reduce_max,
                 "min": mtf.reduce_min}
PACKING_ERROR = ("FunnelLayerStack does not support packed inputs (encoder "
                 "sequence ids above 1); train with pack = False")
_BLOCK_NAME = re.compile(r"^block_(\d+)/")


def pooled_dims(length_dim, pooling_size):
  """(the pooled length dimension, the window dimension) of `length_dim`.

  Raises:
    ValueError: a length not divisible by `pooling_size`.
  """
  if length_dim.size % pooling_size:
    raise ValueError(
        "FunnelLayerStack cannot pool %s of size %d by %d: input lengths "
        "must be divisible by pooling_size ** (num_blocks - 1)"
        % (length_dim.name, length_dim.size, pooling_size))
  return (mtf.Dimension(length_dim.name, length_dim.size // pooling_size),
          mtf.Dimension(dimensions.POOLING_WINDOW, pooling_size))


def _windows(x, length_dim, pooling_size):
  """x with `length_dim` split into [pooled length, window]."""
  pooled_dim, window_dim = pooled_dims(length_dim, pooling_size)
  return mtf.replace_dimensions(x, length_dim, [pooled_dim, window_dim])


def pool(x, length_dim, pooling_size=2, pooling_type="mean", weights=None):
  """Pools `x` over windows of `pooling_size` positions of `length_dim`.

  With `weights` (1 at positions to count, 0 elsewhere; mean pooling only),
  the mean of a window is sum_i w_i h_i / max(sum_i w_i, 1): 0 for a window
  of weight 0.
  """
  window_dim = mtf.Dimension(dimensions.POOLING_WINDOW, pooling_size)
  if weights is None:
    return POOLING_TYPES[pooling_type](
        _windows(x, length_dim, pooling_size), reduced_dim=window_dim)
  weights = _windows(weights, length_dim, pooling_size)
  total = mtf.reduce_sum(_windows(x, length_dim, pooling_size) * weights,
                         reduced_dim=window_dim)
  return total / mtf.maximum(mtf.reduce_sum(weights, reduced_dim=window_dim),
                             1.0)


def pool_sequence_id(sequence_id, length_dim, pooling_size=2):
  """The sequence id of each window: its largest (0 only for padding)."""
  return mtf.reduce_max(_windows(sequence_id, length_dim, pooling_size),
                        reduced_dim=mtf.Dimension(dimensions.POOLING_WINDOW,
                                                  pooling_size))


def refuse_packing(sequence_id):
  """`sequence_id`, checked at run time to hold no id above 1."""
  def check(ids):
    unpacked = tf.reduce_all(tf.less_equal(ids, 1))
    with tf.control_dependencies([tf.debugging.Assert(unpacked,
                                                      [PACKING_ERROR])]):
      return tf.identity(ids)
  return mtf.slicewise(check, [sequence_id], output_shape=sequence_id.shape,
                       output_dtype=sequence_id.dtype,
                       splittable_dims=sequence_id.shape.dims,
                       name="refuse_packing")


def entries_per_layer(layers):
  """The number of TransformerLayers in each layer (those of block_000)."""
  blocks = [_BLOCK_NAME.match(layer.name or "") for layer in layers]
  if not all(blocks):
    raise ValueError(
        "FunnelLayerStack needs make_layer_stack's block_scope = True names "
        "\"block_NNN/<name>\"; got %s" % [layer.name for layer in layers])
  return [int(match.group(1)) for match in blocks].count(0)


@gin.configurable(module="mtf_mods")
class FunnelLayerStack(transformer.LayerStack):
  """An encoder LayerStack that mean-pools the sequence between blocks.

  Takes the layers `make_layer_stack` builds (num_layers layers of the
  sub-layers in `make_layer_stack.layers`, with block scopes) and splits
  them into `num_blocks` blocks of num_layers / num_blocks layers. The
  context it is called with is updated as the sequence shortens: length
  dimension, positions and sequence ids (padding) are those of the pooled
  sequence after each pooling, and after the call.

  Attributes:
    num_blocks: B, the number of blocks (3 in the paper); num_layers must
      be a multiple of it, or smaller (then a block per layer).
    pooling_size: window and stride of the pooling (2).
    pooling_type: "mean" (the paper's), "max" or "min", as mtf's.
    exclude_padding_from_mean: False (mtf's): padding positions count in a
      window's mean; True: only non-padding positions do.
    pool_between_blocks: False (mtf's): pool the output of the first layer
      (the self-attention) of blocks 2..B; True: pool the output of the
      last layer of blocks 1..B-1.
    sublayers_initial, sublayers_per_layer, sublayers_final: None to keep
      `transformer.LayerStack`'s (the baseline's); lists to bind this
      stack's own (the release's RMS norm).
  """

  def __init__(self, layers, num_blocks=3, pooling_size=2,
               pooling_type="mean", exclude_padding_from_mean=False,
               pool_between_blocks=False, sublayers_initial=None,
               sublayers_per_layer=None, sublayers_final=None, **kwargs):
    if pooling_type not in POOLING_TYPES:
      raise ValueError("unknown pooling_type %r; valid: %s"
                       % (pooling_type, sorted(POOLING_TYPES)))
    if exclude_padding_from_mean and pooling_type != "mean":
      raise ValueError("exclude_padding_from_mean needs pooling_type "
                       "\"mean\"; got %r" % pooling_type)
    if kwargs.get("recompute_grads"):
      raise ValueError("FunnelLayerStack does not support recompute_grads")
    per_layer = entries_per_layer(layers)
    num_layers = len(layers) // per_layer
    # A stack of fewer layers than blocks (the tiny scale's) has a block
    # per layer.
    num_blocks = min(num_blocks, num_layers)
    if num_blocks < 1 or num_layers % num_blocks:
      raise ValueError(
          "FunnelLayerStack needs num_layers a multiple of num_blocks; got "
          "num_layers %d, num_blocks %d" % (num_layers, num_blocks))
    self.num_blocks = num_blocks
    self.layers_per_block = num_layers // num_blocks
    self.pooling_size = pooling_size
    self.pooling_type = pooling_type
    self.exclude_padding_from_mean = exclude_padding_from_mean
    # The indexes of the TransformerLayers whose outputs are pooled: the
    # first of blocks 1..B-1 (0-based), or the last of blocks 0..B-2.
    self.pool_after = frozenset(
        block * self.layers_per_block * per_layer - int(pool_between_blocks)
        for block in range(1, num_blocks))
    own = {"sublayers_initial": sublayers_initial,
           "sublayers_per_layer": sublayers_per_layer,
           "sublayers_final": sublayers_final}
    kwargs.update({name: value for name, value in own.items()
                   if value is not None})
    super().__init__(layers, **kwargs)

  def call(self, context, x):
    """LayerStack.call, pooling after the layers in `pool_after`."""
    if isinstance(context.sequence_id, mtf.Tensor):
      context.sequence_id = refuse_packing(context.sequence_id)
    return super().call(context, x)

  def _layer_fn(self, x, layer, context):
    y = super()._layer_fn(x, layer, context)
    if context.layer_index in self.pool_after:
      y = self.pool_and_update_context(context, y)
    return y

  def pool_and_update_context(self, context, x):
    """pool(x); the context's length, positions and ids become pooled."""
    length_dim = context.length_dim
    pooled_dim, _ = pooled_dims(length_dim, self.pooling_size)
    weights = None
    if (self.exclude_padding_from_mean
        and isinstance(context.sequence_id, mtf.Tensor)):
      weights = mtf.cast(mtf.not_equal(context.sequence_id, 0), x.dtype)
    x = pool(x, length_dim, self.pooling_size, self.pooling_type, weights)
    if isinstance(context.sequence_id, mtf.Tensor):
      context.sequence_id = pool_sequence_id(context.sequence_id, length_dim,
                                             self.pooling_size)
    if (isinstance(context.position, mtf.Tensor)
        and length_dim in context.position.shape.dims):
      context.position = mtf.slice(context.position, 0, pooled_dim.size,
                                   length_dim.name)
    context.length_dim = pooled_dim
    return x

  def pooled_sequence_id(self, sequence_id, length_dim):
    """The ids of the encoder output: `sequence_id` over `length_dim` (the
    stack's input length) pooled num_blocks - 1 times."""
    for _ in range(self.num_blocks - 1):
      sequence_id = pool_sequence_id(sequence_id, length_dim,
                                     self.pooling_size)
      length_dim = pooled_dims(length_dim, self.pooling_size)[0]
    return sequence_id


class _PooledMemoryDecoder(transformer.Unitransformer):
  """A built decoder Unitransformer whose encoder sequence ids are pooled.

  mtf's Bitransformer (training, greedy decoding and beam search) passes the
  decoder the encoder's output, whose memory_length the funnel shortened,
  with the encoder's unpooled sequence ids; this decoder pools the ids as
  the encoder stack pooled its sequence before its layers use them.
  """

  @classmethod
  def of(cls, decoder, encoder_stack):
    pooled = cls.__new__(cls)
    pooled.__dict__.update(decoder.__dict__)
    pooled.encoder_stack = encoder_stack
    return pooled

  def _pooled(self, encoder_sequence_id):
    if not isinstance(encoder_sequence_id, mtf.Tensor):
      return encoder_sequence_id
    return self.encoder_stack.pooled_sequence_id(
        encoder_sequence_id,
        encoder_sequence_id.shape.get_dim_by_name(dimensions.MEMORY_LENGTH))

  def call_simple(self, *args, encoder_sequence_id=None, **kwargs):
    return super().call_simple(
        *args, encoder_sequence_id=self._pooled(encoder_sequence_id),
        **kwargs)

  def sample_autoregressive(self, *args, encoder_sequence_id=None, **kwargs):
    return super().sample_autoregressive(
        *args, encoder_sequence_id=self._pooled(encoder_sequence_id),
        **kwargs)

  def beam_search(self, *args, encoder_sequence_id=None, **kwargs):
    return super().beam_search(
        *args, encoder_sequence_id=self._pooled(encoder_sequence_id),
        **kwargs)


@gin.configurable(module="mtf_mods")
class FunnelBitransformer(transformer.Bitransformer):
  """A Bitransformer whose encoder is a FunnelLayerStack.

  Everything is mtf's Bitransformer (call_simple, decode and its gin
  bindings `Bitransformer.decode.*`) but the decoder: its encoder-decoder
  attention attends over the pooled encoder output with the pooled
  sequence ids, so the windows of padding alone stay hidden. (mtf's
  BitransformerFunnel rewrites decode as `BitransformerFunnel.decode`,
  which the `Bitransformer.decode.*` bindings of the kit's budgets do not
  reach.)
  """

  def __init__(self, encoder, decoder, **kwargs):
    if not isinstance(encoder.layer_stack, FunnelLayerStack):
      raise ValueError(
          "FunnelBitransformer needs encoder/transformer.make_layer_stack."
          "layer_stack_cls = @mtf_mods.FunnelLayerStack; got %s"
          % type(encoder.layer_stack).__name__)
    if isinstance(decoder.layer_stack, FunnelLayerStack):
      raise ValueError("FunnelLayerStack pools the encoder only; bind it "
                       "to encoder/transformer.make_layer_stack")
    super().__init__(
        encoder, _PooledMemoryDecoder.of(decoder, encoder.layer_stack),
        **kwargs)
