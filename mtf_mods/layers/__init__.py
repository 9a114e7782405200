"""The kit's Mesh TensorFlow layers, one module per family.

Importing this package registers every layer and sublayer with gin under the
`mtf_mods.` module prefix (for example `@mtf_mods.MultiHeadSelfAttention`).
"""
from mtf_mods.layers import activations
from mtf_mods.layers import attention
from mtf_mods.layers import feed_forward
from mtf_mods.layers import fixup
from mtf_mods.layers import normalization
