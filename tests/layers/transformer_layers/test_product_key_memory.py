"""Product key memory against its equations in numpy, against a brute-force
search over every full key at the paper's sizes, and against mtf 0.1.21's
memory_layers.ProductKeyValueMemory (the layer the study ran) for equal
weights: outputs, gradients, parameters. Also: its gradient reaches the
selected value rows only, a 2x2 mesh gives the single device's values, it
decodes position by position, and the kit's FLOP counter sees no einsum
over the n_keys^2 memory slots (mtf's layer has one).
"""
import types

import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import memory_layers
from mesh_tensorflow.transformer import transformer
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.model import lowering
from mtf_mods.model import model_graph
from mtf_mods import variants
from mtf_mods.layers import dimensions
from mtf_mods.layers.transformer_layers import product_key_memory as pkm
from model_sizes import size_at
from mtf_test_utils import parameter_count, random_weights, run_layer

BATCH = mtf.Dimension(dimensions.BATCH, 2)
LENGTH = mtf.Dimension(dimensions.LENGTH, 3)
D_MODEL = mtf.Dimension(dimensions.D_MODEL, 8)
SHAPE = [BATCH, LENGTH, D_MODEL]
X = np.random.default_rng(7).normal(size=(2, 3, 8)).astype(np.float32)
R = np.random.default_rng(8).normal(size=(2, 3, 8)).astype(np.float32)
SMALL = dict(key_size=8, n_keys=6, n_heads=2, knn=3)
# our variable -> mtf's
MTF_NAMES = {"query_norm/scale": "layer_prepostprocess/layer_norm/"
                                 "layer_norm_scale",
             "query_norm/bias": "layer_prepostprocess/layer_norm/"
                                "layer_norm_bias"}


def context_for(mesh, mode="eval", batch_dims=(BATCH,)):
  model = types.SimpleNamespace(
      model_dim=D_MODEL, ensemble_dims=[], ensemble_dim=None,
      fully_autoregressive=False, mesh_shape=mtf.Shape([]),
      layout=mtf.LayoutRules([]))
  return transformer.Context(
      model=model, mesh=mesh, batch_dims=list(batch_dims), length_dim=LENGTH,
      variable_dtype=mtf.VariableDType(tf.float32, tf.float32, tf.float32),
      mode=mode, position=mtf.range(mesh, LENGTH, tf.int32),
      position_is_default=True)


def run(layer, weights, x=X, with_gradients=False,
        mesh_shape=dimensions.SINGLE_DEVICE_MESH, layout_rules=""):
  """(output, {variable: value}, {variable: gradient of sum(output * R)})."""
  with tf.Graph().as_default():
    tf.set_random_seed(0)
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    mode = "train" if with_gradients else "eval"
    inputs = mtf.import_fully_replicated(mesh, tf.constant(x),
                                         mtf.Shape(SHAPE), name="x")
    y = layer.call(context_for(mesh, mode), inputs)
    outputs, names = [y], []
    if with_gradients:
      r = mtf.import_fully_replicated(mesh, tf.constant(R), y.shape)
      variables = graph.trainable_variables
      names = [v.name for v in variables]
      outputs += mtf.gradients([mtf.reduce_sum(y * r)],
                               [v.outputs[0] for v in variables])
    with lowering.open_session(graph, mesh, outputs, mesh_shape=mesh_shape,
                               layout_rules=layout_rules,
                               initial_values=weights) as lowered:
      values = lowered.session.run(lowered.outputs)
      return values[0], lowered.initial_values, dict(zip(names, values[1:]))


def softmax(a):
  e = np.exp(a - a.max(-1, keepdims=True))
  return e / e.sum(-1, keepdims=True)


def top(a, k):
  """Indices and values of the k largest along the last axis."""
  index = np.argsort(-a, axis=-1, kind="stable")[..., :k]
  return index, np.take_along_axis(a, index, -1)


