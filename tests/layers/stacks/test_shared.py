"""Block sharing (Narang et al. 2021, Sec. 2.5): SharedLayerStack against
the baseline's unshared stacks and against the release's sharing, mtf's
`make_layer_stack.block_scope = False` with named layers.

The tiny baseline (2 blocks per stack) is built with SharedLayerStack, with
the plain LayerStack (every block's copy of a weight set to the shared
weight) and with the release's named layers (the same weights under their
names): the three compute one function. The unshared model has the same
loss and greedy and beam decodes, and its copies' gradients sum to the
shared weight's; the release's has the same loss and gradients. Greedy
decoding of the shared model equals the teacher-forced argmax, as in
tests/test_decoding.py.
"""
import dataclasses
import re

import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
from mesh_tensorflow.transformer import transformer_layers
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import lowering
from mtf_mods.model import mesh_run
from mtf_mods.model import model_graph
from mtf_mods.layers import dimensions
from mtf_mods.layers.stacks import shared

VOCAB = 2100
FILES = ["models/baseline.gin", "scales/tiny.gin"]
NUM_LAYERS = 2  # scales/tiny.gin
BATCH = 2
LENGTHS = {"inputs": 8, "targets": 6}
DTYPE = mtf.VariableDType(tf.float32, tf.float32, tf.float32)
STACKS = ("encoder", "decoder")
# As the paper's block sharing models; with a tied softmax the randomly
# initialized model decodes its previous token again and again.
UNTIED_SOFTMAX = (
    "transformer.Unitransformer.shared_embedding_and_softmax_weights = False")
# The release's names of each stack's layers (gin/models/block_sharing.gin).
RELEASE_NAMES = {
    "encoder": ("self_attention", "dense_relu_dense"),
    "decoder": ("self_attention", "enc_dec_attention", "dense_relu_dense")}
RELEASE_CLASSES = {
    "self_attention": "@mtf_mods.MultiHeadSelfAttention",
    "enc_dec_attention": "@mtf_mods.MultiHeadEncDecAttention",
    "dense_relu_dense": "@mtf_mods.FeedForward"}
# Every variable of the shared encoder but the embedding and the final
# layer norm: one block.
SHARED_ENCODER_BLOCK = [
    "encoder/layer_000/layer_norm/gain",
    "encoder/layer_000/layer_norm/bias",
    "encoder/layer_000/MultiHeadSelfAttention/q/kernel",
    "encoder/layer_000/MultiHeadSelfAttention/k/kernel",
    "encoder/layer_000/MultiHeadSelfAttention/v/kernel",
    "encoder/layer_000/MultiHeadSelfAttention/relative_attention_bias",
    "encoder/layer_000/MultiHeadSelfAttention/o/kernel",
    "encoder/layer_001/layer_norm/gain",
    "encoder/layer_001/layer_norm/bias",
    "encoder/layer_001/FeedForward/wi/kernel",
    "encoder/layer_001/FeedForward/wi/bias",
    "encoder/layer_001/FeedForward/wo/kernel",
    "encoder/layer_001/FeedForward/wo/bias",
]
_BLOCK = re.compile(r"/block_(\d+)/")
# A variable of a shared stack's layer (not of the stack's final norm).
BLOCK_LAYER = re.compile(r"^\w+/layer_\d+/")


def shared_binding(stack):
  return ("%s/transformer.make_layer_stack.layer_stack_cls = "
          "@mtf_mods.SharedLayerStack" % stack)


def release_bindings(stack):
  layers = ", ".join('("%s", %s)' % (name, RELEASE_CLASSES[name])
                     for name in RELEASE_NAMES[stack])
  return ["%s/transformer.make_layer_stack.block_scope = False" % stack,
          "%s/transformer.make_layer_stack.layers = [%s]" % (stack, layers)]


def unblocked(name):
  """The shared variable standing for a block's copy `name`."""
  return _BLOCK.sub("/", name)


