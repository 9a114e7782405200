"""Building a variant's training graph in Mesh TensorFlow, without running it.

Used to count parameters and FLOPs, to fingerprint a model configuration,
and (lowered onto a mesh by `lowering`) by `mesh_run` and the bench to
train a model directly.

FLOPs method: every einsum of the training graph (forward, and the two
einsums of its gradient) costs one multiply-add, 2 FLOPs, per point of the
joint index space of its operands and output, so a training step counts 6 x
the forward multiply-adds; Table 1's Ops are those forward multiply-adds
(count / 6). Mesh TensorFlow writes an embedding lookup (mtf.gather) as an
einsum of a one-hot with the table, so lookups count, vocab x d_model
multiply-adds per token (tests/model/test_model_graph.py); the kit's lookup is a
gather (layers/vocabulary/lookup.py) counted the same way, unless
`lookups_as_one_hot=False` (the bench: what runs). A depthwise convolution
(layers/depthwise_convolution.py) counts as the einsum of mtf's window it
replaces, K multiply-adds per input value each way. So does the product of
two tensors (a GLU gate, a Rezero scale: 2 FLOPs per element); other
elementwise operations, softmaxes and the optimizer update do not. For the
paper's models the matrix products are well over 99% of the count.

The training loss is mtf's: cross-entropy plus its z-loss, 1e-4 log(Z)^2
per target token (Z the softmax's normalizer; Unitransformer.z_loss, bound
by neither the kit nor the release, so 1e-4 in both); evaluation leaves the
z-loss out.
"""
import dataclasses
import types

import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import numpy as np
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.layers import depthwise_convolution
from mtf_mods.layers import dimensions
from mtf_mods.layers.vocabulary import clusters
from mtf_mods.layers.vocabulary import lookup

TRAIN = "train"


@dataclasses.dataclass
class TrainingGraph:
  graph: mtf.Graph
  mesh: mtf.Mesh
  model: transformer.Bitransformer
  loss: mtf.Tensor
  variables: list
  gradients: list


def sequence_lengths():
  """{"inputs": n, "targets": m} bound to utils.run.sequence_length."""
  lengths = gin_config.query("utils.run.sequence_length")
  if isinstance(lengths, int):
    lengths = {"inputs": lengths, "targets": lengths}
  return lengths


