"""Product key memory (Lample et al. 2019), in place of a feed-forward block.

Narang et al. 2021, Sec. 2.7 and Table 1 ("Product key memory"): the FFN of
the decoder's layer 11 of 12 becomes this layer, with knn = 32, n_keys =
512 sub-keys per half (n_keys^2 = 262,144 memory slots) and 128-dimensional
sub-keys (key_size = 256; gin/models/product_key_memory.gin says why).
For a position x (d_model wide) and each head h:

  q_h = LN(x W_q[h] + b_q[h]) = [q_h1; q_h2]              two halves of
                                                          key_size / 2
  s_h1 = q_h1 K_h1^T,  s_h2 = q_h2 K_h2^T                 n_keys scores each
  (a_i, I_i) = top_knn(s_hi)                              per half
  c[j, k] = a_1[j] + a_2[k],  n[j, k] = I_1[j] n_keys + I_2[k]
                                                          knn^2 candidates
  (w_h, m_h) = top_knn(c) with its slots n[m_h]
  y = sum_h  softmax(w_h) . V[n[m_h]]                     knn rows of V

The full key of slot i n_keys + j is [K_h1[i]; K_h2[j]], so its score is
s_h1[i] + s_h2[j], and the best knn full keys lie among the knn^2
candidates: the search costs 2 n_keys + knn^2 scores, not n_keys^2.

What the papers leave open follows mtf 0.1.21's
`memory_layers.ProductKeyValueMemory`, the layer the study ran:
  - the query is a dense projection with a bias, normalized by a layer norm
    (not Lample's batch norm) over each half's key_size / 2 values, with
    one scale and bias shared by the heads and halves;
  - each head has its own query projection and sub-keys; the heads share
    the value table, and their weighted reads are summed (as Lample's);
  - no dropout, no bias on the output;
  - initializers: query kernel truncated normal with std d_model^-1/2
    (mtf's VarianceScalingInitializer, so gin's bindings of it apply here
    too), sub-keys Glorot uniform over their [heads, 2, n_keys,
    key_size / 2] shape (tf's rule: fans n_keys x 2 heads and
    key_size / 2 x 2 heads), values normal with std 1 (Lample uses
    d_model^-1/2);
  - slot n[j, k] = I_1[j] n_keys + I_2[k]: the first half picks the block.
Weights: "query/kernel" [d_model, heads, 2, key_size/2], "query/bias",
"query_norm/scale" and "query_norm/bias" [key_size/2], "keys" [heads, 2,
n_keys, key_size/2], "values" [n_keys^2, d_model]: h (d_model + 1)
key_size + key_size + h n_keys key_size + n_keys^2 d_model parameters.

Cost. mtf 0.1.21 reads the selected rows with `mtf.gather`, which is an
einsum of a one-hot over all n_keys^2 slots with the value table: per
position and head 2 knn n_keys^2 d_model FLOPs (about 1.3e10 at the
paper's sizes), and as much again for each of its two gradients; it also
picks the knn candidates' slots with a one-hot over knn^2, and its
top-k's gradients are one-hots over n_keys and knn^2. That is the
"inefficient implementation" behind Table 1's 386.6T operations. Here every
selection is a real gather (`gather`: tf.gather on each device's slice)
whose gradient is a scatter-add of the knn rows (`scatter_add`: an
unsorted segment sum, summed over the devices that split the indices), and
the top-k's values are gathered from the scores by their indices, so no
tensor has n_keys^2 entries per position and no einsum runs over the
slots. The einsums are the query projection (d_model key_size per head),
the scores (n_keys key_size per head), the query norm's two products and
the weighted sum (knn d_model per head). The FLOP counter of
`model_graph` counts einsums only: the gathers (no arithmetic) and the
scatter-add of the gradient (knn d_model additions per position and head)
are not counted. mtf's variables take dense gradients, so the value
table's gradient is still a [n_keys^2, d_model] tensor (zero outside the
selected rows), allreduced over the devices like any replicated weight.
The gather, its scatter-add and the top-k are `mtf_mods.layers.gather`'s.

Layout: the heads are `dimensions.HEADS`, split over the model axis by the
default rules (n_heads must divide by its size); the value table's rows
(`MEMORY_VALUES`) and every other dimension here are in no rule, so the
table is replicated.
The layer is position-wise: it keeps no state while decoding.
"""
import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers import layer_norm
from mtf_mods.layers.dense import dense
from mtf_mods.layers.gather import gather
from mtf_mods.layers.gather import top_k


