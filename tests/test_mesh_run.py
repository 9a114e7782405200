"""A tiny model trains, and trains the same on one device and on a 2x2 mesh."""
import math

import numpy as np
import pytest

from mtf_mods import mesh_run
from mtf_mods import scales
from mtf_mods import variants
import mtf_mods.layers  # noqa: F401

TINY = scales.get("tiny")
STEPS = 6


@pytest.fixture(scope="module", params=variants.names())
def runs(request):
  """The variant trained on one device, then on 2x2 from the same start."""
  variant = variants.get(request.param)
  files = [variant.gin_file, TINY.gin_file]
  single = mesh_run.train(files, [], TINY.vocab_size, STEPS)
  sharded = mesh_run.train(files, [], TINY.vocab_size, STEPS,
                           mesh=mesh_run.MESH_2X2,
                           initial_values=single.initial_values)
  return single, sharded


def test_tiny_model_trains(runs):
  losses = runs[0].losses
  assert all(math.isfinite(loss) for loss in losses)
  assert losses[-1] < losses[0] - 0.1


def test_same_losses_on_one_device_and_on_a_2x2_mesh(runs):
  single, sharded = runs
  np.testing.assert_allclose(sharded.losses, single.losses, rtol=1e-4)
