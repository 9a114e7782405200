"""Adaptive softmax (Grave et al. 2017; Narang et al. 2021, Sec. 2.6, App. B).

The vocabulary, ordered by frequency (T5's ids are; the kit renumbers the
vocabularies it trains so, tasks/vocabularies.py), is split into
contiguous clusters: a head cluster 0 of the n_0 most frequent ids and tail
clusters c = 1..C-1 (the paper: 2,500 / 6,000 / 23,500 / 128 ids, the last
holding the sentinels). The head softmax ranges over the head's ids and one
node per tail cluster; a tail id's probability is its cluster's node's
times its probability within the cluster:
    p(v | h) = p_0(v | h)                    v in cluster 0
    p(v | h) = p_0(node_c | h) p_c(v | h)    v in tail cluster c
    p_i(. | h) = softmax(z_i),  z_i = d_model^-1/2 h P_i^T E_i^T
Cluster i embeds its ids in e_i dimensions, E_i: [rows_i, e_i], projected to
d_model by P_i: [e_i, d_model] (P_i = I when e_i = d_model, the "without
projection" row); the head's E_0 has n_0 + C - 1 rows, its ids' then the
tail nodes'. The softmax is tied to the input embedding, which reads the
same weights: embedding(x) = E_i[x - s_i] P_i for x in cluster i (from id
s_i). Initializers are mtf's: E_i ~ N(0, 1) without a projection, else E_i
and P_i ~ N(0, e_i^-1/2).

`AdaptiveSoftmax` (bound to `transformer.get_vocab_embedding_cls.cls`) gives
the log-probabilities log p(v | h) over the whole vocabulary from
`hidden_to_logits` outside training, so decoding and scoring use mtf's
ordinary path. In training it returns the hidden state instead, as mtf's
class does, and `adaptive_softmax_loss` (bound to
`decoder/transformer.Unitransformer.loss_fn`) computes the loss from it.
Outside training the loss is the cross-entropy of the log-probabilities,
without z-loss, as mtf's default loss is. Label smoothing and
`loss_on_targets_only` are not supported: the release ignores them
silently, the loss raises ValueError.

The training loss follows `adaptive_softmax_loss.length_projection`:
  "exact" (the default): per non-padding target t (id 0 is padding), the
    exact cross-entropy plus mtf's z-loss on each softmax it uses,
        loss_t = -log p(t | h) + z (log Z_0)^2 + z (log Z_c)^2 [t in tail c]
    summed and divided by `Unitransformer.loss_denominator` (z =
    `Unitransformer.z_loss`, Z_i the normalizer of softmax i). A cluster's
    length_projection_factor f_c (checked to lie in (0, 1]) has no effect,
    and the tail clusters' logits are computed at every position.
  "release": mtf 0.1.21's loss (adaptive_softmax.adaptive_softmax_loss_fn
    with AdaptiveSoftmaxVocabEmbedding, the release's), equal to it for
    equal weights. A tail cluster c with f_c < 1 is computed only for the
    first ceil(f_c L) targets of c in each sequence of length L, gathered
    into a length of ceil(f_c L) (which is what makes the release's step
    faster), and the rest are dropped; its terms z (log Z_c)^2 - log
    p_c(t | h) are divided by the loss denominator of that shortened length
    (by default batch * ceil(f_c L) instead of batch * L), so they weigh
    about 1/f_c times more. The head's terms, and those of tails with f_c
    = 1, are the exact loss's.
The two agree when every f_c is 1, or when no sequence holds more than
ceil(f_c L) targets of a tail cluster and `loss_denominator` is fixed.
The default is the exact loss because the paper's adaptive softmax (Sec.
2.6) is a distribution over the vocabulary, whose cross-entropy is the
loss; the release's factor is a speed trick that changes the loss (it
drops targets and reweighs the tails), not part of that definition.
(tests/layers/vocabulary/test_adaptive_softmax.py checks both modes
against numpy and mtf's.)

Layout: a cluster's rows are `dimensions.VOCAB_CLUSTER` and its inner
dimension `dimensions.D_EMBEDDING`, never split (clusters are odd-sized at
some scales: 159 head rows, 375 and 1,469 ids at the tiny scale; 2,503 head
rows in the paper). The clusters' weights are replicated over the model
axis; the whole-vocabulary log-probabilities, concatenated over the
clusters, are renamed to `dimensions.VOCAB` and so split. Variables are
"<name>/cluster_<i>/token" (E_i) and ".../projection" (P_i); mtf's are
"<name>_<i>" (unprojected) or "<name>_<i>1" and "<name>_<i>2". mtf's class
names each cluster's rows "vocab", so `vocab:model` cannot lay out an
odd-sized cluster, nor concatenate the clusters' log-probabilities along
the split "vocab" (mtf's concat refuses a split dimension). The "release"
loss's shortened length is named `dimensions.LENGTH`, as mtf's is, beside
the full length in the one-hot that gathers it, so it needs "length"
unsplit, as the layout leaves it.
"""
import functools
import math

