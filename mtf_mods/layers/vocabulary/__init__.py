"""Vocabulary embeddings and softmax heads: the fourth injection point.

Mesh TensorFlow's Unitransformer embeds ids and produces logits through the
class bound to `transformer.get_vocab_embedding_cls.cls` (its
`ids_to_embedding(ids, context)` and `hidden_to_logits(hidden, context)`),
and takes its loss from `Unitransformer.loss_fn`. The modules here:

  lookup                VocabEmbedding: mtf's, looking ids up by a gather
  clusters              the paper's frequency clusters at any scale
  cluster_table         one cluster's embedding table and projection
  factorized            FactorizedEmbedding (Sec. 2.4)
  adaptive_input        AdaptiveInputEmbedding (Sec. 2.4)
  adaptive_softmax      AdaptiveSoftmax and its loss (Sec. 2.6)
  mixture_of_softmaxes  MixtureOfSoftmaxes (Sec. 2.6)

Tying and untying the three embeddings needs no layer: mtf's
`Bitransformer.shared_embedding` and
`Unitransformer.shared_embedding_and_softmax_weights` choose it.

Importing this package registers every class with gin.
"""
from mtf_mods.layers.vocabulary import adaptive_input
from mtf_mods.layers.vocabulary import adaptive_softmax
from mtf_mods.layers.vocabulary import clusters
from mtf_mods.layers.vocabulary import factorized
from mtf_mods.layers.vocabulary import lookup
from mtf_mods.layers.vocabulary import mixture_of_softmaxes
