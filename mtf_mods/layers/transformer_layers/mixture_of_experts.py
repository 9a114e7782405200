"""Sparse mixture of experts in place of a feed-forward block.

Narang et al. 2021, Sec. 2.7 and App. B: the "Mixture of experts" row
(Shazeer et al. 2017, top-2 routing as in GShard, Lepikhin et al. 2020) and
the "Switch Transformer" row (Fedus et al. 2021, top-1 routing). Each of E
experts is a ReLU feed-forward block without biases,
    FFN_e(x) = relu(x Wi_e) Wo_e,
and a router sends each token to one or two of them. Where the paper is
silent the layer does what mtf 0.1.21's moe.MoE1D (transformer_moe_layer_v1,
_top_2_gating, _switch_gating) does, which is what the authors ran.

Groups (mtf's _split_into_groups). The n tokens of x (every dimension but
d_model, in order) are cut into G groups of S = n / G consecutive tokens:
G is the smallest count >= max(1, floor(n / group_size)) that divides n and
is a multiple of the number of ways the mesh splits the batch dimension.
So S may exceed group_size (24 tokens in groups of 16 make one group of
24). Routing and capacity are per group.

Router, in float32 (Fedus et al. 2021, Sec. 2.1):
    p(x) = softmax(x' Wr) over the E experts,
    x' = x * u, u ~ U(1 - jitter, 1 + jitter) elementwise, in training only
    (Fedus et al. 2021, Sec. 2.4; mtf's "input_jitter" policy, which leaves
    x' = x in evaluation); x' = x when jitter = 0.
  top_2:  e1 = argmax_e p_e, e2 = argmax_{e != e1} p_e,
          g1 = p_e1 / (p_e1 + p_e2), g2 = p_e2 / (p_e1 + p_e2).
          The second expert is used always ("all") or, as mtf's default
          "random" policy that the release ran, with probability
          min(1, g2 / second_threshold).
  switch: e1 = argmax_e p_e, g1 = p_e1 (no renormalization).

Capacity (mtf's formula, which rounds down):
    C = max(min_expert_capacity, min(S, floor(capacity_factor * S / E))),
with capacity_factor_train in training and capacity_factor_eval otherwise.
Each expert takes its first choices in token order, then its second
choices in token order (all first choices of the group come before any
second choice); a choice beyond the expert's C slots is dropped.

Combine:
    y(x) = sum over the kept choices k of g_k FFN_{e_k}(x),
so a token whose every choice was dropped has y = 0 and passes through the
block's residual connection unchanged. The gates are not renormalized after
a drop.

Load-balancing loss (Shazeer et al. 2017; Lepikhin et al. 2020; Fedus et al.
2021, Sec. 2.2, eq. 4), per group, over the first choices before drops:
    f_e = (1/S) #{tokens with e1 = e},   P_e = (1/S) sum_tokens p_e,
    loss = loss_coef * mean over groups of E * sum_e f_e P_e;
it is 1 x loss_coef when routing is uniform. It is appended to
`context.losses`, where mtf's Unitransformer collects the auxiliary losses
it adds to the training loss (LayerStack calls a layer without a `losses`
list), and to `losses` when one is given. Padding tokens (context.nonpadding
= 0) are routed nowhere. The papers do not say how padding enters the
loss; the kit does as mtf 0.1.21, which the release ran: top_2
(_top_2_gating) leaves padding out of f and P (both still divided by S);
switch (_switch_gating) counts f and P over every token of the group,
padding included, and scales the group's term by its share of real tokens,
    loss = loss_coef * mean over groups of rho * E * sum_e f_e P_e,
    rho = (1/S) #{real tokens}.

Weights: the router Wr (d_model x E) has the kit's fan-in normal
initializer, std d_model^-1/2. The experts' Wi (E x d_model x d_ff) and Wo
(E x d_ff x d_model) are drawn from a normal of variance
expert_initializer_scale / fan_in: the scale s of Fedus et al. 2021,
Sec. 2.3 and of mtf's VarianceScalingInitializer (the release binds s = 0.1
globally; the kit applies it to the experts only). They are made over
`dimensions.EXPERTS`, which the default layout splits over the batch axis,
and `dimensions.D_FF`, which it splits over the model axis.

The paper's rows, at d_ff = 3072:
  Mixture of experts: num_experts = 32, routing = "top_2",
    hidden_size = 1536 (d_ff / 2, FLOP-matched), capacity factors 2.0.
  Switch Transformer: num_experts = 32, routing = "switch",
    hidden_size = 3072, capacity factors 1.2, jitter = 1e-2.

Incremental decoding: the layer is position-wise and keeps no state. A
step (length 1, or no length dimension) routes the step's tokens, one per
sequence, in groups of its own; a group of at most min_expert_capacity
tokens (one token per device, say) drops nothing. The groups of a step are
not those of the full sequence, so decoding step by step equals teacher
forcing only where neither drops a choice (as in mtf).
"""
import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers.transformer_layers import activations

