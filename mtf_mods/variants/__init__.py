"""The variant registry: the single source of truth for what the kit runs.

One module per Table 1 family (Narang et al. 2021, Sec. 2) lists its
variants (`variant.Variant`): the Table 1 row it reproduces (or none, for a
modification of your own), the optimizer it trains with, and how it departs
from the paper or from the authors' released configuration. The CLI, the
tests, the report and the docs read `VARIANTS`; nothing else lists variants.

A modification of your own lives in a package of your own: it defines its
layers with gin and registers each variant with `register(Variant(...))`;
its gin files, `models/<name>.gin`, sit in a folder of its own. Every
command that takes variants imports the package with `--module_import` and
searches the folder with `--gin_location_prefix` (mtf_mods.launch.plugins). A
Table 1 row contributed to the kit is instead written in the tree: its
layer in mtf_mods/layers, its gin file in gin/models/, one `Variant(...)`
line in its family's module. docs/adding-a-variant.md.
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
from mtf_mods.variants.variant import Variant  # the API, with register()

# In Table 1's order of families; the baseline first.
FAMILIES = (baseline, activations, normalization, depth, embeddings,
            parameter_sharing, softmax, architectures, own)
# Rebound by `register`: read it as `variants.VARIANTS`, at the time of use.
VARIANTS = tuple(v for family in FAMILIES for v in family.VARIANTS)
BASELINE = baseline.VARIANTS[0].name


class AlreadyRegistered(ValueError):
  """A variant's name is taken."""


def register(variant):
  """Adds a variant of your own (a `Variant`) to the registry, after the
  kit's; every command, the study and the report then see it by name.

  Raises AlreadyRegistered when the name is taken (a kit's variant, or one
  registered before).
  """
  global VARIANTS
  if not isinstance(variant, Variant):
    raise TypeError("register takes a mtf_mods.variants.Variant, not %r"
                    % (variant,))
  if variant.name in names():
    raise AlreadyRegistered("variant %r is already registered; choose "
                            "another name" % variant.name)
  VARIANTS = VARIANTS + (variant,)


def names():
  return [v.name for v in VARIANTS]


def get(name):
  """The variant registered as `name`; ValueError listing valid names."""
  for variant in VARIANTS:
    if variant.name == name:
      return variant
  raise ValueError("unknown variant %r; valid: %s" % (name, ", ".join(names())))
