"""Every registered activation against its equation in numpy, and against
mtf's activation of the same name (the one the study's DenseReluDense used).

Parametrized over `activations.ACTIVATIONS`: a newly registered activation
is checked with no edit here.
"""
import math

import mesh_tensorflow as mtf
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods import lowering
from mtf_mods.layers import dimensions
from mtf_mods.layers.transformer_layers import activations

NAMES = sorted(activations.ACTIVATIONS)
# Both signs, around 0, and far out (where a careless exp overflows).
X = np.concatenate([np.linspace(-6.0, 6.0, 49),
                    [-80.0, -30.0, -1e-4, 1e-4, 30.0, 80.0]]).astype(
                        np.float32)


def evaluate(function, x):
  """function(x) and d sum(function(x)) / dx, computed by mtf."""
  with tf.Graph().as_default():
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    dim = mtf.Dimension(dimensions.LENGTH, x.size)
    variable = mtf.get_variable(
        mesh, "x", mtf.Shape([dim]),
        initializer=tf.constant_initializer(x), dtype=tf.float32)
    y = function(variable)
    [gradient] = mtf.gradients([mtf.reduce_sum(y)], [variable])
    with lowering.open_session(graph, mesh, [y, gradient]) as run:
      return run.session.run(run.outputs)


@pytest.mark.parametrize("name", NAMES)
def test_activation_and_its_gradient_match_the_numpy_equation(name):
  reference = activations.NUMPY_REFERENCES[name]
  y, gradient = evaluate(activations.get_activation(name), X)
  x64 = X.astype(np.float64)
  np.testing.assert_allclose(y, reference(x64), rtol=1e-5, atol=1e-6)
  assert np.all(np.isfinite(gradient))
  h = 1e-6
  left = (reference(x64) - reference(x64 - h)) / h
  right = (reference(x64 + h) - reference(x64)) / h
  smooth = np.abs(left - right) < 1e-3  # not at a kink (relu, selu at 0)
  np.testing.assert_allclose(gradient[smooth], (left + right)[smooth] / 2,
                             rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", [n for n in NAMES if hasattr(mtf, n)])
def test_activation_equals_mtfs_activation_of_the_same_name(name):
  ours, _ = evaluate(activations.get_activation(name), X)
  theirs, _ = evaluate(getattr(mtf, name), X)
  np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


def test_the_papers_activations_are_all_registered():
  """Table 1's activation rows (Sec. 2.1) and the GLU gates."""
  assert {"relu", "gelu", "swish", "elu", "selu", "sigmoid", "softplus",
          "linear"} <= set(NAMES)


def test_gelu_is_within_5e_4_of_x_phi_x():
  x = np.linspace(-8, 8, 4001)
  exact = x * 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))
  assert np.abs(activations.NUMPY_REFERENCES["gelu"](x) - exact).max() < 5e-4


def test_unknown_activation_lists_every_registered_one():
  with pytest.raises(ValueError) as error:
    activations.get_activation("mish")
  for name in NAMES:
    assert name in str(error.value)
