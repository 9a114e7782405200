"""The kit's own training step on one CPU device, ready to be timed.

The step is built the way training builds it: the variant's gin-configured
bitransformer (`model_graph.build_training_graph`), its loss gradients, the
update of the optimizer the variant's pre-training config names (Adafactor,
or Adam for Rezero and Fixup) at a constant learning rate, lowered onto one
CPU device by `lowering.open_session`, as in `mesh_run`.
It runs on one fixed batch of random token ids of the scale's batch size and
sequence lengths (or those given), so the time measured is the model's
alone; the input pipeline is measured separately (`input_pipeline`).
"""
import contextlib
import dataclasses
import time

import gin
from mesh_tensorflow import optimize
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import lowering
from mtf_mods.model import mesh_run
from mtf_mods.model import model_graph
from mtf_mods.bench import timing
from mtf_mods.layers import dimensions


@dataclasses.dataclass
class KitStep:
  """A stepper: one training step of the kit's model per `step()`."""
  step: callable
  first_step_seconds: float
  batch: int
  lengths: dict          # {"inputs": n, "targets": m}
  parameters: int
  flops_per_step: int    # model_graph's count of the einsums that run
  lowered: lowering.LoweredRun  # the open session (step_profile traces it)

  @property
  def tokens_per_step(self):
    return self.batch * sum(self.lengths.values())


def configured_optimizer(learning_rate):
  """The optimizer bound to utils.run.optimizer (Adafactor if unbound)."""
  try:
    optimizer = gin.query_parameter(
        "utils.run.optimizer").scoped_configurable_fn
  except ValueError:
    optimizer = optimize.AdafactorOptimizer
  return optimizer(learning_rate=learning_rate)


@contextlib.contextmanager
def open_step(gin_files, gin_params, vocab_size, session_config, batch=None,
              lengths=None, learning_rate=0.01, seed=0):
  """Builds the training step of a configured model and runs it once.

  Args:
    gin_files, gin_params: the model configuration (variant, scale, stage).
    vocab_size: vocabulary size.
    session_config: the tf.ConfigProto of the session.
    batch, lengths: sequences per batch and {"inputs", "targets"} lengths;
      by default those of the configured scale.
    learning_rate: the optimizer's constant learning rate.
    seed: seed of the initializers and of the batch.

  Yields:
    a KitStep, its session open until the block ends.
  """
  started = time.perf_counter()
  gin_params = list(gin_params) + ["dropout_rate = 0.0"]
  with gin_config.parsed(gin_files, gin_params), tf.Graph().as_default():
    tf.set_random_seed(seed)
    batch = batch or model_graph.batch_size()
    lengths = dict(lengths or model_graph.sequence_lengths())
    features = mesh_run.random_features(vocab_size, batch, lengths, seed)
    graph = model_graph.build_training_graph(
        vocab_size, batch, lengths, dimensions.SINGLE_DEVICE_MESH, "",
        features)
    updates = configured_optimizer(learning_rate).apply_grads(
        graph.gradients, graph.variables)
    with lowering.open_session(graph.graph, graph.mesh, [graph.loss],
                               updates, dimensions.SINGLE_DEVICE_MESH, "",
                               session_config) as run:
      step = run.run
      yield KitStep(step, timing.first_step(step, started), batch, lengths,
                    model_graph.count_parameters(graph),
                    model_graph.count_flops(graph, lookups_as_one_hot=False),
                    run)
