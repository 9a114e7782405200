"""The sparse mixture of experts (the paper's "Mixture of experts" and
"Switch Transformer" rows) against its equations in numpy, a load-balancing
loss worked by hand, its capacity drops, mtf 0.1.21's moe.MoE1D with equal
weights, its initializers, and a mesh that splits the experts.

The layer's auxiliary loss goes to `context.losses`, which
mtf_test_utils.run_layer leaves None and cannot export, and the mesh tests
need a context that knows the mesh; so `run` below is run_layer with a
losses list, a mesh and layout rules, and the class's variable scope as
LayerStack's sublayer_call_layer opens it.
"""
import types

import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import moe
from mesh_tensorflow.transformer import transformer
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import lowering
from mtf_mods.layers import dimensions
from mtf_mods.layers.transformer_layers import mixture_of_experts
from mtf_test_utils import parameter_count, random_weights, variable

NUM_EXPERTS = 4
HIDDEN = 6
GROUP_SIZE = 8
BATCH = mtf.Dimension(dimensions.BATCH, 2)
LENGTH = mtf.Dimension(dimensions.LENGTH, 8)
D_MODEL = mtf.Dimension(dimensions.D_MODEL, 8)
X = np.random.default_rng(7).normal(size=(2, 8, 8)).astype(np.float32)
ONE_DEVICE = (dimensions.SINGLE_DEVICE_MESH, "")
# 2 devices, the experts split over them (the default rules' experts:batch).
TWO_DEVICES = ("%s:2" % dimensions.BATCH_AXIS, dimensions.LAYOUT_RULES)


def make(routing="top_2", **kwargs):
  settings = dict(num_experts=NUM_EXPERTS, hidden_size=HIDDEN,
                  routing=routing, group_size=GROUP_SIZE,
                  second_policy_train="all", second_policy_eval="all")
  settings.update(kwargs)
  return mixture_of_experts.MixtureOfExperts(**settings)


def run(layer, x=X, weights=None, mode="eval", mesh=ONE_DEVICE, dims=None,
        d_model=D_MODEL, sequence_id=None):
  """Returns (output, auxiliary loss, {variable: value}, {variable: slice
  shape}) of `layer` on `x`, laid out on `mesh` = (shape, layout rules);
  `sequence_id` ([batch, length], 0 for padding) sets context.nonpadding."""
  dims = dims or [BATCH, LENGTH, d_model]
  mesh_shape, layout = mesh
  with tf.Graph().as_default():
    tf.set_random_seed(0)
    graph = mtf.Graph()
    mesh_ = mtf.Mesh(graph, "mesh")
    inputs = mtf.import_fully_replicated(
        mesh_, tf.constant(x), mtf.Shape(dims), name="x")
    model = types.SimpleNamespace(
        model_dim=d_model, ensemble_dims=[], ensemble_dim=None,
        fully_autoregressive=False,
        mesh_shape=mtf.convert_to_shape(mesh_shape),
        layout=mtf.convert_to_layout_rules(layout))
    length_dim = LENGTH if LENGTH in dims else mtf.Dimension(
        dimensions.LENGTH, 1)
    context = transformer.Context(
        model=model, mesh=mesh_, batch_dims=[BATCH], length_dim=length_dim,
        variable_dtype=mtf.VariableDType(tf.float32, tf.float32, tf.float32),
        mode=mode, position=mtf.range(mesh_, length_dim, tf.int32),
        position_is_default=True, losses=[],
        sequence_id=None if sequence_id is None else
        mtf.import_fully_replicated(mesh_, tf.constant(sequence_id),
                                    mtf.Shape([BATCH, length_dim])))
    given = []
    with tf.variable_scope(layer.__class__.__name__):
      y = layer.call(context, inputs, losses=given)
    [loss] = context.losses
    if isinstance(layer, mixture_of_experts.MixtureOfExperts):
      assert len(given) == 1 and given[0] is loss  # a given list gets it too
    with lowering.open_session(graph, mesh_, [y, loss],
                               mesh_shape=mesh_shape, layout_rules=layout,
                               initial_values=weights) as lowered:
      y, loss = lowered.session.run(lowered.outputs)
      return y, loss, lowered.initial_values, lowered.slice_shapes


