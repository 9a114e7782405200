"""The best validation checkpoint of a fine-tuned (or from-scratch) model.

The paper reports each downstream result "for the model checkpoint
corresponding to the highest validation performance" (Sec. 4, and Sec. 5 for
WMT). The decode_eval stage scores every checkpoint of a model_dir; t5 writes
the scores as TensorBoard events with tags `eval/<task>/<metric>` into
`model_dir/validation_eval/`. This module picks, among the scores
`model_dir_reader.validation_scores` reads back, the step where a score
function of them (e.g. the SuperGLUE average, `protocol.Application.score`)
is highest.
"""
import dataclasses
from typing import Callable, Mapping

from mtf_mods import model_dir_reader


@dataclasses.dataclass(frozen=True)
class Best:
  """The best checkpoint: its score, step, and every metric at that step."""
  score: float
  step: int
  metrics: Mapping[str, float]


def best_checkpoint(scores: Mapping[int, Mapping[str, float]],
                    score: Callable[[Mapping[str, float]], float],
                    after_step: int = -1) -> Best:
  """The step with the highest `score(metrics)`; ties go to the earlier step.

  Args:
    scores: {step: {"<task>/<metric>": value}}, e.g.
      model_dir_reader.validation_scores(...).
    score: reduces one step's metrics to a number; steps at which it raises
      KeyError (a metric missing) are skipped.
    after_step: only steps above it count (e.g. the pre-trained step).

  Raises:
    ValueError: no step can be scored.
  """
  best = None
  for step in sorted(scores):
    if step <= after_step:
      continue
    try:
      value = score(scores[step])
    except KeyError:
      continue
    if best is None or value > best.score:
      best = Best(value, step, dict(scores[step]))
  if best is None:
    raise ValueError("no evaluated checkpoint after step %d has the metrics "
                     "to score (evaluated steps: %s)"
                     % (after_step, sorted(scores) or "none"))
  return best


def best_validation_score(model_dir: str,
                          score: Callable[[Mapping[str, float]], float],
                          after_step: int = -1,
                          eval_dir: str = model_dir_reader.EVAL_DIR) -> Best:
  """best_checkpoint of the decode_eval scores in model_dir."""
  return best_checkpoint(
      model_dir_reader.validation_scores(model_dir, eval_dir), score,
      after_step)
