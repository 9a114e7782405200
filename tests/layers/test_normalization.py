"""Layer norm against its defining equation in numpy."""
import numpy as np

from mtf_test_utils import LayerRun, dims, variable
from mtf_mods.layers import normalization


def test_layer_norm_matches_numpy():
  d = dims(batch=2, length=3, d_model=8)
  x = np.random.default_rng(1).normal(size=(2, 3, 8)).astype(np.float32) * 3
  run = LayerRun(d["d_model"], d["length"], [d["batch"]])
  y, values = run(
      lambda context, inputs: normalization.sublayer_layer_norm(
          inputs["x"], None, context),
      {"x": (x, [d["batch"], d["length"], d["d_model"]])})
  gain, bias = variable(values, "layer_norm/gain"), variable(
      values, "layer_norm/bias")
  mean = x.mean(-1, keepdims=True)
  var = ((x - mean) ** 2).mean(-1, keepdims=True)
  expected = (x - mean) / np.sqrt(var + 1e-6) * gain + bias
  np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
