"""A tiny model trains, and trains the same on one device and on a 2x2 mesh.

One graph build per (variant, mesh), of one layer per stack unless the
variant spans layers (mtf_test_utils.model_test_params), serves every check
of the variant: the one-device run trains a few steps (finite, decreasing
loss); the 2x2 run
starts from the same values and takes the fewest steps that still catch a
layout bug: the loss before any update checks the forward pass, the loss
after one update checks the gradients and the update.
"""
import math

import numpy as np
import pytest

from mtf_mods import mesh_run
from mtf_mods import scales
from mtf_mods import variants
import mtf_mods.layers  # noqa: F401
from mtf_test_utils import model_test_params

TINY = scales.get("tiny")
STEPS = 6
SHARDED_STEPS = 2


@pytest.fixture(scope="module", params=variants.names())
def runs(request):
  """The variant trained on one device, then on 2x2 from the same start."""
  variant = variants.get(request.param)
  files = [variant.gin_file, TINY.gin_file]
  params = model_test_params(variant)
  single = mesh_run.train(files, params, TINY.vocab_size, STEPS)
  sharded = mesh_run.train(files, params, TINY.vocab_size, SHARDED_STEPS,
                           mesh=mesh_run.MESH_2X2,
                           initial_values=single.initial_values)
  return single, sharded


def test_tiny_model_trains(runs):
  """Finite, falling at every step, and by more than 0.05 in all. (Most
  variants fall by 0.5 or more; the Weighted Transformer, whose only
  feed-forwards act on attention's branches, by 0.08.)"""
  losses = runs[0].losses
  assert all(math.isfinite(loss) for loss in losses)
  assert all(b < a for a, b in zip(losses, losses[1:])), losses
  assert losses[-1] < losses[0] - 0.05


def test_same_losses_on_one_device_and_on_a_2x2_mesh(runs):
  single, sharded = runs
  np.testing.assert_allclose(sharded.losses, single.losses[:SHARDED_STEPS],
                             rtol=1e-4)


STACKED = "stacked/"


def split_variables(sharded, single):
  """Names of the variables whose slice on one device of the 2x2 mesh is
  smaller than the whole variable (its one-device slice).

  On a multi-device mesh mtf stacks variables of one shape into one,
  named "stacked/<first name>" with the count as a new first dimension.
  """
  split = []
  for name, shape in sharded.slice_shapes.items():
    whole = single.slice_shapes[name[len(STACKED):]
                                if name.startswith(STACKED) else name]
    if list(shape[len(shape) - len(whole):]) != list(whole):
      split.append(name)
  return sorted(split)


def test_the_2x2_mesh_splits_the_model_parallel_weights(runs):
  """The comparison above means something only if the 2x2 layout really
  splits weights over the model axis: attention heads or d_ff."""
  single, sharded = runs
  split = split_variables(sharded, single)
  model_parallel = [name for name in split if name.endswith("kernel")]
  assert model_parallel, "nothing split on %s: %s" % (mesh_run.MESH_2X2,
                                                       split)