def released(name):
  """The shared variable of the release's variable `name`."""
  stack = name.split("/")[0]
  for position, layer in enumerate(RELEASE_NAMES.get(stack, ())):
    name = name.replace("/%s/" % layer, "/layer_%03d/" % position)
  return name


def signature(gin_params):
  return model_graph.measure(FILES, gin_params, VOCAB).signature


def size(shapes):
  return sum(int(np.prod(shape)) for shape in shapes.values())


# ---------------------------------------------------------------------------
# Names and parameter counts.


@pytest.mark.parametrize("stacks", [("encoder",), ("decoder",), STACKS],
                         ids=["encoder", "decoder", "both"])
def test_a_shared_stack_has_the_variables_of_one_block(stacks):
  baseline = signature([])
  ours = signature([shared_binding(stack) for stack in stacks])
  # Block 0 of every shared stack, without its block scope; the rest as is.
  expected = {
      unblocked(name) if name.split("/")[0] in stacks else name: shape
      for name, shape in baseline.items()
      if name.split("/")[0] not in stacks or "/block_001/" not in name}
  assert ours == expected
  if "encoder" in stacks:
    assert [n for n in ours if BLOCK_LAYER.match(n)
            and n.startswith("encoder/")] == SHARED_ENCODER_BLOCK
  # Minus (num_layers - 1) blocks; block 1 has no relative bias table,
  # which is one per stack.
  blocks = {stack: size({n: s for n, s in baseline.items()
                         if n.startswith(stack + "/block_001/")})
            for stack in stacks}
  assert size(ours) == size(baseline) - sum(
      (NUM_LAYERS - 1) * block for block in blocks.values())


def make_stack(layers, block_scope=True):
  return transformer.make_layer_stack(
      layers=layers, layer_stack_cls=shared.SharedLayerStack, num_layers=3,
      block_scope=block_scope)


def test_layers_are_named_by_their_position_in_the_block():
  stack = make_stack([transformer_layers.SelfAttention,
                      transformer_layers.EncDecAttention,
                      transformer_layers.DenseReluDense])
  assert stack.layers_per_block == 3
  assert [layer.name for layer in stack.layers] == 3 * [
      "layer_000", "layer_001", "layer_002"]
  assert len({id(layer) for layer in stack.layers}) == 9


def test_named_layers_get_the_releases_names():
  stack = make_stack([("self_attention", transformer_layers.SelfAttention),
                      ("dense_relu_dense", transformer_layers.DenseReluDense)])
  assert stack.layers_per_block == 2
  assert [layer.name for layer in stack.layers] == 3 * [
      "self_attention", "dense_relu_dense"]


def test_names_without_block_scope_are_refused():
  with pytest.raises(ValueError, match="block_scope = True"):
    make_stack([transformer_layers.SelfAttention], block_scope=False)


# ---------------------------------------------------------------------------
# Loss, gradients and decodes on the same weights.


@dataclasses.dataclass
class Run:
  loss: float
  gradients: dict  # variable name -> gradient of the loss
  values: dict     # variable name -> initial value
  decoded: dict    # "greedy", "beam", "teacher_forced_argmax" -> ids


def run_model(gin_params, weights=None, decode=True):
  """Loss and gradients of the tiny model (untied softmax), and its
  decodes if `decode`."""
  features = mesh_run.random_features(VOCAB, BATCH, LENGTHS)
  gin_params = gin_params + [UNTIED_SOFTMAX, "dropout_rate = 0.0"]
  with gin_config.parsed(FILES, gin_params), \
      tf.Graph().as_default():
    tf.set_random_seed(0)
    graph = model_graph.build_training_graph(VOCAB, BATCH, LENGTHS,
                                             features=features)
    decoded = decodes(graph, features["inputs"]) if decode else {}
    outputs = [graph.loss] + list(decoded.values()) + graph.gradients
    with lowering.open_session(graph.graph, graph.mesh, outputs,
                               initial_values=weights) as run:
      values = run.session.run(run.outputs)
  names = [v.name for v in graph.variables]
  return Run(values[0], dict(zip(names, values[1 + len(decoded):])),
             run.initial_values, dict(zip(decoded, values[1:])))


