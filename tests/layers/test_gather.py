"""layers.gather: the same rows and table gradient as mtf.gather's one-hot
matmul, on one device and with the vocabulary split over a 2x2 mesh."""
import mesh_tensorflow as mtf
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.model import lowering
from mtf_mods.layers import dimensions
from mtf_mods.layers import gather

BATCH, LENGTH, VOCAB, D_MODEL = 4, 6, 8, 3


def rows_and_gradient(lookup, mesh_shape, layout_rules):
  """(table[ids], d sum(table[ids] * w) / d table) through `lookup`."""
  rng = np.random.default_rng(0)
  table_value = rng.normal(size=(VOCAB, D_MODEL)).astype(np.float32)
  ids_value = rng.integers(0, VOCAB, size=(BATCH, LENGTH)).astype(np.int32)
  weight_value = rng.normal(size=(BATCH, LENGTH, D_MODEL)).astype(np.float32)
  batch = mtf.Dimension(dimensions.BATCH, BATCH)
  length = mtf.Dimension(dimensions.LENGTH, LENGTH)
  vocab = mtf.Dimension(dimensions.VOCAB, VOCAB)
  d_model = mtf.Dimension(dimensions.D_MODEL, D_MODEL)
  with tf.Graph().as_default():
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    table = mtf.import_fully_replicated(mesh, tf.constant(table_value),
                                        mtf.Shape([vocab, d_model]))
    ids = mtf.import_fully_replicated(mesh, tf.constant(ids_value),
                                      mtf.Shape([batch, length]))
    weight = mtf.import_fully_replicated(
        mesh, tf.constant(weight_value), mtf.Shape([batch, length, d_model]))
    rows = lookup(table, ids, vocab)
    loss = mtf.reduce_sum(rows * weight)
    [grad] = mtf.gradients([loss], [table])
    rows = mtf.transpose(rows, mtf.Shape([batch, length, d_model]))
    with lowering.open_session(graph, mesh, [rows, grad], (), mesh_shape,
                               layout_rules) as run:
      got_rows, got_grad = run.session.run(run.outputs)
  expected_grad = np.zeros_like(table_value)
  np.add.at(expected_grad, ids_value, weight_value)
  return got_rows, got_grad, table_value[ids_value], expected_grad


@pytest.mark.parametrize("mesh_shape,layout_rules", [
    (dimensions.SINGLE_DEVICE_MESH, ""),
    (dimensions.MESH_2X2, dimensions.LAYOUT_RULES)])
def test_gather_matches_numpy_and_mtfs_one_hot_matmul(mesh_shape,
                                                      layout_rules):
  rows, grad, expected_rows, expected_grad = rows_and_gradient(
      gather.gather, mesh_shape, layout_rules)
  np.testing.assert_array_equal(rows, expected_rows)
  np.testing.assert_allclose(grad, expected_grad, rtol=1e-6, atol=1e-6)
  one_hot_rows, one_hot_grad, _, _ = rows_and_gradient(
      mtf.gather, mesh_shape, layout_rules)
  np.testing.assert_array_equal(rows, one_hot_rows)
  np.testing.assert_allclose(grad, one_hot_grad, rtol=1e-6, atol=1e-6)
