"""Dropout's masks under reproducible_random: a function of seed and step."""
import mesh_tensorflow as mtf
import numpy as np
import tensorflow.compat.v1 as tf

from mtf_mods.training import reproducible_random

ROWS = mtf.Dimension("rows", 64)
COLUMNS = mtf.Dimension("columns", 128)


def dropout_masks(graph_seed, steps, mesh_shape="", devices=1):
  """The masks a rate-0.25 dropout of ones draws at `steps`, in a new graph."""
  with tf.Graph().as_default() as graph:
    graph.seed = graph_seed
    step = tf.placeholder(tf.int64, [])
    graph.add_to_collection("global_step_read_op_cache", step)
    tf.train.create_global_step()
    mtf_graph = mtf.Graph()
    mesh = mtf.Mesh(mtf_graph, "mesh")
    ones = mtf.ones(mesh, mtf.Shape([ROWS, COLUMNS]))
    dropped = mtf.dropout(ones, is_training=True, rate=0.25)
    impl = mtf.placement_mesh_impl.PlacementMeshImpl(
        mtf.convert_to_shape(mesh_shape),
        mtf.convert_to_layout_rules("rows:model" if devices > 1 else ""),
        [""] * devices)
    with reproducible_random.stateless_random():
      lowering = mtf.Lowering(mtf_graph, {mesh: impl})
    output = lowering.export_to_tf_tensor(dropped)
    with tf.Session() as session:
      return [session.run(output, {step: s}) for s in steps]


def test_the_same_seed_and_step_draw_the_same_mask_in_any_graph():
  first = dropout_masks(7, [3, 4])
  again = dropout_masks(7, [3, 4])
  np.testing.assert_array_equal(first[0], again[0])
  np.testing.assert_array_equal(first[1], again[1])
  assert not np.array_equal(first[0], first[1])  # each step its own
  assert not np.array_equal(first[0], dropout_masks(8, [3])[0])


def test_the_mask_is_dropouts():
  mask = dropout_masks(7, [0])[0]
  assert set(np.unique(mask)) == {0.0, np.float32(1 / 0.75)}
  assert abs((mask == 0).mean() - 0.25) < 0.02


def test_slices_on_a_mesh_draw_their_own_parts():
  """Split over two devices, the halves are not copies of each other."""
  mask = dropout_masks(7, [0], mesh_shape="model:2", devices=2)[0]
  assert not np.array_equal(mask[:32], mask[32:])


def test_outside_training_mtf_draws_as_before():
  """Without the Estimator's step (e.g. the kit's own mesh harness),
  mtf's stateful draw is used."""
  with tf.Graph().as_default():
    mtf_graph = mtf.Graph()
    mesh = mtf.Mesh(mtf_graph, "mesh")
    dropped = mtf.dropout(mtf.ones(mesh, mtf.Shape([ROWS, COLUMNS])),
                          is_training=True, rate=0.25)
    impl = mtf.placement_mesh_impl.PlacementMeshImpl(
        mtf.convert_to_shape(""), mtf.convert_to_layout_rules(""), [""])
    with reproducible_random.stateless_random():
      lowering = mtf.Lowering(mtf_graph, {mesh: impl})
    output = lowering.export_to_tf_tensor(dropped)
    ops = {op.type for op in tf.get_default_graph().get_operations()}
    assert "RandomUniform" in ops and "StatelessRandomUniformV2" not in ops
    del output
