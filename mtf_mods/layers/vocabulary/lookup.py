"""The kit's embedding lookup: a gather of table rows (layers.gather).

mtf 0.1.21's `VocabEmbedding.ids_to_embedding` is `mtf.gather`, an einsum
of a (tokens x vocab) one-hot with the table, forward and backward: at the
cpu scale 4.2 of the step's 59 GFLOP, and a 18 MB one-hot per step. The
kit's VocabEmbedding reads the same rows with a real gather (the same
embeddings bit for bit; the table's gradient is the same sums in another
order). `embedding_lookup.method = "one_hot"` restores mtf's matmul, which
the authors' release ran.

Table 1's Ops count a lookup as that matmul, and so does `model_graph`'s
FLOP count by default (LookupOperation.one_hot_flops): the kit's Ops stay
comparable with the paper's; the bench counts only what runs.
"""
import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import numpy as np

from mtf_mods.layers import gather


def _one_hot_points(table, ids):
  """Points of the joint index space of mtf.gather's one-hot einsum."""
  dims = set(table.shape.dims) | set(ids.shape.dims)
  return int(np.prod([d.size for d in dims], dtype=np.float64))


class LookupOperation(gather.GatherOperation):
  """An embedding lookup: a gather, counted as mtf's one-hot product."""

  def gradient(self, grad_ys):
    table, ids = self.inputs
    return [LookupGradientOperation(grad_ys[0], ids, table.shape,
                                    self._dim).outputs[0], None]

  def one_hot_flops(self):
    """The forward einsum's FLOPs in mtf.gather."""
    return 2 * _one_hot_points(*self.inputs)


class LookupGradientOperation(gather.ScatterAddOperation):
  """The table's gradient of a lookup: a scatter-add, counted as the two
  gradient einsums of mtf.gather's product."""

  def one_hot_flops(self):
    _, ids = self.inputs
    return 2 * 2 * _one_hot_points(self.outputs[0], ids)


ONE_HOT_COUNTED = (LookupOperation, LookupGradientOperation)

GATHER = "gather"
ONE_HOT = "one_hot"
METHODS = (GATHER, ONE_HOT)


@gin.configurable(module="mtf_mods")
def embedding_lookup(table, ids, vocab_dim, method=GATHER):
  """The rows of `table` at `ids` along `vocab_dim`.

  Args:
    table: an mtf.Tensor with `vocab_dim`.
    ids: an integer mtf.Tensor.
    vocab_dim: the mtf.Dimension the ids index.
    method: "gather" (layers.gather) or "one_hot" (mtf.gather).

  Raises:
    ValueError: an unknown method.
  """
  if method not in METHODS:
    raise ValueError("unknown embedding_lookup.method %r; valid: %s"
                     % (method, ", ".join(METHODS)))
  if method == ONE_HOT:
    return mtf.gather(table, ids, vocab_dim)
  return LookupOperation(table, ids, vocab_dim).outputs[0]


@gin.configurable(module="mtf_mods")
class VocabEmbedding(transformer.VocabEmbedding):
  """mtf's VocabEmbedding (its variables, initializer and logits) with the
  lookup of `embedding_lookup`."""

  def ids_to_embedding(self, ids, context):
    del context
    embedding = embedding_lookup(self._embedding_weights, ids,
                                 self._vocab_dim)
    if self._scale_variable_like_classifier_weights:
      embedding *= self._output_dim.size ** 0.5
    return embedding
