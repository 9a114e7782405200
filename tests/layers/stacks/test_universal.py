"""The Universal Transformer (Narang et al. 2021, Sec. 2.7):
UniversalTransformerStack against a numpy reference of ACT, against mtf
0.1.21's UTLayerStack with the release's settings for equal weights, and in
a tiny Bitransformer (training, a 2x2 mesh, incremental greedy decoding).

Sizes are cut for speed: 2 or 3 recurrent steps and 1 vanilla application
before and after the recurrence instead of 24 and 2; the code paths are the
same.
"""
import dataclasses
import re
import zlib

import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import mesh_tensorflow.transformer.universal_transformer  # noqa: F401
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import mesh_run
from mtf_mods.model import model_graph
from mtf_mods.layers import dimensions
from mtf_mods.layers.dense import dense
from mtf_mods.layers.stacks import universal
import mtf_test_utils

VOCAB = 2100
FILES = ["models/baseline.gin", "scales/tiny.gin"]
BATCH = 2
LENGTHS = {"inputs": 6, "targets": 5}
STACK = "mtf_mods.UniversalTransformerStack"
# The paper's model at the tiny scale: one block per stack, untied softmax.
UT = ["transformer.make_layer_stack.layer_stack_cls = @%s" % STACK,
      "num_layers = 1",
      "transformer.Unitransformer.shared_embedding_and_softmax_weights = "
      "False"]
STEPS = 2


def steps(n):
  return ["%s.num_steps = %d" % (STACK, n)]


# The release's as-run settings (recurrence "basic", GRU gates, vanilla
# applications before and after), with 1 vanilla application each side.
RELEASE = ['%s.recurrence = "basic"' % STACK, '%s.gating = "gru"' % STACK,
           "%s.vanilla_layers_before = 1" % STACK,
           "%s.vanilla_layers_after = 1" % STACK]
# The release's universal_transformer.gin on mtf's UTLayerStack, with the
# kit's layers and the same (cut) step counts.
MTF_RELEASE = [
    "transformer.make_layer_stack.layer_stack_cls = @UTLayerStack",
    "num_layers = 1",
    "transformer.Unitransformer.shared_embedding_and_softmax_weights = False",
] + ["UTLayerStack.%s = %s" % item for item in (
    ("act_type", '"basic"'), ("recurrence_type", '"basic"'),
    ("act_max_steps", STEPS), ("act_epsilon", 0.05),
    ("num_rec_steps", STEPS), ("num_inrecurrence_layers", 1),
    ("position_start_index", None), ("add_or_concat_timing_signal", '"add"'),
    ("step_timing_signal_type", '"learned"'),
    ("add_position_timing_signal", True), ("add_step_timing_signal", True),
    ("mix_with_transformer_before_ut", True),
    ("mix_with_transformer_after_ut", True),
    ("num_vanilla_transformer_layers", 1), ("gates_inputs", '"i"'),
    ("gate_ffn_layer", '"dense"'), ("couple_carry_transform_gates", True),
    ("use_gated_transformer", True), ("gating_type", '"gru"'))]
NO_BLOCK_SCOPE = ["transformer.make_layer_stack.block_scope = False"]


def sigmoid(x):
  return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------------------
# (a) ACT against numpy.

D_MODEL = 4
ACT_STEPS = 4
ACT_EPSILON = 0.1  # threshold 0.9: halting after 1 to 4 steps


class TanhLayer(transformer.TransformerLayer):
  """h = tanh(s W): a block numpy can compute, position by position."""

  def call(self, context, x, losses=None):
    del losses
    model_dim = context.model.model_dim
    x = mtf.rename_dimension(x, model_dim.name, dimensions.D_MODEL_IN)
    return mtf.tanh(dense(x, [model_dim], [mtf.Dimension(
        dimensions.D_MODEL_IN, model_dim.size)], context, "w"))