def numpy_memory(x, w, n_keys, knn):
  """The module docstring's equations: (output, slots, read weights)."""
  q = np.einsum("...d,dhck->...hck", x, w["query/kernel"]) + w["query/bias"]
  centred = q - q.mean(-1, keepdims=True)
  q = centred / np.sqrt((centred ** 2).mean(-1, keepdims=True) + 1e-6)
  q = q * w["query_norm/scale"] + w["query_norm/bias"]
  scores = np.einsum("...hck,hcnk->...hcn", q, w["keys"])
  index, best = top(scores, knn)  # [.., heads, 2, knn]
  pair_scores = best[..., 0, :, None] + best[..., 1, None, :]
  pair_slots = index[..., 0, :, None] * n_keys + index[..., 1, None, :]
  flat = pair_scores.shape[:-2] + (knn * knn,)
  chosen, chosen_scores = top(pair_scores.reshape(flat), knn)
  slots = np.take_along_axis(pair_slots.reshape(flat), chosen, -1)
  p = softmax(chosen_scores)  # [.., heads, knn]
  return np.einsum("...hk,...hkd->...d", p, w["values"][slots]), slots, p


def test_memory_matches_numpy():
  layer = pkm.ProductKeyMemory(**SMALL)
  y, w, _ = run(layer, random_weights(1))
  expected, _, _ = numpy_memory(X, w, SMALL["n_keys"], SMALL["knn"])
  np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def brute_force_scores(queries, keys, block=64):
  """[queries, n_keys^2]: each query [q1; q2] against every full key
  [K1[i]; K2[j]] (slot i * n_keys + j), built block by block of i."""
  n_keys = keys.shape[1]
  q = queries.reshape(len(queries), -1).astype(np.float64)
  scores = []
  for start in range(0, n_keys, block):
    full = np.concatenate(
        [np.repeat(keys[0, start:start + block], n_keys, 0),
         np.tile(keys[1], (block, 1))], 1).astype(np.float64)
    scores.append(q @ full.T)
  return np.concatenate(scores, 1)


