"""The Funnel Transformer encoder (Narang et al. 2021, Sec. 2.7):
FunnelLayerStack and FunnelBitransformer.

The pooling over 3 blocks against numpy (with its positions and padding);
the decoder's encoder-decoder attention over the pooled encoder output
against numpy; the tiny funnel model against mtf 0.1.21's
FunnelTransformerLayerStack and BitransformerFunnel for equal weights (loss,
gradients, greedy and beam decodes); training on one device and on a 2x2
mesh; greedy decoding against teacher forcing; the sizes at paper scale.

The tiny models have an encoder of 3 layers, one per block: inputs of 8
positions reach the decoder as 2 (8 -> 4 -> 2).
"""
import re
import types

import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import funnel_transformer  # noqa: F401  (gin)
from mesh_tensorflow.transformer import transformer
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import lowering
from mtf_mods.model import model_graph
from mtf_mods.layers import dimensions
from mtf_mods.layers.stacks import funnel
from mtf_mods.layers.transformer_layers import attention
from mtf_test_utils import variable

FILES = ["models/baseline.gin", "scales/tiny.gin"]
VOCAB = 256  # a multiple of 128: no padding ids to decode
DTYPE = mtf.VariableDType(tf.float32, tf.float32, tf.float32)
FUNNEL = [
    "encoder/transformer.make_layer_stack.layer_stack_cls = "
    "@mtf_mods.FunnelLayerStack",
    "transformer.make_bitransformer.bitransformer_cls = "
    "@mtf_mods.FunnelBitransformer",
]
THREE_BLOCKS = ["encoder/transformer.make_layer_stack.num_layers = 3"]
# As in the other decoding tests: with a tied softmax the randomly
# initialized model decodes one token again and again.
UNTIED_SOFTMAX = (
    "transformer.Unitransformer.shared_embedding_and_softmax_weights = False")
# mtf's funnel with the kit's baseline sublayers, 3 blocks of 1 layer.
MTF_STACK = "funnel_transformer.FunnelTransformerLayerStack"
MTF_FUNNEL = [
    "encoder/transformer.make_layer_stack.layer_stack_cls = @%s" % MTF_STACK,
    "transformer.make_bitransformer.bitransformer_cls = "
    "@funnel_transformer.BitransformerFunnel",
    "%s.n_blocks = 3" % MTF_STACK,
    "%s.block_param_size = [1, 1, 1]" % MTF_STACK,
    "%s.block_repeat_size = [1, 1, 1]" % MTF_STACK,
    "%s.n_submodules = 2" % MTF_STACK,
    "%s.sublayers_initial = [@transformer.sublayer_dropout]" % MTF_STACK,
    "%s.sublayers_per_layer = [@mtf_mods.sublayer_layer_norm, "
    "@transformer.sublayer_call_layer, @transformer.sublayer_dropout, "
    "@transformer.sublayer_residual]" % MTF_STACK,
    "%s.sublayers_final = [@mtf_mods.sublayer_layer_norm, "
    "@transformer.sublayer_dropout]" % MTF_STACK,
]
BATCH, INPUT_LENGTH, TARGET_LENGTH = 3, 8, 6
REAL_INPUT_LENGTHS = (8, 5, 2)  # the rest of each row is padding


def padded_features(seed=0):
  rng = np.random.default_rng(seed)
  inputs = rng.integers(2, VOCAB, size=(BATCH, INPUT_LENGTH), dtype=np.int32)
  for row, length in enumerate(REAL_INPUT_LENGTHS):
    inputs[row, length:] = 0
  targets = rng.integers(2, VOCAB, size=(BATCH, TARGET_LENGTH),
                         dtype=np.int32)
  return {"inputs": inputs, "targets": targets}


# ---------------------------------------------------------------------------
# numpy references.


