"""The feed-forward block against FFN(x) = relu(x W1 + b1) W2 + b2."""
import numpy as np
import pytest

from mtf_test_utils import LayerRun, dims, variable
from mtf_mods.layers import activations
from mtf_mods.layers import feed_forward


def test_relu_ffn_with_biases_matches_numpy():
  d = dims(batch=2, length=3, d_model=8)
  x = np.random.default_rng(2).normal(size=(2, 3, 8)).astype(np.float32)
  layer = feed_forward.FeedForward(hidden_size=16, activation="relu",
                                   use_bias=True)
  run = LayerRun(d["d_model"], d["length"], [d["batch"]])
  y, values = run(lambda context, inputs: layer.call(context, inputs["x"]),
                  {"x": (x, [d["batch"], d["length"], d["d_model"]])})
  w1, b1 = variable(values, "wi/kernel"), variable(values, "wi/bias")
  w2, b2 = variable(values, "wo/kernel"), variable(values, "wo/bias")
  expected = np.maximum(x @ w1 + b1, 0) @ w2 + b2
  np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_ffn_without_bias_has_no_bias_variables():
  d = dims(batch=1, length=2, d_model=4)
  layer = feed_forward.FeedForward(hidden_size=8, use_bias=False)
  run = LayerRun(d["d_model"], d["length"], [d["batch"]])
  _, values = run(lambda context, inputs: layer.call(context, inputs["x"]),
                  {"x": (np.ones((1, 2, 4), np.float32),
                         [d["batch"], d["length"], d["d_model"]])})
  assert not [name for name in values if name.endswith("bias")]


def test_unknown_activation_names_the_valid_ones():
  with pytest.raises(ValueError, match="valid: .*relu"):
    activations.get_activation("no-such-activation")