def softmax(logits):
  e = np.exp(logits - logits.max(-1, keepdims=True))
  return e / e.sum(-1, keepdims=True)


def reference(x, values, routing, capacity_factor, group_size=GROUP_SIZE,
              min_expert_capacity=4, loss_coef=1e-2):
  """The docstring's equations, token by token: (output, loss)."""
  router = variable(values, "router/kernel")
  wi, wo = variable(values, "wi/kernel"), variable(values, "wo/kernel")
  num_experts = router.shape[1]
  tokens = x.reshape(-1, x.shape[-1])
  y = np.zeros_like(tokens)
  group_losses = []
  for start in range(0, len(tokens), group_size):
    group = tokens[start:start + group_size]
    size = len(group)
    capacity = max(min_expert_capacity,
                   min(size, int(capacity_factor * size / num_experts)))
    p = softmax(group @ router)
    rows = np.arange(size)
    first = p.argmax(-1)
    without_first = p.copy()
    without_first[rows, first] = -1.0
    second = without_first.argmax(-1)
    p1, p2 = p[rows, first], p[rows, second]
    if routing == "top_2":
      choices = [(first, p1 / (p1 + p2)), (second, p2 / (p1 + p2))]
    else:
      choices = [(first, p1)]
    # Every first choice queues before any second choice.
    load = np.zeros(num_experts)
    for experts, gates in choices:
      for t in rows:
        e = experts[t]
        if load[e] < capacity:
          load[e] += 1
          y[start + t] += gates[t] * (np.maximum(group[t] @ wi[e], 0)
                                      @ wo[e])
    fraction = np.bincount(first, minlength=num_experts) / size
    group_losses.append(num_experts * np.sum(fraction * p.mean(0)))
  return y.reshape(x.shape), loss_coef * np.mean(group_losses)


