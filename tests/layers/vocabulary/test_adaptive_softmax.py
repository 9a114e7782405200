"""The adaptive softmax against its equation in numpy and against mtf
0.1.21's AdaptiveSoftmaxVocabEmbedding and adaptive_softmax_loss_fn, the
release's (Narang et al. 2021, Sec. 2.6):
    p(v | h) = p_0(v | h)                   v in the head cluster
    p(v | h) = p_0(node_c | h) p_c(v | h)   v in tail cluster c
    p_i = softmax(d_model^-1/2 h P_i^T E_i^T)
The loss is -log p(t | h) plus mtf's z-loss on each softmax used, over the
non-padding targets, divided by the loss denominator; with
length_projection "release", mtf's loss, which computes a tail cluster only
at its first targets in each sequence.
"""
import functools
import re

import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import adaptive_softmax as mtf_adaptive
from mesh_tensorflow.transformer import transformer
import numpy as np
import pytest
from scipy.special import logsumexp

from mtf_mods.layers import dimensions
from mtf_mods.layers.vocabulary import adaptive_softmax
from mtf_test_utils import parameter_count, random_weights, run_layer

BATCH = mtf.Dimension(dimensions.BATCH, 2)
BEAM = mtf.Dimension("beam", 3)
LENGTH = mtf.Dimension(dimensions.LENGTH, 4)
D_MODEL = mtf.Dimension(dimensions.D_MODEL, 8)
VOCAB = mtf.Dimension(dimensions.VOCAB, 16)
H = np.random.default_rng(7).normal(size=(2, 4, 8)).astype(np.float32)
# Every cluster is a target; id 0 is padding; sequence 0 has three targets
# in cluster 1 (ids 4..7), one more than a factor 0.5 projection keeps.
TARGETS = np.array([[1, 5, 6, 7], [9, 13, 0, 0]], np.int32)
CLUSTERS = {  # embedding sizes; 8 = d_model: no projection
    "paper": [8, 4, 2, 8],
    "no_projection": [None] * 4,
    "projected_head": [6, 4, 2, 3],
}


def clusters(sizes, factor=None):
  specs = []
  for i, size in enumerate(sizes):
    spec = {"token_count": 4}
    if size:
      spec["embedding_size"] = size
    if factor and i:
      spec["length_projection_factor"] = factor
    specs.append(spec)
  return specs


def decoder(z_loss=1e-4, loss_denominator=None, label_smoothing=0.0):
  return transformer.Unitransformer(
      layer_stack=None, d_model=D_MODEL.size, input_vocab_size=VOCAB.size,
      output_vocab_size=VOCAB.size, autoregressive=True, max_length=8,
      shared_embedding_and_softmax_weights=True, z_loss=z_loss,
      loss_denominator=loss_denominator, label_smoothing=label_smoothing,
      vocab_divisor=1)


def kit_layer(specs):
  return lambda context: adaptive_softmax.AdaptiveSoftmax(
      context.mesh, VOCAB, D_MODEL, context.variable_dtype, "embedding",
      None, clusters=specs)


def mtf_layer(specs):
  return lambda context: mtf_adaptive.AdaptiveSoftmaxVocabEmbedding(
      context.mesh, VOCAB, D_MODEL, context.variable_dtype, "embedding",
      None, clusters=specs)


def logits_of(make, weights, h=H, batch_dims=(BATCH,)):
  def build(context, inputs):
    return make(context).hidden_to_logits(inputs["h"], context)
  return run_layer(build, {"h": (h, list(batch_dims) + [LENGTH, D_MODEL])},
                   D_MODEL, LENGTH, list(batch_dims), weights=weights)


def loss_of(make, loss_fn, the_decoder, weights, mode="train",
            targets=TARGETS):
  def build(context, inputs):
    layer = make(context)
    context.shared_params["embedding"] = layer
    logits = layer.hidden_to_logits(inputs["h"], context)
    return loss_fn(the_decoder, context, logits, inputs["t"], VOCAB)
  return run_layer(build, {"h": (H, [BATCH, LENGTH, D_MODEL]),
                           "t": (targets, [BATCH, LENGTH])},
                   D_MODEL, LENGTH, [BATCH], weights=weights, mode=mode)