def np_pool(x, ids, exclude_padding=False):
  """Means of pairs of positions (axis 1) and the ids of the pairs."""
  batch, length = ids.shape
  pairs = x.reshape(batch, length // 2, 2, -1)
  pair_ids = ids.reshape(batch, length // 2, 2)
  if exclude_padding:
    w = (pair_ids != 0).astype(x.dtype)[..., None]
    pooled = (pairs * w).sum(2) / np.maximum(w.sum(2), 1.0)
  else:
    pooled = pairs.mean(2)
  return pooled, pair_ids.max(2)


def np_softmax(x, axis=-1):
  e = np.exp(x - x.max(axis, keepdims=True))
  return e / e.sum(axis, keepdims=True)


# ---------------------------------------------------------------------------
# The stack alone: pooling, positions, padding.


class Probe(transformer.TransformerLayer):
  """Returns zeros (the residual carries x through unchanged) and records
  the length, positions and sequence ids the layer sees."""

  def __init__(self):
    self.seen = []

  def call(self, context, x):
    self.seen.append((context.length_dim.size, context.position,
                      context.sequence_id))
    return x * 0.0


def probe_stack(num_layers=3, **kwargs):
  """A FunnelLayerStack of num_layers layers of two Probes each."""
  probes = []

  def make_probe():
    probes.append(Probe())
    return probes[-1]
  stack = transformer.make_layer_stack(
      layers=[make_probe, make_probe], num_layers=num_layers,
      layer_stack_cls=lambda layers: funnel.FunnelLayerStack(
          layers, sublayers_initial=[],
          sublayers_per_layer=[transformer.sublayer_call_layer,
                               transformer.sublayer_residual],
          sublayers_final=[], **kwargs))
  return stack, probes


def run_stack(stack, probes, x, ids):
  """The stack's output, the context after it, what each probe saw, and
  stack.pooled_sequence_id(ids), as numpy."""
  batch, length, d_model = x.shape
  with tf.Graph().as_default():
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    batch_dim = mtf.Dimension(dimensions.BATCH, batch)
    length_dim = mtf.Dimension(dimensions.LENGTH, length)
    model_dim = mtf.Dimension(dimensions.D_MODEL, d_model)
    mtf_x = mtf.import_fully_replicated(
        mesh, tf.constant(x), mtf.Shape([batch_dim, length_dim, model_dim]))
    mtf_ids = mtf.import_fully_replicated(
        mesh, tf.constant(ids), mtf.Shape([batch_dim, length_dim]))
    context = transformer.Context(
        model=types.SimpleNamespace(model_dim=model_dim), mesh=mesh,
        batch_dims=[batch_dim], length_dim=length_dim, variable_dtype=DTYPE,
        mode="eval", position=mtf.range(mesh, length_dim, tf.int32),
        position_is_default=True, sequence_id=mtf_ids)
    y = stack.call(context, mtf_x)
    seen = [s for probe in probes for s in probe.seen]
    outputs = ([y, context.position, context.sequence_id,
                stack.pooled_sequence_id(mtf_ids, length_dim)]
               + [t for _, position, ids_seen in seen
                  for t in (position, ids_seen)])
    with lowering.open_session(graph, mesh, outputs) as run:
      values = run.session.run(run.outputs)
  y, position, final_ids, pooled_ids = values[:4]
  seen = [(length, values[4 + 2 * i], values[5 + 2 * i])
          for i, (length, _, _) in enumerate(seen)]
  return y, context.length_dim.size, position, final_ids, pooled_ids, seen


def padded_stack_inputs(seed=0):
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(BATCH, INPUT_LENGTH, 4)).astype(np.float32)
  ids = (np.arange(INPUT_LENGTH)[None, :]
         < np.array(REAL_INPUT_LENGTHS)[:, None]).astype(np.int32)
  return x, ids


@pytest.mark.parametrize("exclude_padding", [False, True],
                         ids=["mtf_mean", "mean_without_padding"])
def test_pooling_over_three_blocks_matches_numpy(exclude_padding):
  """Three blocks of one layer (two sub-layers): blocks 2 and 3 pool the
  output of their first sub-layer. Each pooling takes the means of pairs of
  positions (with or without the padding positions), the pairs' largest
  ids, and positions 0..n/2-1; the stack's output is masked by the last
  ids, which the decoder gets from pooled_sequence_id."""
  stack, probes = probe_stack(exclude_padding_from_mean=exclude_padding)
  assert (stack.layers_per_block, stack.pool_after) == (1, {2, 4})
  x, ids = padded_stack_inputs()
  y, length, position, final_ids, pooled_ids, seen = run_stack(
      stack, probes, x, ids)

  once, once_ids = np_pool(x, ids, exclude_padding)
  twice, twice_ids = np_pool(once, once_ids, exclude_padding)
  np.testing.assert_array_equal(once_ids, [[1, 1, 1, 1], [1, 1, 1, 0],
                                           [1, 0, 0, 0]])
  np.testing.assert_array_equal(twice_ids, [[1, 1], [1, 1], [1, 0]])
  np.testing.assert_allclose(y, twice * twice_ids[..., None], rtol=1e-6,
                             atol=1e-6)
  assert length == 2
  np.testing.assert_array_equal(position, [0, 1])
  np.testing.assert_array_equal(final_ids, twice_ids)
  np.testing.assert_array_equal(pooled_ids, twice_ids)
  # What each sub-layer saw: blocks 1, 2 (whose first sub-layer reads the
  # unpooled sequence), 3.
  expected_ids = [ids, ids, ids, once_ids, once_ids, twice_ids]
  assert [s[0] for s in seen] == [8, 8, 8, 4, 4, 2]
  for (length_seen, position_seen, ids_seen), want in zip(seen,
                                                          expected_ids):
    np.testing.assert_array_equal(position_seen, np.arange(length_seen))
    np.testing.assert_array_equal(ids_seen, want)
  if exclude_padding:
    # Row 1's third pair is its fifth (last real) position alone.
    np.testing.assert_allclose(once[1, 2], x[1, 4], rtol=1e-6)


def test_pooling_between_blocks_pools_each_blocks_last_output():
  stack, probes = probe_stack(pool_between_blocks=True)
  assert stack.pool_after == {1, 3}
  x, ids = padded_stack_inputs(1)
  y, _, _, _, _, seen = run_stack(stack, probes, x, ids)
  assert [s[0] for s in seen] == [8, 8, 4, 4, 2, 2]
  twice, twice_ids = np_pool(*np_pool(x, ids))
  np.testing.assert_allclose(y, twice * twice_ids[..., None], rtol=1e-6,
                             atol=1e-6)


def test_packed_inputs_fail_loudly():
  stack, probes = probe_stack()
  x, ids = padded_stack_inputs()
  ids[0, 4:] = 2  # a second example packed into row 0
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=re.escape(funnel.PACKING_ERROR)):
    run_stack(stack, probes, x, ids)


