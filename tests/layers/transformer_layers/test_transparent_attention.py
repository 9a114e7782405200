"""Transparent attention (Narang et al. 2021, Sec. 2.7): its equation in
numpy, mtf 0.1.21's TransparentEncDecAttention (which the study used) as a
reference for equal weights, its initializer, and greedy decoding of a tiny
Bitransformer with it against teacher forcing.

The layer tests run two decoder modules' layers (decoder layer indices 1 and
4, modules of 3 layers) over the outputs of an encoder of 2 modules of 2
layers: 5 layer outputs, of which the input and modules' outputs (0, 2, 4)
are mixed, each layer by its own column of the one shared weight w.
"""
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer_layers
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import lowering
from mtf_mods.model import model_graph
from mtf_mods.layers import dimensions
from mtf_mods.layers.transformer_layers import transparent_attention
from mtf_test_utils import parameter_count, random_weights, run_layer
from mtf_test_utils import variable

BATCH, LENGTH, MEMORY_LENGTH, D_MODEL = 2, 3, 4, 8
LAYERS_PER_ENCODER_MODULE, ENCODER_MODULES = 2, 2
LAYERS_PER_DECODER_MODULE, DECODER_MODULES = 3, 2
# The encoder-decoder attention of decoder modules 0 and 1.
LAYER_INDICES = (1, 4)
# The paper's setting, for any number of layers (original_code_notes.md 1g).
BINDINGS = [
    "decoder/transformer.make_layer_stack.layers = ["
    "@mtf_mods.MultiHeadSelfAttention, @mtf_mods.TransparentEncDecAttention,"
    " @mtf_mods.FeedForward]",
    "mtf_mods.TransparentEncDecAttention.num_heads = %num_heads",
    "mtf_mods.TransparentEncDecAttention.key_value_size = %d_kv",
    "mtf_mods.TransparentEncDecAttention.dropout_rate = %dropout_rate",
    "mtf_mods.TransparentEncDecAttention.layers_per_encoder_module = 2",
    "mtf_mods.TransparentEncDecAttention.layers_per_decoder_module = 3",
    "mtf_mods.TransparentEncDecAttention.encoder_num_modules = %num_layers",
    "mtf_mods.TransparentEncDecAttention.decoder_num_modules = %num_layers",
]


def softmax(x, axis=-1):
  e = np.exp(x - x.max(axis, keepdims=True))
  return e / e.sum(axis, keepdims=True)


def kit_layer(encoder_num_modules=ENCODER_MODULES,
              decoder_num_modules=DECODER_MODULES,
              layers_per_encoder_module=LAYERS_PER_ENCODER_MODULE):
  return transparent_attention.TransparentEncDecAttention(
      num_heads=2, key_value_size=4,
      layers_per_encoder_module=layers_per_encoder_module,
      layers_per_decoder_module=LAYERS_PER_DECODER_MODULE,
      encoder_num_modules=encoder_num_modules,
      decoder_num_modules=decoder_num_modules)


def mtf_layer():
  return transformer_layers.TransparentEncDecAttention(
      num_heads=2, key_value_size=4,
      layers_per_encoder_module=LAYERS_PER_ENCODER_MODULE,
      layers_per_decoder_module=LAYERS_PER_DECODER_MODULE,
      encoder_num_modules=ENCODER_MODULES,
      decoder_num_modules=DECODER_MODULES)