import gin
import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers.vocabulary import cluster_table


LENGTH_PROJECTIONS = ("exact", "release")


class _Cluster(object):
  """Cluster i: its ids s_i .. s_i + n_i - 1 and its table (E_i, P_i)."""

  def __init__(self, start, token_count, length_factor, table):
    self.start = start
    self.token_count = token_count
    self.length_factor = length_factor
    self.table = table
    self.rows_dim = table.rows_dim

  def ids_to_embedding(self, ids):
    """E_i[ids - s_i] P_i; zero for ids outside the cluster (a one-hot
    vector of -1 or past the rows is zero; the head's node rows are
    never read)."""
    local = ids - self.start
    return self.table.embed(
        mtf.where(mtf.less(local, self.token_count), local, -1))

  def log_softmax(self, scaled_hidden):
    """(log p_i, log Z_i) of z_i = scaled_hidden P_i^T E_i^T."""
    logits = self.table.logits(scaled_hidden)
    log_z = mtf.reduce_logsumexp(logits, self.rows_dim)
    return logits - log_z, log_z

  def losses(self, scaled_hidden, targets, z_loss):
    """z (log Z_i)^2 - log p_i(targets - s_i), per target (any value for a
    target outside the cluster: the caller weighs it out)."""
    log_p, log_z = self.log_softmax(scaled_hidden)
    return z_loss * mtf.square(log_z) - mtf.gather(
        log_p, targets - self.start, self.rows_dim)


def _check_clusters(clusters, vocab_dim):
  if len(clusters) < 2:
    raise ValueError("an adaptive softmax needs a head and a tail cluster, "
                     "not %d clusters" % len(clusters))
  counts = [cluster["token_count"] for cluster in clusters]
  if sum(counts) != vocab_dim.size:
    raise ValueError("adaptive softmax clusters' token counts %s sum to %d, "
                     "not the vocabulary's %d ids"
                     % (counts, sum(counts), vocab_dim.size))
  for cluster in clusters:
    factor = cluster.get("length_projection_factor", 1)
    if not 0 < factor <= 1:
      raise ValueError("length_projection_factor %s is not in (0, 1]"
                       % factor)


