"""Train a configured model directly on a Mesh TensorFlow mesh of devices.

The harness every variant's tests use: it builds the gin-configured model,
lays it out on a mesh (PlacementMeshImpl over the given devices, e.g. four
virtual CPU devices for a 2x2 mesh) and runs Adafactor steps on a fixed
batch without dropout, returning the loss of each step. Starting two runs from the same
initial values shows whether a layout changes the computation.
"""
import dataclasses

import mesh_tensorflow as mtf
from mesh_tensorflow import optimize
import numpy as np
import tensorflow.compat.v1 as tf

from mtf_mods import gin_config
from mtf_mods import model_graph

SINGLE_DEVICE = ("model:1,batch:1", "")
# batch split 2 ways, and heads, d_ff, vocab and experts split 2 ways.
MESH_2X2 = ("batch:2,model:2",
            "batch:batch,heads:model,d_ff:model,vocab:model,experts:batch")


@dataclasses.dataclass
class RunResult:
  losses: list          # loss before each update
  initial_values: dict  # master variable name -> value before training


def random_features(vocab_size, batch, lengths, seed=0):
  """A fixed batch of token ids (no padding) for inputs and targets."""
  rng = np.random.default_rng(seed)
  return {key: rng.integers(2, vocab_size, size=(batch, length),
                            dtype=np.int32)
          for key, length in lengths.items()}


def train(gin_files, gin_params, vocab_size, steps, mesh=SINGLE_DEVICE,
          batch=None, lengths=None, seed=0, learning_rate=0.01,
          initial_values=None):
  """Trains `steps` Adafactor steps on one fixed batch.

  Args:
    gin_files, gin_params: the model configuration (variant + scale).
    vocab_size: vocabulary size.
    steps: number of updates.
    mesh: (mesh_shape, layout_rules); the mesh has one virtual CPU device
      per mesh position.
    batch, lengths: batch size and {"inputs", "targets"} lengths; by default
      those of the configured scale.
    seed: seed of the graph-level initializers and of the batch.
    learning_rate: constant Adafactor learning rate.
    initial_values: master variable values to start from (the
      `initial_values` of an earlier run); None to use the initializers.

  Returns:
    a RunResult.
  """
  mesh_shape, layout_rules = mesh
  gin_params = list(gin_params) + ["dropout_rate = 0.0"]
  with gin_config.parsed(gin_files, gin_params), tf.Graph().as_default():
    tf.set_random_seed(seed)
    batch = batch or model_graph.batch_size()
    lengths = lengths or model_graph.sequence_lengths()
    features = random_features(vocab_size, batch, lengths, seed)
    graph = model_graph.build_training_graph(
        vocab_size, batch, lengths, mesh_shape, layout_rules, features)
    optimizer = optimize.AdafactorOptimizer(learning_rate=learning_rate)
    updates = optimizer.apply_grads(graph.gradients, graph.variables)
    mesh_shape = mtf.convert_to_shape(mesh_shape)
    devices = ["/cpu:%d" % i for i in range(mesh_shape.size)]
    mesh_impl = mtf.placement_mesh_impl.PlacementMeshImpl(
        mesh_shape, mtf.convert_to_layout_rules(layout_rules), devices)
    # Resource variables are read once per step, before any update; with
    # reference variables, backprop may read a weight already updated.
    with tf.variable_scope(tf.get_variable_scope(), use_resource=True):
      lowering = mtf.Lowering(graph.graph, {graph.mesh: mesh_impl})
      tf_loss = lowering.export_to_tf_tensor(graph.loss)
      tf_updates = tf.group(
          [lowering.lowered_operation(op) for op in updates])
    masters = {v.op.name: v for v in tf.global_variables()}
    config = tf.ConfigProto(device_count={"CPU": mesh_shape.size})
    # Grappler's rewrites take far longer than the few steps a check runs.
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    # Given initial values are fed to the variables' initializers: one
    # session call, where loading each variable would cost one call each.
    feeds = {masters[name].initializer.inputs[1]: value
             for name, value in (initial_values or {}).items()}
    with tf.Session(config=config) as session:
      session.run(tf.global_variables_initializer(), feeds)
      start = session.run(masters)
      session.run(lowering.copy_masters_to_slices())
      losses = []
      for _ in range(steps):
        loss, _ = session.run([tf_loss, tf_updates])
        losses.append(float(loss))
  return RunResult(losses, start)