def act_stack(act_state):
  layer = TanhLayer()
  layer.set_name("layer_000")
  return universal.UniversalTransformerStack(
      [layer], sublayers_initial=[],
      sublayers_per_layer=[transformer.sublayer_call_layer],
      sublayers_final=[], num_steps=ACT_STEPS, act_epsilon=ACT_EPSILON,
      act_state=act_state)


ACT_WEIGHTS = {
    "layer_000/TanhLayer/w/kernel": lambda rng: rng.normal(size=(4, 4)),
    "act_halting/unit/kernel": lambda rng: rng.normal(size=(4,)),
    "act_halting/bias": lambda rng: np.float32(-1.0),
    "step_embedding": lambda rng: 0.2 * rng.normal(size=(ACT_STEPS, 4)),
}


def act_weights(seed=21):
  rng = np.random.default_rng(seed)
  values = {name: np.asarray(make(rng), np.float32)
            for name, make in ACT_WEIGHTS.items()}
  return values


def numpy_act(x, w, threshold, accumulated):
  """ACT from its equations, one position at a time: N, the first step
  whose p would take the sum past the threshold (or the last), R = 1 -
  P_(N-1), weights p_n before N and R at N."""
  d = x.shape[-1]
  states, probabilities = [], []
  h = x
  for n in range(ACT_STEPS):
    s = h + w["step_embedding"][n] * np.sqrt(d)
    probabilities.append(sigmoid(s @ w["act_halting/unit/kernel"]
                                 + w["act_halting/bias"]))
    h = np.tanh(s @ w["layer_000/TanhLayer/w/kernel"])
    states.append(h)
  output = np.zeros_like(x)
  n_updates = np.zeros(x.shape[:-1])
  remainders = np.zeros(x.shape[:-1])
  forced = np.zeros(x.shape[:-1], bool)
  for index in np.ndindex(*x.shape[:-1]):
    p = [q[index] for q in probabilities]
    total = 0.0
    for n in range(ACT_STEPS):
      if total + p[n] > threshold or n == ACT_STEPS - 1:
        forced[index] = total + p[n] <= threshold
        break
      total += p[n]
    halt = n
    remainders[index] = 1.0 - total
    n_updates[index] = halt + 1
    weights = p[:halt] + [remainders[index]] + [0.0] * (ACT_STEPS - halt - 1)
    y = np.zeros(d)
    for weight, state in zip(weights, states):
      y = y + weight * state[index] if accumulated else (
          weight * state[index] + (1 - weight) * y)
    output[index] = y
  return output, remainders, n_updates, forced


def run_act(stack, x, weights, full_stack=False):
  """The stack's ACT result, packed: output channels, then P, R, N."""
  batch = mtf.Dimension(dimensions.BATCH, x.shape[0])
  length = mtf.Dimension(dimensions.LENGTH, x.shape[1])
  model_dim = mtf.Dimension(dimensions.D_MODEL, x.shape[2])

  def build(context, inputs):
    context.layer_outputs = []
    if full_stack:
      return stack.call(context, inputs["x"])
    result = stack.adaptive_computation(context, inputs["x"])
    packed = mtf.rename_dimension(result.output, model_dim.name, "packed")
    stats = mtf.stack([result.halting_probability, result.remainders,
                       result.n_updates], "packed", axis=2)
    return mtf.concat([packed, stats], "packed")

  output, _ = mtf_test_utils.run_layer(
      build, {"x": (x, [batch, length, model_dim])}, model_dim, length,
      [batch], weights=lambda name, shape: weights[name])
  return output


