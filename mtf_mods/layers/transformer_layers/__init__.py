"""TransformerLayers: the entries of a LayerStack's layer list.

Mesh TensorFlow builds each stack from `transformer.make_layer_stack.layers`,
a list of `transformer.TransformerLayer` classes whose
`call(context, x, losses)` is the block F of a residual step x + F(x). The
layers here:

  attention     MultiHeadSelfAttention (with T5's relative position bias),
                MultiHeadEncDecAttention: the baseline's attention
  feed_forward  FeedForward, plain or gated (the GLU family)
  activations   the feed-forward's activation functions, by name
  fixup         FixupSelfAttention, FixupEncDecAttention, FixupFeedForward:
                the same blocks with Fixup's initialization

Importing this package registers every layer with gin.
"""
from mtf_mods.layers.transformer_layers import activations
from mtf_mods.layers.transformer_layers import attention
from mtf_mods.layers.transformer_layers import feed_forward
from mtf_mods.layers.transformer_layers import fixup