def run(layer, x, encoder_outputs, weights):
  """`layer` at each of LAYER_INDICES (scopes layer_0, layer_1) on x, in a
  decoder context whose encoder's layer outputs are `encoder_outputs`
  [layers + 1, batch, memory_length, d_model]; returns (the two outputs
  [2, batch, length, d_model], variables)."""
  batch_dim = mtf.Dimension(dimensions.BATCH, BATCH)
  length_dim = mtf.Dimension(dimensions.LENGTH, LENGTH)
  model_dim = mtf.Dimension(dimensions.D_MODEL, D_MODEL)
  encoder_length_dim = mtf.Dimension(dimensions.LENGTH, MEMORY_LENGTH)
  memory_dim = mtf.Dimension(dimensions.MEMORY_LENGTH, MEMORY_LENGTH)
  inputs = {"x": (x, [batch_dim, length_dim, model_dim]),
            "encoder_output": (encoder_outputs[-1],
                               [batch_dim, memory_dim, model_dim])}
  for i, h in enumerate(encoder_outputs):
    inputs["h%d" % i] = (h, [batch_dim, encoder_length_dim, model_dim])

  def build(context, tensors):
    context.encoder_layer_outputs = [
        tensors["h%d" % i] for i in range(len(encoder_outputs))]
    ys = []
    for n, layer_index in enumerate(LAYER_INDICES):
      context.layer_index = layer_index
      with tf.variable_scope("layer_%d" % n):
        ys.append(layer.call(context, tensors["x"]))
    return mtf.stack(ys, "layers")
  return run_layer(build, inputs, model_dim, length_dim, [batch_dim],
                   weights=weights, autoregressive=True)


def random_inputs(seed):
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(BATCH, LENGTH, D_MODEL)).astype(np.float32)
  encoder_outputs = rng.normal(size=(
      LAYERS_PER_ENCODER_MODULE * ENCODER_MODULES + 1, BATCH, MEMORY_LENGTH,
      D_MODEL)).astype(np.float32)
  return x, encoder_outputs


