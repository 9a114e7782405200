"""LayerStack sublayers: the functions around each block of a stack.

Mesh TensorFlow's `transformer.LayerStack` runs, for every layer of its
layer list, the functions of `sublayers_per_layer` (for the baseline:
layer norm, the layer, dropout, the residual), and `sublayers_final` at
the end of the stack. Each function here has the signature
(x, layer_stack, context) -> y and is registered, with its equation in
numpy, in `registry`:

  normalization  sublayer_layer_norm (the baseline), sublayer_rms_norm
  rezero         sublayer_rezero
  fixup          sublayer_fixup_bias, sublayer_fixup_multiplier

Importing this package registers all of them, with gin and in `registry`.
"""
from mtf_mods.layers.sublayers import fixup
from mtf_mods.layers.sublayers import normalization
from mtf_mods.layers.sublayers import registry
from mtf_mods.layers.sublayers import rezero