def batch_size():
  """Sequences per batch implied by utils.run.batch_size."""
  spec = gin_config.query("utils.run.batch_size")
  if isinstance(spec, int):
    return spec
  method, value = spec
  if method != "tokens_per_batch":
    raise ValueError("unsupported batch_size method %r" % method)
  return max(1, value // sequence_lengths()["inputs"])


def make_model(vocab_size, mesh_shape="", layout_rules=""):
  """The gin-configured Bitransformer for a vocabulary of `vocab_size` ids
  (padded by the model to a multiple of 128), which is also bound to the
  gin macro VOCAB_SIZE that the adaptive layers' clusters read."""
  with gin.unlock_config():
    gin.parse_config(clusters.vocab_size_binding(vocab_size))
  return transformer.make_bitransformer(
      input_vocab_size=vocab_size, output_vocab_size=vocab_size,
      layout=layout_rules, mesh_shape=mesh_shape)


def build_training_graph(vocab_size, batch, lengths, mesh_shape="",
                         layout_rules="", features=None, gradients=True):
  """Builds loss and gradients of the gin-configured bitransformer.

  Must run inside a `tf.Graph().as_default()` block with the config parsed.

  Args:
    vocab_size: vocabulary size (`make_model`).
    batch: sequences per batch.
    lengths: {"inputs": n, "targets": m}.
    mesh_shape, layout_rules: what some layers consult to lay themselves out.
    features: optional {"inputs", "targets"} int32 numpy arrays; zeros if None.
    gradients: False to build the loss alone (`gradients` is then None).
  """
  graph = mtf.Graph()
  mesh = mtf.Mesh(graph, "mesh")
  model = make_model(vocab_size, mesh_shape, layout_rules)
  batch_dim = dimensions.dimension(dimensions.BATCH, batch)
  mtf_features = {}
  for key in ("inputs", "targets"):
    shape = mtf.Shape([batch_dim, dimensions.dimension(dimensions.LENGTH,
                                                 lengths[key])])
    values = (np.zeros(shape.to_integer_list, np.int32) if features is None
              else features[key])
    mtf_features[key] = mtf.import_fully_replicated(
        mesh, tf.constant(values, tf.int32), shape, name=key)
  _, loss = model.call_simple(
      inputs=mtf_features["inputs"], targets=mtf_features["targets"],
      compute_loss=True, mode=TRAIN,
      variable_dtype=mtf.VariableDType(tf.float32, tf.float32, tf.float32))
  variables = graph.trainable_variables
  if gradients:
    gradients = mtf.gradients([loss], [v.outputs[0] for v in variables])
  return TrainingGraph(graph, mesh, model, loss, variables,
                       gradients or None)


def count_parameters(training_graph):
  return sum(v.shape.size for v in training_graph.variables)


def count_flops(training_graph, lookups_as_one_hot=True):
  """FLOPs of one training step (see the module docstring)."""
  total = 0
  for op in training_graph.graph.operations:
    if lookups_as_one_hot and isinstance(op, lookup.ONE_HOT_COUNTED):
      total += op.one_hot_flops()
    elif isinstance(op, depthwise_convolution.COUNTED):
      total += op.flops()
    elif isinstance(op, mtf.EinsumOperation):
      dims = set()
      for tensor in list(op.inputs) + list(op.outputs):
        dims.update(tensor.shape.dims)
      total += 2 * int(np.prod([d.size for d in dims], dtype=np.float64))
  return total


def signature(training_graph):
  """{variable name: shape} identifying a model configuration."""
  return {v.name: v.shape.to_integer_list for v in training_graph.variables}


def checkpoint_bytes(training_graph):
  """Bytes of the variables a checkpoint of the configured run stores: the
  model's and its optimizer's slots (the configured `utils.run.optimizer`,
  its slots created by an update with zero gradients), each in the master
  dtype (`utils.get_variable_dtype.master_dtype`), and the global step."""
  optimizer = gin.query_parameter("utils.run.optimizer")
  optimizer = optimizer.scoped_configurable_fn(learning_rate=0.0)
  variables = training_graph.variables
  optimizer.apply_grads([mtf.zeros_like(v.outputs[0]) for v in variables],
                        variables)
  master = tf.as_dtype(gin.query_parameter(
      "utils.get_variable_dtype.master_dtype"))
  elements = sum(v.shape.size for v in training_graph.graph.all_variables)
  return elements * master.size + tf.int64.size


@dataclasses.dataclass
class ModelSize:
  parameters: int
  flops_per_step: int
  signature: dict
  checkpoint_bytes: int = None


def _no_tf_variable(getter, name, *args, **kwargs):
  """A custom getter standing in for the TensorFlow master variables that a
  graph never lowered does not need: mtf reads only their name."""
  del getter, args, kwargs
  return types.SimpleNamespace(name=name + ":0")


def measure(gin_files, gin_params, vocab_size, flops=True, checkpoint=False):
  """Parameters, training-step FLOPs and signature of a configured model,
  and with checkpoint=True the bytes of one of its checkpoints.

  The graph is built without TensorFlow variables (it is never lowered),
  about three times faster than a graph that could be trained; with
  flops=False, without the backward pass either (flops_per_step is None),
  about twice as fast again.
  """
  with gin_config.parsed(gin_files, gin_params), tf.Graph().as_default():
    tf.train.create_global_step()  # read by some optimizers' updates
    with tf.variable_scope(tf.get_variable_scope(),
                           custom_getter=_no_tf_variable):
      graph = build_training_graph(vocab_size, batch_size(),
                                   sequence_lengths(), gradients=flops)
      size = ModelSize(count_parameters(graph),
                       count_flops(graph) if flops else None, signature(graph))
      if checkpoint:
        size.checkpoint_bytes = checkpoint_bytes(graph)
      return size
