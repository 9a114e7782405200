"""The factorized embedding against its equation in numpy and against mtf
0.1.21's FactorizedVocabEmbedding, the class the study bound to
`transformer.get_vocab_embedding_cls.cls`:
    embedding(x) = E_1[x] E_2,   logits(h) = d_model^-1/2 h E_2^T E_1^T.
"""
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import vocab_embeddings
import numpy as np
import pytest

from mtf_mods.config import gin_config
from mtf_mods.layers import dimensions
from mtf_mods.layers.vocabulary import factorized
from mtf_test_utils import parameter_count, random_weights, run_layer

BATCH = mtf.Dimension(dimensions.BATCH, 2)
LENGTH = mtf.Dimension(dimensions.LENGTH, 6)
VOCAB = mtf.Dimension(dimensions.VOCAB, 12)
D_MODEL = mtf.Dimension(dimensions.D_MODEL, 8)
INNER = 4
IDS = np.random.default_rng(0).permutation(12).reshape(2, 6).astype(np.int32)
HIDDEN = np.random.default_rng(1).normal(size=(2, 6, 8)).astype(np.float32)
# our variable -> mtf's.
MTF_NAMES = {"embedding/token": "embedding1",
             "embedding/projection": "embedding2"}


def run(make, method, weights, vocab=VOCAB, d_model=D_MODEL):
  """Runs make(mesh, vocab, d_model, variable_dtype).<method>.

  method "embed" feeds IDS, "logits" feeds HIDDEN (their dims: batch,
  length, and d_model for HIDDEN)."""
  def build(context, inputs):
    layer = make(context.mesh, vocab, d_model, context.variable_dtype)
    if method == "embed":
      return layer.ids_to_embedding(inputs["ids"], context)
    return layer.hidden_to_logits(inputs["hidden"], context)
  inputs = ({"ids": (IDS, [BATCH, LENGTH])} if method == "embed" else
            {"hidden": (HIDDEN, [BATCH, LENGTH, d_model])})
  return run_layer(build, inputs, d_model, LENGTH, [BATCH], weights=weights)


def ours(inner=INNER):
  return lambda mesh, vocab, d_model, dtype: factorized.FactorizedEmbedding(
      mesh, vocab, d_model, dtype, "embedding", None,
      inner_dimension_size=inner)


def mtfs(inner=INNER):
  return lambda mesh, vocab, d_model, dtype: (
      vocab_embeddings.FactorizedVocabEmbedding(
          mesh, vocab, d_model, dtype, "embedding", None,
          inner_dimension_size=inner))


def test_embedding_matches_numpy():
  y, values = run(ours(), "embed", random_weights(1))
  e1, e2 = values["embedding/token"], values["embedding/projection"]
  assert e1.shape == (12, INNER) and e2.shape == (INNER, 8)
  np.testing.assert_allclose(y, e1[IDS] @ e2, rtol=1e-5, atol=1e-6)


def test_logits_match_numpy():
  y, values = run(ours(), "logits", random_weights(2))
  e1, e2 = values["embedding/token"], values["embedding/projection"]
  expected = 8 ** -0.5 * HIDDEN @ e2.T @ e1.T
  np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["embed", "logits"])
def test_equals_mtfs_factorized_vocab_embedding(method):
  """Same parameters and same outputs for the same weights."""
  y, values = run(ours(), method, random_weights(3))
  theirs = {MTF_NAMES[name]: value for name, value in values.items()}
  y_mtf, mtf_values = run(mtfs(), method, lambda name, shape: theirs[name])
  assert sorted(mtf_values) == sorted(theirs)
  assert parameter_count(mtf_values) == parameter_count(values)
  np.testing.assert_allclose(y, y_mtf, rtol=1e-5, atol=1e-6)


def test_initial_stddevs_are_mtfs():
  """Both factors ~ N(0, d_inner^-1/2), so E_1 E_2 has unit variance
  (32768 samples each: the sample std within 2% by 5 standard errors)."""
  inner, vocab, d_model = 16, mtf.Dimension(dimensions.VOCAB, 2048), (
      mtf.Dimension(dimensions.D_MODEL, 2048))
  _, values = run(ours(inner), "embed", None, vocab, d_model)
  _, mtf_values = run(mtfs(inner), "embed", None, vocab, d_model)
  for name, value in values.items():
    for sample in (value, mtf_values[MTF_NAMES[name]]):
      assert sample.std() == pytest.approx(inner ** -0.25, rel=0.02), name
      assert abs(sample.mean()) < 0.02 * inner ** -0.25, name


def default(mesh, vocab, d_model, dtype):
  return factorized.FactorizedEmbedding(mesh, vocab, d_model, dtype,
                                        "embedding", None)


def variable_dims(make):
  """{variable name: its dimensions' names} of the layer `make` builds."""
  dims = {}

  def build(mesh, vocab, d_model, dtype):
    layer = make(mesh, vocab, d_model, dtype)
    dims.update({v.name: v.shape.dimension_names
                 for v in mesh.graph.trainable_variables})
    return layer
  run(build, "embed", None)
  return dims


def test_inner_size_is_128_by_default_and_gin_bindable():
  def shapes():
    return {name: value.shape for name, value in
            run(default, "embed", None)[1].items()}
  assert shapes() == {"embedding/token": (12, 128),
                      "embedding/projection": (128, 8)}
  with gin_config.parsed(
      [], ["mtf_mods.FactorizedEmbedding.inner_dimension_size = 3"]):
    assert shapes()["embedding/token"] == (12, 3)


def test_token_factor_spans_vocab_which_splits_over_the_model_axis():
  assert variable_dims(ours()) == {
      "embedding/token": [dimensions.VOCAB, dimensions.D_EMBEDDING],
      "embedding/projection": [dimensions.D_EMBEDDING, dimensions.D_MODEL]}
  assert "%s:%s" % (dimensions.VOCAB, dimensions.MODEL_AXIS) in (
      dimensions.LAYOUT_RULES)
