"""Lowering a Mesh TensorFlow graph onto a mesh of CPU devices and running it.

The one place the kit turns an mtf graph into a TensorFlow session: the mesh
harness (`mesh_run`), the bench's timed step (`bench/kit_step`) and the layer
tests (`tests/mtf_test_utils`) all lower through `open_session`. It lays the
mesh out with a `PlacementMeshImpl` (one virtual CPU device per mesh
position), lowers in a resource-variable scope, exports the requested
tensors, groups the lowered update operations into one op, initializes the
master variables (to given values where asked) and copies them to the
per-device slices.
"""
import contextlib
import dataclasses

import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf

from mtf_mods.training import ordered_updates
from mtf_mods.layers import dimensions


@dataclasses.dataclass
class LoweredRun:
  """An open session on a lowered graph.

  Attributes:
    session: the tf.Session, initialized and with the slices filled.
    outputs: the exported tf.Tensors, in the order they were asked for.
    update: one op running every lowered update (a no-op without updates).
    initial_values: {master variable name: value after initialization}.
    slice_shapes: {mtf variable name: shape of the slice on one device}.
  """
  session: tf.Session
  outputs: list
  update: tf.Operation
  initial_values: dict
  slice_shapes: dict

  def run(self, options=None, run_metadata=None, outputs=None):
    """Runs the update once; returns the outputs' values before it (the
    first `outputs` of them, if given).

    `options` and `run_metadata` go to tf.Session.run (e.g. a FULL_TRACE
    of the step, as `bench.step_profile` takes)."""
    values, _ = self.session.run([self.outputs[:outputs], self.update],
                                 options=options, run_metadata=run_metadata)
    return values


def cpu_devices(count):
  return ["/cpu:%d" % i for i in range(count)]


def default_session_config(device_count):
  """As many virtual CPU devices as the mesh has, without Grappler, whose
  rewrites take far longer than the few steps a check runs."""
  config = tf.ConfigProto(device_count={"CPU": device_count})
  config.graph_options.rewrite_options.disable_meta_optimizer = True
  return config


def slice_shapes(graph, mesh_impl):
  """{mtf variable name: integer shape of its slice on one device}, by the
  name the model gave it: read before the lowering stacks variables of one
  shape into one (each keeps its own layout)."""
  return {variable.name: mesh_impl.slice_shape(variable.outputs[0].shape)
          for variable in graph.all_variables}


@contextlib.contextmanager
def open_session(graph, mesh, outputs, updates=(),
                 mesh_shape=dimensions.SINGLE_DEVICE_MESH, layout_rules="",
                 session_config=None,
                 initial_values=None):
  """Lowers `graph` onto a CPU mesh and opens a ready session on it.

  Must run inside the `tf.Graph().as_default()` block the mtf graph was
  built in.

  Args:
    graph, mesh: the mtf.Graph and its one mtf.Mesh.
    outputs: mtf.Tensors to export (e.g. the loss).
    updates: mtf.Operations to run by `LoweredRun.update` (e.g. an
      optimizer's `apply_grads`).
    mesh_shape, layout_rules: the mesh and how dimensions split over it
      (e.g. dimensions.MESH_2X2 and dimensions.LAYOUT_RULES); by default one
      device and no rules. The rules matter even on one device: some of
      mtf's initializers read them (its attention output projection's
      scale does).
    session_config: a tf.ConfigProto; default_session_config if None.
    initial_values: {master variable name: value} to initialize variables
      to, or a function (name, shape) -> value or None; the others keep
      their initializers' values. Values are fed to the initializers: one
      session call, where loading each variable would cost one call each.

  Yields:
    a LoweredRun; its session closes when the block ends.
  """
  mesh_shape = mtf.convert_to_shape(mesh_shape)
  mesh_impl = mtf.placement_mesh_impl.PlacementMeshImpl(
      mesh_shape, mtf.convert_to_layout_rules(layout_rules),
      cpu_devices(mesh_shape.size))
  shapes = slice_shapes(graph, mesh_impl)  # before lowering stacks them
  # Resource variables: a read is a snapshot no update changes in place.
  # The updates wait for all of the step's reads, as in `mtf-mods train`.
  with tf.variable_scope(tf.get_variable_scope(), use_resource=True):
    lowering = mtf.Lowering(graph, {mesh: mesh_impl})
    tf_outputs = [lowering.export_to_tf_tensor(t) for t in outputs]
    update = tf.group([lowering.lowered_operation(op) for op in updates])
  ordered_updates.order_writes_after_reads(update)
  masters = {v.op.name: v for v in tf.global_variables()}
  feeds = {}
  for name, variable in sorted(masters.items()):
    if callable(initial_values):
      value = initial_values(name, variable.shape.as_list())
    else:
      value = (initial_values or {}).get(name)
    if value is not None:
      feeds[variable.initializer.inputs[1]] = value
  config = session_config or default_session_config(mesh_shape.size)
  with tf.Session(config=config) as session:
    session.run(tf.global_variables_initializer(), feeds)
    values = session.run(masters)
    session.run(lowering.copy_masters_to_slices())
    yield LoweredRun(session, tf_outputs, update, values, shapes)
