"""The adaptive rows' clusters on the mini corpus: the head cluster, with
the largest embedding, holds the most tokens, as T5's frequency-ordered
ids give it at the paper scale (vocabularies.py renumbers the mini
vocabulary's pieces by frequency; SentencePiece's BPE order put the
single characters in the tail cluster, which then held the most tokens).
The shares are of the validation text's tokens, the pieces the targets
are made of."""
import collections

import pytest
import sentencepiece as spm

from mtf_mods.layers.vocabulary import clusters
from mtf_mods.tasks.mini import pretraining

# The mini corpus as the suite's CLI runs use it (conftest.mini_env).
TRAIN_DOCS, VALIDATION_DOCS = 3000, 200
D_MODEL = 192  # the cpu scale's


def token_shares(model_file, text_file, cluster_sizes):
  processor = spm.SentencePieceProcessor(model_file=model_file)
  counts = collections.Counter()
  with open(text_file) as f:
    for line in f:
      if line.strip():
        counts.update(processor.encode(line.rstrip("\n")))
  total = sum(counts.values())
  shares, start = [], 0
  for size in cluster_sizes:
    shares.append(sum(n for i, n in counts.items()
                      if start <= i < start + size) / total)
    start += size
  return shares


@pytest.mark.parametrize("paper_clusters", [
    [2500, 6000, 23628],        # adaptive input
    [2500, 6000, 23500, 128],   # adaptive softmax
], ids=["adaptive_input", "adaptive_softmax"])
def test_each_cluster_holds_fewer_tokens_than_the_one_before(
    paper_clusters, cache):
  del cache
  corpus = pretraining.MiniCorpus(num_train_docs=TRAIN_DOCS,
                                  num_validation_docs=VALIDATION_DOCS)
  model_file = corpus.vocabulary_model()
  pieces = spm.SentencePieceProcessor(model_file=model_file).get_piece_size()
  sizes = [c["token_count"] for c in clusters.adaptive_clusters(
      [{"token_count": n} for n in paper_clusters],
      pieces + clusters.SENTINELS, D_MODEL)]
  shares = token_shares(model_file, corpus.files()["validation"], sizes)
  print("\ncluster sizes", sizes, "token shares",
        ["%.3f" % s for s in shares])
  assert shares[0] > 0.5
  pieces_shares = shares[:3]  # the softmax's last cluster: sentinels
  assert pieces_shares == sorted(pieces_shares, reverse=True)
