"""The paper's pretraining objective: T5 span corruption, 15% noise, mean span 3.

`span_corruption_preprocessors()` is the preprocessing list of t5's own
`c4_v220_span_corruption` task with the two objective parameters passed
explicitly (t5's `span_corruption` already defaults to them): text is
tokenized, consecutive documents are concatenated and split into pieces of
`span_corruption_tokens_length(inputs_length)` tokens, 15% of the tokens in
spans of mean length 3 are replaced in the inputs by sentinels, and the targets
hold the dropped spans, each after its sentinel. The lengths come from t5's
`random_spans_helper`, as t5's objectives/span.gin computes them, so examples
fit their lengths without padding.
"""
import functools

import seqio
from t5.data import preprocessors as t5_preprocessors

NOISE_DENSITY = 0.15
MEAN_NOISE_SPAN_LENGTH = 3.0


def _lengths(inputs_length: int) -> tuple[int, int]:
  return t5_preprocessors.random_spans_helper(
      inputs_length=inputs_length, noise_density=NOISE_DENSITY,
      mean_noise_span_length=MEAN_NOISE_SPAN_LENGTH,
      extra_tokens_per_span_inputs=1, extra_tokens_per_span_targets=1)


def span_corruption_tokens_length(inputs_length: int) -> int:
  """Raw text tokens per example for `inputs_length` (512 -> 568)."""
  return _lengths(inputs_length)[0]


def span_corruption_targets_length(inputs_length: int) -> int:
  """Targets length, EOS included, for `inputs_length` (512 -> 114)."""
  return _lengths(inputs_length)[1]


def span_corruption_preprocessors() -> list:
  """seqio preprocessors from {"text": document} to span-corrupted examples."""
  return [
      functools.partial(seqio.preprocessors.rekey,
                        key_map={"inputs": None, "targets": "text"}),
      seqio.preprocessors.tokenize,
      seqio.CacheDatasetPlaceholder(),
      functools.partial(t5_preprocessors.span_corruption,
                        noise_density=NOISE_DENSITY,
                        mean_noise_span_length=MEAN_NOISE_SPAN_LENGTH),
      seqio.preprocessors.append_eos_after_trim,
  ]
