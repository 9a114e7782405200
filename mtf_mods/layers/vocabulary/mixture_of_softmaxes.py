"""Mixture of softmaxes (Yang et al. 2018; Narang et al. 2021, Sec. 2.6,
App. B: 15 softmaxes).

The output distribution is a gated mixture of K softmaxes, each over the
tied embedding E: [vocab, d_model] applied to its own context vector:
    h' = d_model^-1/2 h
    pi_k = softmax_k(h' G^T),           G: [K, d_model]
    c_k = tanh(W_k h'),                 W_k: [d_model, d_model]
    p(v | h) = sum_k pi_k softmax(c_k E^T)_v
`hidden_to_logits` returns log p(v | h), computed as
logsumexp_k(log pi_k + log_softmax(c_k E^T)), so mtf's ordinary softmax
cross-entropy on it is the mixture's cross-entropy (its z-loss term,
log sum_v p(v | h) = 0, vanishes) and decoding reads it as logits. The
input embedding is E[x], unscaled, as mtf's VocabEmbedding.

The same computation, initializers (all N(0, 1), mtf.layers.embedding_weights'
default) and parameters as mtf 0.1.21's vocab_embeddings.MixtureOfSoftmaxes,
whose variables are "<name>_embedding_weights", "<name>_mixture_weights" and
"<name>_context_weights" (here "<name>/embedding", "<name>/gate" and
"<name>/context") and whose K and W_k input dimensions are
"softmax_components" and "_d_model_copy" (here `dimensions.SOFTMAXES` and
`dimensions.D_MODEL_IN`).

Layout: E spans `dimensions.VOCAB`, so it and the [K, vocab] component
logits split over the mesh's model axis; G and W are replicated.
"""
import gin
import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers.vocabulary import lookup
from mtf_mods.layers.vocabulary.factorized import embedding_weight


@gin.configurable(module="mtf_mods")
class MixtureOfSoftmaxes(object):
  """Tied input embedding and a mixture-of-softmaxes output layer.

  The interface of mtf's transformer.VocabEmbedding: bind it to
  `transformer.get_vocab_embedding_cls.cls`.
  """

  def __init__(self, mesh, vocab_dim, output_dim, variable_dtype, name,
               ensemble_dim, num_softmaxes=15):
    """Creates E ("<name>/embedding"), G ("<name>/gate"), W ("<name>/context").

    Args:
      mesh: the mtf.Mesh.
      vocab_dim: the vocabulary's mtf.Dimension.
      output_dim: d_model's mtf.Dimension.
      variable_dtype: an mtf.VariableDType.
      name: the variable scope of the weights.
      ensemble_dim: an mtf.Dimension of ensemble members, or None.
      num_softmaxes: K.
    """
    self._vocab_dim = vocab_dim
    self._output_dim = output_dim
    self._softmaxes_dim = mtf.Dimension(dimensions.SOFTMAXES, num_softmaxes)
    self._input_dim = mtf.Dimension(dimensions.D_MODEL_IN, output_dim.size)
    with tf.variable_scope(name):
      self._embedding = embedding_weight(
          mesh, "embedding", [vocab_dim, output_dim], 1.0, variable_dtype,
          ensemble_dim)
      self._gate = embedding_weight(
          mesh, "gate", [self._softmaxes_dim, output_dim], 1.0,
          variable_dtype, ensemble_dim)
      self._context = embedding_weight(
          mesh, "context", [self._softmaxes_dim, self._input_dim, output_dim],
          1.0, variable_dtype, ensemble_dim)

  def ids_to_embedding(self, ids, context):
    """E[ids]."""
    del context
    return lookup.embedding_lookup(self._embedding, ids, self._vocab_dim)

  def hidden_to_logits(self, hidden, context):
    """log p(v | hidden), over the vocabulary."""
    del context
    hidden *= self._output_dim.size ** -0.5
    log_gates = mtf.log_softmax(
        mtf.einsum([hidden, self._gate], reduced_dims=[self._output_dim]),
        self._softmaxes_dim)
    contexts = mtf.tanh(mtf.einsum(
        [mtf.rename_dimension(hidden, self._output_dim.name,
                              self._input_dim.name), self._context],
        reduced_dims=[self._input_dim]))
    log_components = mtf.log_softmax(
        mtf.einsum([contexts, self._embedding],
                   reduced_dims=[self._output_dim]), self._vocab_dim)
    return mtf.reduce_logsumexp(log_gates + log_components,
                                self._softmaxes_dim)
