"""One registry entry: what a variant is, where it comes from, how it departs.

A variant's gin files follow from its name by one rule: the kit's model is
`gin/models/<name>.gin` and the authors' released config, rebuilt from mesh
tensorflow 0.1.21's own layers, is `gin/reference/<name>.gin`.
"""
import dataclasses

MODELS_DIR = "models"
REFERENCE_DIR = "reference"


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
