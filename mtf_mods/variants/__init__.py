"""The variant registry: the single source of truth for what the kit runs.

One module per Table 1 family (Narang et al. 2021, Sec. 2) lists its
variants (`variant.Variant`): the Table 1 row it reproduces (or none, for a
modification of your own), the optimizer it trains with, and how it departs
from the paper or from the authors' released configuration. The CLI, the
tests, the report and the docs read `VARIANTS`; nothing else lists variants.

To add a variant: write its layer (mtf_mods/layers), its gin file
`gin/models/<name>.gin` (include 'models/baseline.gin', and any shared
block of `gin/models/parts/`, then bind only what differs), and one
`Variant(...)` line in its family's module (or in `own.py`, for a
modification outside Table 1). README, "Adding a variant".
"""
from mtf_mods.variants import activations
from mtf_mods.variants import architectures
from mtf_mods.variants import baseline
from mtf_mods.variants import depth
from mtf_mods.variants import embeddings
from mtf_mods.variants import normalization
from mtf_mods.variants import own
from mtf_mods.variants import parameter_sharing
from mtf_mods.variants import softmax
from mtf_mods.variants.variant import Variant  # noqa: F401  (the API)

# In Table 1's order of families; the baseline first.
FAMILIES = (baseline, activations, normalization, depth, embeddings,
            parameter_sharing, softmax, architectures, own)
VARIANTS = tuple(v for family in FAMILIES for v in family.VARIANTS)
BASELINE = baseline.VARIANTS[0].name


def names():
  return [v.name for v in VARIANTS]


def get(name):
  """The variant registered as `name`; ValueError listing valid names."""
  for variant in VARIANTS:
    if variant.name == name:
      return variant
  raise ValueError("unknown variant %r; valid: %s" % (name, ", ".join(names())))
