"""Every LayerStack sublayer (layer norm, RMS norm, Rezero, Fixup's scalars)
against its equation in numpy, and against mtf 0.1.21's implementation of
the same modification (the sublayers the study's gin files used).

The numpy check is parametrized over `sublayers.registry.SUBLAYERS`: a newly
registered sublayer is checked with no edit here.
"""
import functools

import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import fixup_layers
from mesh_tensorflow.transformer import transformer
import numpy as np
import pytest

import mtf_mods.layers  # noqa: F401  (registers every sublayer)
from mtf_mods.layers import dimensions
from mtf_mods.layers.sublayers import fixup
from mtf_mods.layers.sublayers import normalization
from mtf_mods.layers.sublayers import registry
from mtf_mods.layers.sublayers import rezero
from mtf_test_utils import parameter_count, random_weights, run_layer

NAMES = sorted(registry.SUBLAYERS)


def run_sublayer(sublayer, weights, d_model=8, seed=0):
  batch = mtf.Dimension(dimensions.BATCH, 2)
  length = mtf.Dimension(dimensions.LENGTH, 3)
  model = mtf.Dimension(dimensions.D_MODEL, d_model)
  rng = np.random.default_rng(seed)
  x = (rng.normal(size=(2, 3, d_model)) * 3 + 1).astype(np.float32)
  y, values = run_layer(
      lambda context, inputs: sublayer(inputs["x"], None, context),
      {"x": (x, [batch, length, model])}, model, length, [batch],
      weights=weights)
  return x, y, values


@pytest.mark.parametrize("name", NAMES)
def test_sublayer_matches_its_numpy_equation(name):
  x, y, values = run_sublayer(registry.SUBLAYERS[name], random_weights(1))
  weights = {n.split("/")[-1]: v for n, v in values.items()}
  expected = registry.NUMPY_REFERENCES[name](x, weights)
  np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_the_papers_normalizations_are_all_registered():
  assert {"sublayer_layer_norm", "sublayer_rms_norm", "sublayer_rezero",
          "sublayer_fixup_bias", "sublayer_fixup_multiplier"} <= set(NAMES)


def test_rezero_starts_at_zero_and_fixup_scalars_at_the_identity():
  x, y, values = run_sublayer(rezero.sublayer_rezero, None)
  assert parameter_count(values) == 1 and not y.any()
  for sublayer in (fixup.sublayer_fixup_bias, fixup.sublayer_fixup_multiplier):
    x, y, values = run_sublayer(sublayer, None)
    assert parameter_count(values) == 1
    np.testing.assert_array_equal(y, x)


_MTF_LAYER_NORM = "true_layer_norm/layer_prepostprocess/layer_norm/"
# (ours, the study's mtf 0.1.21 sublayer, our variable -> theirs)
STUDY_SUBLAYERS = {
    "layer_norm": (
        normalization.sublayer_layer_norm,
        transformer.sublayer_true_layer_norm,
        {"layer_norm/gain": _MTF_LAYER_NORM + "layer_norm_scale",
         "layer_norm/bias": _MTF_LAYER_NORM + "layer_norm_bias"}),
    "rms_norm": (
        normalization.sublayer_rms_norm, transformer.sublayer_rms_norm,
        {"rms_norm/scale": "rms_norm/scale"}),
    "rms_norm_6.75%": (
        functools.partial(normalization.sublayer_rms_norm,
                          percentage_of_channels=6.75),
        functools.partial(transformer.sublayer_rms_norm_subsampled,
                          percentage=6.75),
        {"rms_norm/scale": "layer_norm_subsampled/scale"}),
    "rezero": (
        rezero.sublayer_rezero, transformer.sublayer_rezero,
        {"rezero/alpha": "rezero_weight"}),
    "fixup_bias": (
        fixup.sublayer_fixup_bias, fixup_layers.sublayer_fixup_shift,
        {"fixup_bias/bias": "fixup_bias"}),
    "fixup_multiplier": (
        fixup.sublayer_fixup_multiplier, fixup_layers.sublayer_fixup_scale,
        {"fixup_multiplier/multiplier": "fixup_scale_weight"}),
}


@pytest.mark.parametrize("name", sorted(STUDY_SUBLAYERS))
def test_sublayer_equals_the_studys_mtf_sublayer(name):
  """Same parameter count and same output for the same weights. (mtf's Fixup
  scalars have shape [1] where ours are scalars: same value, reshaped.)"""
  ours, theirs, variable_map = STUDY_SUBLAYERS[name]
  _, y, values = run_sublayer(ours, random_weights(3), d_model=40)
  assert sorted(values) == sorted(variable_map)
  by_their_name = {variable_map[n]: v for n, v in values.items()}
  _, y_study, study_values = run_sublayer(
      theirs, lambda n, shape: by_their_name[n].reshape(shape), d_model=40)
  assert sorted(study_values) == sorted(by_their_name)
  assert parameter_count(study_values) == parameter_count(values)
  np.testing.assert_allclose(y, y_study, rtol=1e-5, atol=1e-5)
