"""TransformerLayers: the entries of a LayerStack's layer list.

Mesh TensorFlow builds each stack from `transformer.make_layer_stack.layers`,
a list of `transformer.TransformerLayer` classes whose
`call(context, x, losses)` is the block F of a residual step x + F(x). The
layers here:

  attention     MultiHeadSelfAttention (with T5's relative position bias),
                MultiHeadEncDecAttention: the baseline's attention
  feed_forward  FeedForward, plain or gated (the GLU family)
  activations   the feed-forward's activation functions, by name
  branched_attention
                BranchedSelfAttention, BranchedEncDecAttention: the
                Weighted Transformer's heads as weighted branches, each
                through the feed-forward
  convolution   LocalConvolution: lightweight and dynamic convolutions
                in place of self-attention
  mixture_of_experts
                MixtureOfExperts: a sparse mixture of ReLU experts in place
                of a feed-forward (top-2 or Switch routing)
  placed_feed_forward
                PeriodicExperts, MemoryBeforeLastBlock: the experts in every
                fourth block's feed-forward, the memory in the last block
                but one's, the baseline's feed-forward elsewhere
  product_key_memory
                ProductKeyMemory: a product-key memory in place of a
                feed-forward
  evolved       EvolvedGatedLinearUnit, EvolvedEncoderConvolution,
                EvolvedDecoderAttention, EvolvedDecoderConvolution: the
                Evolved Transformer's cells
  fixup         FixupSelfAttention, FixupEncDecAttention, FixupFeedForward:
                the same blocks with Fixup's initialization
  synthesizer   Synthesizer: self-attention over synthetic (dense, random,
                factorized) logits, alone or with dot products
  transparent_attention
                TransparentEncDecAttention: encoder-decoder attention over
                a learned mixture of the encoder's module outputs

Importing this package registers every layer with gin.
"""
from mtf_mods.layers.transformer_layers import activations
from mtf_mods.layers.transformer_layers import attention
from mtf_mods.layers.transformer_layers import branched_attention
from mtf_mods.layers.transformer_layers import convolution
from mtf_mods.layers.transformer_layers import evolved
from mtf_mods.layers.transformer_layers import feed_forward
from mtf_mods.layers.transformer_layers import fixup
from mtf_mods.layers.transformer_layers import mixture_of_experts
from mtf_mods.layers.transformer_layers import placed_feed_forward
from mtf_mods.layers.transformer_layers import product_key_memory
from mtf_mods.layers.transformer_layers import synthesizer
from mtf_mods.layers.transformer_layers import transparent_attention