ROUTINGS = ("top_2", "switch")
SECOND_POLICIES = ("all", "random")


def split_into_groups(num_tokens, max_group_size, num_splits):
  """(number of groups G, tokens per group S) for `num_tokens` tokens.

  G is the smallest count >= max(1, num_tokens // max_group_size) that
  divides num_tokens and is a multiple of `num_splits`, the ways the mesh
  splits the batch dimension; S = num_tokens / G.
  """
  if num_tokens % num_splits:
    raise ValueError("%d tokens do not split %d ways over the mesh"
                     % (num_tokens, num_splits))
  num_groups = max(1, num_tokens // max_group_size)
  while num_groups % num_splits or num_tokens % num_groups:
    num_groups += 1
  return num_groups, num_tokens // num_groups


def expert_capacity(group_size, capacity_factor, num_experts,
                    min_expert_capacity):
  """C = max(min_expert_capacity, min(S, floor(factor * S / E)))."""
  capacity = min(group_size, int(group_size * capacity_factor / num_experts))
  return max(capacity, min_expert_capacity)


def _slots(choice, offset, group_dim, capacity_dim):
  """The capacity slot each kept choice takes.

  Args:
    choice: [groups, group, experts] one-hot of one choice per token (a zero
      row for a token without this choice).
    offset: slots already taken per expert ([groups, experts]), or 0.
    group_dim, capacity_dim: the group and capacity dimensions.

  Returns:
    ([groups, group, experts, capacity] one-hot of the slot of each kept
    choice, [groups, experts] slots taken after these choices).
  """
  slot = mtf.cumsum(choice, group_dim, exclusive=True) + offset
  kept = choice * mtf.to_float(mtf.less(slot, float(capacity_dim.size)))
  return (kept * mtf.one_hot(mtf.to_int32(slot), capacity_dim),
          offset + mtf.reduce_sum(kept, reduced_dim=group_dim))


@gin.configurable(module="mtf_mods")
class MixtureOfExperts(transformer.TransformerLayer):
  """Router -> the chosen experts' ReLU blocks -> gate-weighted sum.

  Attributes:
    num_experts: E.
    hidden_size: each expert's d_ff.
    routing: "top_2" (Mixture of experts) or "switch" (top-1).
    capacity_factor_train, capacity_factor_eval: the capacity factor in
      training and otherwise (evaluation, decoding).
    group_size: the most tokens routed together (mtf's 1024).
    min_expert_capacity: the fewest slots an expert has in a group (mtf's 4).
    jitter: multiplicative noise on the router's input in training.
    loss_coef: the load-balancing loss's coefficient (mtf's 1e-2).
    dropout_rate: dropout on the experts' hidden activations in training.
    expert_initializer_scale: s, the experts' weights' variance times fan-in.
    second_policy_train, second_policy_eval: top_2's use of the second
      expert: "all", or "random" (mtf's default, which the release ran).
    second_threshold: the "random" policy's threshold (mtf's 0.2).
    activation: the experts' activation, a name in `activations.ACTIVATIONS`.
  """

  def __init__(self, num_experts=32, hidden_size=gin.REQUIRED,
               routing="top_2", capacity_factor_train=2.0,
               capacity_factor_eval=2.0, group_size=1024,
               min_expert_capacity=4, jitter=0.0, loss_coef=1e-2,
               dropout_rate=0.0, expert_initializer_scale=0.1,
               second_policy_train="random", second_policy_eval="random",
               second_threshold=0.2, activation="relu"):
    if routing not in ROUTINGS:
      raise ValueError("unknown routing %r; valid: %s"
                       % (routing, ", ".join(ROUTINGS)))
    for policy in (second_policy_train, second_policy_eval):
      if policy not in SECOND_POLICIES:
        raise ValueError("unknown second-expert policy %r; valid: %s"
                         % (policy, ", ".join(SECOND_POLICIES)))
    self.num_experts = num_experts
    self.hidden_size = hidden_size
    self.routing = routing
    self.capacity_factor_train = capacity_factor_train
    self.capacity_factor_eval = capacity_factor_eval
    self.group_size = group_size
    self.min_expert_capacity = min_expert_capacity
    self.jitter = jitter
    self.loss_coef = loss_coef
    self.dropout_rate = dropout_rate
    self.expert_initializer_scale = expert_initializer_scale
    self.second_policy_train = second_policy_train
    self.second_policy_eval = second_policy_eval
    self.second_threshold = second_threshold
    self.activation = activations.get_activation(activation)

  def call(self, context, x, losses=None):
    if context.model.ensemble_dims:
      raise NotImplementedError("MixtureOfExperts has no ensembles")
    model_dim = context.model.model_dim
    if x.shape.dims[-1] != model_dim:
      raise ValueError("MixtureOfExperts needs %s last in %s"
                       % (model_dim, x.shape))
    token_dims = x.shape.dims[:-1]
    # The groups take the batch dimension's name, so they split as it does.
    num_groups, group_size = split_into_groups(
        mtf.Shape(token_dims).size, self.group_size,
        mtf.tensor_dim_to_mesh_dim_size(
            context.model.layout, context.model.mesh_shape, token_dims[0]))
    groups_dim = mtf.Dimension(token_dims[0].name, num_groups)
    group_dim = mtf.Dimension(dimensions.GROUP, group_size)
    capacity_dim = mtf.Dimension(dimensions.EXPERT_CAPACITY, expert_capacity(
        group_size, self.capacity_factor_train if context.train
        else self.capacity_factor_eval, self.num_experts,
        self.min_expert_capacity))
    routed_dim = mtf.Dimension(dimensions.EXPERTS_UNSPLIT, self.num_experts)
    x_grouped = mtf.reshape(x, [groups_dim, group_dim, model_dim])
    routable = None
    nonpadding = context.nonpadding
    if isinstance(nonpadding, mtf.Tensor):
      routable = mtf.reshape(
          mtf.zeros(x.mesh, token_dims, tf.float32)
          + mtf.to_float(mtf.equal(nonpadding, 1.0)), [groups_dim, group_dim])
    combine, loss = self._route(context, x_grouped, routed_dim, group_dim,
                                capacity_dim, routable)

    # Each expert's slots, gathered by a one-hot product, then re-laid out
    # from the tokens' side (groups split) to the experts' (experts split).
    dispatch = mtf.cast(mtf.not_equal(combine, 0.0), x.dtype)
    experts_dim = mtf.Dimension(dimensions.EXPERTS, self.num_experts)
    unsplit_groups_dim = mtf.Dimension(dimensions.GROUPS, num_groups)
    expert_inputs = mtf.reshape(
        mtf.einsum([x_grouped, dispatch], output_shape=[
            routed_dim, groups_dim, capacity_dim, model_dim]),
        [experts_dim, unsplit_groups_dim, capacity_dim, model_dim])
    hidden_dim = mtf.Dimension(dimensions.D_FF, self.hidden_size)
    h = self.activation(mtf.einsum(
        [expert_inputs, self._expert_weight(
            context, "wi", [experts_dim, model_dim, hidden_dim])],
        output_shape=[experts_dim, unsplit_groups_dim, capacity_dim,
                      hidden_dim]))
    if context.train and self.dropout_rate > 0.0:
      h = mtf.dropout(h, context.train, rate=self.dropout_rate)
    expert_outputs = mtf.einsum(
        [h, self._expert_weight(
            context, "wo", [experts_dim, hidden_dim, model_dim])],
        output_shape=[experts_dim, unsplit_groups_dim, capacity_dim,
                      model_dim])
    expert_outputs = mtf.reshape(
        expert_outputs, [routed_dim, groups_dim, capacity_dim, model_dim])
    y = mtf.einsum([expert_outputs, mtf.cast(combine, x.dtype)],
                   output_shape=[groups_dim, group_dim, model_dim])

    loss = mtf.cast(loss, x.dtype)
    if context.losses is not None:
      context.losses.append(loss)
    if losses is not None and losses is not context.losses:
      losses.append(loss)
    return mtf.reshape(y, x.shape)

  def _route(self, context, x, routed_dim, group_dim, capacity_dim,
             routable):
    """([groups, group, experts, capacity] gates, load-balancing loss)."""
    router_inputs = mtf.to_float(x)
    if context.train and self.jitter > 0.0:
      router_inputs *= mtf.random_uniform(
          x.mesh, router_inputs.shape, minval=1.0 - self.jitter,
          maxval=1.0 + self.jitter, dtype=tf.float32)
    model_dim = x.shape.dims[-1]
    with tf.variable_scope("router"):
      router = mtf.get_variable(
          x.mesh, "kernel", mtf.Shape([model_dim, routed_dim]),
          initializer=tf.random_normal_initializer(
              stddev=model_dim.size ** -0.5),
          dtype=context.variable_dtype)
    logits = mtf.einsum(
        [router_inputs, mtf.to_float(router)],
        output_shape=x.shape.dims[:-1] + [routed_dim])
    probabilities = mtf.softmax(logits, routed_dim)

    gate_1, expert_1 = mtf.top_1(probabilities, routed_dim)
    choice_1 = mtf.one_hot(expert_1, routed_dim)
    real_share = 1.0
    if routable is not None:
      if self.routing == "switch":  # mtf's order: counted, then masked
        real_share = mtf.reduce_mean(routable, reduced_dim=group_dim)
        balance = self._balance(choice_1, probabilities, group_dim,
                                routed_dim)
      choice_1 *= routable
      probabilities *= routable
    if routable is None or self.routing != "switch":
      balance = self._balance(choice_1, probabilities, group_dim, routed_dim)
    loss = self.loss_coef * mtf.reduce_mean(balance * real_share)
    if context.num_microbatches and context.num_microbatches > 1:
      loss /= context.num_microbatches

    slots_1, taken = _slots(choice_1, 0.0, group_dim, capacity_dim)
    if self.routing == "switch":
      return gate_1 * slots_1, loss

    gate_2, expert_2 = mtf.top_1(probabilities * (1.0 - choice_1),
                                 routed_dim)
    choice_2 = mtf.one_hot(expert_2, routed_dim)
    if routable is not None:
      choice_2 *= routable
    total = gate_1 + gate_2 + 1e-9
    gate_1 /= total
    gate_2 /= total
    policy = (self.second_policy_train if context.train
              else self.second_policy_eval)
    if policy == "random":
      choice_2 *= mtf.to_float(mtf.less(
          mtf.random_uniform(x.mesh, gate_2.shape),
          gate_2 / max(self.second_threshold, 1e-9)))
    slots_2, _ = _slots(choice_2, taken, group_dim, capacity_dim)
    return gate_1 * slots_1 + gate_2 * slots_2, loss

  def _balance(self, choice, probabilities, group_dim, routed_dim):
    """E * sum_e f_e P_e per group: f the first choices' shares, P the mean
    router probabilities."""
    fraction = mtf.reduce_mean(choice, reduced_dim=group_dim)
    mean_probability = mtf.reduce_mean(probabilities, reduced_dim=group_dim)
    return self.num_experts * mtf.reduce_sum(fraction * mean_probability,
                                             reduced_dim=routed_dim)

  def _expert_weight(self, context, name, shape):
    """The experts' kernel `name`/kernel over `shape` = [experts, in, out]."""
    stddev = (self.expert_initializer_scale / shape[1].size) ** 0.5
    with tf.variable_scope(name):
      return mtf.get_variable(
          context.mesh, "kernel", mtf.Shape(shape),
          initializer=tf.random_normal_initializer(stddev=stddev),
          dtype=context.variable_dtype)
