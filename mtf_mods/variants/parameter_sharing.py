"""Parameter sharing (Narang et al. 2021, Sec. 2.5): block sharing across the
layers of a stack, with and without factorized embeddings. Their layers
enter at the layer stack (mtf_mods.layers).

No row of this family has landed yet.
"""

FAMILY = 'parameter sharing'

VARIANTS = ()
