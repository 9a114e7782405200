"""Test helpers: running mtf layers on small inputs, running the CLI."""
import os
import subprocess
import sys
import types

import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dims(**sizes):
  """mtf.Dimensions by keyword: dims(batch=2, length=3)."""
  return {name: mtf.Dimension(name, size) for name, size in sizes.items()}


class LayerRun:
  """Builds `build(context, inputs)` on a one-device mesh and runs it.

  Every variable is set to random normal values (seeded) so that biases and
  gains are exercised, and is returned with the output for the numpy
  reference.
  """

  def __init__(self, model_dim, length_dim, batch_dims, autoregressive=False,
               mode="eval", seed=0):
    self.model = types.SimpleNamespace(
        model_dim=model_dim, ensemble_dims=[], ensemble_dim=None,
        fully_autoregressive=autoregressive)
    self.length_dim = length_dim
    self.batch_dims = batch_dims
    self.autoregressive = autoregressive
    self.mode = mode
    self.seed = seed

  def __call__(self, build, inputs):
    """inputs: {name: (numpy array, [mtf.Dimension])}."""
    with tf.Graph().as_default():
      graph = mtf.Graph()
      mesh = mtf.Mesh(graph, "mesh")
      mtf_inputs = {
          name: mtf.import_fully_replicated(
              mesh, tf.constant(value), mtf.Shape(shape), name=name)
          for name, (value, shape) in inputs.items()}
      position = mtf.range(mesh, self.length_dim, tf.int32)
      priority = position if self.autoregressive else None
      context = transformer.Context(
          model=self.model, mesh=mesh, batch_dims=self.batch_dims,
          length_dim=self.length_dim,
          variable_dtype=mtf.VariableDType(tf.float32, tf.float32,
                                           tf.float32),
          mode=self.mode, position=position, position_is_default=True,
          read_priority=priority, write_priority=priority,
          encoder_output=mtf_inputs.get("encoder_output"))
      output = build(context, mtf_inputs)
      mesh_impl = mtf.placement_mesh_impl.PlacementMeshImpl(
          mtf.convert_to_shape("all:1"), mtf.convert_to_layout_rules(""), [""])
      lowering = mtf.Lowering(graph, {mesh: mesh_impl})
      tf_output = lowering.export_to_tf_tensor(output)
      masters = {v.op.name: v for v in tf.global_variables()}
      rng = np.random.default_rng(self.seed)
      with tf.Session() as session:
        session.run(tf.global_variables_initializer())
        values = {}
        for name, variable in masters.items():
          shape = variable.shape.as_list()
          values[name] = rng.normal(size=shape).astype(np.float32) * 0.5
          variable.load(values[name], session)
        session.run(lowering.copy_masters_to_slices())
        return session.run(tf_output), values


def variable(values, suffix):
  """The one variable whose name ends with `suffix`."""
  matches = [v for name, v in values.items() if name.endswith(suffix)]
  assert len(matches) == 1, (suffix, sorted(values))
  return matches[0]


def run_cli(*args, env=None, timeout=600):
  """Runs `python -m mtf_mods.cli ARGS`; returns the CompletedProcess."""
  full_env = dict(os.environ)
  full_env.update(env or {})
  return subprocess.run([sys.executable, "-m", "mtf_mods.cli"] + list(args),
                        capture_output=True, text=True, env=full_env,
                        timeout=timeout, cwd=REPO)


