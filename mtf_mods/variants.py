"""The variant registry: the single source of truth for what the kit runs.

Each entry names a Table 1 row of Narang et al. 2021, its family, the gin
file that builds it (relative to the kit's gin directory) and how it departs
from the paper or from the authors' released configuration. The CLI, the
tests, the report and the docs read this list; nothing else lists variants.

To add a variant: write its layer, write `gin/models/<name>.gin`, and add one
`Variant(...)` line below.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Variant:
  name: str          # command-line name
  table1_row: str    # the `model` column of the paper's Table 1
  family: str        # Section 2 heading: activation, normalization, ...
  gin_file: str      # relative to the kit's gin directory
  notes: str = ""    # deviations from the paper or the released configs
  optimizer: str = "adafactor"  # gin/optimizers/<optimizer>/<stage>.gin


VARIANTS = (
    Variant(
        name="baseline",
        table1_row="Vanilla Transformer",
        family="baseline",
        gin_file="models/baseline.gin",
        notes=("Pre-LN with gain and bias, ReLU FFN with biases, relative "
               "position bias shared across the layers of each stack, all "
               "three embeddings tied.")),
)

BASELINE = VARIANTS[0].name


def names():
  return [v.name for v in VARIANTS]


def get(name):
  """The variant registered as `name`; ValueError listing valid names."""
  for variant in VARIANTS:
    if variant.name == name:
      return variant
  raise ValueError("unknown variant %r; valid: %s" % (name, ", ".join(names())))