def test_lengths_that_do_not_pool_are_refused():
  stack, probes = probe_stack()
  x, ids = padded_stack_inputs()
  with pytest.raises(ValueError, match="cannot pool length of size 3 by 2"):
    run_stack(stack, probes, x[:, :6], ids[:, :6])  # 6 -> 3 -> ?


def test_bad_configurations_are_refused():
  with pytest.raises(ValueError, match="multiple of num_blocks"):
    probe_stack(num_layers=4)
  assert probe_stack(num_layers=2)[0].num_blocks == 2  # a block per layer
  with pytest.raises(ValueError, match="needs pooling_type"):
    probe_stack(exclude_padding_from_mean=True, pooling_type="max")
  with pytest.raises(ValueError, match="block_scope = True"):
    transformer.make_layer_stack(
        layers=[Probe], num_layers=3, block_scope=False,
        layer_stack_cls=funnel.FunnelLayerStack)
  with gin_config.parsed(FILES, FUNNEL[1:]), \
      pytest.raises(ValueError, match="FunnelBitransformer needs"):
    model_graph.make_model(VOCAB)


# ---------------------------------------------------------------------------
# Whole models.


def build(gin_params, features, outputs_fn, initial_values=None):
  """Builds the tiny model's training graph on `features` and runs
  outputs_fn(graph, mtf inputs) -> {name: mtf.Tensor}; returns
  ({name: value}, {variable name: initial value})."""
  params = FILES, gin_params + [UNTIED_SOFTMAX, "dropout_rate = 0.0"]
  with gin_config.parsed(*params), tf.Graph().as_default():
    tf.set_random_seed(0)
    lengths = {key: value.shape[1] for key, value in features.items()}
    graph = model_graph.build_training_graph(
        VOCAB, BATCH, lengths, features=features)
    inputs = mtf.import_fully_replicated(
        graph.mesh, tf.constant(features["inputs"]), mtf.Shape([
            mtf.Dimension(dimensions.BATCH, BATCH),
            mtf.Dimension(dimensions.LENGTH, INPUT_LENGTH)]))
    outputs = outputs_fn(graph, inputs)
    with lowering.open_session(graph.graph, graph.mesh,
                               list(outputs.values()),
                               initial_values=initial_values) as run:
      values = run.session.run(run.outputs)
  return dict(zip(outputs, values)), run.initial_values


