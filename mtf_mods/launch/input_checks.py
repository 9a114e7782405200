"""Checks of `mtf-mods train`'s input that need the configured model.

`check_mesh`: Mesh TensorFlow splits a tensor dimension over the mesh axis
its layout rule names (`heads:model` splits "heads" over "model") and stops
deep inside training when the axis's size does not divide the dimension's.
The check builds the configured model's training graph on the configured
mesh and layout (as `model_graph.measure`, without TensorFlow variables) and
names each such dimension and axis before anything runs. It also refuses a
layout that splits a dimension one of the kit's fused kernels reduces
(`layers.fused`: d_model for the norms, the memory length for softmax).
"""
import math

import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import model_graph
from mtf_mods.layers import fused


class MeshMismatch(ValueError):
  """A mesh axis whose size does not divide a dimension split over it, or
  a layout that splits a dimension a fused kernel reduces."""


def misfits(graph, mesh_shape, layout_rules):
  """{mesh axis name: {dimension name: size}} of the dimensions of the
  graph's tensors that `layout_rules` split over a mesh axis of a size that
  does not divide theirs."""
  found = {}
  for operation in graph.operations:
    for tensor in operation.outputs:
      for dim in tensor.shape.dims:
        axis = layout_rules.tensor_dimension_to_mesh_axis(dim, mesh_shape)
        if axis is not None and dim.size % mesh_shape.dims[axis].size:
          found.setdefault(mesh_shape.dims[axis].name, {})[dim.name] = dim.size
  return found


def split_sizes(graph, mesh_shape, layout_rules, axis_name):
  """The sizes of every dimension of the graph split over `axis_name`."""
  sizes = set()
  for operation in graph.operations:
    for tensor in operation.outputs:
      for dim in tensor.shape.dims:
        axis = layout_rules.tensor_dimension_to_mesh_axis(dim, mesh_shape)
        if axis is not None and mesh_shape.dims[axis].name == axis_name:
          sizes.add(dim.size)
  return sizes


def check_mesh(gin_files, gin_params, vocab_size):
  """Raises MeshMismatch if the layout splits a dimension a fused kernel
  reduces, or if a mesh axis does not divide a dimension that the layout
  splits over it (utils.run.mesh_shape and layout_rules as the config binds
  them). A one-device mesh, or a TPU's (bound to a function of
  the topology), is not checked."""
  with gin_config.parsed(gin_files, gin_params):
    mesh_shape = gin_config.query("utils.run.mesh_shape")
    if not isinstance(mesh_shape, (str, mtf.Shape)):
      return
    mesh_shape = mtf.convert_to_shape(mesh_shape)
    if mesh_shape.size == 1:
      return
    layout_rules = mtf.convert_to_layout_rules(
        gin_config.query("utils.run.layout_rules"))
    with tf.Graph().as_default(), tf.variable_scope(
        tf.get_variable_scope(),
        custom_getter=model_graph._no_tf_variable):  # pylint: disable=protected-access
      graph = model_graph.build_training_graph(
          vocab_size, model_graph.batch_size(),
          model_graph.sequence_lengths(), mesh_shape, layout_rules,
          gradients=False).graph
  split = fused.split_reductions(graph, mesh_shape, layout_rules)
  if split:
    raise MeshMismatch(
        "the layout rules split %s, which the fused kernels reduce; keep "
        "%s unsplit, or set mtf_mods.fused_kernels.enabled = False" % (
            ", ".join("%s over mesh axis %s" % item
                      for item in sorted(split.items())),
            " and ".join(sorted(split))))
  found = misfits(graph, mesh_shape, layout_rules)
  if not found:
    return
  problems = []
  for axis_name, dims in found.items():
    size = {d.name: d.size for d in mesh_shape.dims}[axis_name]
    fitting = math.gcd(*split_sizes(graph, mesh_shape, layout_rules,
                                    axis_name))
    problems.append(
        "mesh axis %s (%d) does not divide %s, which the layout rules split "
        "over it; %s sizes that divide every dimension it splits: %s" % (
            axis_name, size, ", ".join("%s (%d)" % item
                                       for item in dims.items()),
            axis_name, ", ".join(str(d) for d in range(1, fitting + 1)
                                 if fitting % d == 0)))
  raise MeshMismatch("mesh %s does not fit the model: %s (layout rules %s)" % (
      mtf_shape_text(mesh_shape), "; ".join(problems),
      ",".join("%s:%s" % pair for pair in sorted(layout_rules._pairs))))  # pylint: disable=protected-access


def mtf_shape_text(shape):
  """'model:3,batch:1' for an mtf.Shape."""
  return ",".join("%s:%d" % (d.name, d.size) for d in shape.dims)
