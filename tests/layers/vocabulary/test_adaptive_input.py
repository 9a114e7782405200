"""Adaptive input embeddings against their equation in numpy and against mtf
0.1.21's AdaptiveVocabEmbedding, the class the study bound to
`transformer.get_vocab_embedding_cls.cls`. Cluster i holds the n_i ids from
s_i:
    embedding(x) = E_i[x - s_i] P_i  (no P_i when e_i = d_model),
    logits(h) = concat_i (d_model^-1/2 h P_i^T E_i^T).
"""
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import vocab_embeddings
import numpy as np
import pytest

from mtf_mods.layers import dimensions
from mtf_mods.layers.vocabulary import adaptive_input
from mtf_test_utils import parameter_count, random_weights, run_layer

BATCH = mtf.Dimension(dimensions.BATCH, 2)
LENGTH = mtf.Dimension(dimensions.LENGTH, 6)
VOCAB = mtf.Dimension(dimensions.VOCAB, 12)
D_MODEL = mtf.Dimension(dimensions.D_MODEL, 8)
# ids 0-2 unprojected (e = d_model), 3-6 in 4 dimensions, 7-11 in 2.
CLUSTERS = [{"token_count": 3, "embedding_size": 8},
            {"token_count": 4, "embedding_size": 4},
            {"token_count": 5, "embedding_size": 2}]
STARTS = [0, 3, 7, 12]
IDS = np.random.default_rng(0).permutation(12).reshape(2, 6).astype(np.int32)
HIDDEN = np.random.default_rng(1).normal(size=(2, 6, 8)).astype(np.float32)
# our variable -> mtf's.
MTF_NAMES = {"embedding/cluster_0/token": "embedding_0",
             "embedding/cluster_1/token": "embedding_11",
             "embedding/cluster_1/projection": "embedding_12",
             "embedding/cluster_2/token": "embedding_21",
             "embedding/cluster_2/projection": "embedding_22"}
METHODS = ["embed", "logits"]


def ours(clusters=CLUSTERS):
  return lambda mesh, vocab, d_model, dtype: (
      adaptive_input.AdaptiveInputEmbedding(
          mesh, vocab, d_model, dtype, "embedding", None, clusters=clusters))


def mtfs(clusters=CLUSTERS):
  return lambda mesh, vocab, d_model, dtype: (
      vocab_embeddings.AdaptiveVocabEmbedding(
          mesh, vocab, d_model, dtype, "embedding", None, clusters=clusters))


def run(make, method, weights, vocab=VOCAB, d_model=D_MODEL, shapes=None):
  """Runs make(mesh, vocab, d_model, variable_dtype).<method>.

  method "embed" feeds IDS, "logits" feeds HIDDEN. `shapes`, a dict, gets
  the output's and each variable's dimension names."""
  def build(context, inputs):
    layer = make(context.mesh, vocab, d_model, context.variable_dtype)
    if method == "embed":
      y = layer.ids_to_embedding(inputs["ids"], context)
    else:
      y = layer.hidden_to_logits(inputs["hidden"], context)
    if shapes is not None:
      shapes.update({v.name: v.shape.dimension_names
                     for v in context.mesh.graph.trainable_variables})
      shapes["output"] = y.shape.dimension_names
    return y
  inputs = ({"ids": (IDS, [BATCH, LENGTH])} if method == "embed" else
            {"hidden": (HIDDEN, [BATCH, LENGTH, d_model])})
  return run_layer(build, inputs, d_model, LENGTH, [BATCH], weights=weights)


def cluster_weights(values, i):
  """E_i and P_i (the identity when cluster i has no projection)."""
  token = values["embedding/cluster_%d/token" % i]
  return token, values.get("embedding/cluster_%d/projection" % i,
                           np.eye(token.shape[1], dtype=np.float32))


def cluster_of(ids):
  return np.searchsorted(STARTS, ids, side="right") - 1


