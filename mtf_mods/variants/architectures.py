"""Architectures (Narang et al. 2021, Sec. 2.7): transparent attention,
convolutions, Synthesizers, the Evolved, Universal, Funnel and Weighted
Transformers, mixture of experts, Switch and product key memory. Their
layers enter as TransformerLayers or at the stack (mtf_mods.layers).

No row of this family has landed yet.
"""

FAMILY = 'architecture'

VARIANTS = ()
