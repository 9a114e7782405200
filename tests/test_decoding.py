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


@pytest.mark.parametrize("check", [
    decoding.greedy_matches_teacher_forcing, decoding.beam_at_least_greedy,
    decoding.causal], ids=lambda check: check.__name__)
def test_decoding_check(decoded, check):
  result = check(decoded)
  assert result.passed, result.line()