def test_embedding_matches_numpy():
  y, values = run(ours(), "embed", random_weights(1))
  expected = np.zeros_like(y)
  for (b, t), x in np.ndenumerate(IDS):
    i = cluster_of(x)
    token, projection = cluster_weights(values, i)
    expected[b, t] = token[x - STARTS[i]] @ projection
  np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_logits_match_numpy():
  y, values = run(ours(), "logits", random_weights(2))
  expected = np.concatenate(
      [8 ** -0.5 * HIDDEN @ projection.T @ token.T for token, projection in
       (cluster_weights(values, i) for i in range(len(CLUSTERS)))], axis=-1)
  assert y.shape == (2, 6, 12)
  np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_equals_mtfs_adaptive_vocab_embedding(method):
  """Same parameters and same outputs for the same weights."""
  y, values = run(ours(), method, random_weights(3))
  theirs = {MTF_NAMES[name]: value for name, value in values.items()}
  y_mtf, mtf_values = run(mtfs(), method, lambda name, shape: theirs[name])
  assert sorted(mtf_values) == sorted(theirs)
  assert parameter_count(mtf_values) == parameter_count(values) == (
      3 * 8 + 4 * 4 + 4 * 8 + 5 * 2 + 2 * 8)
  np.testing.assert_allclose(y, y_mtf, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cluster", range(len(CLUSTERS)))
def test_a_token_uses_only_its_clusters_weights(cluster, method):
  """New values for every other cluster's weights change the embedding (or
  logit) of every token but cluster `cluster`'s, and none of its."""
  y, values = run(ours(), method, random_weights(4))
  other = random_weights(5)
  prefix = "embedding/cluster_%d/" % cluster
  y_other, _ = run(ours(), method, lambda name, shape: (
      values[name] if name.startswith(prefix) else other(name, shape)))
  if method == "embed":
    changed = np.abs(y_other - y).max(axis=-1) > 1e-4
    in_cluster = cluster_of(IDS) == cluster
  else:
    changed = np.abs(y_other - y).max(axis=(0, 1)) > 1e-4
    in_cluster = cluster_of(np.arange(12)) == cluster
  np.testing.assert_array_equal(changed, ~in_cluster)


@pytest.mark.parametrize("counts", [[3, 4, 4], [3, 4, 6], [12, 1]])
def test_token_counts_must_sum_to_the_vocabulary(counts):
  """One line (gin adds its own line naming the configurable)."""
  clusters = [{"token_count": n, "embedding_size": 2} for n in counts]
  with pytest.raises(ValueError) as error:
    adaptive_input.AdaptiveInputEmbedding(
        None, VOCAB, D_MODEL, None, "embedding", None, clusters=clusters)
  assert str(error.value).splitlines()[0] == (
      "adaptive input clusters' token counts %s sum to %d, not the "
      "vocabulary's 12 ids" % (counts, sum(counts)))


def test_clusters_ids_are_never_split_and_the_logits_split_over_vocab():
  """The clusters' ids are `vocab_cluster` (no layout rule), the logits'
  vocabulary `vocab` (split over the model axis); a cluster without an
  embedding size has d_model."""
  shapes = {}
  run(ours(CLUSTERS[:2] + [{"token_count": 5}]), "logits", None,
      shapes=shapes)
  ids, inner = dimensions.VOCAB_CLUSTER, dimensions.D_EMBEDDING
  assert shapes == {
      "embedding/cluster_0/token": [ids, dimensions.D_MODEL],
      "embedding/cluster_1/token": [ids, inner],
      "embedding/cluster_1/projection": [inner, dimensions.D_MODEL],
      "embedding/cluster_2/token": [ids, dimensions.D_MODEL],
      "output": [dimensions.BATCH, dimensions.LENGTH, dimensions.VOCAB]}
  assert ids not in dimensions.LAYOUT_RULES
  assert "%s:%s" % (dimensions.VOCAB, dimensions.MODEL_AXIS) in (
      dimensions.LAYOUT_RULES)


def test_initial_stddevs_are_mtfs():
  """E_i ~ N(0, 1) unprojected; E_i, P_i ~ N(0, e_i^-1/2) projected (at
  least 16384 samples each: the sample std within 3% by 5 standard
  errors)."""
  vocab = mtf.Dimension(dimensions.VOCAB, 4096)
  d_model = mtf.Dimension(dimensions.D_MODEL, 1024)
  clusters = [{"token_count": 2048, "embedding_size": 1024},
              {"token_count": 2048, "embedding_size": 16}]
  expected = {"embedding/cluster_0/token": 1.0,
              "embedding/cluster_1/token": 0.5,
              "embedding/cluster_1/projection": 0.5}
  _, values = run(ours(clusters), "embed", None, vocab, d_model)
  _, mtf_values = run(mtfs(clusters), "embed", None, vocab, d_model)
  names = {"embedding/cluster_0/token": "embedding_0",
           "embedding/cluster_1/token": "embedding_11",
           "embedding/cluster_1/projection": "embedding_12"}
  assert sorted(values) == sorted(expected)
  for name, stddev in expected.items():
    for sample in (values[name], mtf_values[names[name]]):
      assert sample.std() == pytest.approx(stddev, rel=0.03), name
      assert abs(sample.mean()) < 0.03 * stddev, name
