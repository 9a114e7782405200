"""One registry entry: what a variant is, where it comes from, how it departs.

A variant's gin files follow from its name by one rule: the kit's model is
`gin/models/<name>.gin` and the authors' released config, rebuilt from mesh
tensorflow 0.1.21's own layers, is `gin/reference/<name>.gin`.

The small scales' rule: at every scale smaller than the paper's, a row's
trainable parameters and training-step FLOPs, each over the baseline's at
that scale, are near the row's ratios at the paper scale, which the tests
hold to Table 1's Params and Ops ratios (or its params_note / flops_note
says why not). Near is within a factor RATIO_TOLERANCE either way; a row
that is not near names the scale in its `scale_departures`, with its
measured ratios and why (tests/variants/test_small_scale_ratios.py).
"""
import dataclasses

MODELS_DIR = "models"
REFERENCE_DIR = "reference"
# Near: a small scale's ratio within 10% of the paper scale's, either way.
RATIO_TOLERANCE = 1.1


def near(ratio, paper_scale_ratio):
  """Whether a ratio to the baseline is near the paper scale's."""
  quotient = ratio / paper_scale_ratio
  return 1 / RATIO_TOLERANCE <= quotient <= RATIO_TOLERANCE


@dataclasses.dataclass(frozen=True)
class ScaleDeparture:
  """A small scale at which a row's ratios to the baseline are not near its
  paper-scale ratios.

  Attributes:
    scale: the scale's name.
    params_ratio: the row's trainable parameters over the baseline's there,
      as measured, to 2 decimals (the tests measure it again).
    flops_ratio: its training-step FLOPs over the baseline's, likewise.
    why: what makes them depart, and why the kit keeps it.
  """
  scale: str
  params_ratio: float
  flops_ratio: float
  why: str


def at_tiny(params_ratio, flops_ratio, why):
  return ScaleDeparture("tiny", params_ratio, flops_ratio, why)


def at_cpu(params_ratio, flops_ratio, why):
  return ScaleDeparture("cpu", params_ratio, flops_ratio, why)


# Why rows depart at the tiny scale, the tests' (2 layers of d_model 32).
TINY_VOCABULARY = (
    "The tiny scale's 2,100-piece vocabulary embedding is half of its "
    "baseline's parameters (the paper's 32,100 pieces: 11%), so a change "
    "to the embedding or the softmax, or a layer added beside them, is a "
    "very different share of the model; the tiny scale serves the tests, "
    "not the study.")
TINY_SHARING = (
    "Sharing saves one of the tiny scale's 2 blocks per stack (the paper: "
    "11 of 12), and the untied softmax adds a matrix the size of the "
    "2,100-piece embedding, half of the tiny baseline; the tiny scale "
    "serves the tests, not the study.")
TINY_SEQUENCES = (
    "The tiny scale's inputs are 32 tokens and its targets 8, beside "
    "tables and windows sized for max_sequence_length (128): what depends "
    "on the length weighs differently against its 2 layers of d_model "
    "32; the tiny scale serves the tests, not the study.")


@dataclasses.dataclass(frozen=True)
class Variant:
  """A registered variant.

  Attributes:
    name: the command-line name; also names its gin files.
    table1_row: the `model` column of the paper's Table 1, or None for a
      modification the paper did not run (no paper row to compare with).
    family: the Table 1 family (the module of `mtf_mods.variants` it is in).
    notes: deviations from the paper or from the authors' released configs.
    optimizer: gin/optimizers/<optimizer>/<stage>.gin.
    params_note: why the paper-scale parameter count does not round to
      Table 1's Params ("" when it does; the tests check both ways).
    flops_note: why the paper-scale FLOPs ratio to the baseline departs
      from Table 1's Ops ratio by more than 0.01 ("" when it does not;
      the tests check both ways).
    no_reference: why there is no `gin/reference/<name>.gin` ("" when there
      is one; the tests check both ways).
    release_as_run: gin bindings that make the kit's model the release as
      it ran, where the kit departs from it by design (following the paper
      where the release did not); the kit's model with them has the
      released config's parameter count (tests/test_reference_configs.py).
    replicated: the variant's own weights wider than d_model that a 2x2
      mesh keeps whole, as (variable name regex, why) pairs; every other
      such weight must be split over the mesh (`mtf-mods check`,
      mtf_mods/checks/mesh.py).
    scale_departures: a ScaleDeparture for each small scale at which the
      row's ratios to the baseline are not near its paper-scale ratios
      (the small scales' rule, above).
  """
  name: str
  table1_row: str | None
  family: str
  notes: str = ""
  optimizer: str = "adafactor"
  params_note: str = ""
  flops_note: str = ""
  no_reference: str = ""
  release_as_run: tuple = ()
  replicated: tuple = ()
  scale_departures: tuple = ()

  @property
  def gin_file(self):
    """The kit's model, relative to the kit's gin directory."""
    return "%s/%s.gin" % (MODELS_DIR, self.name)

  @property
  def reference_gin_file(self):
    """The released config on mtf's layers, relative to the gin directory
    (None when `no_reference` says why there is none)."""
    if self.no_reference:
      return None
    return "%s/%s.gin" % (REFERENCE_DIR, self.name)

  @property
  def in_table1(self):
    return self.table1_row is not None

  def departure(self, scale_name):
    """The ScaleDeparture at the scale, or None."""
    for departure in self.scale_departures:
      if departure.scale == scale_name:
        return departure
    return None