@gin.configurable(module="mtf_mods")
class AdaptiveSoftmax(object):
  """Tied input embedding and adaptive softmax over frequency clusters.

  The interface of mtf's transformer.VocabEmbedding: bind it to
  `transformer.get_vocab_embedding_cls.cls`, and `adaptive_softmax_loss` to
  `decoder/transformer.Unitransformer.loss_fn`; the softmax must share the
  embedding (`Unitransformer.shared_embedding_and_softmax_weights`,
  `Bitransformer.shared_embedding`).
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
      clusters: list of dicts, head first, in id order, as mtf's
        AdaptiveSoftmaxVocabEmbedding and `clusters.adaptive_clusters`
        take: "token_count" n_i (summing to the vocabulary's size),
        optional "embedding_size" e_i (default d_model) and
        "length_projection_factor" (in (0, 1]; read by
        `adaptive_softmax_loss`'s "release" mode only, see the module
        docstring).

    Raises:
      ValueError: fewer than two clusters, token counts that do not sum to
        the vocabulary's size, or a length_projection_factor outside (0, 1].
    """
    _check_clusters(clusters, vocab_dim)
    self._vocab_dim = vocab_dim
    self._output_dim = output_dim
    self._clusters = []
    start = 0
    with tf.variable_scope(name):
      for i, cluster in enumerate(clusters):
        count = cluster["token_count"]
        rows = count + (len(clusters) - 1 if i == 0 else 0)
        with tf.variable_scope("cluster_%d" % i):
          self._clusters.append(_Cluster(
              start, count, cluster.get("length_projection_factor", 1),
              cluster_table.ClusterTable(
                  mesh, rows, cluster.get("embedding_size", output_dim.size),
                  output_dim, variable_dtype, ensemble_dim)))
        start += count

  def ids_to_embedding(self, ids, context):
    """The sum of the clusters' embeddings: each id is in exactly one."""
    del context
    return mtf.add_n([c.ids_to_embedding(ids) for c in self._clusters])

  def hidden_to_logits(self, hidden, context):
    """log p(v | hidden) over the vocabulary; in training, `hidden` itself
    (for `adaptive_softmax_loss`, as mtf's class does)."""
    if context.train:
      return hidden
    return self.log_probs(hidden)

  def log_probs(self, hidden):
    """log p(v | hidden) over the whole vocabulary, `dimensions.VOCAB`."""
    head, tails = self._clusters[0], self._clusters[1:]
    scaled = self._scaled(hidden)
    head_log_p, _ = head.log_softmax(scaled)
    pieces = [mtf.slice(head_log_p, 0, head.token_count,
                        dimensions.VOCAB_CLUSTER)]
    for c, tail in enumerate(tails):
      node = mtf.gather(head_log_p, head.token_count + c, head.rows_dim)
      pieces.append(node + tail.log_softmax(scaled)[0])
    log_p = mtf.concat(pieces, dimensions.VOCAB_CLUSTER)
    return mtf.rename_dimension(log_p, dimensions.VOCAB_CLUSTER,
                                self._vocab_dim.name)

  def training_loss(self, hidden, targets, z_loss, denominator,
                    project_lengths):
    """The training loss (module docstring) from the hidden state.

    Args:
      hidden: the decoder's hidden state.
      targets: int ids; 0 is padding, weighted out.
      z_loss: mtf's z-loss coefficient.
      denominator: function (targets) -> the loss denominator of targets of
        that shape.
      project_lengths: the "release" loss: a tail cluster with a
        length_projection_factor f < 1 only at its first ceil(f L) targets
        of each sequence, over their own denominator; else the exact loss.

    Returns:
      the scalar loss.
    """
    head, tails = self._clusters[0], self._clusters[1:]
    scaled = self._scaled(hidden)
    # Each target's cluster: the number of tail clusters starting at or
    # before it; the head's target for a tail id is that tail's node.
    cluster = mtf.add_n([mtf.cast(mtf.greater_equal(targets, tail.start),
                                  targets.dtype) for tail in tails])
    head_targets = mtf.where(mtf.equal(cluster, 0), targets,
                             cluster + (head.token_count - 1))
    losses = head.losses(scaled, head_targets, z_loss)
    projected = []
    for c, tail in enumerate(tails):
      in_tail = mtf.equal(cluster, c + 1)
      if project_lengths and tail.length_factor < 1:
        length_dim = targets.shape.get_dim_by_name(dimensions.LENGTH)
        gather = _first_in_each_sequence(in_tail, tail.length_factor,
                                         length_dim)
        tail_targets = mtf.einsum([gather, targets],
                                  reduced_dims=[length_dim])
        tail_hidden = mtf.einsum([mtf.cast(gather, scaled.dtype), scaled],
                                 reduced_dims=[length_dim])
        projected.append(
            _sum_without_padding(
                tail.losses(tail_hidden, tail_targets, z_loss),
                tail_targets) / denominator(tail_targets))
      else:
        losses += mtf.cast(in_tail, losses.dtype) * tail.losses(
            scaled, targets, z_loss)
    return mtf.add_n([_sum_without_padding(losses, targets) /
                      denominator(targets)] + projected)

  def _scaled(self, hidden):
    return hidden * self._output_dim.size ** -0.5


