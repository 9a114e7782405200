"""The Universal Transformer: one block applied recurrently, with ACT halting.

Narang et al. 2021, Sec. 2.7 (after Dehghani et al. 2019): the stack's
layer list (e.g. self-attention and feed-forward, with their layer norms
and residuals) is one block B with one set of weights, applied T times:

    h_0 = x,   s_n = h_(n-1) + c_n,   h_n = B(s_n),   n = 1..T,

where c_n is an optional timing signal (a learned step embedding E_n,
mtf's "learned" step signal, and optionally T5/t2t's sinusoid of the
position). The paper runs "number of recurrent steps of 24 and halting
threshold of 0.5".

Adaptive Computation Time (Graves 2016), as tensor2tensor's "basic" ACT
that Mesh TensorFlow's UTLayerStack.act_layer follows. For every position
and step n, a halting probability

    p_n = sigmoid(w . s_n + b)

is accumulated, P_n = sum_(m<=n) p_m, until it would pass the threshold
tau = 1 - act_epsilon: the position halts at the first step N with
P_(N-1) + p_N > tau, or at the last step T ("hit the step limit"). Its
remainder is R = 1 - P_(N-1), its n_updates N, and the weight of step n

    w_n = p_n (n < N),   w_N = R,   w_n = 0 (n > N),

so that sum_n w_n = 1. The output y is built step by step from y_0 = 0:

    "interpolated" (act_state, the default; t2t's and mtf's "basic"):
        y_n = w_n h_n + (1 - w_n) y_(n-1)
    "accumulated" (Graves's weighted average; mtf's act_type "accumulated"):
        y_n = y_(n-1) + w_n h_n

Every position keeps being transformed until the last step (h_n is the
attention memory of the positions still running), as in t2t and mtf: a
halted position's weight is 0, so its output no longer changes. The
paper's "halting threshold 0.5" gives tau = 0.5 whether it is read as tau
or as epsilon, since 1 - 0.5 = 0.5; the default act_epsilon is 0.5.

Where this departs from mtf 0.1.21's UTLayerStack (act mode):
  - mtf unrolls act_max_steps + 1 steps and halts a position only when
    P passes tau, never at the limit (its weights then need not sum to 1);
    here T steps and the position halts at step T with its remainder.
  - mtf adds no ponder loss (it only logs the mean n_updates); t2t adds
    act_loss_weight * mean(N + R). Here ponder_loss_weight, default 0
    as mtf, appends weight * mean(N + R) to the model's losses.
  - mtf's halting bias starts at 0 (t2t's at 1.0): act_halting_bias_init.

The release (the authors' universal_transformer.gin on mtf's UTLayerStack)
bound recurrence_type "basic", so ACT never ran: 24 plain steps (the
act_* values inert, act_epsilon 0.05), the learned step signal added, no
position signal (mtf's step_preprocess never adds it although
add_position_timing_signal = True), 2 applications of the same block before
and after the recurrence (mix_with_transformer_before/after_ut,
num_vanilla_transformer_layers 2), and GRU gating of every sub-block
(use_gated_transformer, gating_type "gru"; gates_inputs and
couple_carry_transform_gates are read only by its "highway" recurrence).
Bind, per stack,

    recurrence = "basic", vanilla_layers_before = 2, vanilla_layers_after = 2,
    gating = "gru"   (step_signal = "learned" and num_steps = 24 are defaults)

for that model. mtf's GRU gate of a sub-block F with input x and output
y = F(LN(x)) (before the residual), as it runs:

    u = sigmoid(W_u [G(x); G(y)] + b_u)
    r = sigmoid(W_r [G(G(x)); G(G(y))] + b_r)    (mtf normalizes its gate
                                                  inputs in place, so the
                                                  reset gate sees them twice)
    c = sigmoid(W_c [G(r * x); G(y)] + b_c)       (a sigmoid, not a tanh)
    x <- x + (1 - u) * y + u * c

with one layer norm G (gain and bias) per sub-block for all its gates, and
[a; b] the two inputs side by side over dimensions.GATE_INPUTS. Each
gate's kernel is mtf's [2 d_model, d_model] kernel as [2, d_model,
d_model]; the padding is zeroed before each G, as mtf does.

One set of weights: every application calls the same layer objects in the
same variable scopes, so mtf.get_variable returns the same variables; the
step embedding has one row per step (the only weight whose size depends
on T). Incremental decoding: the steps are unrolled in the graph, so each
application of a self-attention records its own keys and values in
context.states (one cache per step) and reads them back in the same order
at the next position; an encoder-decoder attention records its constant
state once per application. ACT needs nothing else: a position's halting
depends only on its own states.

Usage: bind `encoder/transformer.make_layer_stack.layer_stack_cls` and
`decoder/...` to `@mtf_mods.UniversalTransformerStack`, with
`num_layers = 1` (one block) for the paper's model.
"""
import collections
import math

