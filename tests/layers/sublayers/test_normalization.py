"""Layer norm and RMS norm against their defining equations in numpy."""
import mesh_tensorflow as mtf
import numpy as np

from mtf_mods.layers import dimensions
from mtf_mods.layers.sublayers import normalization
from mtf_test_utils import random_weights, run_layer


def run_norm(sublayer, x):
  """sublayer(x) on x of shape [batch, length, d_model], random weights."""
  batch, length, d_model = (
      mtf.Dimension(name, size) for name, size in zip(
          (dimensions.BATCH, dimensions.LENGTH, dimensions.D_MODEL), x.shape))
  return run_layer(
      lambda context, inputs: sublayer(inputs["x"], None, context),
      {"x": (x, [batch, length, d_model])}, d_model, length, [batch],
      weights=random_weights(0))


def test_layer_norm_matches_numpy():
  x = np.random.default_rng(1).normal(size=(2, 3, 8)).astype(np.float32) * 3
  y, values = run_norm(normalization.sublayer_layer_norm, x)
  gain, bias = values["layer_norm/gain"], values["layer_norm/bias"]
  mean = x.mean(-1, keepdims=True)
  var = ((x - mean) ** 2).mean(-1, keepdims=True)
  expected = (x - mean) / np.sqrt(var + 1e-6) * gain + bias
  np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_rms_norm_statistic_from_a_percentage_of_the_channels():
  """The released rms_norm.gin's 6.75%: 3 of 40 channels here."""
  x = (np.random.default_rng(2).normal(size=(2, 3, 40)) * 3 + 1).astype(
      np.float32)
  y, values = run_norm(
      lambda x, layer_stack, context: normalization.sublayer_rms_norm(
          x, layer_stack, context, percentage_of_channels=6.75), x)
  [scale] = values.values()
  mean_square = (x[..., :3] ** 2).mean(-1, keepdims=True)
  np.testing.assert_allclose(y, x / np.sqrt(mean_square + 1e-6) * scale,
                             rtol=1e-5, atol=1e-5)
