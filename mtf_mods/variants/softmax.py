"""Softmax heads (Narang et al. 2021, Sec. 2.6): adaptive softmax, with and
without projection, and the mixture of softmaxes. Their layers enter at the
softmax head (mtf_mods.layers).

No row of this family has landed yet.
"""

FAMILY = 'softmax'

VARIANTS = ()
