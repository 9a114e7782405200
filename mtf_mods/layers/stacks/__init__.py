"""LayerStacks: the stack itself, the third injection point.

Mesh TensorFlow builds each stack (encoder, decoder) with
`transformer.make_layer_stack`, which makes `num_layers` blocks of the
layers in `make_layer_stack.layers` and hands them to the class bound to
`make_layer_stack.layer_stack_cls` (by default `transformer.LayerStack`).
The classes here:

  shared  SharedLayerStack: block (ALBERT-style) parameter sharing, one
          set of weights per sub-block for all blocks (Sec. 2.5)

Importing this package registers every class with gin.
"""
from mtf_mods.layers.stacks import shared
