"""One frequency cluster's embedding table, as the adaptive layers use it.

Cluster i embeds its rows (its ids, and for the adaptive softmax's head
also one node per tail cluster) in e_i dimensions and projects them to
d_model (Baevski & Auli 2019; Grave et al. 2017; Narang et al. 2021,
Sec. 2.4, 2.6):
    embed(r) = E_i[r] P_i,              E_i: [rows_i, e_i]
    logits(h) = h P_i^T E_i^T,          P_i: [e_i, d_model]
with no projection (P_i = I) when e_i = d_model, as in mtf. The initializers
are mtf 0.1.21's: E_i ~ N(0, 1) without a projection, else E_i and P_i
~ N(0, e_i^-1/2) (as `factorized`). The variables are "token" and
"projection" in the caller's variable scope.

Layout: the rows are `dimensions.VOCAB_CLUSTER` and e_i
`dimensions.D_EMBEDDING`, never split: a layout splits a dimension only
into equal parts, and clusters have odd sizes at some scales.
"""
import mesh_tensorflow as mtf

from mtf_mods.layers import dimensions
from mtf_mods.layers.vocabulary.factorized import embedding_weight


class ClusterTable(object):
  """E_i and, unless e_i = d_model, P_i."""

  def __init__(self, mesh, rows, embedding_size, output_dim, variable_dtype,
               ensemble_dim):
    self.rows_dim = mtf.Dimension(dimensions.VOCAB_CLUSTER, rows)
    self._output_dim = output_dim
    projected = embedding_size != output_dim.size
    self._inner_dim = (mtf.Dimension(dimensions.D_EMBEDDING, embedding_size)
                       if projected else output_dim)
    stddev = embedding_size ** -0.25 if projected else 1.0
    self._token = embedding_weight(
        mesh, "token", [self.rows_dim, self._inner_dim], stddev,
        variable_dtype, ensemble_dim)
    self._projection = embedding_weight(
        mesh, "projection", [self._inner_dim, output_dim], stddev,
        variable_dtype, ensemble_dim) if projected else None

  def embed(self, rows):
    """E_i[rows] P_i; zero for a row outside 0 .. rows_i - 1 (its one-hot
    vector is zero)."""
    x = mtf.gather(self._token, rows, self.rows_dim)
    if self._projection is None:
      return x
    return mtf.einsum([x, self._projection], reduced_dims=[self._inner_dim])

  def logits(self, hidden):
    """hidden P_i^T E_i^T, over the rows."""
    if self._projection is not None:
      hidden = mtf.einsum([hidden, self._projection],
                          reduced_dims=[self._output_dim])
    return mtf.einsum([hidden, self._token], reduced_dims=[self._inner_dim])