def embeddings_of(make, weights, ids):
  def build(context, inputs):
    return make(context).ids_to_embedding(inputs["ids"], context)
  batch_dims = [BATCH, BEAM][:ids.ndim - 1]
  return run_layer(build, {"ids": (ids, batch_dims + [LENGTH])},
                   D_MODEL, LENGTH, batch_dims, weights=weights)


def np_embeddings(values):
  """The [vocab, d_model] input embedding: E_i P_i's rows of the ids (not
  the head's tail-node rows), cluster after cluster."""
  tables = []
  for i in range(4):
    rows = values["embedding/cluster_%d/token" % i][:4]
    projection = values.get("embedding/cluster_%d/projection" % i)
    tables.append(rows if projection is None else rows @ projection)
  return np.concatenate(tables)


def np_softmaxes(values, h, n_clusters):
  """[(log p_i, log Z_i)] of each cluster's softmax, in numpy."""
  scaled = h / np.sqrt(D_MODEL.size)
  result = []
  for i in range(n_clusters):
    x = scaled
    projection = values.get("embedding/cluster_%d/projection" % i)
    if projection is not None:
      x = x @ projection.T
    logits = x @ values["embedding/cluster_%d/token" % i].T
    log_z = logsumexp(logits, axis=-1)
    result.append((logits - log_z[..., None], log_z))
  return result


def np_log_probs(values, h, counts):
  softmaxes = np_softmaxes(values, h, len(counts))
  head = softmaxes[0][0]
  pieces = [head[..., :counts[0]]]
  for c, (log_p, _) in enumerate(softmaxes[1:]):
    pieces.append(head[..., counts[0] + c, None] + log_p)
  return np.concatenate(pieces, axis=-1)


def np_terms(values, counts, z_loss):
  """Per target: the head's term, and each tail cluster's (0 outside)."""
  softmaxes = np_softmaxes(values, H, len(counts))
  starts = np.cumsum([0] + counts)
  cluster = np.searchsorted(starts, TARGETS, side="right") - 1
  head_targets = np.where(cluster == 0, TARGETS, counts[0] + cluster - 1)
  head_log_p, head_log_z = softmaxes[0]
  head = (z_loss * head_log_z ** 2 -
          np.take_along_axis(head_log_p, head_targets[..., None], -1)[..., 0])
  tails = []
  for c, (log_p, log_z) in enumerate(softmaxes[1:], start=1):
    local = np.clip(TARGETS - starts[c], 0, counts[c] - 1)
    term = z_loss * log_z ** 2 - np.take_along_axis(
        log_p, local[..., None], -1)[..., 0]
    tails.append(np.where(cluster == c, term, 0.0))
  return head, tails


def np_exact_loss(values, counts, z_loss):
  head, tails = np_terms(values, counts, z_loss)
  return np.sum((head + sum(tails)) * (TARGETS > 0)) / TARGETS.size


def np_release_loss(values, counts, z_loss, factor):
  """mtf's loss with length_projection_factor f on the tails: of each
  sequence's targets in tail c only the first ceil(f L) count, and the
  tail's terms are divided by batch * ceil(f L)."""
  head, tails = np_terms(values, counts, z_loss)
  kept_length = int(np.ceil(factor * LENGTH.size))
  loss = np.sum(head * (TARGETS > 0)) / TARGETS.size
  for term in tails:
    rank = np.cumsum(term != 0, axis=1)
    kept = (term != 0) & (rank <= kept_length)
    loss += np.sum(term * kept) / (BATCH.size * kept_length)
  return loss


def release_loss(length_projection="release"):
  return functools.partial(adaptive_softmax.adaptive_softmax_loss,
                           length_projection=length_projection)


def to_mtf_names(values):
  """Our values by mtf's variable names: "embedding_<i>" unprojected, else
  "embedding_<i>1" (token) and "embedding_<i>2" (projection)."""
  projected = {n.rsplit("/", 1)[0] for n in values if "projection" in n}
  result = {}
  for name, value in values.items():
    scope, kind = name.rsplit("/", 1)
    suffix = ("" if scope not in projected else
              "1" if kind == "token" else "2")
    result["embedding_%s%s" % (scope.split("_")[-1], suffix)] = value
  return result


