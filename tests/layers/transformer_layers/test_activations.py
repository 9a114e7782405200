"""Every registered activation against its equation in numpy, against mtf's
activation of the same name (the one the study's DenseReluDense used), and
as a fused kernel against its mtf composition
(`mtf_mods.fused_kernels.enabled = False`): the same values and gradients in
fewer passes over the tensor.

Parametrized over `activations.ACTIVATIONS`: a newly registered activation
is checked with no edit here.
"""
import math

import mesh_tensorflow as mtf
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import lowering
from mtf_mods.layers import dimensions
from mtf_mods.layers.transformer_layers import activations

NAMES = sorted(activations.ACTIVATIONS)
# Table 1's activation rows (Sec. 2.1) and the GLU gates.
PAPERS = {"relu", "gelu", "swish", "elu", "selu", "sigmoid", "softplus",
          "linear"}
# Both signs, around 0, and far out (where a careless exp overflows).
X = np.concatenate([np.linspace(-6.0, 6.0, 49),
                    [-80.0, -30.0, -1e-4, 1e-4, 30.0, 80.0]]).astype(
                        np.float32)


def evaluate(function, x, fused_kernels=True):
  """function(x), d sum(function(x)) / dx computed by mtf, and the number of
  TensorFlow ops in the lowered graph whose output has x's shape, but for
  identities (which copy nothing): the passes over the tensor (the
  variable's own ops and the sum's are in every count)."""
  binding = "mtf_mods.fused_kernels.enabled = %s" % fused_kernels
  with gin_config.parsed([], [binding]), tf.Graph().as_default() as tf_graph:
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    dim = mtf.Dimension(dimensions.LENGTH, x.size)
    variable = mtf.get_variable(
        mesh, "x", mtf.Shape([dim]),
        initializer=tf.constant_initializer(x), dtype=tf.float32)
    y = function(variable)
    [gradient] = mtf.gradients([mtf.reduce_sum(y)], [variable])
    with lowering.open_session(graph, mesh, [y, gradient]) as run:
      passes = sum(1 for op in tf_graph.get_operations()
                   if op.outputs and op.outputs[0].shape == x.shape
                   and op.type not in ("Identity", "IdentityN"))
      y_value, gradient_value = run.session.run(run.outputs)
  return y_value, gradient_value, passes


def numeric_slope(name):
  """The numpy equation's central difference at X, and where it is smooth
  (not at a kink: relu and selu at 0, where a gradient may take either
  side's slope)."""
  reference = activations.NUMPY_REFERENCES[name]
  x64, h = X.astype(np.float64), 1e-6
  left = (reference(x64) - reference(x64 - h)) / h
  right = (reference(x64 + h) - reference(x64)) / h
  return (left + right) / 2, np.abs(left - right) < 1e-3


@pytest.mark.parametrize("name", NAMES)
def test_activation_and_its_gradient_match_the_numpy_equation(name):
  reference = activations.NUMPY_REFERENCES[name]
  y, gradient, _ = evaluate(activations.get_activation(name), X)
  np.testing.assert_allclose(y, reference(X.astype(np.float64)), rtol=1e-5,
                             atol=1e-6)
  assert np.all(np.isfinite(gradient))
  slope, smooth = numeric_slope(name)
  np.testing.assert_allclose(gradient[smooth], slope[smooth], rtol=1e-4,
                             atol=1e-5)


@pytest.mark.parametrize("name", [n for n in NAMES if hasattr(mtf, n)])
def test_activation_equals_mtfs_activation_of_the_same_name(name):
  ours, _, _ = evaluate(activations.get_activation(name), X)
  theirs, _, _ = evaluate(getattr(mtf, name), X)
  np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(PAPERS - {"linear"}))
def test_fused_activation_matches_its_composition_in_fewer_passes(name):
  """The paper's activations run as fused kernels (one added later may
  be a plain mtf composition)."""
  function = activations.get_activation(name)
  y, gradient, passes = evaluate(function, X)
  composed_y, composed_gradient, composed_passes = evaluate(
      function, X, fused_kernels=False)
  np.testing.assert_allclose(y, composed_y, rtol=1e-6, atol=1e-6)
  _, smooth = numeric_slope(name)
  np.testing.assert_allclose(gradient[smooth], composed_gradient[smooth],
                             rtol=1e-5, atol=1e-6)
  assert passes < composed_passes


def test_the_papers_activations_are_all_registered():
  assert PAPERS <= set(NAMES)


def test_gelu_is_within_5e_4_of_x_phi_x():
  x = np.linspace(-8, 8, 4001)
  exact = x * 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))
  assert np.abs(activations.NUMPY_REFERENCES["gelu"](x) - exact).max() < 5e-4


def test_unknown_activation_lists_every_registered_one():
  with pytest.raises(ValueError) as error:
    activations.get_activation("mish")
  for name in NAMES:
    assert name in str(error.value)
