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

Layout: the heads are `dimensions.HEADS`, split over the model axis by the
default rules (n_heads must divide by its size); the value table's rows
(`MEMORY_VALUES`) and every other dimension here are in no rule, so the
table is replicated. `gather` refuses a split gathered dimension.
The layer is position-wise: it keeps no state while decoding.
"""
import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import numpy as np
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers import layer_norm
from mtf_mods.layers.dense import dense


class GatherOperation(mtf.Operation):
  """out[s.., i.., r..] = params[s.., indices[s.., i..], r..].

  s: the dimensions indices and params share, i: those of indices only,
  r: the rest of params. `dim` (of params) must not be split; each device
  gathers from its own slices.
  """

  def __init__(self, params, indices, dim, name=None):
    super().__init__([params, indices], name=name or "gather")
    self._dim = dim
    self._shared = [d for d in indices.shape.dims if d in params.shape.dims]
    self._indexed = [d for d in indices.shape.dims
                     if d not in params.shape.dims]
    self._rest = [d for d in params.shape.dims
                  if d != dim and d not in self._shared]
    self._outputs = [mtf.Tensor(
        self, mtf.Shape(self._shared + self._indexed + self._rest),
        params.dtype)]

  def gradient(self, grad_ys):
    params, indices = self.inputs
    return [scatter_add(grad_ys[0], indices, params.shape, self._dim), None]

  def lower(self, lowering):
    mesh_impl = lowering.mesh_impl(self)
    _check_not_split(mesh_impl, self._dim)
    params, indices = self.inputs
    params_order = _permutation(params.shape,
                                self._shared + [self._dim] + self._rest)
    indices_order = _permutation(indices.shape, self._shared + self._indexed)
    batch = len(self._shared)

    def slice_fn(p, i):
      return tf.gather(tf.transpose(p, params_order),
                       tf.transpose(i, indices_order),
                       axis=batch, batch_dims=batch)
    lowering.set_tensor_lowering(self.outputs[0], mesh_impl.slicewise(
        slice_fn, lowering.tensors[params], lowering.tensors[indices]))


class ScatterAddOperation(mtf.Operation):
  """The gradient of GatherOperation: each row of `dy` added to the row of
  a zero `params_shape` tensor its index names."""

  def __init__(self, dy, indices, params_shape, dim, name=None):
    super().__init__([dy, indices], name=name or "scatter_add")
    self._dim = dim
    self._shared = [d for d in indices.shape.dims if d in params_shape.dims]
    self._indexed = [d for d in indices.shape.dims
                     if d not in params_shape.dims]
    self._rest = [d for d in params_shape.dims
                  if d != dim and d not in self._shared]
    self._outputs = [mtf.Tensor(self, params_shape, dy.dtype)]

  def gradient(self, grad_ys):
    dy, indices = self.inputs
    return [mtf.transpose(gather(grad_ys[0], indices, self._dim), dy.shape),
            None]

  def lower(self, lowering):
    mesh_impl = lowering.mesh_impl(self)
    _check_not_split(mesh_impl, self._dim)
    dy, indices = self.inputs
    params_shape = self.outputs[0].shape
    # The devices along a mesh axis that splits only the indices hold
    # partial sums of the same rows.
    summed_axes = {mesh_impl.tensor_dimension_to_mesh_axis(d)
                   for d in self._indexed} - {None}
    if summed_axes & {mesh_impl.tensor_dimension_to_mesh_axis(d)
                      for d in params_shape.dims}:
      raise ValueError("scatter_add: a mesh axis splits both the indices' "
                       "own dimensions and the table")
    dy_order = _permutation(dy.shape, self._shared + self._indexed + self._rest)
    indices_order = _permutation(indices.shape, self._shared + self._indexed)
    ordered = mtf.Shape(self._shared + [self._dim] + self._rest)
    back = _permutation(ordered, params_shape.dims)
    ordered_slice = mesh_impl.slice_shape(ordered)
    batch = len(self._shared)
    rows = int(np.prod(ordered_slice[:batch]))
    size = self._dim.size

    def slice_fn(g, i):
      i = tf.reshape(tf.transpose(i, indices_order), [rows, -1])
      segments = tf.reshape(i + size * tf.range(rows)[:, None], [-1])
      g = tf.reshape(tf.transpose(g, dy_order),
                     [-1] + ordered_slice[batch + 1:])
      out = tf.math.unsorted_segment_sum(g, segments, rows * size)
      return tf.transpose(tf.reshape(out, ordered_slice), back)
    y = mesh_impl.slicewise(slice_fn, lowering.tensors[dy],
                            lowering.tensors[indices])
    if summed_axes:
      y = mesh_impl.allreduce(y, sorted(summed_axes), "SUM")
    lowering.set_tensor_lowering(self.outputs[0], y)


def _permutation(shape, dims):
  return [shape.dims.index(d) for d in dims]


def _check_not_split(mesh_impl, dim):
  if mesh_impl.tensor_dimension_to_mesh_axis(dim) is not None:
    raise ValueError("gather: dimension %r must not be split by the layout"
                     % dim.name)


def gather(params, indices, dim):
  """The entries of `params` along `dim` that `indices` name (a lookup,
  whose gradient is a scatter-add: no one-hot, unlike mtf.gather)."""
  return GatherOperation(params, indices, dim).outputs[0]


def scatter_add(dy, indices, params_shape, dim):
  return ScatterAddOperation(dy, indices, params_shape, dim).outputs[0]


def top_k(x, reduced_dim, k_dim):
  """(values, indices) of the k largest entries of `x` along `reduced_dim`;
  the values' gradient is scattered to the k entries (mtf.top_k's is an
  einsum with a one-hot over `reduced_dim`)."""
  _, indices = mtf.top_k(mtf.stop_gradient(x), reduced_dim, k_dim)
  return gather(x, indices, reduced_dim), indices


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
