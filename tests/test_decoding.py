"""Every variant decodes greedily, by beam search through the decode_eval
binding, and causally (mtf_mods/checks/decoding.py, which `mtf-mods check`
runs): one graph per variant serves the three checks."""
import pytest

from mtf_mods import variants
from mtf_mods.checks import decoding
import mtf_mods.layers  # noqa: F401


@pytest.fixture(scope="module", params=variants.names())
def decoded(request):
  return decoding.decode(variants.get(request.param))


def _passes(result):
  assert result.passed, result.line()


def test_greedy_decode_matches_teacher_forced_argmax(decoded):
  _passes(decoding.greedy_matches_teacher_forcing(decoded))


def test_beam_search_of_width_4_scores_at_least_greedy(decoded):
  _passes(decoding.beam_at_least_greedy(decoded))


def test_the_decoder_is_causal(decoded):
  _passes(decoding.causal(decoded))
