"""Adaptive input embeddings (Baevski & Auli 2019; Narang et al. 2021,
Sec. 2.4).

The vocabulary, ordered by frequency (T5's ids are; the kit renumbers the
vocabularies it trains so, tasks/vocabularies.py), is split into
contiguous clusters, the more frequent with the larger embeddings. Cluster i
holds the n_i ids from s_i, embeds them in e_i dimensions and projects them
to d_model:
    embedding(x) = E_i[x - s_i] P_i   for s_i <= x < s_i + n_i,
    E_i: [n_i, e_i],   P_i: [e_i, d_model]
    logits(h) = concat_i (d_model^-1/2 h P_i^T E_i^T)   over the vocabulary
A cluster with e_i = d_model has no projection (P_i = I), as in mtf. The
logits are used when the softmax shares the embedding's weights
(`Unitransformer.shared_embedding_and_softmax_weights`): a full softmax over
the whole vocabulary, not Baevski & Auli's adaptive softmax. The initializers
are mtf's: E_i ~ N(0, 1) without a projection, else E_i and P_i
~ N(0, e_i^-1/2) (as `factorized`).

The same computation, initializers and parameters as mtf 0.1.21's
vocab_embeddings.AdaptiveVocabEmbedding, whose variables are "<name>_<i>"
(unprojected) or "<name>_<i>1" and "<name>_<i>2" (here
"<name>/cluster_<i>/token" and "<name>/cluster_<i>/projection").
Baevski & Auli also project the first cluster (a d_model x d_model P_0);
mtf, which the paper used, does not. mtf requires every cluster's
"embedding_size"; here it defaults to d_model, as in `clusters`.

Layout: a cluster's ids are `dimensions.VOCAB_CLUSTER`, never split, since a
layout splits a dimension only into equal parts and clusters have odd sizes
at some scales (375 and 1645 ids at the tiny scale). The clusters' weights
are therefore replicated over the mesh's model axis; the logits, concatenated
over the clusters, are renamed to `dimensions.VOCAB` and so split. mtf's
class names each cluster's ids "vocab", so `vocab:model` cannot lay it out
with an odd cluster, nor at all: mtf cannot concatenate along a split
dimension.
"""
import gin
import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers.vocabulary import cluster_table


class _Cluster(object):
  """Cluster i: the ids s_i .. s_i + n_i - 1 and their table."""

  def __init__(self, start, table):
    self._start = start
    self._table = table

  def ids_to_embedding(self, ids):
    """E_i[ids - s_i] P_i; zero for ids outside the cluster."""
    return self._table.embed(ids - self._start)

  def hidden_to_logits(self, hidden):
    """hidden P_i^T E_i^T, over the cluster's ids."""
    return self._table.logits(hidden)


@gin.configurable(module="mtf_mods")
class AdaptiveInputEmbedding(object):
  """Ids to d_model through one embedding per frequency cluster, and back.

  The interface of mtf's transformer.VocabEmbedding: bind it to
  `transformer.get_vocab_embedding_cls.cls`.
  """

  def __init__(self, mesh, vocab_dim, output_dim, variable_dtype, name,
               ensemble_dim, clusters=gin.REQUIRED):
    """Creates each cluster's weights under "<name>/cluster_<i>/".

    Args:
      mesh: the mtf.Mesh.
      vocab_dim: the vocabulary's mtf.Dimension.
      output_dim: d_model's mtf.Dimension.
      variable_dtype: an mtf.VariableDType.
      name: the variable scope of the clusters.
      ensemble_dim: an mtf.Dimension of ensemble members, or None.
      clusters: list of dicts, in id order: "token_count" n_i (summing to the
        vocabulary's size) and "embedding_size" e_i (default d_model), as
        mtf's AdaptiveVocabEmbedding and `clusters.adaptive_clusters` take.

    Raises:
      ValueError: the token counts do not sum to the vocabulary's size.
    """
    counts = [cluster["token_count"] for cluster in clusters]
    if sum(counts) != vocab_dim.size:
      raise ValueError("adaptive input clusters' token counts %s sum to %d, "
                       "not the vocabulary's %d ids"
                       % (counts, sum(counts), vocab_dim.size))
    self._vocab_dim = vocab_dim
    self._output_dim = output_dim
    self._clusters = []
    start = 0
    with tf.variable_scope(name):
      for i, cluster in enumerate(clusters):
        with tf.variable_scope("cluster_%d" % i):
          self._clusters.append(_Cluster(start, cluster_table.ClusterTable(
              mesh, cluster["token_count"],
              cluster.get("embedding_size", output_dim.size), output_dim,
              variable_dtype, ensemble_dim)))
        start += cluster["token_count"]

  def ids_to_embedding(self, ids, context):
    """The sum of the clusters' embeddings: each id is in exactly one."""
    del context
    return mtf.add_n([c.ids_to_embedding(ids) for c in self._clusters])

  def hidden_to_logits(self, hidden, context):
    """The clusters' logits of d_model^-1/2 hidden, concatenated."""
    del context
    hidden *= self._output_dim.size ** -0.5
    logits = mtf.concat([c.hidden_to_logits(hidden) for c in self._clusters],
                        dimensions.VOCAB_CLUSTER)
    return mtf.rename_dimension(logits, dimensions.VOCAB_CLUSTER,
                                self._vocab_dim.name)
