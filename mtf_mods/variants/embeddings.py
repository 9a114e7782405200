"""Embeddings (Narang et al. 2021, Sec. 2.4): factorized, tied and untied, and
adaptive input embeddings. Their layers enter at the vocabulary embedding
(mtf_mods.layers).

No row of this family has landed yet.
"""

FAMILY = 'embedding'

VARIANTS = ()
