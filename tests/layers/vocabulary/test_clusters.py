"""The paper's adaptive clusters at any scale (clusters.adaptive_clusters)."""
import pytest

from mtf_mods.layers.vocabulary import clusters

# The release's adaptive softmax and adaptive input clusters at paper scale.
SOFTMAX = [
    {"token_count": 2500, "embedding_size": 768},
    {"token_count": 6000, "embedding_size": 256,
     "length_projection_factor": 0.25},
    {"token_count": 23500, "embedding_size": 64,
     "length_projection_factor": 0.25},
    {"token_count": 128, "embedding_size": 768,
     "length_projection_factor": 0.25},
]
INPUT = [{"token_count": 2500, "embedding_size": 768},
         {"token_count": 6000, "embedding_size": 256},
         {"token_count": 23628, "embedding_size": 64}]
PAPER_VOCAB = 32000 + 100
MINI_VOCAB = 2000 + 100


@pytest.mark.parametrize("paper", [SOFTMAX, INPUT])
def test_paper_scale_is_the_papers_clusters(paper):
  assert clusters.adaptive_clusters(paper, PAPER_VOCAB, 768) == paper


def _starts(result):
  starts, start = [], 0
  for cluster in result:
    starts.append(start)
    start += cluster["token_count"]
  return starts, start


@pytest.mark.parametrize("paper", [SOFTMAX, INPUT])
def test_other_scales_keep_the_fractions_with_the_sentinels_last(paper):
  result = clusters.adaptive_clusters(paper, MINI_VOCAB, 192)
  starts, end = _starts(result)
  assert end == clusters.padded(MINI_VOCAB) == 2176
  # 2,500 and 8,500 of 32,000 pieces -> 156 and 531 of 2,000
  assert starts[1:3] == [156, 531]
  # the sentinels (ids 2000-2099) and padding are all in the last cluster
  assert starts[-1] <= MINI_VOCAB - clusters.SENTINELS
  assert [c.get("embedding_size") for c in result] == [
      192, 64, 16, 192][:len(paper)]
  assert [c.get("length_projection_factor") for c in result] == [
      c.get("length_projection_factor") for c in paper]


def test_the_sentinel_cluster_holds_exactly_sentinels_and_padding():
  result = clusters.adaptive_clusters(SOFTMAX, MINI_VOCAB, 32)
  assert [c["token_count"] for c in result] == [156, 375, 1469, 176]
  assert [c["embedding_size"] for c in result] == [32, 11, 3, 32]


def test_a_vocabulary_too_small_for_the_clusters_is_refused():
  with pytest.raises(ValueError, match="too small"):
    clusters.adaptive_clusters(SOFTMAX, 102, 32)


def test_the_vocab_size_binding_names_the_macro():
  assert clusters.vocab_size_binding(2100) == "VOCAB_SIZE = 2100"