def test_matches_numpy():
  """m_j = sum_i softmax_i(w)_ij h_i over h_0, h_2, h_4, then attention of
  x over m_j with the layer's q, k, v, o; one w for both layers."""
  x, encoder_outputs = random_inputs(0)
  y, values = run(kit_layer(), x, encoder_outputs, random_weights(0))
  assert [name for name in values if name.split("/")[-1] == "w"] == [
      "layer_0/w"]
  mixture = softmax(values["layer_0/w"], axis=0)  # [modules + 1, decoder]
  assert mixture.shape == (ENCODER_MODULES + 1, DECODER_MODULES)
  module_outputs = encoder_outputs[::LAYERS_PER_ENCODER_MODULE]
  for n, layer_index in enumerate(LAYER_INDICES):
    memory = np.einsum("i,ibmd->bmd",
                       mixture[:, layer_index // LAYERS_PER_DECODER_MODULE],
                       module_outputs)
    wq, wk, wv, wo = (variable(values, "layer_%d/%s/kernel" % (n, name))
                      for name in "qkvo")
    q = np.einsum("bld,dhk->bhlk", x, wq)
    k = np.einsum("bmd,dhk->bhmk", memory, wk)
    v = np.einsum("bmd,dhk->bhmk", memory, wv)
    weights = softmax(np.einsum("bhlk,bhmk->bhlm", q, k))
    expected = np.einsum("bhlm,bhmk,hkd->bld", weights, v, wo)
    np.testing.assert_allclose(y[n], expected, rtol=1e-4, atol=1e-4)


def test_equals_mtfs_transparent_attention():
  """Same variables and outputs as mtf's layer for the same weights: its
  w is ours (same name and shape), its q, k, v, o kernels ours with heads
  and d_kv merged into one dimension."""
  x, encoder_outputs = random_inputs(1)
  y, values = run(kit_layer(), x, encoder_outputs,
                  random_weights(7, scale=1.0))
  theirs = {name[:-len("/kernel")] if name.endswith("/kernel") else name:
            value for name, value in values.items()}
  y_mtf, mtf_values = run(mtf_layer(), x, encoder_outputs,
                          lambda name, shape: theirs[name].reshape(shape))
  assert sorted(mtf_values) == sorted(theirs)
  assert parameter_count(mtf_values) == parameter_count(values)
  np.testing.assert_allclose(y, y_mtf, rtol=1e-5, atol=1e-5)


def test_mixing_weight_is_normal_with_variance_one_over_encoder_outputs():
  """w ~ N(0, 1 / (N_enc + 1)), as mtf's (without unit scaling), over a
  [100, 100] w: 100 encoder outputs (modules of one layer)."""
  x, encoder_outputs = random_inputs(2)
  layer = kit_layer(encoder_num_modules=99, decoder_num_modules=100,
                    layers_per_encoder_module=1)
  _, values = run(layer, x, np.repeat(encoder_outputs[:1], 100, axis=0),
                  None)
  w = values["layer_0/w"]
  assert w.shape == (100, 100)
  assert w.std() == pytest.approx(0.1, rel=0.03)
  assert abs(w.mean()) < 0.003


def test_wrong_numbers_of_modules_are_refused():
  x, encoder_outputs = random_inputs(3)
  with pytest.raises(ValueError, match="encoder_num_modules"):
    run(kit_layer(encoder_num_modules=3), x, encoder_outputs, None)
  with pytest.raises(ValueError, match="decoder_num_modules"):
    run(kit_layer(decoder_num_modules=1), x, encoder_outputs, None)


# ---------------------------------------------------------------------------
# Decoding a tiny Bitransformer (scales/tiny.gin: 2 layers per stack).

VOCAB = 256  # a multiple of 128: no padding ids to decode
DTYPE = mtf.VariableDType(tf.float32, tf.float32, tf.float32)
# With a tied softmax the randomly initialized model decodes one token again
# and again (as in tests/layers/stacks/test_shared.py); untied, it decodes
# varied ids that depend on the (padded) inputs.
UNTIED_SOFTMAX = (
    "transformer.Unitransformer.shared_embedding_and_softmax_weights = False")


def mixing_weight_of_std_1(seed=0):
  """Initial values: the initializers', but w ~ N(0, 1), so that the
  mixtures differ from one another and from a uniform average."""
  rng = np.random.default_rng(seed)
  return lambda name, shape: (rng.normal(size=shape).astype(np.float32)
                              if name.endswith("/w") else None)


def test_greedy_decode_matches_teacher_forced_argmax():
  """Incremental decoding (the mixtures' keys and values as constant state,
  the encoder's padding masked) equals the full computation: the argmax of
  the teacher-forced logits of the decoded ids is those ids."""
  batch, input_length, target_length = 3, 8, 6
  inputs_np = np.random.default_rng(0).integers(
      2, VOCAB, size=(batch, input_length)).astype(np.int32)
  for row, tokens in enumerate((8, 5, 2)):
    inputs_np[row, tokens:] = 0  # padding
  with gin_config.parsed(["models/baseline.gin", "scales/tiny.gin"],
                         BINDINGS + [UNTIED_SOFTMAX, "dropout_rate = 0.0"]), \
      tf.Graph().as_default():
    tf.set_random_seed(0)
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    model = model_graph.make_model(VOCAB)
    inputs = mtf.import_fully_replicated(
        mesh, tf.constant(inputs_np), mtf.Shape([
            mtf.Dimension(dimensions.BATCH, batch),
            mtf.Dimension(dimensions.LENGTH, input_length)]))
    ids = model.decode(inputs, variable_dtype=DTYPE, temperature=0.0,
                       max_decode_length=target_length)
    with tf.variable_scope(tf.get_variable_scope(), reuse=True):
      logits, _ = model.call_simple(inputs, ids, compute_loss=False,
                                    mode="eval", variable_dtype=DTYPE)
    argmax = mtf.argmax(logits, logits.shape.dims[-1])
    with lowering.open_session(graph, mesh, [ids, argmax],
                               initial_values=mixing_weight_of_std_1()) as s:
      decoded, predicted = s.session.run(s.outputs)
      names = list(s.initial_values)
  assert "decoder/block_000/layer_001/TransparentEncDecAttention/w" in names
  compared = 0
  for row_ids, row_predicted in zip(decoded, predicted):
    for position, token in enumerate(row_ids):
      if token == 0:  # decoding stopped (after EOS)
        break
      assert row_predicted[position] == token, (decoded, predicted)
      compared += 1
  assert compared >= 2 * batch, decoded
  assert len({tuple(row_ids) for row_ids in decoded}) == batch, decoded