import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers import layer_norm
from mtf_mods.layers.dense import dense

RECURRENCES = ("act", "basic")
ACT_STATES = ("interpolated", "accumulated")
GATINGS = (None, "gru")
STEP_SIGNALS = (None, "learned")
GATE_NORM_EPSILON = 1e-6  # mtf UTLayerStack's norm_epsilon

ActResult = collections.namedtuple(
    "ActResult", ["output", "halting_probability", "remainders", "n_updates"])


def _check(name, value, valid):
  if value not in valid:
    raise ValueError("UniversalTransformerStack: unknown %s %r; valid: %s"
                     % (name, value, ", ".join(map(repr, valid))))


def _is_call_layer(sublayer):
  return getattr(sublayer, "__name__", None) == "sublayer_call_layer"


def position_timing_signal(context, dtype):
  """t2t's sinusoid of the position over d_model: [sin(t k); cos(t k)],
  k_i = 10^(-4 i / (d/2 - 1)), i < d/2 (Vaswani et al. 2017, Sec. 3.5)."""
  model_dim = context.model.model_dim
  half = model_dim.size // 2
  half_dim = mtf.Dimension(dimensions.TIMING_CHANNELS, half)
  log_increment = math.log(1.0e4) / max(half - 1, 1)
  inverse_timescales = mtf.exp(
      mtf.range(context.mesh, half_dim, dtype) * -log_increment)
  angles = mtf.cast(context.position, dtype) * inverse_timescales
  signal = mtf.concat([mtf.sin(angles), mtf.cos(angles)],
                      dimensions.TIMING_CHANNELS)
  return mtf.rename_dimension(signal, dimensions.TIMING_CHANNELS,
                              model_dim.name)


