"""The mixture of softmaxes against its equation in numpy and against mtf
0.1.21's vocab_embeddings.MixtureOfSoftmaxes, the release's (Narang et al.
2021, Sec. 2.6):
    p(v | h) = sum_k softmax_k(h' G^T) softmax(tanh(W_k h') E^T)_v,
    h' = d_model^-1/2 h
"""
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
from mesh_tensorflow.transformer import vocab_embeddings
import numpy as np
from scipy.special import log_softmax, logsumexp

from mtf_mods.layers import dimensions
from mtf_mods.layers.vocabulary import mixture_of_softmaxes
from mtf_test_utils import parameter_count, random_weights, run_layer

BATCH = mtf.Dimension(dimensions.BATCH, 2)
BEAM = mtf.Dimension("beam", 3)
LENGTH = mtf.Dimension(dimensions.LENGTH, 4)
D_MODEL = mtf.Dimension(dimensions.D_MODEL, 8)
VOCAB = mtf.Dimension(dimensions.VOCAB, 12)
SOFTMAXES = 3
H = np.random.default_rng(3).normal(size=(2, 4, 8)).astype(np.float32)
TARGETS = np.array([[1, 5, 6, 11], [9, 2, 0, 0]], np.int32)
# our variable -> the release's
MTF_NAMES = {"embedding/embedding": "embedding_embedding_weights",
             "embedding/gate": "embedding_mixture_weights",
             "embedding/context": "embedding_context_weights"}


def kit_layer(context, num_softmaxes=SOFTMAXES):
  return mixture_of_softmaxes.MixtureOfSoftmaxes(
      context.mesh, VOCAB, D_MODEL, context.variable_dtype, "embedding",
      None, num_softmaxes=num_softmaxes)


def mtf_layer(context):
  return vocab_embeddings.MixtureOfSoftmaxes(
      context.mesh, VOCAB, D_MODEL, context.variable_dtype, "embedding",
      None, num_softmaxes=SOFTMAXES)


def logits_of(make, weights, h=H, batch_dims=(BATCH,)):
  def build(context, inputs):
    return make(context).hidden_to_logits(inputs["h"], context)
  return run_layer(build, {"h": (h, list(batch_dims) + [LENGTH, D_MODEL])},
                   D_MODEL, LENGTH, list(batch_dims), weights=weights)


def embeddings_of(make, weights, ids):
  def build(context, inputs):
    return make(context).ids_to_embedding(inputs["ids"], context)
  return run_layer(build, {"ids": (ids, [BATCH, LENGTH])}, D_MODEL, LENGTH,
                   [BATCH], weights=weights)


def np_log_probs(values, h):
  """log sum_k pi_k softmax(tanh(W_k h') E^T), in numpy."""
  scaled = h / np.sqrt(D_MODEL.size)
  log_gates = log_softmax(scaled @ values["embedding/gate"].T, axis=-1)
  contexts = np.tanh(np.einsum("...i,kio->...ko", scaled,
                               values["embedding/context"]))
  log_components = log_softmax(contexts @ values["embedding/embedding"].T,
                               axis=-1)
  return logsumexp(log_gates[..., None] + log_components, axis=-2)


def test_distribution_sums_to_one_and_matches_numpy():
  log_p, values = logits_of(kit_layer, random_weights(0))
  np.testing.assert_allclose(np.exp(log_p).sum(-1), 1.0, rtol=1e-5)
  np.testing.assert_allclose(log_p, np_log_probs(values, H), rtol=1e-4,
                             atol=1e-5)


def test_default_is_the_papers_15_softmaxes():
  _, values = logits_of(
      lambda context: mixture_of_softmaxes.MixtureOfSoftmaxes(
          context.mesh, VOCAB, D_MODEL, context.variable_dtype, "embedding",
          None), None)
  assert values["embedding/gate"].shape == (15, 8)
  assert values["embedding/context"].shape == (15, 8, 8)


def test_equals_mtf_mixture_of_softmaxes():
  """Same parameters, embeddings and logits for equal weights."""
  log_p, values = logits_of(kit_layer, random_weights(1))
  theirs = {MTF_NAMES[name]: value for name, value in values.items()}
  mtf_log_p, mtf_values = logits_of(mtf_layer, lambda n, s: theirs[n])
  assert {n: v.shape for n, v in mtf_values.items()} == {
      n: v.shape for n, v in theirs.items()}
  assert parameter_count(mtf_values) == parameter_count(values)
  np.testing.assert_allclose(log_p, mtf_log_p, rtol=1e-5, atol=1e-5)
  x, _ = embeddings_of(kit_layer, lambda n, s: values[n], TARGETS)
  mtf_x, _ = embeddings_of(mtf_layer, lambda n, s: theirs[n], TARGETS)
  np.testing.assert_allclose(x, mtf_x, rtol=1e-6)
  np.testing.assert_allclose(x, values["embedding/embedding"][TARGETS],
                             rtol=1e-6)


def test_mtf_default_loss_is_the_mixtures_cross_entropy():
  """Unitransformer's own loss (z-loss included) on the log-probabilities:
  the mixture's cross-entropy over the non-padding targets."""
  decoder = transformer.Unitransformer(
      layer_stack=None, d_model=8, input_vocab_size=12, output_vocab_size=12,
      autoregressive=True, max_length=8, vocab_divisor=1)

  def build(context, inputs):
    logits = kit_layer(context).hidden_to_logits(inputs["h"], context)
    return decoder._compute_loss(  # pylint: disable=protected-access
        context, logits, inputs["t"], VOCAB)
  loss, values = run_layer(
      build, {"h": (H, [BATCH, LENGTH, D_MODEL]),
              "t": (TARGETS, [BATCH, LENGTH])},
      D_MODEL, LENGTH, [BATCH], weights=random_weights(2), mode="train")
  log_p = np_log_probs(values, H)
  picked = np.take_along_axis(log_p, TARGETS[..., None], -1)[..., 0]
  np.testing.assert_allclose(
      loss, -np.sum(picked * (TARGETS > 0)) / TARGETS.size, rtol=1e-5)


def test_beam_dimension():
  """Decoding adds a beam dimension to the hidden states."""
  h = np.random.default_rng(4).normal(size=(2, 3, 4, 8)).astype(np.float32)
  log_p, values = logits_of(kit_layer, random_weights(5), h=h,
                            batch_dims=(BATCH, BEAM))
  assert log_p.shape == (2, 3, 4, 12)
  np.testing.assert_allclose(np.exp(log_p).sum(-1), 1.0, rtol=1e-5)
  np.testing.assert_allclose(log_p, np_log_probs(values, h), rtol=1e-4,
                             atol=1e-5)
