"""A block's feed-forward that is another layer in chosen blocks of a stack.

Two rows of Narang et al. 2021 (Sec. 2.7) replace the feed-forward block of
some layers only:
- PeriodicExperts: a mixture of experts (mtf_mods.MixtureOfExperts) in every
  `period`-th block ("Mixture of experts" and "Switch Transformer": 32
  experts on every fourth feed-forward of the encoder and of the decoder).
  In a stack of L blocks (make_layer_stack's num_layers), block b = 0..L-1
  has the experts when (L - 1 - b) is a multiple of `period`: counted from
  the last block, so that every stack has at least one. At the paper's 12
  blocks and period 4 these are blocks 3, 7 and 11, the release's (its
  blocks of 4 layers, [SA, FFN] x 3 then [SA, experts]); at the cpu
  scale's 6, blocks 1 and 5; in a stack of one block, that block.
- MemoryBeforeLastBlock: a product key memory (mtf_mods.ProductKeyMemory)
  in block L - 2, the last but one ("Product key memory": "before the last
  layer in the decoder"; the release's block 11 of 12); block 0 in a stack
  of one block.
Every other block has the baseline's feed-forward (mtf_mods.FeedForward).
Each layer takes its gin bindings as when listed itself (made in the
stack's gin scope), and its variables are in a scope of its class's name.
"""
import gin
from mesh_tensorflow.transformer import transformer
import tensorflow.compat.v1 as tf

from mtf_mods.layers.layer_names import block_and_name
from mtf_mods.layers.transformer_layers import feed_forward
from mtf_mods.layers.transformer_layers import mixture_of_experts
from mtf_mods.layers.transformer_layers import product_key_memory


class _PlacedFeedForward(transformer.TransformerLayer):
  """`self.other` in the blocks `has_other` chooses, FeedForward elsewhere.

  Both are made in __init__, where gin's scope (encoder/, decoder/) is the
  stack's; make_layer_stack names the layer, and so its block, after.
  """

  def __init__(self, num_blocks, other):
    self.num_blocks = num_blocks
    self.other = other
    self.feed_forward = feed_forward.FeedForward()

  def has_other(self, block):
    raise NotImplementedError

  def call(self, context, x, losses=None):
    block, _ = block_and_name(self)
    layer = self.other if self.has_other(block) else self.feed_forward
    with tf.variable_scope(type(layer).__name__):
      return layer.call(context, x, losses)


@gin.configurable(module="mtf_mods")
class PeriodicExperts(_PlacedFeedForward):
  """Experts every `period` blocks, counted from the last.

  Attributes:
    num_blocks: L, the stack's number of blocks (bind %num_layers).
    period: the experts' period in blocks (the paper's 4).
  """

  def __init__(self, num_blocks=gin.REQUIRED, period=4):
    super().__init__(num_blocks, mixture_of_experts.MixtureOfExperts())
    self.period = period

  def has_other(self, block):
    return (self.num_blocks - 1 - block) % self.period == 0


@gin.configurable(module="mtf_mods")
class MemoryBeforeLastBlock(_PlacedFeedForward):
  """A product key memory in the last block but one.

  Attributes:
    num_blocks: L, the stack's number of blocks (bind %num_layers).
  """

  def __init__(self, num_blocks=gin.REQUIRED):
    super().__init__(num_blocks, product_key_memory.ProductKeyMemory())

  def has_other(self, block):
    return block == max(self.num_blocks - 2, 0)
