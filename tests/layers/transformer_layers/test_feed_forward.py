"""The feed-forward block with every activation, plain and gated (the GLU
family), against its equation in numpy and against mtf 0.1.21's
DenseReluDense, the layer the study configured with
`DenseReluDense.activation = "<name>"` or `= ["<gate>", "linear"]`.
The baseline's block: FFN(x) = relu(x W1 + b1) W2 + b2.

Parametrized over `activations.ACTIVATIONS`: a new activation is checked
here with no edit.
"""
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer_layers
import numpy as np
import pytest

from mtf_mods.layers import dimensions
from mtf_mods.layers.transformer_layers import activations
from mtf_mods.layers.transformer_layers import feed_forward
from mtf_test_utils import parameter_count, random_weights, run_layer

BATCH = mtf.Dimension(dimensions.BATCH, 2)
LENGTH = mtf.Dimension(dimensions.LENGTH, 3)
D_MODEL = mtf.Dimension(dimensions.D_MODEL, 8)
SHAPE = [BATCH, LENGTH, D_MODEL]
X = np.random.default_rng(5).normal(size=(2, 3, 8)).astype(np.float32)
NAMES = sorted(activations.ACTIVATIONS)
# our variable -> the study's layer's variable (mtf.layers.dense_product
# names its factors wi_0, wi_1; a single factor is wi).
GATED_NAMES = {"wi/": "wi_0/", "wi_linear/": "wi_1/", "wo/": "wo/"}


def run(layer, weights, x=X):
  return run_layer(lambda context, inputs: layer.call(context, inputs["x"]),
                   {"x": (x, SHAPE)}, D_MODEL, LENGTH, [BATCH],
                   weights=weights)


def by_suffix(values, suffix):
  [value] = [v for name, v in values.items() if name.endswith(suffix)]
  return value


def mtf_name(name, gated):
  """The study layer's variable for one of ours."""
  name = name.replace("FeedForward", "DenseReluDense")
  if gated:
    for ours, theirs in GATED_NAMES.items():
      name = name.replace(ours, theirs)
  return name


@pytest.mark.parametrize("gated", [False, True], ids=["plain", "gated"])
@pytest.mark.parametrize("name", NAMES)
def test_feed_forward_matches_numpy(name, gated):
  layer = feed_forward.FeedForward(hidden_size=6, activation=name,
                                   gated=gated, use_bias=True)
  y, values = run(layer, random_weights(1))
  act = activations.NUMPY_REFERENCES[name]
  h = act(X @ by_suffix(values, "wi/kernel") + by_suffix(values, "wi/bias"))
  if gated:
    h = h * (X @ by_suffix(values, "wi_linear/kernel")
             + by_suffix(values, "wi_linear/bias"))
  expected = h @ by_suffix(values, "wo/kernel") + by_suffix(values, "wo/bias")
  np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("gated", [False, True], ids=["plain", "gated"])
@pytest.mark.parametrize("name", NAMES)
def test_feed_forward_equals_the_studys_dense_relu_dense(name, gated):
  """Same parameters and same output for the same weights."""
  layer = feed_forward.FeedForward(hidden_size=6, activation=name,
                                   gated=gated, use_bias=True)
  y, values = run(layer, random_weights(2))
  study_activation = [name, "linear"] if gated else name
  study = transformer_layers.DenseReluDense(
      hidden_size=6, activation=study_activation, use_bias=True)
  ours = {mtf_name(n, gated): v for n, v in values.items()}
  y_study, study_values = run(study, lambda n, shape: ours[n])
  assert sorted(study_values) == sorted(ours)
  assert parameter_count(study_values) == parameter_count(values)
  np.testing.assert_allclose(y, y_study, rtol=1e-5, atol=1e-5)


def test_gated_block_has_three_matrices_so_two_thirds_d_ff_keeps_the_count():
  def count(hidden_size, gated):
    layer = feed_forward.FeedForward(hidden_size=hidden_size, gated=gated,
                                     use_bias=False)
    return parameter_count(run(layer, None)[1])
  assert count(12, gated=False) == count(8, gated=True) == 2 * 8 * 12


def test_linear_gate_is_a_bilinear_layer():
  """LiGLU: (x W + b) * (x V + c), no nonlinearity."""
  layer = feed_forward.FeedForward(hidden_size=4, activation="linear",
                                   gated=True, use_bias=False)
  y1, values = run(layer, random_weights(3))
  y2, _ = run(layer, lambda name, shape: values[name], x=2.0 * X)
  np.testing.assert_allclose(y2, 4.0 * y1, rtol=1e-5)


def test_relu_ffn_with_biases_matches_numpy():
  layer = feed_forward.FeedForward(hidden_size=16, activation="relu",
                                   use_bias=True)
  y, values = run(layer, random_weights(0))
  w1, b1 = values["wi/kernel"], values["wi/bias"]
  w2, b2 = values["wo/kernel"], values["wo/bias"]
  expected = np.maximum(X @ w1 + b1, 0) @ w2 + b2
  np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_ffn_without_bias_has_no_bias_variables():
  layer = feed_forward.FeedForward(hidden_size=8, use_bias=False)
  _, values = run(layer, None)
  assert not [name for name in values if name.endswith("bias")]


def test_unknown_activation_names_the_valid_ones():
  with pytest.raises(ValueError, match="valid: .*relu"):
    feed_forward.FeedForward(hidden_size=8, activation="no-such-activation")


@pytest.mark.parametrize("gated", [False, True], ids=["plain", "gated"])
def test_initial_kernels_are_mtfs_truncated_normal(gated):
  """mtf's DenseReluDense draws its kernels from a normal of std
  fan_in^-1/2 cut at two of those: samples within 2 fan_in^-1/2 and of std
  0.88 fan_in^-1/2. The kit's block starts the same (wi, wi_linear: fan_in
  d_model; wo: fan_in d_ff)."""
  d_model, d_ff = 128, 256
  model_dim = mtf.Dimension(dimensions.D_MODEL, d_model)
  shape = [BATCH, LENGTH, model_dim]
  x = np.zeros((2, 3, d_model), np.float32)
  activation = ["relu", "linear"] if gated else "relu"
  ours = feed_forward.FeedForward(hidden_size=d_ff, activation="relu",
                                  gated=gated)
  theirs = transformer_layers.DenseReluDense(hidden_size=d_ff,
                                             activation=activation)
  truncated_std = 0.8796  # of N(0, 1) cut at +-2
  for layer in (ours, theirs):
    _, values = run_layer(
        lambda context, inputs, layer=layer: layer.call(context,
                                                        inputs["x"]),
        {"x": (x, shape)}, model_dim, LENGTH, [BATCH])
    kernels = {name: value for name, value in values.items()
               if name.endswith("kernel")}
    assert len(kernels) == (3 if gated else 2)
    for name, kernel in kernels.items():
      fan_in = d_ff if name.split("/")[-2] == "wo" else d_model
      assert np.abs(kernel).max() <= 2 * fan_in ** -0.5, (layer, name)
      assert kernel.std() == pytest.approx(truncated_std * fan_in ** -0.5,
                                           rel=0.02), (layer, name)