def test_encoder_decoder_attention_over_the_pooled_output_matches_numpy(
    monkeypatch):
  """The decoder's first encoder-decoder attention in training: its memory
  is the encoder output of 8 / 4 = 2 positions, and a memory position is
  hidden where its window of 4 inputs is all padding (row 2's second)."""
  recorded = []
  call = attention.MultiHeadEncDecAttention.call

  def recording_call(self, context, x, losses=None):
    y = call(self, context, x, losses)
    recorded.append({"x": x, "memory": context.encoder_output, "y": y})
    return y
  monkeypatch.setattr(attention.MultiHeadEncDecAttention, "call",
                      recording_call)

  def outputs(graph, inputs):
    del graph, inputs
    first = recorded[0]  # decoder/block_000/layer_001
    assert first["memory"].shape.dims[1] == mtf.Dimension(
        dimensions.MEMORY_LENGTH, 2)
    return first
  features = padded_features(1)
  out, values = build(FUNNEL + THREE_BLOCKS, features, outputs)
  scope = "decoder/block_000/layer_001/MultiHeadEncDecAttention/"
  wq, wk, wv, wo = (variable(values, scope + name + "/kernel")
                    for name in "qkvo")
  q = np.einsum("bld,dhk->bhlk", out["x"], wq)
  k = np.einsum("bmd,dhk->bhmk", out["memory"], wk)
  v = np.einsum("bmd,dhk->bhmk", out["memory"], wv)
  windows = features["inputs"].reshape(BATCH, 2, 4)
  visible = (windows != 0).any(-1)  # the decoder's ids are all 1
  np.testing.assert_array_equal(visible, [[1, 1], [1, 1], [1, 0]])
  logits = np.einsum("bhlk,bhmk->bhlm", q, k)
  logits += np.where(visible, 0.0, -1e9)[:, None, None, :]
  expected = np.einsum("bhlm,bhmk,hkd->bld", np_softmax(logits), v, wo)
  np.testing.assert_allclose(out["y"], expected, rtol=1e-4, atol=1e-5)


def decodes(graph, inputs):
  """Loss, greedy and beam decodes, and the teacher-forced argmax of the
  greedy decode."""
  greedy = graph.model.decode(inputs, variable_dtype=DTYPE, temperature=0.0,
                              max_decode_length=TARGET_LENGTH)
  beam = graph.model.decode(inputs, variable_dtype=DTYPE, beam_size=2,
                            max_decode_length=TARGET_LENGTH)
  with tf.variable_scope(tf.get_variable_scope(), reuse=True):
    logits, _ = graph.model.call_simple(inputs, greedy, compute_loss=False,
                                        mode="eval", variable_dtype=DTYPE)
  outputs = {"loss": graph.loss, "greedy": greedy, "beam": beam,
             "teacher_forced_argmax": mtf.argmax(logits,
                                                 logits.shape.dims[-1])}
  outputs.update({v.name: g for v, g in zip(graph.variables,
                                            graph.gradients)})
  return outputs


@pytest.fixture(scope="module")
def funnel_run():
  return build(FUNNEL + THREE_BLOCKS, padded_features(), decodes)


def test_greedy_decode_matches_teacher_forced_argmax(funnel_run):
  """Incremental decoding over the pooled encoder output (its keys and
  values as constant state, the windows of padding hidden) equals the full
  computation: the argmax of the teacher-forced logits of the decoded ids
  is those ids, for padded inputs."""
  out, _ = funnel_run
  compared = 0
  for ids, predicted in zip(out["greedy"], out["teacher_forced_argmax"]):
    for position, token in enumerate(ids):
      if token == 0:  # decoding stopped (after EOS)
        break
      assert predicted[position] == token, out
      compared += 1
  assert compared >= 2 * BATCH, out["greedy"]
  assert len({tuple(ids) for ids in out["greedy"]}) == BATCH, out["greedy"]


def mtf_name(name):
  """mtf's name of the kit's variable `name` (1 layer per block)."""
  return re.sub(r"^encoder/block_(\d+)/layer_(\d+)/",
                r"encoder/funnel_block_\1/param_idx_000/submodule_\2/", name)


