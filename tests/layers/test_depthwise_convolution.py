"""layers.depthwise_convolution: the values and the gradients, for the input
and the filter, of its numpy equation, for a centred and a causal window,
the filter [heads, width] or [width, heads], on one device and on a 2x2
mesh that splits the batch and the heads; a layout that splits the length
is refused; the FLOPs counted are those of mtf's window and product."""
import mesh_tensorflow as mtf
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import types

from mtf_mods.model import lowering
from mtf_mods.model import model_graph
from mtf_mods.layers import depthwise_convolution
from mtf_mods.layers import dimensions

# x [batch, length, d_kv, heads]; the filter [heads, width].
BATCH, LENGTH, COPIES, HEADS, WIDTH = 4, 8, 2, 2, 3
WINDOWS = {"centred": -1, "causal": -(WIDTH - 1)}
DIMS = {name: mtf.Dimension(name, size) for name, size in [
    (dimensions.BATCH, BATCH), (dimensions.LENGTH, LENGTH),
    (dimensions.D_KV, COPIES), (dimensions.HEADS, HEADS),
    (dimensions.CONV_WIDTH, WIDTH)]}
X_DIMS = [DIMS[n] for n in (dimensions.BATCH, dimensions.LENGTH,
                            dimensions.D_KV, dimensions.HEADS)]
F_DIMS = [DIMS[dimensions.HEADS], DIMS[dimensions.CONV_WIDTH]]
SPLIT_BATCH_AND_HEADS = "%s:%s,%s:%s" % (
    dimensions.BATCH, dimensions.BATCH_AXIS,
    dimensions.HEADS, dimensions.MODEL_AXIS)


def numpy_convolution(x, f, lo):
  """o[b, t, j, h] = sum_i f[h, i] x[b, t + lo + i, j, h], 0 outside."""
  o = np.zeros_like(x)
  for t in range(LENGTH):
    for i in range(WIDTH):
      if 0 <= t + lo + i < LENGTH:
        o[:, t] += f[:, i] * x[:, t + lo + i]
  return o


def numpy_gradients(x, f, w, lo):
  """d sum(o w) / dx and / df."""
  dx, df = np.zeros_like(x), np.zeros_like(f)
  for t in range(LENGTH):
    for i in range(WIDTH):
      s = t + lo + i
      if 0 <= s < LENGTH:
        dx[:, s] += f[:, i] * w[:, t]
        df[:, i] += (w[:, t] * x[:, s]).sum((0, 1))
  return dx, df


def run(x_value, f_value, w_value, mesh_shape, layout_rules):
  """{(window, filter order): (o, dx, df)} from one graph; df [heads,
  width] for either order."""
  with tf.Graph().as_default():
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    x, w = [mtf.import_fully_replicated(mesh, tf.constant(v),
                                        mtf.Shape(X_DIMS))
            for v in (x_value, w_value)]
    filters = {
        "heads_first": mtf.import_fully_replicated(
            mesh, tf.constant(f_value), mtf.Shape(F_DIMS)),
        "width_first": mtf.import_fully_replicated(
            mesh, tf.constant(f_value.T), mtf.Shape(F_DIMS[::-1]))}
    keys, outputs = [], []
    for name, lo in WINDOWS.items():
      for order, f in filters.items():
        o = depthwise_convolution.convolve(x, f, DIMS[dimensions.LENGTH], lo)
        dx, df = mtf.gradients([mtf.reduce_sum(o * w)], [x, f])
        keys.append((name, order))
        outputs += [o, dx, mtf.transpose(df, F_DIMS)]
    with lowering.open_session(graph, mesh, outputs, (), mesh_shape,
                               layout_rules) as session:
      values = session.session.run(session.outputs)
  return {key: values[3 * i:3 * i + 3] for i, key in enumerate(keys)}


def random_inputs():
  rng = np.random.default_rng(0)
  return [rng.normal(size=[d.size for d in dims]).astype(np.float32)
          for dims in (X_DIMS, F_DIMS, X_DIMS)]


@pytest.mark.parametrize("mesh_shape,layout_rules", [
    (dimensions.SINGLE_DEVICE_MESH, ""),
    (dimensions.MESH_2X2, SPLIT_BATCH_AND_HEADS)])
def test_matches_numpy_values_and_gradients(mesh_shape, layout_rules):
  x, f, w = random_inputs()
  got = run(x, f, w, mesh_shape, layout_rules)
  assert len(got) == 4
  for (name, order), values in got.items():
    lo = WINDOWS[name]
    want = [numpy_convolution(x, f, lo), *numpy_gradients(x, f, w, lo)]
    for label, g, v in zip(("o", "dx", "df"), values, want):
      np.testing.assert_allclose(g, v, rtol=1e-5, atol=1e-5,
                                 err_msg="%s %s %s" % (name, order, label))


def test_a_split_length_is_refused():
  x, f, w = random_inputs()
  with pytest.raises(ValueError, match="reduces dimension length, which "
                     "the layout rules split"):
    run(x, f, w, "%s:2" % dimensions.MODEL_AXIS,
        "%s:%s" % (dimensions.LENGTH, dimensions.MODEL_AXIS))


def test_a_filter_not_read_by_the_last_dimension_is_refused():
  with tf.Graph().as_default():
    mesh = mtf.Mesh(mtf.Graph(), "mesh")
    x = mtf.zeros(mesh, mtf.Shape(X_DIMS))
    f = mtf.zeros(mesh, mtf.Shape([DIMS[dimensions.D_KV],
                                   DIMS[dimensions.CONV_WIDTH]]))
    with pytest.raises(ValueError, match="must be .heads, width. or"):
      depthwise_convolution.convolve(x, f, DIMS[dimensions.LENGTH], -1)


def window_product(x, f, length_dim, lo):
  """mtf's way: the window of K shifted copies of x, times f."""
  width_dim = DIMS[dimensions.CONV_WIDTH]
  window = mtf.stack([mtf.shift(x, -(lo + i), length_dim, wrap=False)
                      for i in range(width_dim.size)], width_dim.name,
                     axis=x.shape.dims.index(length_dim) + 1)
  return mtf.einsum([window, f], output_shape=x.shape)


@pytest.mark.parametrize("convolve", [depthwise_convolution.convolve,
                                      window_product],
                         ids=["depthwise", "window"])
def test_counts_the_flops_of_mtfs_window_product(convolve):
  """model_graph.count_flops: the convolution, its input gradient and its
  filter gradient count as the window's einsum and its two gradient
  einsums, 2 K FLOPs per value of x each: 6 K x.size in all."""
  with tf.Graph().as_default():
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    x = mtf.import_fully_replicated(mesh, tf.zeros([d.size for d in X_DIMS]),
                                    mtf.Shape(X_DIMS))
    f = mtf.import_fully_replicated(mesh, tf.zeros([d.size for d in F_DIMS]),
                                    mtf.Shape(F_DIMS))
    o = convolve(x, f, DIMS[dimensions.LENGTH], WINDOWS["centred"])
    mtf.gradients([mtf.reduce_sum(o)], [x, f])
    flops = model_graph.count_flops(types.SimpleNamespace(graph=graph))
  assert flops == 6 * WIDTH * BATCH * LENGTH * COPIES * HEADS