@pytest.mark.parametrize("sizes", list(CLUSTERS.values()), ids=list(CLUSTERS))
def test_distribution_sums_to_one_and_matches_numpy(sizes):
  log_p, values = logits_of(kit_layer(clusters(sizes)), random_weights(0))
  np.testing.assert_allclose(np.exp(log_p).sum(-1), 1.0, rtol=1e-5)
  np.testing.assert_allclose(log_p, np_log_probs(values, H, [4] * 4),
                             rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("sizes", list(CLUSTERS.values()), ids=list(CLUSTERS))
def test_embedding_reads_each_ids_cluster(sizes):
  ids = np.array([[0, 3, 4, 7], [8, 11, 12, 15]], np.int32)  # cluster ends
  x, values = embeddings_of(kit_layer(clusters(sizes)), random_weights(1),
                            ids)
  np.testing.assert_allclose(x, np_embeddings(values)[ids], rtol=1e-5,
                             atol=1e-6)


@pytest.mark.parametrize("z_loss", [0.0, 0.1])
@pytest.mark.parametrize("sizes", list(CLUSTERS.values()), ids=list(CLUSTERS))
def test_loss_is_the_exact_cross_entropy_without_padding(sizes, z_loss):
  loss, values = loss_of(kit_layer(clusters(sizes, factor=0.5)),
                         adaptive_softmax.adaptive_softmax_loss,
                         decoder(z_loss=z_loss), random_weights(2))
  np.testing.assert_allclose(loss, np_exact_loss(values, [4] * 4, z_loss),
                             rtol=1e-5)
  if z_loss == 0.0:  # the cross-entropy of the head's distribution
    log_p = np_log_probs(values, H, [4] * 4)
    picked = np.take_along_axis(log_p, TARGETS[..., None], -1)[..., 0]
    np.testing.assert_allclose(
        loss, -np.sum(picked * (TARGETS > 0)) / TARGETS.size, rtol=1e-5)


def test_eval_loss_is_the_cross_entropy_of_the_log_probabilities():
  """Outside training the loss reads the log-probabilities (no z-loss)."""
  make = kit_layer(clusters(CLUSTERS["paper"]))
  train, values = loss_of(make, adaptive_softmax.adaptive_softmax_loss,
                          decoder(z_loss=0.0), random_weights(3))
  evaluated, _ = loss_of(make, adaptive_softmax.adaptive_softmax_loss,
                         decoder(z_loss=0.1), lambda n, s: values[n],
                         mode="eval")
  np.testing.assert_allclose(evaluated, train, rtol=1e-5)


def test_loss_ignores_padding_positions():
  make = kit_layer(clusters(CLUSTERS["paper"]))
  loss, values = loss_of(make, adaptive_softmax.adaptive_softmax_loss,
                         decoder(loss_denominator=1.0), random_weights(4))
  more_padding = TARGETS.copy()
  more_padding[0, 1:] = 0
  less, _ = loss_of(make, adaptive_softmax.adaptive_softmax_loss,
                    decoder(loss_denominator=1.0), lambda n, s: values[n],
                    targets=more_padding)
  head, tails = np_terms(values, [4] * 4, 1e-4)
  dropped = (head + sum(tails))[0, 1:].sum()
  np.testing.assert_allclose(loss - less, dropped, rtol=1e-4)


@pytest.mark.parametrize("sizes", list(CLUSTERS.values()), ids=list(CLUSTERS))
def test_equals_mtf_adaptive_softmax_without_length_projection(sizes):
  """Same parameters, embeddings, log-probabilities and loss (with z-loss)
  as the release's class, for equal weights."""
  specs = clusters(sizes)
  log_p, values = logits_of(kit_layer(specs), random_weights(5))
  theirs = to_mtf_names(values)
  mtf_log_p, mtf_values = logits_of(mtf_layer(specs),
                                    lambda n, s: theirs[n])
  assert {n: v.shape for n, v in mtf_values.items()} == {
      n: v.shape for n, v in theirs.items()}
  assert parameter_count(mtf_values) == parameter_count(values)
  np.testing.assert_allclose(log_p, mtf_log_p, rtol=1e-5, atol=1e-5)
  ids = TARGETS
  np.testing.assert_allclose(
      embeddings_of(kit_layer(specs), lambda n, s: values[n], ids)[0],
      embeddings_of(mtf_layer(specs), lambda n, s: theirs[n], ids)[0],
      rtol=1e-5, atol=1e-6)
  loss, _ = loss_of(kit_layer(specs), adaptive_softmax.adaptive_softmax_loss,
                    decoder(), lambda n, s: values[n])
  mtf_loss, _ = loss_of(mtf_layer(specs), mtf_adaptive.adaptive_softmax_loss_fn,
                        decoder(), lambda n, s: theirs[n])
  np.testing.assert_allclose(loss, mtf_loss, rtol=1e-5)


def test_equals_mtf_with_length_projection_when_nothing_overflows():
  """With a fixed loss denominator and at most ceil(f L) targets of each
  tail cluster per sequence, mtf's projection changes nothing."""
  specs = clusters(CLUSTERS["paper"], factor=0.5)
  fits = np.array([[1, 5, 6, 9], [9, 13, 0, 0]], np.int32)
  loss, values = loss_of(kit_layer(specs),
                         adaptive_softmax.adaptive_softmax_loss,
                         decoder(loss_denominator=1.0), random_weights(6),
                         targets=fits)
  theirs = to_mtf_names(values)
  mtf_loss, _ = loss_of(mtf_layer(specs), mtf_adaptive.adaptive_softmax_loss_fn,
                        decoder(loss_denominator=1.0),
                        lambda n, s: theirs[n], targets=fits)
  np.testing.assert_allclose(loss, mtf_loss, rtol=1e-5)


def test_mtf_length_projection_drops_overflow_and_reweighs_tails():
  """The release's loss with f = 0.5, L = 4: tail terms beyond the first 2
  of a cluster in a sequence dropped, tail terms divided by batch * 2, not
  batch * 4; the kit's is the exact loss."""
  specs = clusters(CLUSTERS["paper"], factor=0.5)
  loss, values = loss_of(kit_layer(specs),
                         adaptive_softmax.adaptive_softmax_loss, decoder(),
                         random_weights(7))
  theirs = to_mtf_names(values)
  mtf_loss, _ = loss_of(mtf_layer(specs), mtf_adaptive.adaptive_softmax_loss_fn,
                        decoder(), lambda n, s: theirs[n])
  np.testing.assert_allclose(mtf_loss,
                             np_release_loss(values, [4] * 4, 1e-4, 0.5),
                             rtol=1e-5)
  np.testing.assert_allclose(loss, np_exact_loss(values, [4] * 4, 1e-4),
                             rtol=1e-5)
  assert abs(loss - mtf_loss) > 1e-2


@pytest.mark.parametrize("length_projection", ["exact", "release"])
def test_release_computes_tail_clusters_at_the_projected_length(
    length_projection):
  """With f = 0.5, "release" computes each tail softmax on ceil(f L) = 2
  positions per sequence (mtf's speed-up) and gives mtf's loss as numpy
  has it; "exact" computes it on all 4 and gives the exact loss."""
  tail_rows = mtf.Dimension(dimensions.VOCAB_CLUSTER, 4)  # the head has 7
  lengths = set()

  def loss_fn(the_decoder, context, *args):
    loss = release_loss(length_projection)(the_decoder, context, *args)
    lengths.update(
        t.shape.get_dim_by_name(dimensions.LENGTH).size
        for op in context.mesh.graph.operations for t in op.outputs
        if tail_rows in t.shape.dims and
        dimensions.LENGTH in t.shape.dimension_names)
    return loss

  loss, values = loss_of(kit_layer(clusters(CLUSTERS["paper"], factor=0.5)),
                         loss_fn, decoder(z_loss=0.1), random_weights(10))
  if length_projection == "release":
    assert lengths == {2}
    expected = np_release_loss(values, [4] * 4, 0.1, 0.5)
  else:
    assert lengths == {4}
    expected = np_exact_loss(values, [4] * 4, 0.1)
  np.testing.assert_allclose(loss, expected, rtol=1e-5)


@pytest.mark.parametrize("loss_denominator", [None, 1.0])
@pytest.mark.parametrize("z_loss", [0.0, 0.1])
def test_release_equals_mtf_when_a_cluster_overflows(z_loss,
                                                     loss_denominator):
  """"release" is mtf 0.1.21's training loss, z-loss included, where
  sequence 0's three targets of cluster 1 overflow its projected length 2
  (where "exact" differs), and with every factor 1."""
  for factor in (0.5, None):
    specs = clusters(CLUSTERS["paper"], factor=factor)
    the_decoder = decoder(z_loss=z_loss, loss_denominator=loss_denominator)
    loss, values = loss_of(kit_layer(specs), release_loss(), the_decoder,
                           random_weights(11))
    theirs = to_mtf_names(values)
    mtf_loss, _ = loss_of(mtf_layer(specs),
                          mtf_adaptive.adaptive_softmax_loss_fn, the_decoder,
                          lambda n, s: theirs[n])
    np.testing.assert_allclose(loss, mtf_loss, rtol=1e-5)
    if factor:
      exact = (np_exact_loss(values, [4] * 4, z_loss) * TARGETS.size /
               (loss_denominator or TARGETS.size))
      assert abs(loss - exact) > 1e-2


def test_release_eval_loss_is_the_cross_entropy():
  """Outside training both modes read the log-probabilities."""
  make = kit_layer(clusters(CLUSTERS["paper"], factor=0.5))
  exact, values = loss_of(make, adaptive_softmax.adaptive_softmax_loss,
                          decoder(), random_weights(12), mode="eval")
  release, _ = loss_of(make, release_loss(), decoder(),
                       lambda n, s: values[n], mode="eval")
  np.testing.assert_allclose(release, exact, rtol=1e-6)


def test_beam_dimension():
  """Decoding adds a beam dimension to the hidden states and ids."""
  make = kit_layer(clusters(CLUSTERS["paper"]))
  h = np.random.default_rng(8).normal(size=(2, 3, 4, 8)).astype(np.float32)
  log_p, values = logits_of(make, random_weights(9), h=h,
                            batch_dims=(BATCH, BEAM))
  assert log_p.shape == (2, 3, 4, 16)
  np.testing.assert_allclose(np.exp(log_p).sum(-1), 1.0, rtol=1e-5)
  np.testing.assert_allclose(log_p, np_log_probs(values, h, [4] * 4),
                             rtol=1e-4, atol=1e-5)
  ids = np.arange(24, dtype=np.int32).reshape(2, 3, 4) % 16
  x, _ = embeddings_of(make, lambda n, s: values[n], ids)
  np.testing.assert_allclose(x, np_embeddings(values)[ids], rtol=1e-5,
                             atol=1e-6)


@pytest.mark.parametrize("specs, message", [
    ([{"token_count": 8}, {"token_count": 4}], r"\[8, 4\] sum to 12, not"),
    ([{"token_count": 16}], "a head and a tail cluster"),
    ([{"token_count": 8}, {"token_count": 8, "length_projection_factor": 0}],
     r"not in \(0, 1\]"),
])
def test_bad_clusters_raise_one_line_errors(specs, message):
  with pytest.raises(ValueError) as error:
    logits_of(kit_layer(specs), None)
  # gin appends the configurable's name on a line of its own.
  assert re.search(message, str(error.value).splitlines()[0])


def test_unknown_length_projection_raises_a_one_line_error():
  with pytest.raises(ValueError) as error:
    loss_of(kit_layer(clusters(CLUSTERS["paper"])), release_loss("mtf"),
            decoder(), None)
  assert str(error.value).splitlines()[0] == (
      "adaptive_softmax_loss length_projection 'mtf' is not one of "
      "'exact', 'release'")


def test_loss_refuses_label_smoothing():
  with pytest.raises(ValueError, match="label_smoothing"):
    loss_of(kit_layer(clusters(CLUSTERS["paper"])),
            adaptive_softmax.adaptive_softmax_loss,
            decoder(label_smoothing=0.1), None)
