"""A mixture of experts in place of every `period`-th feed-forward block
(Narang et al. 2021, Sec. 2.7: "Mixture of experts" and "Switch
Transformer", 32 experts on every fourth feed-forward of the encoder and
of the decoder).

In a stack of L blocks (make_layer_stack's num_layers), block b = 0..L-1
has the experts (mtf_mods.MixtureOfExperts) when (L - 1 - b) is a multiple
of `period`, and the baseline's feed-forward (mtf_mods.FeedForward)
otherwise: counted from the last block, so that every stack has at least
one. At the paper's 12 blocks and period 4 these are blocks 3, 7 and 11,
the release's (its blocks of 4 layers, [SA, FFN] x 3 then [SA, experts]);
at the cpu scale's 6, blocks 1 and 5; in a stack of one block, that block.
Both layers take their gin bindings as when listed themselves, and their
variables are in a scope of their class's name.
"""
import gin
from mesh_tensorflow.transformer import transformer
import tensorflow.compat.v1 as tf

from mtf_mods.layers.layer_names import block_and_name
from mtf_mods.layers.transformer_layers import feed_forward
from mtf_mods.layers.transformer_layers import mixture_of_experts


def has_experts(block, num_blocks, period):
  """Whether block `block` of `num_blocks` has the experts."""
  return (num_blocks - 1 - block) % period == 0


@gin.configurable(module="mtf_mods")
class PeriodicExperts(transformer.TransformerLayer):
  """The feed-forward of a block: experts every `period` blocks.

  Attributes:
    num_blocks: L, the stack's number of blocks (bind %num_layers).
    period: the experts' period in blocks (the paper's 4).
  """

  def __init__(self, num_blocks=gin.REQUIRED, period=4):
    self.num_blocks = num_blocks
    self.period = period
    # Both made here, where gin's scope (encoder/, decoder/) is the
    # stack's; make_layer_stack names the layer, and so its block, after.
    self.experts = mixture_of_experts.MixtureOfExperts()
    self.feed_forward = feed_forward.FeedForward()

  def call(self, context, x, losses=None):
    block, _ = block_and_name(self)
    layer = (self.experts if has_experts(block, self.num_blocks, self.period)
             else self.feed_forward)
    with tf.variable_scope(type(layer).__name__):
      return layer.call(context, x, losses)
