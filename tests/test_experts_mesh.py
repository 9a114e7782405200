"""The mixtures of experts shard over an `experts` mesh dimension: each
registered variant with experts gives the same losses on one device and
with its experts split over 2 devices (mesh "experts:2", layout rule
"experts:experts"), in training and after an update. (The 2x2
batch/model mesh, which splits the experts over the batch axis, is
tests/test_mesh_run.py's, for every variant.)"""
import os

import numpy as np
import pytest

from mtf_mods import mesh_run
from mtf_mods import model_graph
from mtf_mods import paths
from mtf_mods import scales
from mtf_mods import variants
from mtf_mods.layers import dimensions
from mtf_test_utils import has_experts, model_test_params

TINY = scales.get("tiny")
EXPERTS_MESH = ("%s:2" % dimensions.EXPERTS,
                "%s:%s" % (dimensions.EXPERTS, dimensions.EXPERTS))
WITH_EXPERTS = [v.name for v in variants.VARIANTS if has_experts(v)]


@pytest.mark.parametrize("name", WITH_EXPERTS)
def test_same_losses_with_the_experts_split_over_two_devices(name):
  variant = variants.get(name)
  files = [variant.gin_file, TINY.gin_file]
  params = model_test_params(variant)
  single = mesh_run.train(files, params, TINY.vocab_size, 2)
  split = mesh_run.train(files, params, TINY.vocab_size, 2,
                         mesh=EXPERTS_MESH,
                         initial_values=single.initial_values)
  np.testing.assert_allclose(split.losses, single.losses, rtol=1e-4)
  experts = {name: shape for name, shape in split.slice_shapes.items()
             if "MixtureOfExperts/w" in name}
  [num_experts] = {shape[0] for name, shape in model_graph.measure(
      files, params, TINY.vocab_size, flops=False).signature.items()
                   if "MixtureOfExperts/w" in name}
  assert experts and all(shape[-3] * 2 == num_experts
                         for shape in experts.values()), experts


def test_every_model_with_the_experts_part_is_found():
  """has_experts finds the models that include models/parts/experts.gin
  (Table 1's mixture of experts and Switch Transformer)."""
  including = []
  for variant in variants.VARIANTS:
    with open(os.path.join(paths.gin_dir(), variant.gin_file)) as f:
      if "models/parts/experts.gin" in f.read():
        including.append(variant.name)
  assert len(including) >= 2 and WITH_EXPERTS == including
