"""A tiny model trains, and trains the same on one device and on a 2x2 mesh
(mtf_mods/checks/mesh.py, which `mtf-mods check` runs): one graph build per
(variant, mesh) serves the four checks of a variant."""
import pytest

from mtf_mods import variants
from mtf_mods.checks import mesh
import mtf_mods.layers  # noqa: F401


@pytest.fixture(scope="module", params=variants.names())
def runs(request):
  """The variant trained on one device, then on 2x2 from the same start."""
  return mesh.run(variants.get(request.param))


@pytest.mark.parametrize("check", [mesh.trains, mesh.same_losses,
                                   mesh.same_gradients,
                                   mesh.splits_the_model],
                         ids=lambda check: check.__name__)
def test_mesh_check(runs, check):
  result = check(runs)
  assert result.passed, result.line()