@pytest.mark.parametrize("act_state", universal.ACT_STATES)
def test_act_matches_numpy(act_state):
  x = np.random.default_rng(0).normal(size=(2, 3, D_MODEL)).astype(np.float32)
  weights = act_weights()
  stack = act_stack(act_state)
  packed = run_act(stack, x, weights)
  output, remainders, n_updates, forced = numpy_act(
      x, weights, 1.0 - ACT_EPSILON, act_state == "accumulated")
  # The example covers halting at several steps and at the step limit.
  assert len(set(n_updates.ravel())) >= 3, n_updates
  assert forced.any() and (n_updates < ACT_STEPS).any(), (n_updates, forced)
  np.testing.assert_allclose(packed[..., :D_MODEL], output, rtol=1e-5,
                             atol=1e-6)
  np.testing.assert_allclose(packed[..., D_MODEL], 1.0, rtol=1e-6)
  np.testing.assert_allclose(packed[..., D_MODEL + 1], remainders,
                             rtol=1e-5, atol=1e-6)
  np.testing.assert_array_equal(packed[..., D_MODEL + 2], n_updates)
  # The stack's call: no sublayers around, so its output is ACT's.
  np.testing.assert_allclose(run_act(stack, x, weights, full_stack=True),
                             output, rtol=1e-5, atol=1e-6)