def decodes(graph, inputs_np):
  """Greedy and beam decodes, and the teacher-forced argmax of greedy's."""
  inputs = mtf.import_fully_replicated(
      graph.mesh, tf.constant(inputs_np), mtf.Shape([
          mtf.Dimension(dimensions.BATCH, BATCH),
          mtf.Dimension(dimensions.LENGTH, LENGTHS["inputs"])]))
  length = LENGTHS["targets"]
  greedy = graph.model.decode(inputs, variable_dtype=DTYPE, temperature=0.0,
                              max_decode_length=length)
  beam = graph.model.decode(inputs, variable_dtype=DTYPE, beam_size=2,
                            max_decode_length=length)
  with tf.variable_scope(tf.get_variable_scope(), reuse=True):
    logits, _ = graph.model.call_simple(inputs, greedy, compute_loss=False,
                                        mode="eval", variable_dtype=DTYPE)
  return {"greedy": greedy, "beam": beam, "teacher_forced_argmax":
          mtf.argmax(logits, logits.shape.dims[-1])}


@pytest.fixture(scope="module")
def shared_run():
  return run_model([shared_binding(stack) for stack in STACKS])


def copies_of(values, name_of_shared):
  """(name, shape) -> the shared model's value of the shared variable."""
  return lambda name, shape: values[name_of_shared(name)]


def test_greedy_decode_matches_teacher_forced_argmax(shared_run):
  decoded = shared_run.decoded
  compared = 0
  for ids, predicted in zip(decoded["greedy"],
                            decoded["teacher_forced_argmax"]):
    for position, token in enumerate(ids):
      if token == 0:  # decoding stopped (after EOS)
        break
      assert predicted[position] == token
      compared += 1
  assert compared >= 9, decoded


def test_gradient_of_a_shared_weight_is_the_sum_over_the_blocks(shared_run):
  """The unshared stacks with every block's copy equal to the shared
  weight: the same function, so the same loss and decodes."""
  unshared = run_model([], copies_of(shared_run.values, unblocked))
  assert {unblocked(n) for n in unshared.gradients} == set(
      shared_run.gradients)
  for name, gradient in shared_run.gradients.items():
    copies = [g for n, g in unshared.gradients.items()
              if unblocked(n) == name]
    per_block = (BLOCK_LAYER.match(name)
                 and not name.endswith("relative_attention_bias"))
    assert len(copies) == (NUM_LAYERS if per_block else 1), name
    np.testing.assert_allclose(sum(copies), gradient, rtol=1e-4, atol=1e-6,
                               err_msg=name)
  assert unshared.loss == pytest.approx(shared_run.loss, rel=1e-6)
  for ids in ("greedy", "beam"):
    np.testing.assert_array_equal(unshared.decoded[ids],
                                  shared_run.decoded[ids])


def test_equals_the_releases_sharing_for_equal_weights(shared_run):
  """mtf's block_scope = False with the release's named layers: the same
  variables under the release's names, the same losses and gradients."""
  release = run_model(
      [b for stack in STACKS for b in release_bindings(stack)],
      copies_of(shared_run.values, released), decode=False)
  assert "decoder/enc_dec_attention/layer_norm/gain" in release.values
  assert {released(n): v.shape for n, v in release.values.items()} == {
      n: v.shape for n, v in shared_run.values.items()}
  assert release.loss == pytest.approx(shared_run.loss, rel=1e-6)
  for name, gradient in release.gradients.items():
    np.testing.assert_allclose(gradient, shared_run.gradients[released(name)],
                               rtol=1e-5, atol=1e-7, err_msg=name)
