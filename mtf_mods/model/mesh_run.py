"""Train a configured model directly on a Mesh TensorFlow mesh of devices.

The harness every variant's tests use: it builds the gin-configured model,
lays it out on a mesh (`lowering.open_session`: one virtual CPU device per
mesh position, e.g. four for a 2x2 mesh) and runs plain gradient-descent
steps on a fixed batch without dropout, returning the loss of each step
and the gradients of the first.
Plain SGD keeps a gradient's size in the update, so a layout bug that
scales a gradient (a sum over a mesh axis dropped or doubled) moves the
next loss; an adaptive optimizer such as Adafactor would normalize much of
it away, and its slot variables double the operations to lower. Starting
two runs from the same initial values shows whether a layout changes the
computation (the loss alone can hide a wrong gradient of a small variable,
the gradients cannot); the slice shapes show which dimensions the layout
really split.
"""
import dataclasses

from mesh_tensorflow import optimize
import numpy as np
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import lowering
from mtf_mods.model import model_graph
from mtf_mods.layers import dimensions

SINGLE_DEVICE = (dimensions.SINGLE_DEVICE_MESH, "")
# batch split 2 ways, and heads, d_ff, vocab and experts split 2 ways.
MESH_2X2 = (dimensions.MESH_2X2, dimensions.LAYOUT_RULES)


@dataclasses.dataclass
class RunResult:
  losses: list          # loss before each update
  initial_values: dict  # master variable name -> value before training
  slice_shapes: dict = dataclasses.field(default_factory=dict)
  # mtf variable name -> shape of its slice on one device
  gradients: dict = dataclasses.field(default_factory=dict)
  # mtf variable name -> its gradient in the first step (whole, gathered
  # from the mesh), when asked for


def random_features(vocab_size, batch, lengths, seed=0):
  """A fixed batch of token ids (no padding) for inputs and targets."""
  rng = np.random.default_rng(seed)
  return {key: rng.integers(2, vocab_size, size=(batch, length),
                            dtype=np.int32)
          for key, length in lengths.items()}


def train(gin_files, gin_params, vocab_size, steps, mesh=SINGLE_DEVICE,
          batch=None, lengths=None, seed=0, learning_rate=0.1,
          initial_values=None, gradients=False):
  """Trains `steps` SGD steps on one fixed batch.

  Args:
    gin_files, gin_params: the model configuration (variant + scale).
    vocab_size: vocabulary size.
    steps: number of updates.
    mesh: (mesh_shape, layout_rules); the mesh has one virtual CPU device
      per mesh position.
    batch, lengths: batch size and {"inputs", "targets"} lengths; by default
      those of the configured scale.
    seed: seed of the graph-level initializers and of the batch.
    learning_rate: constant SGD learning rate.
    initial_values: master variable values to start from (the
      `initial_values` of an earlier run); None to use the initializers.
    gradients: also return each variable's gradient in the first step.

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
    optimizer = optimize.SgdOptimizer(learning_rate)
    updates = optimizer.apply_grads(graph.gradients, graph.variables)
    with_gradients = [(v.name, g) for v, g in zip(graph.variables,
                                                  graph.gradients)
                      if g is not None and gradients]
    with lowering.open_session(
        graph.graph, graph.mesh,
        [graph.loss] + [g for _, g in with_gradients], updates, mesh_shape,
        layout_rules, initial_values=initial_values) as run:
      first = run.run()
      losses = [float(first[0])]
      losses += [float(run.run(outputs=1)[0]) for _ in range(steps - 1)]
  return RunResult(losses, run.initial_values, run.slice_shapes, {
      name: value for (name, _), value in zip(with_gradients, first[1:])})