def test_position_signal_is_t2ts_sinusoid():
  d, length = 6, 3
  batch = mtf.Dimension(dimensions.BATCH, 1)
  length_dim = mtf.Dimension(dimensions.LENGTH, length)
  model_dim = mtf.Dimension(dimensions.D_MODEL, d)
  signal, _ = mtf_test_utils.run_layer(
      lambda context, inputs: inputs["x"] + universal.position_timing_signal(
          context, tf.float32),
      {"x": (np.zeros((1, length, d), np.float32),
             [batch, length_dim, model_dim])}, model_dim, length_dim, [batch])
  rates = 1e4 ** -(np.arange(d // 2) / (d // 2 - 1))
  angles = np.arange(length)[:, None] * rates
  np.testing.assert_allclose(
      signal[0], np.concatenate([np.sin(angles), np.cos(angles)], -1),
      rtol=1e-5, atol=1e-6)


def test_bad_settings_are_refused():
  layer = TanhLayer()
  layer.set_name("layer_000")
  with pytest.raises(ValueError, match="recurrence 'highway'"):
    universal.UniversalTransformerStack([layer], recurrence="highway",
                                        sublayers_per_layer=[])
  with pytest.raises(ValueError, match="gating needs"):
    universal.UniversalTransformerStack([layer], gating="gru",
                                        sublayers_per_layer=[])


# ---------------------------------------------------------------------------
# (b) One set of weights.


def signature(gin_params):
  return model_graph.measure(FILES, gin_params, VOCAB).signature


def stack_part(name):
  """The name without the stack-level additions of the UT."""
  return not re.search(r"/(act_halting|step_embedding|gru_gate)", name)


@pytest.mark.parametrize("settings", [[], RELEASE], ids=["act", "release"])
def test_weights_do_not_depend_on_the_number_of_steps(settings):
  two, five = (signature(UT + settings + steps(n)) for n in (2, 5))
  assert list(two) == list(five)
  for name, shape in two.items():
    if name.endswith("step_embedding"):  # one row per step
      assert (shape, five[name]) == ([2, 32], [5, 32])
    else:
      assert five[name] == shape, name
  # Beyond the halting unit, the step rows and the gates: one block, the
  # baseline's variables with one block per stack.
  one_block = signature(UT[1:])
  assert {n: s for n, s in two.items() if stack_part(n)} == one_block
  added = sorted(re.sub(r"^\w+/(block_000/layer_\d+/)?", "", n)
                 for n in two if not stack_part(n))
  if settings:
    gates = ["gru_gate/%s/%s" % (gate, part)
             for gate in ("candidate", "layer_norm", "reset", "update")
             for part in ("bias", "gain" if gate == "layer_norm" else
                          "kernel")]
    assert added == sorted(5 * gates + 2 * ["step_embedding"])
  else:
    assert added == sorted(2 * ["act_halting/bias", "act_halting/unit/kernel",
                                "step_embedding"])


# ---------------------------------------------------------------------------
# Whole models: losses and decodes on chosen weights.


@dataclasses.dataclass
class Run:
  loss: float
  values: dict  # variable name -> initial value


def run_model(gin_params, weights=None):
  """The tiny model's loss on `weights` (a function, or None:
  initializers), and its variables."""
  features = mesh_run.random_features(VOCAB, BATCH, LENGTHS)
  with gin_config.parsed(FILES, gin_params + ["dropout_rate = 0.0"]):
    return Run(*mtf_test_utils.model_loss(features, VOCAB, weights))


# (c) The release's settings against mtf's UTLayerStack.

_GATES = {"update": ("dense", "dense_1"), "reset": ("dense_2", "dense_3"),
          "candidate": ("dense_4", "dense_5")}
_NORM = {"gain": "layer_norm_scale", "bias": "layer_norm_bias"}


def mtf_name(name, classes):
  """The variable of mtf's UTLayerStack standing for ours, `name`."""
  match = re.match(r"^(\w+/layer_\d+)/gru_gate/(\w+)/(\w+)$", name)
  if match:
    prefix, gate, part = match.groups()
    scope = "%s/%s" % (prefix, classes[prefix])
    if gate == "layer_norm":
      return "%s/layer_prepostprocess/layer_norm/%s" % (scope, _NORM[part])
    return "%s/%s/%s" % (scope, _GATES[gate][part == "bias"], part)
  match = re.match(r"^(\w+(?:/layer_\d+)?)/layer_norm/(gain|bias)$", name)
  if match:
    return "%s/layer_prepostprocess/layer_norm/%s" % (
        match.group(1), _NORM[match.group(2)])
  return re.sub(r"/step_embedding$", "/layer_embedding", name)


def layer_classes(names):
  """{"encoder/layer_000": "MultiHeadSelfAttention", ...}"""
  return dict(re.match(r"^(\w+/layer_\d+)/(\w+)/", n).groups()
              for n in names if re.match(r"^\w+/layer_\d+/[A-Z]", n))


def distinct_weights(name, shape):
  """A value of its own for every variable, seeded by its name: no bias at
  zero and no gain at one, as initializers leave them, so a mapping that
  swaps two variables of a kind changes the loss."""
  generator = np.random.RandomState(zlib.crc32(name.encode()))
  return generator.normal(0.0, 0.3, size=shape).astype(np.float32)


@pytest.fixture(scope="module")
def release_runs():
  """mtf's UTLayerStack on distinct weights, then ours on the same."""
  theirs = run_model(MTF_RELEASE + NO_BLOCK_SCOPE, distinct_weights)
  classes = layer_classes(theirs.values)

  def same_weights(name, shape):
    return theirs.values[mtf_name(name, classes)].reshape(shape)
  ours = run_model(UT + RELEASE + steps(STEPS) + NO_BLOCK_SCOPE,
                   same_weights)
  return theirs, ours


def test_release_settings_equal_mtfs_ut_layer_stack(release_runs):
  """Same variables (each gate's [2d, d] kernel as [2, d, d]) and the same
  loss, on weights that tell every variable apart. (Their greedy decodes and gradients were equal as well, left out
  to save time.) The kit's sublayers do not zero the padding before each
  layer norm, as mtf's stack does: the same function on the unpadded
  batch."""
  theirs, ours = release_runs
  classes = layer_classes(theirs.values)
  assert sorted(mtf_name(n, classes) for n in ours.values) == sorted(
      theirs.values)
  assert ours.loss == pytest.approx(theirs.loss, rel=1e-5)


# (d) The paper's model (ACT) in a tiny Bitransformer: the registered
# universal_transformer variant trains on one device and a 2x2 mesh
# (tests/model/test_mesh_run.py) and decodes greedily and by beam search as it
# computes whole sequences (tests/test_decoding.py), with 2 steps.