def test_equals_mtfs_funnel_for_equal_weights(funnel_run):
  """mtf's FunnelTransformerLayerStack (3 blocks of 1 layer, the kit's
  baseline sublayers) and BitransformerFunnel on the same weights, under
  mtf's names: the same loss, gradients, greedy and beam decodes, on
  inputs whose padding leaves a window half padding (row 1, 5 tokens)."""
  out, values = funnel_run
  kit_names = {mtf_name(name): name for name in values}
  theirs, their_values = build(
      MTF_FUNNEL + THREE_BLOCKS, padded_features(), decodes,
      lambda name, shape: values[kit_names[name]])
  assert sorted(their_values) == sorted(kit_names)
  assert "encoder/funnel_block_002/param_idx_000/submodule_001/FeedForward/" \
         "wo/kernel" in their_values
  assert theirs["loss"] == pytest.approx(out["loss"], rel=1e-6)
  for name in ("greedy", "beam"):
    np.testing.assert_array_equal(theirs[name], out[name])
  for name, kit_name in kit_names.items():
    np.testing.assert_allclose(theirs[name], out[kit_name], rtol=1e-4,
                               atol=1e-6, err_msg=name)


@pytest.mark.parametrize("bindings, length", [
    (FUNNEL, 3),
    # mtf's BitransformerFunnel.decode is gin's "BitransformerFunnel.decode":
    # the binding is lost and the decode as long as the inputs.
    (MTF_FUNNEL, INPUT_LENGTH)], ids=["kit", "mtf"])
def test_decode_reads_the_bitransformers_decode_bindings(bindings, length):
  """The kit's budgets bind Bitransformer.decode.max_decode_length."""
  params = bindings + THREE_BLOCKS + [
      "Bitransformer.decode.max_decode_length = 3"]
  with gin_config.parsed(FILES, params), tf.Graph().as_default():
    mesh = mtf.Mesh(mtf.Graph(), "mesh")
    model = model_graph.make_model(VOCAB)
    inputs = mtf.zeros(mesh, mtf.Shape([
        mtf.Dimension(dimensions.BATCH, BATCH),
        mtf.Dimension(dimensions.LENGTH, INPUT_LENGTH)]), dtype=tf.int32)
    ids = model.decode(inputs, variable_dtype=DTYPE)
  assert ids.shape.dims[-1].size == length


# ---------------------------------------------------------------------------
# Sizes.


def test_the_release_rms_norm_binds_to_the_funnel_encoder_alone():
  """The stack keeps the baseline's layer norm (transformer.LayerStack's
  sublayers); the release's RMS norm binds to FunnelLayerStack only. No
  new weights either way."""
  params = FUNNEL + THREE_BLOCKS
  baseline = model_graph.measure(FILES, THREE_BLOCKS, VOCAB).signature
  assert model_graph.measure(FILES, params, VOCAB).signature == baseline
  release = params + [
      "mtf_mods.FunnelLayerStack.sublayers_per_layer = ["
      "@transformer.sublayer_rms_norm, @transformer.sublayer_call_layer, "
      "@transformer.sublayer_dropout, @transformer.sublayer_residual]",
      "mtf_mods.FunnelLayerStack.sublayers_final = ["
      "@transformer.sublayer_rms_norm, @transformer.sublayer_dropout]"]
  names = model_graph.measure(FILES, release, VOCAB).signature
  norms = {name for name in names if "norm" in name}
  assert "encoder/block_002/layer_001/rms_norm/scale" in norms
  assert "encoder/rms_norm/scale" in norms
  assert not any(n.startswith("encoder/") and "layer_norm" in n
                 for n in norms)
  assert "decoder/block_001/layer_002/layer_norm/gain" in norms


def test_paper_scale_parameters_and_flops():
  """Table 1: 223M parameters, as the baseline (pooling has no weights);
  the encoder's pooling (512 -> 256 -> 128 positions) takes the training
  step to 0.70 of the baseline's FLOPs."""
  files = ["models/baseline.gin", "scales/paper.gin"]
  baseline = model_graph.measure(files, [], 32000)
  ours = model_graph.measure(files, FUNNEL, 32000)
  assert ours.parameters == baseline.parameters
  assert round(ours.parameters / 1e6) == 223
  assert ours.flops_per_step / baseline.flops_per_step == pytest.approx(
      0.701, abs=0.001)
