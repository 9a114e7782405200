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


def _passes(result):
  assert result.passed, result.line()


def test_tiny_model_trains(runs):
  _passes(mesh.trains(runs))


def test_same_losses_on_one_device_and_on_a_2x2_mesh(runs):
  _passes(mesh.same_losses(runs))


def test_same_gradients_on_one_device_and_on_a_2x2_mesh(runs):
  _passes(mesh.same_gradients(runs))


def test_the_2x2_mesh_splits_the_model_and_the_variants_own_weights(runs):
  _passes(mesh.splits_the_model(runs))