def _first_in_each_sequence(mask, factor, length_dim):
  """mtf's length projection: an int one-hot [..., length_dim, length'],
  length' = ceil(factor * length) (also named length_dim's name), taking
  each sequence's positions where `mask` holds, in order, to 0, 1, ...,
  length' - 1; those beyond to nothing (dropped)."""
  short_dim = mtf.Dimension(length_dim.name,
                            int(math.ceil(factor * length_dim.size)))
  mask = mtf.cast(mask, tf.int32)
  return mask * mtf.one_hot(mtf.cumsum(mask, length_dim) - 1, short_dim,
                            dtype=tf.int32)


def _sum_without_padding(losses, targets):
  return mtf.reduce_sum(
      losses * mtf.cast(mtf.greater(targets, 0), losses.dtype))


def _check_decoder(decoder, embedding):
  if not isinstance(embedding, AdaptiveSoftmax):
    raise ValueError("adaptive_softmax_loss needs mtf_mods.AdaptiveSoftmax "
                     "as the shared embedding (get_vocab_embedding_cls.cls, "
                     "Bitransformer.shared_embedding = True)")
  if not decoder.shared_embedding_and_softmax_weights:
    raise ValueError("adaptive_softmax_loss needs "
                     "Unitransformer.shared_embedding_and_softmax_weights")
  if decoder.label_smoothing or decoder.loss_on_targets_only:
    raise ValueError("adaptive_softmax_loss supports neither label_smoothing "
                     "nor loss_on_targets_only")


@gin.configurable(module="mtf_mods")
def adaptive_softmax_loss(decoder, context, logits, targets,
                          output_vocab_dim, length_projection="exact"):
  """The adaptive softmax's loss, a `Unitransformer.loss_fn`.

  Args:
    decoder: the transformer.Unitransformer.
    context: its transformer.Context; `context.shared_params["embedding"]`
      is the AdaptiveSoftmax.
    logits: in training the decoder's hidden state (what
      `AdaptiveSoftmax.hidden_to_logits` returns), else log-probabilities
      over `output_vocab_dim`.
    targets: int ids; 0 is padding, weighted out.
    output_vocab_dim: the vocabulary's mtf.Dimension.
    length_projection: the training loss, one of `LENGTH_PROJECTIONS`:
      "exact" (the paper's adaptive softmax: the cross-entropy plus z-loss)
      or "release" (mtf 0.1.21's, with the clusters'
      length_projection_factor); see the module docstring.

  Returns:
    the scalar loss (module docstring), divided by
    `decoder.loss_denominator`.

  Raises:
    ValueError: an unknown `length_projection`, or the model is not
      configured as this loss needs.
  """
  if length_projection not in LENGTH_PROJECTIONS:
    raise ValueError("adaptive_softmax_loss length_projection %r is not one "
                     "of %s" % (length_projection,
                                ", ".join(map(repr, LENGTH_PROJECTIONS))))
  embedding = context.shared_params.get("embedding")
  _check_decoder(decoder, embedding)
  denominator = functools.partial(decoder.loss_denominator,
                                  num_microbatches=context.num_microbatches)
  if context.train:
    return embedding.training_loss(logits, targets, decoder.z_loss,
                                   denominator,
                                   length_projection == "release")
  losses = -mtf.gather(logits, mtf.maximum(targets, 0), output_vocab_dim)
  return _sum_without_padding(losses, targets) / denominator(targets)