@gin.configurable(module="mtf_mods")
class UniversalTransformerStack(transformer.LayerStack):
  """A LayerStack applying its layer list recurrently (see the module doc).

  Attributes:
    recurrence: "act" (ACT halting, the paper's) or "basic" (always
      num_steps steps, the release's as run).
    num_steps: T, the recurrent steps (ACT's maximum); 24 in the paper.
    act_epsilon: ACT halts when the accumulated probability passes
      1 - act_epsilon; 0.5 is the paper's threshold (0.05 in the release,
      where it was inert).
    act_state: "interpolated" (t2t/mtf basic ACT) or "accumulated"
      (Graves's weighted average).
    act_halting_bias_init: initial bias b of the halting unit.
    ponder_loss_weight: weight of mean(N + R) added to the model's loss.
    step_signal: "learned" (a row per step, mtf's) or None.
    position_signal: add t2t's sinusoid of the position at every step.
    vanilla_layers_before, vanilla_layers_after: applications of the same
      block before and after the recurrence (2 and 2 in the release).
    gating: None or "gru" (mtf's GRU gate on every sub-block).
    Other arguments (the sublayers, recompute_grads) are LayerStack's.
  """

  def __init__(self, layers, recurrence="act", num_steps=24, act_epsilon=0.5,
               act_state="interpolated", act_halting_bias_init=0.0,
               ponder_loss_weight=0.0, step_signal="learned",
               position_signal=False, vanilla_layers_before=0,
               vanilla_layers_after=0, gating=None, **kwargs):
    _check("recurrence", recurrence, RECURRENCES)
    _check("act_state", act_state, ACT_STATES)
    _check("gating", gating, GATINGS)
    _check("step_signal", step_signal, STEP_SIGNALS)
    if num_steps < 1:
      raise ValueError("UniversalTransformerStack: num_steps must be >= 1; "
                       "got %r" % num_steps)
    if not 0.0 <= act_epsilon < 1.0:
      raise ValueError("UniversalTransformerStack: act_epsilon must be in "
                       "[0, 1); got %r" % act_epsilon)
    super().__init__(layers, **kwargs)
    if gating and not any(map(_is_call_layer, self._sublayers_per_layer)):
      raise ValueError("UniversalTransformerStack: gating needs "
                       "sublayer_call_layer in sublayers_per_layer")
    self.recurrence = recurrence
    self.num_steps = num_steps
    self.act_epsilon = act_epsilon
    self.act_state = act_state
    self.act_halting_bias_init = act_halting_bias_init
    self.ponder_loss_weight = ponder_loss_weight
    self.step_signal = step_signal
    self.position_signal = position_signal
    self.vanilla_layers_before = vanilla_layers_before
    self.vanilla_layers_after = vanilla_layers_after
    self.gating = gating

  @property
  def threshold(self):
    return 1.0 - self.act_epsilon

  # -------------------------------------------------------------------------
  # The stack.

  def call(self, context, x):
    x = self._call_sublayers(self._sublayers_initial, x, context)
    context.layer_outputs.append(x)
    for _ in range(self.vanilla_layers_before):
      x = self.block(context, x)
    if self.recurrence == "act":
      result = self.adaptive_computation(context, x)
      self._add_ponder_loss(context, result)
      x = result.output
    else:
      for step in range(self.num_steps):
        x = self.block(context, self.step_preprocess(context, x, step))
    for _ in range(self.vanilla_layers_after):
      x = self.block(context, x)
    x = self._call_sublayers(self._sublayers_final, x, context)
    x = transformer.sublayer_mask_padding(x, self, context)
    context.layer_outputs.append(x)
    return x

  def block(self, context, x):
    """One application of the layer list (the shared weights)."""
    for layer in self._layers:
      with tf.variable_scope(layer.name or ""):
        if self._recompute_grads:
          def fn(x, l=layer, c=context):
            return self._layer_fn(x, l, c)
          x = mtf.recompute_grad(fn, [x])
        else:
          x = self._layer_fn(x, layer, context)
      context.layer_outputs.append(x)
      context.layer_index += 1
    return x

  def _layer_fn(self, x, layer, context):
    """LayerStack's per-layer sublayers, with the gate after the call."""
    context.current_layer = layer
    context.current_layer_input = x
    y = x
    for sublayer in self._sublayers_per_layer:
      y = sublayer(y, self, context)
      if self.gating and _is_call_layer(sublayer):
        y = self.gru_gate(context, x, y)
    if y.shape != x.shape:
      raise ValueError("Layer %s returned misshaped output x=%s y=%s"
                       % (layer.__class__.__name__, x, y))
    return y

  # -------------------------------------------------------------------------
  # Timing signals and ACT.

  def step_preprocess(self, context, x, step):
    """s_n = h_(n-1) + position signal + step embedding E_n."""
    if self.position_signal:
      x += position_timing_signal(context, x.dtype)
    if self.step_signal == "learned":
      model_dim = context.model.model_dim
      steps_dim = mtf.Dimension(dimensions.STEPS, self.num_steps)
      table = mtf.get_variable(
          context.mesh, "step_embedding", mtf.Shape([steps_dim, model_dim]),
          initializer=tf.random_normal_initializer(
              stddev=model_dim.size ** -0.5),
          dtype=context.variable_dtype)
      # mtf's learned layer signal: the table times sqrt(d_model).
      x += mtf.gather(table, step, steps_dim) * (model_dim.size ** 0.5)
    return x

  def halting_probability(self, context, s):
    """p = sigmoid(w . s + b), one per position."""
    model_dim = context.model.model_dim
    with tf.variable_scope("act_halting"):
      logit = dense(s, [], [model_dim], context, "unit")
      bias = mtf.get_variable(
          context.mesh, "bias", mtf.Shape([]),
          initializer=tf.constant_initializer(self.act_halting_bias_init),
          dtype=context.variable_dtype)
    return mtf.sigmoid(logit + bias)

  def adaptive_computation(self, context, x):
    """The ACT recurrence (module doc): an ActResult of the output y_T, the
    halting probabilities P_N + R (1 once halted), remainders R and
    n_updates N, each but y over the dims of x less d_model."""
    dtype = context.activation_dtype
    zeros = mtf.zeros(context.mesh, x.shape - context.model.model_dim, dtype)
    halting, remainders, n_updates = zeros, zeros, zeros
    output = mtf.zeros_like(x)
    state = x
    for step in range(self.num_steps):
      state = self.step_preprocess(context, state, step)
      p = self.halting_probability(context, state)
      running = mtf.cast(mtf.less(halting, 1.0), dtype)
      if step == self.num_steps - 1:  # the step limit: all still running halt
        new_halted, still_running = running, zeros
      else:
        total = halting + p * running
        new_halted = mtf.cast(mtf.greater(total, self.threshold),
                              dtype) * running
        still_running = mtf.cast(mtf.less_equal(total, self.threshold),
                                 dtype) * running
      halting += p * still_running
      remainders += new_halted * (1.0 - halting)
      halting += new_halted * remainders
      n_updates += still_running + new_halted
      weight = p * still_running + new_halted * remainders
      state = self.block(context, state)
      if self.act_state == "accumulated":
        output += state * weight
      else:
        output = state * weight + output * (1.0 - weight)
    return ActResult(output, halting, remainders, n_updates)

  def _add_ponder_loss(self, context, result):
    if self.ponder_loss_weight and context.losses is not None:
      context.losses.append(self.ponder_loss_weight * mtf.reduce_mean(
          result.n_updates + result.remainders))

  # -------------------------------------------------------------------------
  # mtf's GRU gate.

  def gru_gate(self, context, x, y):
    """mtf UTLayerStack.gating("gru") of x and y = F(LN(x)) (module doc)."""
    with tf.variable_scope("gru_gate"):
      norm = self._gate_norm(context)
      x1, y1 = norm(x), norm(y)
      update = self._gate(context, "update", x1, y1)
      reset = self._gate(context, "reset", norm(x1), norm(y1))
      candidate = self._gate(context, "candidate", norm(reset * x), y1)
    return (1.0 - update) * y + update * candidate

  def _gate_norm(self, context):
    """G: the padding zeroed, then one layer norm (gain, bias) per gate."""
    def norm(t):
      t = transformer.sublayer_mask_padding(t, self, context)
      return layer_norm.layer_norm(t, context.model.model_dim, context,
                                   GATE_NORM_EPSILON)
    return norm

  def _gate(self, context, name, a, b):
    """sigmoid(W [a; b] + bias), W over [GATE_INPUTS, d_model_in, d_model]."""
    model_dim = context.model.model_dim
    inputs_dim = mtf.Dimension(dimensions.GATE_INPUTS, 2)
    in_dim = mtf.Dimension(dimensions.D_MODEL_IN, model_dim.size)
    both = mtf.rename_dimension(mtf.stack([a, b], dimensions.GATE_INPUTS),
                                model_dim.name, in_dim.name)
    return mtf.sigmoid(dense(both, [model_dim], [inputs_dim, in_dim],
                             context, name, use_bias=True))
