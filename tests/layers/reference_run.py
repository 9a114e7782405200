"""Running a layer with chosen weights, to compare it with another one.

`run_layer` builds `build(context, inputs)` on a one-device mesh, as
mtf_test_utils.LayerRun does, but lets the caller choose each variable's
value (for example the weights another implementation was run with), or
keep the values the initializers drew.
"""
import types

import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import numpy as np
import tensorflow.compat.v1 as tf


def random_weights(seed=0, scale=0.5):
  """A `weights` function: normal values times `scale`, seeded."""
  rng = np.random.default_rng(seed)
  return lambda name, shape: (rng.normal(size=shape) * scale).astype(
      np.float32)


def run_layer(build, inputs, model_dim, length_dim, batch_dims,
              weights=None, autoregressive=False, mode="eval",
              graph_seed=0):
  """Returns (output, {variable name: value}).

  Args:
    build: function (context, {name: mtf.Tensor}) -> mtf.Tensor.
    inputs: {name: (numpy array, [mtf.Dimension])}; "encoder_output" becomes
      the context's encoder output.
    model_dim, length_dim, batch_dims: the context's dimensions.
    weights: function (variable name, shape) -> value, or None to keep the
      initializers' values; a function may return None for the same.
    autoregressive: causal self-attention (decoder) context.
    mode: the context mode.
    graph_seed: the graph-level seed of the initializers.
  """
  with tf.Graph().as_default():
    tf.set_random_seed(graph_seed)
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    mtf_inputs = {
        name: mtf.import_fully_replicated(
            mesh, tf.constant(value), mtf.Shape(shape), name=name)
        for name, (value, shape) in inputs.items()}
    position = mtf.range(mesh, length_dim, tf.int32)
    priority = position if autoregressive else None
    model = types.SimpleNamespace(
        model_dim=model_dim, ensemble_dims=[], ensemble_dim=None,
        fully_autoregressive=autoregressive, mesh_shape=mtf.Shape([]),
        layout=mtf.LayoutRules([]))
    context = transformer.Context(
        model=model, mesh=mesh, batch_dims=batch_dims, length_dim=length_dim,
        variable_dtype=mtf.VariableDType(tf.float32, tf.float32, tf.float32),
        mode=mode, position=position, position_is_default=True,
        read_priority=priority, write_priority=priority,
        encoder_output=mtf_inputs.get("encoder_output"))
    output = build(context, mtf_inputs)
    mesh_impl = mtf.placement_mesh_impl.PlacementMeshImpl(
        mtf.convert_to_shape("all:1"), mtf.convert_to_layout_rules(""), [""])
    lowering = mtf.Lowering(graph, {mesh: mesh_impl})
    tf_output = lowering.export_to_tf_tensor(output)
    masters = {v.op.name: v for v in tf.global_variables()}
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      for name, variable in sorted(masters.items()):
        value = weights and weights(name, variable.shape.as_list())
        if value is not None:
          variable.load(value, session)
      values = session.run(masters)
      session.run(lowering.copy_masters_to_slices())
      return session.run(tf_output), values


def parameter_count(values):
  return sum(int(np.prod(v.shape)) for v in values.values())
