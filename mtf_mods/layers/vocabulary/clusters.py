"""Frequency clusters of the vocabulary, at the paper's sizes and any other.

Adaptive input embeddings (Baevski & Auli 2019) and the adaptive softmax
(Grave et al. 2017) split the vocabulary, ordered by frequency (T5's
SentencePiece ids are; the kit renumbers the vocabularies it trains by
frequency, tasks/vocabularies.py, since SentencePiece's BPE trainer puts
the single characters last), into clusters with smaller embeddings for rarer tokens. The paper
(Narang et al. 2021, Sec. 2.4, 2.6, App. B) gives the clusters for the
T5 vocabulary of 32,000 pieces plus 100 sentinels, padded by mtf to 32,128
ids: adaptive input 2,500 / 6,000 / 23,628 with embedding sizes
768 / 256 / 64; adaptive softmax 2,500 / 6,000 / 23,500 / 128 with the last
cluster holding the sentinels and padding.

`adaptive_clusters` maps such paper clusters to a scale's vocabulary and
d_model: each cluster boundary inside the 32,000 pieces stays at the same
fraction of the scale's pieces, a cluster reaching past them ends at the
end of the padded vocabulary (so the sentinels and padding are in the last
cluster, alone or with the rarest pieces as in the paper), and each
embedding size stays the same fraction of d_model. At paper scale it
returns the paper's clusters unchanged. The result is the list of cluster
dicts that both the kit's layers and mtf 0.1.21's adaptive classes take.
"""
import fractions

import gin

PAPER_PIECES = 32000      # SentencePiece pieces of the paper's vocabulary
SENTINELS = 100           # T5's extra ids, after the pieces
VOCAB_DIVISOR = 128       # mtf pads the vocabulary to a multiple of this
PAPER_D_MODEL = 768
# The gin macro holding the task vocabulary's size before padding; the
# launcher and `model_graph` bind it wherever they build a model.
VOCAB_SIZE_MACRO = "VOCAB_SIZE"


def vocab_size_binding(vocab_size):
  """The gin binding of `VOCAB_SIZE_MACRO` for a vocabulary of that size."""
  return "%s = %d" % (VOCAB_SIZE_MACRO, vocab_size)


def padded(vocab_size):
  """The vocabulary dimension mtf builds for `vocab_size` ids."""
  return -(-vocab_size // VOCAB_DIVISOR) * VOCAB_DIVISOR


@gin.configurable(module="mtf_mods")
def adaptive_clusters(paper_clusters=gin.REQUIRED, vocab_size=gin.REQUIRED,
                      d_model=gin.REQUIRED):
  """The paper's clusters at this vocabulary and model size.

  Args:
    paper_clusters: list of dicts as the release binds them at paper scale:
      "token_count" (summing to 32,128), optional "embedding_size"
      (default d_model) and "length_projection_factor".
    vocab_size: the task vocabulary's size before mtf pads it: pieces plus
      the 100 sentinels (the `VOCAB_SIZE` macro the kit binds).
    d_model: the scale's d_model.

  Returns:
    the same list with token counts summing to the padded vocabulary and
    embedding sizes scaled to d_model (at least 1).
  """
  pieces = vocab_size - SENTINELS
  if pieces < len(paper_clusters):
    raise ValueError("a vocabulary of %d ids is too small for %d clusters"
                     % (vocab_size, len(paper_clusters)))
  clusters, start, paper_end = [], 0, 0
  for cluster in paper_clusters:
    paper_end += cluster["token_count"]
    if paper_end > PAPER_PIECES:
      end = padded(vocab_size)
    else:
      end = round(fractions.Fraction(paper_end, PAPER_PIECES) * pieces)
    scaled = dict(cluster, token_count=end - start)
    if "embedding_size" in cluster:
      scaled["embedding_size"] = max(1, round(fractions.Fraction(
          cluster["embedding_size"] * d_model, PAPER_D_MODEL)))
    clusters.append(scaled)
    start = end
  if start != padded(vocab_size) or min(c["token_count"]
                                        for c in clusters) < 1:
    raise ValueError("paper clusters %s do not cover the paper's %d ids "
                     "with non-empty clusters" % (
                         [c["token_count"] for c in paper_clusters],
                         padded(PAPER_PIECES + SENTINELS)))
  return clusters
