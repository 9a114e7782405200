"""Branched attention: the Weighted Transformer (Ahmed et al. 2017; Narang
et al. 2021, Sec. 2.7).

The heads of multi-head attention become branches. Each branch keeps its
own output projection, is scaled by a weight kappa_i, goes through the
layer's feed-forward on its own, and the branches are summed with weights
alpha_i (Ahmed et al. 2017, eq. 3-4):

  head_i = Attention(x W_i^Q, m W_i^K, m W_i^V)            i = 1..H
  y      = sum_i alpha_i FFN(kappa_i head_i W_i^O)
  kappa_i, alpha_i >= 0,  sum_i kappa_i = sum_i alpha_i = 1

m is x for self-attention and the encoder output for encoder-decoder
attention; Attention is the baseline's (mtf_mods.layers.transformer_layers
.attention), with its masks and, in self-attention, its relative position
bias. FFN is the baseline's ReLU feed-forward with biases, one set of
weights per layer shared by its branches. The feed-forward is inside the
branched layer, so a Weighted Transformer has none of its own: an encoder
layer is [branched self-attention] and a decoder layer [branched
self-attention, branched encoder-decoder attention], as in the release. A
layer costs H feed-forwards: the paper's 71.0T Ops against 11.1T.

kappa and alpha are [heads] variables ("kappa", "alpha"; mtf_mods.
branch_weight_schedule.BRANCH_WEIGHTS matches them), initialized U(0, 1) as the
release's. The kit keeps them on the simplex by construction: the layer
uses relu(k) / sum relu(k), the map that mtf 0.1.21's BranchedSelfAttention
declares as its variables' constraint. mtf hands that constraint to
tf.get_variable, and mtf's optimizers never apply variable constraints, so
the release trained the raw, unconstrained k:
constrain_branch_weights=False is the release as it ran.

Heads lie on dimensions.HEADS (split over the mesh's model axis); the
branches' feed-forward hidden layer on dimensions.BRANCH_D_FF, which the
layout never splits (a tensor cannot split two dimensions over one axis).
W_i^O is the baseline's output kernel [heads, d_kv, d_model], not summed
over the heads.
"""
import gin
import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers import fused
from mtf_mods.layers.transformer_layers import attention
from mtf_mods.layers.transformer_layers import feed_forward

KAPPA, ALPHA = "kappa", "alpha"


class _BranchFeedForward(feed_forward.FeedForward):
  """The baseline's feed-forward over dimensions.BRANCH_D_FF."""

  @property
  def hidden_dim(self):
    return mtf.Dimension(dimensions.BRANCH_D_FF, self.hidden_size)


class _Branches:
  """The branches' output: replaces multi-head attention's projection W^O
  (mixed into a subclass of the baseline's attention)."""

  def _init_branches(self, hidden_size, dropout_rate,
                     constrain_branch_weights):
    self.feed_forward = _BranchFeedForward(
        hidden_size=hidden_size, activation="relu", gated=False,
        use_bias=True, dropout_rate=dropout_rate)
    self.constrain_branch_weights = constrain_branch_weights

  def branch_weight(self, context, name):
    """kappa or alpha [<ensemble>, heads], constrained to the simplex."""
    shape = mtf.Shape(context.model.ensemble_dims + [self.heads_dim])
    weight = mtf.get_variable(
        context.mesh, name, shape,
        initializer=tf.random_uniform_initializer(0.0, 1.0),
        dtype=context.variable_dtype)
    if not self.constrain_branch_weights:
      return weight
    weight = fused.relu(weight)
    return weight / (mtf.reduce_sum(weight, reduced_dim=self.heads_dim)
                     + 1e-9)

  def output(self, context, o):
    """sum_i alpha_i FFN(kappa_i o_i W_i^O) for o [.., heads, .., d_kv]."""
    model_dim = context.model.model_dim
    with tf.variable_scope("o"):
      kernel = mtf.get_variable(
          context.mesh, "kernel", mtf.Shape(
              context.model.ensemble_dims
              + [self.heads_dim, self.kv_dim, model_dim]),
          initializer=tf.random_normal_initializer(
              stddev=(self.num_heads * self.key_value_size) ** -0.5),
          dtype=context.variable_dtype)
    branches = mtf.einsum([o, kernel], output_shape=(
        o.shape - self.kv_dim + model_dim))
    # kappa scales the projected branches (one product per output, and as
    # many in its gradient) rather than joining the projection's einsum.
    branches = self.feed_forward.call(
        context, branches * self.branch_weight(context, KAPPA))
    alpha = self.branch_weight(context, ALPHA)
    return mtf.einsum([branches, alpha],
                      output_shape=branches.shape - self.heads_dim)


@gin.configurable(module="mtf_mods")
class BranchedSelfAttention(_Branches, attention.MultiHeadSelfAttention):
  """Self-attention whose heads are weighted branches with a feed-forward.

  Attributes (beyond MultiHeadSelfAttention's):
    hidden_size: d_ff of the branches' feed-forward.
    constrain_branch_weights: kappa and alpha on the simplex (the paper);
      False: raw, as the release ran.
  """

  def __init__(self, num_heads=gin.REQUIRED, key_value_size=gin.REQUIRED,
               hidden_size=gin.REQUIRED, dropout_rate=0.0,
               relative_attention="shared_bias", num_buckets=32,
               max_distance=128, constrain_branch_weights=True):
    super().__init__(num_heads, key_value_size, dropout_rate,
                     relative_attention, num_buckets, max_distance)
    self._init_branches(hidden_size, dropout_rate, constrain_branch_weights)


@gin.configurable(module="mtf_mods")
class BranchedEncDecAttention(_Branches, attention.MultiHeadEncDecAttention):
  """Encoder-decoder attention whose heads are weighted branches with a
  feed-forward (attributes as BranchedSelfAttention's)."""

  def __init__(self, num_heads=gin.REQUIRED, key_value_size=gin.REQUIRED,
               hidden_size=gin.REQUIRED, dropout_rate=0.0,
               constrain_branch_weights=True):
    super().__init__(num_heads, key_value_size, dropout_rate)
    self._init_branches(hidden_size, dropout_rate, constrain_branch_weights)
