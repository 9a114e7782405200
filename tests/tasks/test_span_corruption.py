"""Tests of the span-corruption objective settings."""
import functools

from t5.data import preprocessors as t5_preprocessors

from mtf_mods.tasks import span_corruption


def test_lengths_match_t5_span_gin_for_the_paper_setting():
  assert span_corruption.span_corruption_tokens_length(512) == 568
  assert span_corruption.span_corruption_targets_length(512) == 114


def test_lengths_for_small_inputs():
  assert span_corruption.span_corruption_tokens_length(128) == 141
  assert span_corruption.span_corruption_targets_length(128) == 29
  assert span_corruption.span_corruption_targets_length(64) <= 16


def test_preprocessors_use_t5_span_corruption_with_the_paper_parameters():
  steps = span_corruption.span_corruption_preprocessors()
  corruption = [s for s in steps if isinstance(s, functools.partial)
                and s.func is t5_preprocessors.span_corruption]
  assert len(corruption) == 1
  assert corruption[0].keywords == {"noise_density": 0.15,
                                    "mean_noise_span_length": 3.0}
