"""LayerStacks: the stack itself, the third injection point.

Mesh TensorFlow builds each stack (encoder, decoder) with
`transformer.make_layer_stack`, which makes `num_layers` blocks of the
layers in `make_layer_stack.layers` and hands them to the class bound to
`make_layer_stack.layer_stack_cls` (by default `transformer.LayerStack`).
The classes here:

  funnel     FunnelLayerStack (and FunnelBitransformer, bound to
             make_bitransformer.bitransformer_cls): the encoder pooled
             between blocks, the decoder attending over the pooled
             sequence (Funnel Transformer, Sec. 2.7)
  shared     SharedLayerStack: block (ALBERT-style) parameter sharing, one
             set of weights per sub-block for all blocks (Sec. 2.5)
  universal  UniversalTransformerStack: one block applied recurrently with
             adaptive computation time (Universal Transformer, Sec. 2.7)

Importing this package registers every class with gin.
"""
from mtf_mods.layers.stacks import funnel
from mtf_mods.layers.stacks import shared
from mtf_mods.layers.stacks import universal