def test_product_search_equals_brute_force_at_the_papers_sizes():
  """knn 32 of 512^2 full keys of 128: the layer's candidates hold them."""
  n_keys, half, knn, heads = 512, 64, 32, 2
  rng = np.random.default_rng(3)
  queries = rng.normal(size=(4, heads, 2, half)).astype(np.float32)
  keys = rng.normal(size=(heads, 2, n_keys, half)).astype(np.float32)
  layer = pkm.ProductKeyMemory(key_size=2 * half, n_keys=n_keys,
                               n_heads=heads, knn=knn)
  dims = [mtf.Dimension(dimensions.BATCH, 4),
          mtf.Dimension(dimensions.HEADS, heads),
          mtf.Dimension(dimensions.KEY_HALVES, 2),
          mtf.Dimension(dimensions.D_PRODUCT_KEY, half)]
  keys_dim = mtf.Dimension(dimensions.PRODUCT_KEYS, n_keys)

  def build(context, inputs):
    scores = mtf.einsum([inputs["q"], inputs["keys"]],
                        output_shape=dims[:3] + [keys_dim])
    best, slots = layer.select(scores, keys_dim, dims[2])
    return mtf.stack([best, mtf.to_float(slots)], "outputs", 0)
  (best, slots), _ = run_layer(
      build, {"q": (queries, dims),
              "keys": (keys, dims[1:3] + [keys_dim, dims[3]])},
      D_MODEL, LENGTH, dims[:1])
  for h in range(heads):
    index, values = top(brute_force_scores(queries[:, h], keys[h]), knn)
    for b in range(4):
      assert set(slots[b, h].astype(int)) == set(index[b])
      np.testing.assert_allclose(np.sort(best[b, h]), np.sort(values[b]),
                                 rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("knn", [3, 5], ids=["iterative_top_k", "top_k_op"])
def test_equals_mtf_product_key_value_memory(knn):
  """Same variables, outputs and gradients for equal weights (mtf's
  mtf.top_k takes the iterative path below 5)."""
  sizes = dict(SMALL, knn=knn)
  y, w, grads = run(pkm.ProductKeyMemory(**sizes), random_weights(2),
                    with_gradients=True)
  theirs = {MTF_NAMES.get(n, n): v for n, v in w.items()}
  y_mtf, w_mtf, grads_mtf = run(
      memory_layers.ProductKeyValueMemory(**sizes),
      lambda name, shape: theirs[name], with_gradients=True)
  assert sorted(w_mtf) == sorted(theirs)
  assert {n: v.shape for n, v in w_mtf.items()} == {
      n: v.shape for n, v in theirs.items()}
  assert parameter_count(w_mtf) == parameter_count(w)
  np.testing.assert_allclose(y, y_mtf, rtol=1e-5, atol=1e-5)
  for name, grad in grads.items():
    np.testing.assert_allclose(grad, grads_mtf[MTF_NAMES.get(name, name)],
                               rtol=1e-4, atol=1e-5, err_msg=name)


def test_gradient_reaches_the_selected_value_rows_only():
  _, w, grads = run(pkm.ProductKeyMemory(**SMALL), random_weights(4),
                    with_gradients=True)
  _, slots, p = numpy_memory(X, w, SMALL["n_keys"], SMALL["knn"])
  expected = np.zeros_like(w["values"])
  # dL/dV[slot] = sum over positions, heads, picks of p * R
  np.add.at(expected, slots.reshape(-1),
            (p[..., None] * R[:, :, None, None, :]).reshape(-1, 8))
  np.testing.assert_allclose(grads["values"], expected, rtol=1e-4, atol=1e-5)
  untouched = np.setdiff1d(np.arange(SMALL["n_keys"] ** 2), slots)
  assert len(untouched) > 0
  assert not grads["values"][untouched].any()


def test_a_2x2_mesh_gives_the_single_devices_output_and_gradients():
  """Batch and heads split: the gathers run on each slice, the
  scatter-added value gradient is summed over both mesh axes."""
  layer = pkm.ProductKeyMemory(**SMALL)
  y, w, grads = run(layer, random_weights(5), with_gradients=True)
  y_mesh, _, grads_mesh = run(
      layer, lambda name, shape: w[name], with_gradients=True,
      mesh_shape=dimensions.MESH_2X2, layout_rules=dimensions.LAYOUT_RULES)
  np.testing.assert_allclose(y_mesh, y, rtol=1e-5, atol=1e-5)
  for name, grad in grads.items():
    np.testing.assert_allclose(grads_mesh[name], grad, rtol=1e-4, atol=1e-5,
                               err_msg=name)


def test_decodes_position_by_position():
  """Incremental decoding passes one position, [batch, d_model]: the
  output is that position's, with no state."""
  layer = pkm.ProductKeyMemory(**SMALL)
  y, w, _ = run(layer, random_weights(6))
  for position in range(3):
    step, _ = run_layer(
        lambda context, inputs: layer.call(context, inputs["x"]),
        {"x": (X[:, position], [BATCH, D_MODEL])}, D_MODEL, LENGTH, [BATCH],
        weights=lambda name, shape: w[name], mode="incremental")
    np.testing.assert_allclose(step, y[:, position], rtol=1e-5, atol=1e-5)


def formula_count(d_model, key_size, n_keys, n_heads):
  """mtf's layout: query kernel and bias, the query norm's scale and bias
  (key_size / 2 each), the sub-keys [heads, 2, n_keys, key_size / 2] and
  the n_keys^2 x d_model values."""
  return (n_heads * (d_model + 1) * key_size + key_size
          + 2 * n_heads * n_keys * key_size // 2 + n_keys ** 2 * d_model)


def build_graph(layer, d_model, length, mode="eval", gradients=False):
  """The layer's mtf graph on [2, length, d_model], never lowered."""
  model_dim = mtf.Dimension(dimensions.D_MODEL, d_model)
  length_dim = mtf.Dimension(dimensions.LENGTH, length)
  no_variable = lambda getter, name, *a, **k: types.SimpleNamespace(
      name=name + ":0")
  with tf.Graph().as_default(), tf.variable_scope(
      tf.get_variable_scope(), custom_getter=no_variable):
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    x = mtf.zeros(mesh, mtf.Shape([BATCH, length_dim, model_dim]))
    context = context_for(mesh, mode)
    context.model.model_dim = model_dim
    context.length_dim = length_dim
    y = layer.call(context, x)
    if gradients:
      mtf.gradients([mtf.reduce_sum(y)],
                    [v.outputs[0] for v in graph.trainable_variables])
  return graph


def test_parameter_count_at_small_and_paper_sizes():
  _, w, _ = run(pkm.ProductKeyMemory(**SMALL), None)
  assert parameter_count(w) == formula_count(8, 8, 6, 2) == (
      2 * 8 * 8 + 2 * 8 + 8 + 2 * 6 * 8 + 36 * 8)
  counts = {}
  for heads in range(1, 9):
    graph = build_graph(pkm.ProductKeyMemory(
        key_size=128, n_keys=512, n_heads=heads, knn=32), 768, 1)
    counts[heads] = sum(v.shape.size for v in graph.trainable_variables)
    assert counts[heads] == formula_count(768, 128, 512, heads)
  print("\nPKM parameters at d_model 768, key_size 128, n_keys 512:",
        counts)


def hand_forward_flops(tokens, d_model, key_size, n_keys, n_heads, knn):
  """Einsums of one call, 2 FLOPs per multiply-add: query projection, the
  query norm's gain (its standardization is one fused op, not an einsum),
  sub-key scores, weighted sum of knn rows."""
  return 2 * tokens * n_heads * (d_model * key_size + key_size
                                 + n_keys * key_size + knn * d_model)


def test_flop_count_is_algorithmic_and_mtfs_is_not():
  sizes = dict(key_size=8, n_keys=16, n_heads=2, knn=5)
  tokens, slots = 2 * 3, 16 ** 2
  count = lambda graph: model_graph.count_flops(
      types.SimpleNamespace(graph=graph))
  ours = count(build_graph(pkm.ProductKeyMemory(**sizes), 8, 3))
  assert ours == hand_forward_flops(tokens, 8, **sizes)
  theirs = count(build_graph(memory_layers.ProductKeyValueMemory(**sizes),
                             8, 3))
  # mtf.gather's one-hot einsums: over the n_keys^2 slots (values) and the
  # knn^2 candidates (their slots); and the product of mtf's layer norm
  # (x - mean) * rsqrt(var + eps), one op of the kit's fused standardization
  assert theirs == ours + 2 * tokens * 2 * 5 * (slots * 8 + 5 ** 2) + (
      2 * tokens * 2 * 8)
  # no tensor of the training graph has both a position and the slots
  graph = build_graph(pkm.ProductKeyMemory(**sizes), 8, 3, mode="train",
                      gradients=True)
  for op in graph.operations:
    for tensor in op.outputs:
      names = {d.name for d in tensor.shape.dims}
      assert not (dimensions.MEMORY_VALUES in names and dimensions.BATCH in names)


def test_bad_sizes_say_what_is_valid():
  with pytest.raises(ValueError, match="key_size must be even"):
    pkm.ProductKeyMemory(key_size=7, n_keys=4, n_heads=1, knn=2)
  with pytest.raises(ValueError, match="knn must be in 1..n_keys"):
    pkm.ProductKeyMemory(key_size=8, n_keys=4, n_heads=1, knn=5)


def test_the_memory_variant_costs_no_more_than_1_5_baselines_at_cpu_scale():
  """The product key memory row at its algorithmic cost: FLOPs per step at
  the cpu scale within 1.5x of the baseline's (mtf's one-hot reads made
  the paper's 35x)."""
  ratio = (size_at("cpu", variants.get("product_key_memory")).flops_per_step
           / size_at("cpu").flops_per_step)
  assert ratio < 1.5, ratio
