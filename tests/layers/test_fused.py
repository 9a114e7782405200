"""layers.fused: relu, softmax, standardize and rms_normalize give the
values and input gradients of their numpy equations and of mtf's compositions
(`mtf_mods.fused_kernels.enabled = False`), on one device and on a 2x2
mesh that splits the dimensions they do not reduce; a layout that splits
the reduced dimension is refused."""
import mesh_tensorflow as mtf
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import lowering
from mtf_mods.layers import dimensions
from mtf_mods.layers import fused

EPSILON = 1e-6
# The reduced dimension sits between the split ones, so a wrong axis shows.
SHAPE = [(dimensions.BATCH, 4), (dimensions.MEMORY_LENGTH, 6),
         (dimensions.HEADS, 2), (dimensions.LENGTH, 3)]
REDUCED = 1
FUNCTIONS = {
    "relu": lambda x, dim: fused.relu(x),
    "softmax": fused.softmax,
    "standardize": lambda x, dim: fused.standardize(x, dim, EPSILON),
    "rms_normalize": lambda x, dim: fused.rms_normalize(x, dim, EPSILON),
}


def numpy_values_and_gradients(x, w):
  """{name: (f(x), d sum(f(x) w) / dx)} by the equations of layers.fused."""
  exp = np.exp(x - x.max(REDUCED, keepdims=True))
  softmax = exp / exp.sum(REDUCED, keepdims=True)
  mean = x.mean(REDUCED, keepdims=True)
  inverse_std = 1.0 / np.sqrt(((x - mean) ** 2).mean(REDUCED, keepdims=True)
                              + EPSILON)
  standardized = (x - mean) * inverse_std
  inverse_rms = 1.0 / np.sqrt((x ** 2).mean(REDUCED, keepdims=True) + EPSILON)
  return {
      "relu": (np.maximum(x, 0.0), w * (x > 0)),
      "softmax": (softmax, softmax * (
          w - (w * softmax).sum(REDUCED, keepdims=True))),
      "standardize": (standardized, inverse_std * (
          w - w.mean(REDUCED, keepdims=True)
          - standardized * (w * standardized).mean(REDUCED, keepdims=True))),
      "rms_normalize": (x * inverse_rms, inverse_rms * (
          w - x * inverse_rms * (w * x * inverse_rms).mean(
              REDUCED, keepdims=True))),
  }


def run_functions(x_value, w_value, mesh_shape, layout_rules):
  """{(name, fused or not): (f(x), gradient)} from one graph."""
  dims = [mtf.Dimension(name, size) for name, size in SHAPE]
  with tf.Graph().as_default():
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    x = mtf.import_fully_replicated(mesh, tf.constant(x_value),
                                    mtf.Shape(dims))
    w = mtf.import_fully_replicated(mesh, tf.constant(w_value),
                                    mtf.Shape(dims))
    built = {}
    for enabled in (True, False):
      with gin_config.parsed(
          [], ["mtf_mods.fused_kernels.enabled = %s" % enabled]):
        for name, function in FUNCTIONS.items():
          y = function(x, dims[REDUCED])
          [grad] = mtf.gradients([mtf.reduce_sum(y * w)], [x])
          built[(name, enabled)] = (y, grad)
    keys = list(built)
    outputs = [t for key in keys for t in built[key]]
    with lowering.open_session(graph, mesh, outputs, (), mesh_shape,
                               layout_rules) as run:
      values = run.session.run(run.outputs)
  return {key: (values[2 * i], values[2 * i + 1])
          for i, key in enumerate(keys)}


@pytest.mark.parametrize("mesh_shape,layout_rules", [
    (dimensions.SINGLE_DEVICE_MESH, ""),
    (dimensions.MESH_2X2, "%s:%s,%s:%s" % (
        dimensions.BATCH, dimensions.BATCH_AXIS,
        dimensions.HEADS, dimensions.MODEL_AXIS))])
def test_fused_functions_match_numpy_and_mtfs_compositions(mesh_shape,
                                                           layout_rules):
  rng = np.random.default_rng(0)
  size = [size for _, size in SHAPE]
  x = rng.normal(size=size).astype(np.float32)
  w = rng.normal(size=size).astype(np.float32)
  got = run_functions(x, w, mesh_shape, layout_rules)
  for name, (value, gradient) in numpy_values_and_gradients(x, w).items():
    for enabled in (True, False):
      got_value, got_gradient = got[(name, enabled)]
      np.testing.assert_allclose(got_value, value, rtol=1e-5, atol=1e-5,
                                 err_msg="%s fused=%s" % (name, enabled))
      np.testing.assert_allclose(got_gradient, gradient, rtol=1e-4,
                                 atol=1e-5,
                                 err_msg="%s grad fused=%s" % (name, enabled))


def test_a_split_reduced_dimension_is_refused():
  size = [size for _, size in SHAPE]
  x = np.zeros(size, np.float32)
  with pytest.raises(ValueError, match="reduces dimension memory_length, "
                     "which the layout rules split"):
    run_functions(x, x, "%s:2" % dimensions.MODEL_AXIS, "%s:%s" % (
        dimensions.MEMORY_LENGTH, dimensions.MODEL_AXIS))