@pytest.mark.parametrize("capacity_factor, min_capacity", [
    (2.0, 4),   # C = 4 of 8 tokens
    (1.0, 1),   # C = 2: many choices dropped
])
@pytest.mark.parametrize("routing", ["top_2", "switch"])
def test_routing_and_output_match_numpy(routing, capacity_factor,
                                        min_capacity):
  layer = make(routing, capacity_factor_eval=capacity_factor,
               min_expert_capacity=min_capacity)
  y, loss, values, _ = run(layer, weights=random_weights(1))
  expected_y, expected_loss = reference(X, values, routing, capacity_factor,
                                        min_expert_capacity=min_capacity)
  np.testing.assert_allclose(y, expected_y, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(loss, expected_loss, rtol=1e-5)


@pytest.mark.parametrize("routing", ["top_2", "switch"])
def test_load_balancing_loss_by_hand(routing):
  """Two groups of 4 tokens, 4 experts; token t of sequence b is the unit
  vector e_{4b+t}, so its router probabilities are softmax(row 4b+t of Wr)
  = the rows of `probabilities` (Wr = their logs).

  Group 0: first choices 0, 1, 0, 3, so f = (2/4, 1/4, 0, 1/4); the columns'
  means are P = (1.3, 1.1, 0.5, 1.1) / 4 = (.325, .275, .125, .275);
  E * sum_e f_e P_e = 4 * (.5 * .325 + .25 * .275 + 0 + .25 * .275)
  = 4 * .3 = 1.2.
  Group 1: first choices 0, 1, 2, 3, f = P = 1/4 each: 4 * 4/16 = 1.0, the
  balanced value.
  loss = 1e-2 * (1.2 + 1.0) / 2 = 0.011, for top-2 and Switch alike (both
  count first choices only).
  """
  probabilities = np.array([
      [.7, .1, .1, .1], [.1, .7, .1, .1], [.4, .2, .2, .2], [.1, .1, .1, .7],
      [.7, .1, .1, .1], [.1, .7, .1, .1], [.1, .1, .7, .1], [.1, .1, .1, .7],
  ], np.float32)
  x = np.eye(8, dtype=np.float32).reshape(2, 4, 8)
  length = mtf.Dimension(dimensions.LENGTH, 4)
  weights = random_weights(2)

  def chosen(name, shape):
    return np.log(probabilities) if "router" in name else weights(name, shape)
  _, loss, _, _ = run(make(routing, group_size=4), x=x, weights=chosen,
                      dims=[BATCH, length, D_MODEL])
  np.testing.assert_allclose(loss, 0.011, rtol=1e-5)


@pytest.mark.parametrize("capacity_factor, min_capacity, capacity", [
    (1.5, 1, 3),   # floor(1.5 * 8 / 4) = 3
    (1.0, 4, 4),   # floor(1.0 * 8 / 4) = 2, raised to mtf's minimum of 4
])
@pytest.mark.parametrize("routing", ["top_2", "switch"])
def test_tokens_beyond_capacity_get_exactly_zero(routing, capacity_factor,
                                                 min_capacity, capacity):
  """x_0 = 1 and Wr = 2 at (0, expert 0), 0 elsewhere: every token's
  logits are (2, 0, 0, 0), so all first choices go to expert 0 (and top-2's
  second choices all to expert 1): the first C tokens of each group are
  kept, the others are dropped and their output is exactly 0."""
  x = np.abs(X)
  x[..., 0] = 1.0
  weights = random_weights(3)

  def chosen(name, shape):
    if "router" in name:
      router = np.zeros(shape, np.float32)
      router[0, 0] = 2.0
      return router
    value = weights(name, shape)
    return np.abs(value) if "wi" in name else value  # relu(x Wi) > 0
  y, _, _, _ = run(make(routing, capacity_factor_eval=capacity_factor,
                        min_expert_capacity=min_capacity),
                   x=x, weights=chosen)
  nonzero = np.any(y != 0.0, axis=-1)  # [sequence (= group), token]
  assert nonzero.sum(axis=1).tolist() == [capacity, capacity]
  assert nonzero[:, :capacity].all()
  assert np.all(y[:, capacity:] == 0.0)


def mtf_name(name, routing):
  """mtf's MoE1D's variable for one of ours."""
  gating = "top_2_gating" if routing == "top_2" else "switch_gating"
  return name.replace("MixtureOfExperts", "MoE1D").replace("router", gating)


NO_PADDING = np.ones((2, 8), np.int32)
# The second sequence ends in 3 padding tokens.
PADDING = np.array([[1] * 8, [1] * 5 + [0] * 3], np.int32)


@pytest.mark.parametrize("sequence_id", [NO_PADDING, PADDING],
                         ids=["no-padding", "padding"])
@pytest.mark.parametrize("mode", ["eval", "train"])
@pytest.mark.parametrize("routing", ["top_2", "switch"])
def test_equals_mtf_moe1d(routing, mode, sequence_id):
  """Same parameters, output and auxiliary loss for the same weights, with
  capacity drops (C = 2 in training, 3 in eval). (mtf's training path
  needs context.nonpadding, so both get a sequence id.)

  Settings under which both are deterministic: the second expert always
  used (second_policy = "all"), no jitter and no dropout. The release ran
  mtf's default second_policy "random" (threshold 0.2) in training and
  eval, and Switch with input jitter 1e-2 in training; these draw random
  numbers the two layers would draw differently. Our layer offers the
  same "random" policy (its default) and the same jitter.

  With padding too, the losses agree: Switch counts the padding tokens in
  f and P and scales each group's term by its share of real tokens, top-2
  leaves padding out of f and P, each as mtf does.
  """
  settings = dict(num_experts=NUM_EXPERTS, hidden_size=HIDDEN,
                  group_size=GROUP_SIZE, capacity_factor_train=1.0,
                  capacity_factor_eval=1.5, min_expert_capacity=1)
  ours = make(routing, jitter=0.0, **settings)
  y, loss, values, _ = run(ours, weights=random_weights(4), mode=mode,
                           sequence_id=sequence_id)
  theirs = moe.MoE1D(moe_gating=routing, second_policy_train="all",
                     second_policy_eval="all", switch_jitter=0.0,
                     activation="relu", **settings)
  renamed = {mtf_name(name, routing): value for name, value in values.items()}
  y_mtf, loss_mtf, mtf_values, _ = run(
      theirs, weights=lambda name, shape: renamed[name], mode=mode,
      sequence_id=sequence_id)
  assert sorted(mtf_values) == sorted(renamed)
  assert parameter_count(mtf_values) == parameter_count(values)
  np.testing.assert_allclose(y, y_mtf, rtol=1e-5, atol=1e-6)
  if sequence_id is PADDING:
    assert np.all(y[1, 5:] == 0.0)
  np.testing.assert_allclose(loss, loss_mtf, rtol=1e-6)


def test_random_second_policy_and_jitter():
  """top-2's "random" policy keeps the second expert with probability
  min(1, g2 / threshold): always for a tiny threshold, never for a huge one
  (then a token gets g1 FFN_e1(x) only, g1 still renormalized over two).
  Jitter perturbs the router only in training. C = 8: nothing dropped."""
  weights = random_weights(8)
  y_all, _, values, _ = run(make(capacity_factor_eval=4.0), weights=weights)
  y_always, _, _, _ = run(
      make(capacity_factor_eval=4.0, second_policy_eval="random",
           second_threshold=1e-9),
      weights=lambda name, shape: values[name])
  np.testing.assert_allclose(y_always, y_all, rtol=1e-6, atol=1e-7)
  y_never, _, _, _ = run(
      make(capacity_factor_eval=4.0, second_policy_eval="random",
           second_threshold=1e9),
      weights=lambda name, shape: values[name])
  router = variable(values, "router/kernel")
  wi, wo = variable(values, "wi/kernel"), variable(values, "wo/kernel")
  p = softmax(X @ router)
  top = np.sort(p, axis=-1)
  first = p.argmax(-1)
  h = np.maximum(np.einsum("bld,blde->ble", X, wi[first]), 0)
  expected = (top[..., -1] / (top[..., -1] + top[..., -2]))[..., None] * (
      np.einsum("blh,blhd->bld", h, wo[first]))
  np.testing.assert_allclose(y_never, expected, rtol=1e-4, atol=1e-5)

  def switch(mode, jitter):
    return run(make("switch", jitter=jitter), mode=mode,
               weights=lambda name, shape: values[name])[:2]
  assert all(np.array_equal(a, b) for a, b in
             zip(switch("eval", 0.1), switch("eval", 0.0)))
  y_jitter, loss_jitter = switch("train", 0.1)
  y_plain, loss_plain = switch("train", 0.0)
  assert loss_jitter != loss_plain and not np.array_equal(y_jitter, y_plain)


def test_dropout_on_the_experts_hidden_layer_only_in_training():
  weights = random_weights(9)
  y_eval, _, values, _ = run(make(capacity_factor_train=2.0), weights=weights)
  y_train, _, _, _ = run(make(capacity_factor_train=2.0), mode="train",
                         weights=lambda name, shape: values[name])
  np.testing.assert_allclose(y_train, y_eval, rtol=1e-6, atol=1e-7)
  y_dropout_eval, _, _, _ = run(make(dropout_rate=0.5),
                                weights=lambda name, shape: values[name])
  np.testing.assert_allclose(y_dropout_eval, y_eval, rtol=1e-6, atol=1e-7)
  y_dropout, _, _, _ = run(make(capacity_factor_train=2.0, dropout_rate=0.5),
                           mode="train",
                           weights=lambda name, shape: values[name])
  assert not np.allclose(y_dropout, y_eval)


def test_experts_have_the_scaled_initializer_and_the_router_does_not():
  """Experts: std = sqrt(s / fan_in), s = 0.1 (mtf's
  VarianceScalingInitializer(scale=0.1), Fedus et al. 2021 Sec. 2.3), i.e.
  sqrt(0.1) ~ 0.32 x the fan-in normal's std; router: fan_in^-1/2."""
  d_model = mtf.Dimension(dimensions.D_MODEL, 64)
  x = np.zeros((2, 8, 64), np.float32)
  layer = make(hidden_size=128)
  _, _, values, _ = run(layer, x=x, d_model=d_model)
  wi = variable(values, "wi/kernel")      # 4 x 64 x 128 values
  wo = variable(values, "wo/kernel")
  router = variable(values, "router/kernel")  # 64 x 4 values
  np.testing.assert_allclose(wi.std(), (0.1 / 64) ** 0.5, rtol=0.03)
  np.testing.assert_allclose(wo.std(), (0.1 / 128) ** 0.5, rtol=0.03)
  np.testing.assert_allclose(router.std(), 64 ** -0.5, rtol=0.15)


@pytest.mark.parametrize("mesh", [
    TWO_DEVICES,
    ("%s:2" % dimensions.BATCH_AXIS,
     "%s:%s" % (dimensions.EXPERTS, dimensions.BATCH_AXIS)),
    (dimensions.MESH_2X2, dimensions.LAYOUT_RULES),  # d_ff split as well
], ids=["batch2-default-rules", "batch2-experts-only", "2x2"])
def test_mesh_splitting_the_experts_gives_the_same_output(mesh):
  layer = make(capacity_factor_eval=1.0, min_expert_capacity=1)
  y, loss, values, _ = run(layer, weights=random_weights(5))
  y_mesh, loss_mesh, _, slices = run(
      layer, weights=lambda name, shape: values[name], mesh=mesh)
  np.testing.assert_allclose(y_mesh, y, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(loss_mesh, loss, rtol=1e-6)
  assert slices["MixtureOfExperts/wi/kernel"][0] == NUM_EXPERTS // 2
  assert slices["MixtureOfExperts/wo/kernel"][0] == NUM_EXPERTS // 2


@pytest.mark.parametrize("mesh", [ONE_DEVICE, TWO_DEVICES],
                         ids=["one-device", "two-devices"])
@pytest.mark.parametrize("with_length", [True, False],
                         ids=["length-1", "no-length"])
def test_incremental_step(with_length, mesh):
  """A decoding step: 2 tokens, one group of 2 on one device, two groups
  of 1 token on two; C = max(4, min(S, ...)) = 4 keeps every choice."""
  x = X[:, :1]
  dims = [BATCH, mtf.Dimension(dimensions.LENGTH, 1), D_MODEL]
  if not with_length:
    x, dims = x[:, 0], [BATCH, D_MODEL]
  y, _, values, _ = run(make(), x=x, weights=random_weights(6),
                        mode="incremental", mesh=mesh, dims=dims)
  expected, _ = reference(x, values, "top_2", 2.0, group_size=1)
  np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_capacity_and_groups_follow_mtf():
  assert mixture_of_experts.expert_capacity(1024, 2.0, 32, 4) == 64
  assert mixture_of_experts.expert_capacity(1024, 1.2, 32, 4) == 38  # floor
  assert mixture_of_experts.expert_capacity(1, 2.0, 32, 4) == 4
  assert mixture_of_experts.split_into_groups(16, 8, 1) == (2, 8)
  assert mixture_of_experts.split_into_groups(2, 1024, 2) == (2, 1)
  # floor(24 / 16) = 1 group, of 24 tokens: more than group_size, as mtf.
  assert mixture_of_experts.split_into_groups(24, 16, 1) == (1, 24)
  assert mixture_of_experts.split_into_groups(24, 16, 2) == (2, 12)
  for n, size, splits in [(16, 8, 1), (2, 1024, 2), (24, 16, 1),
                          (96, 7, 4), (10, 4, 1)]:
    assert (mixture_of_experts.split_into_groups(n, size, splits)
            == moe._split_into_groups(n, size, splits))


def test_gin_configurable_and_unknown_routing_names_the_valid_ones():
  with gin_config.parsed([], [
      "mtf_mods.MixtureOfExperts.routing = 'switch'",
      "mtf_mods.MixtureOfExperts.hidden_size = 3072"]):
    layer = mixture_of_experts.MixtureOfExperts()
  assert (layer.routing, layer.hidden_size, layer.num_experts) == (
      "switch", 3072, 32)
  with pytest.raises(ValueError, match="valid: top_2, switch"):
    mixture_of_experts.MixtureOfExperts(hidden_size=8, routing="rand_1")