@gin.configurable(module="mtf_mods")
class ProductKeyMemory(transformer.TransformerLayer):
  """Product key memory: a sparse read of n_keys^2 learned values.

  Attributes:
    key_size: width of a full key and of a head's query (the paper's 128);
      each half is key_size / 2 wide.
    n_keys: sub-keys per half (512): n_keys^2 memory slots.
    n_heads: query heads, each with its own sub-keys.
    knn: keys selected per half and in the end (32).
  """

  def __init__(self, key_size=gin.REQUIRED, n_keys=gin.REQUIRED,
               n_heads=gin.REQUIRED, knn=gin.REQUIRED):
    if key_size % 2:
      raise ValueError("ProductKeyMemory: key_size must be even, got %d"
                       % key_size)
    if not 0 < knn <= n_keys:
      raise ValueError("ProductKeyMemory: knn must be in 1..n_keys (%d), "
                       "got %d" % (n_keys, knn))
    self.key_size = key_size
    self.n_keys = n_keys
    self.n_heads = n_heads
    self.knn = knn

  def call(self, context, x, losses=None):
    del losses
    model_dim = context.model.model_dim
    ensemble_dims = context.model.ensemble_dims
    heads = mtf.Dimension(dimensions.HEADS, self.n_heads)
    halves = mtf.Dimension(dimensions.KEY_HALVES, 2)
    d_key = mtf.Dimension(dimensions.D_PRODUCT_KEY, self.key_size // 2)
    keys_dim = mtf.Dimension(dimensions.PRODUCT_KEYS, self.n_keys)
    slots = mtf.Dimension(dimensions.MEMORY_VALUES, self.n_keys ** 2)
    dtype = context.variable_dtype
    keys = mtf.get_variable(
        x.mesh, "keys", mtf.Shape(ensemble_dims + [heads, halves, keys_dim,
                                                    d_key]),
        initializer=tf.glorot_uniform_initializer(), dtype=dtype)
    values = mtf.get_variable(
        x.mesh, "values", mtf.Shape(ensemble_dims + [slots, model_dim]),
        initializer=tf.random_normal_initializer(), dtype=dtype)
    new_dims = [heads, halves, d_key]
    query = dense(x, new_dims, [model_dim], context, "query", use_bias=True,
                  initializer=mtf.layers.VarianceScalingInitializer()(
                      [model_dim], new_dims))
    # mtf.layers.layer_norm's, epsilon 1e-6.
    query = layer_norm.layer_norm(query, d_key, context, 1e-6,
                                  scope="query_norm", gain="scale")
    scores = mtf.einsum([query, keys],
                        output_shape=query.shape - d_key + keys_dim)
    weights, slot = self.select(scores, keys_dim, halves)
    weights = mtf.softmax(weights, weights.shape.dims[-1])
    rows = gather(values, slot, slots)  # [.., heads, knn, d_model]
    return mtf.einsum([rows, weights], output_shape=x.shape)

  def select(self, scores, keys_dim, halves):
    """(scores, memory slots) of the knn best full keys, per head.

    Args:
      scores: [.., heads, key_halves, product_keys], each half's sub-key
        scores.
      keys_dim, halves: its product_keys and key_halves dimensions.
    Returns:
      two [.., heads, knn] tensors: the scores, and the slots in
      0..n_keys^2 - 1 (int32).
    """
    knn = mtf.Dimension(dimensions.KNN, self.knn)
    knn_second = mtf.Dimension(dimensions.KNN_SECOND, self.knn)
    candidates = mtf.Dimension(dimensions.CANDIDATES, self.knn ** 2)
    best, index = top_k(scores, keys_dim, knn)  # [.., heads, halves, knn]
    best_1, best_2 = mtf.unstack(best, halves)
    index_1, index_2 = mtf.unstack(index, halves)
    best_2 = mtf.rename_dimension(best_2, dimensions.KNN, dimensions.KNN_SECOND)
    index_2 = mtf.rename_dimension(index_2, dimensions.KNN,
                                   dimensions.KNN_SECOND)
    pairs = best_1.shape + knn_second
    pair_scores = mtf.replace_dimensions(
        mtf.add(best_1, best_2, output_shape=pairs), [knn, knn_second],
        candidates)
    pair_slots = mtf.replace_dimensions(
        mtf.add(index_1 * self.n_keys, index_2, output_shape=pairs),
        [knn, knn_second], candidates)
    top_scores, top = top_k(pair_scores, candidates, knn)
    return top_scores, gather(pair_slots, top, candidates)
