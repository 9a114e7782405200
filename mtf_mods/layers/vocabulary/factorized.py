"""Factorized vocabulary embedding (Narang et al. 2021, Sec. 2.4; ALBERT).

The [vocab, d_model] embedding matrix E is the product of two smaller ones
(Lan et al. 2020), with d_inner = 128 in the paper:
    E = E_1 E_2,   E_1: [vocab, d_inner],   E_2: [d_inner, d_model]
    embedding(x) = E_1[x] E_2
    logits(h) = d_model^-1/2 h E_2^T E_1^T
The logits are used when the softmax shares the embedding's weights
(`Unitransformer.shared_embedding_and_softmax_weights`); their d_model^-1/2
is that of mtf's unfactorized VocabEmbedding. Both factors start normal with
standard deviation d_inner^-1/4, so the entries of E_1 E_2 have unit
variance, as mtf's unfactorized embedding's do.

E_1 spans `dimensions.VOCAB`, so it splits over the mesh's model axis;
E_2 is replicated. The same computation, initializers and parameters as
mtf 0.1.21's vocab_embeddings.FactorizedVocabEmbedding, whose variables are
"<name>1" and "<name>2" (here "<name>/token" and "<name>/projection") and
whose inner dimension is "inner_vocab" (here `dimensions.D_EMBEDDING`).
"""
import gin
import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf

from mtf_mods.layers import dimensions
from mtf_mods.layers.vocabulary import lookup


def embedding_weight(mesh, name, dims, stddev, variable_dtype, ensemble_dim):
  """A variable over `ensemble_dim` (if any) and `dims`, ~ N(0, stddev^2)."""
  ensemble_dims = [ensemble_dim] if ensemble_dim else []
  return mtf.get_variable(
      mesh, name, mtf.Shape(ensemble_dims + dims), dtype=variable_dtype,
      initializer=tf.random_normal_initializer(stddev=stddev))


@gin.configurable(module="mtf_mods")
class FactorizedEmbedding(object):
  """Ids to d_model through a d_inner bottleneck, and back to logits.

  The interface of mtf's transformer.VocabEmbedding: bind it to
  `transformer.get_vocab_embedding_cls.cls`.
  """

  def __init__(self, mesh, vocab_dim, output_dim, variable_dtype, name,
               ensemble_dim, inner_dimension_size=128):
    """Creates E_1 ("<name>/token") and E_2 ("<name>/projection").

    Args:
      mesh: the mtf.Mesh.
      vocab_dim: the vocabulary's mtf.Dimension.
      output_dim: d_model's mtf.Dimension.
      variable_dtype: an mtf.VariableDType.
      name: the variable scope of the two factors.
      ensemble_dim: an mtf.Dimension of ensemble members, or None.
      inner_dimension_size: d_inner.
    """
    self._vocab_dim = vocab_dim
    self._output_dim = output_dim
    self._inner_dim = mtf.Dimension(dimensions.D_EMBEDDING,
                                    inner_dimension_size)
    stddev = inner_dimension_size ** -0.25
    with tf.variable_scope(name):
      self._token = embedding_weight(
          mesh, "token", [vocab_dim, self._inner_dim], stddev,
          variable_dtype, ensemble_dim)
      self._projection = embedding_weight(
          mesh, "projection", [self._inner_dim, output_dim], stddev,
          variable_dtype, ensemble_dim)

  def ids_to_embedding(self, ids, context):
    """E_1[ids] E_2."""
    del context
    inner = lookup.embedding_lookup(self._token, ids, self._vocab_dim)
    return mtf.einsum([inner, self._projection],
                      reduced_dims=[self._inner_dim])

  def hidden_to_logits(self, hidden, context):
    """d_model^-1/2 hidden E_2^T E_1^T."""
    del context
    hidden *= self._output_dim.size ** -0.5
    inner = mtf.einsum([hidden, self._projection],
                       reduced_dims=[self._output_dim])
    return mtf.einsum([inner, self._token], reduced_dims=[self._inner_dim])
