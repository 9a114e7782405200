"""The best validation checkpoint of a fine-tuned (or from-scratch) model.

The paper reports each downstream result "for the model checkpoint
corresponding to the highest validation performance" (Sec. 4, and Sec. 5 for
WMT). The decode_eval stage scores every checkpoint of a model_dir; t5 writes
the scores as TensorBoard events with tags `eval/<task>/<metric>` into
`model_dir/validation_eval/`. This module reads them back and picks the step
where a score function of them (e.g. the SuperGLUE average,
`protocol.Application.score`) is highest.
"""
import collections
import dataclasses
import glob
import os
import re
from typing import Callable, Mapping

from t5.evaluation import eval_utils

EVAL_DIR = "validation_eval"
_PREFIX = "eval/"


def validation_scores(model_dir: str, eval_dir: str = EVAL_DIR
                      ) -> dict[int, dict[str, float]]:
  """{checkpoint step: {"<task>/<metric>": value}} written by decode_eval.

  When a step was evaluated more than once, the last value written counts.
  """
  scores = collections.defaultdict(dict)
  events = eval_utils.parse_events_files(os.path.join(model_dir, eval_dir))
  for tag, values in events.items():
    if tag.startswith(_PREFIX):
      for event in values:
        scores[int(event.step)][tag[len(_PREFIX):]] = float(event.value)
  return dict(scores)


def first_checkpoint_step(model_dir: str) -> int:
  """The step of model_dir's earliest checkpoint: where training started
  (0 from scratch, the pre-trained step when fine-tuning)."""
  steps = [int(re.search(r"model\.ckpt-(\d+)\.index$", path).group(1))
           for path in glob.glob(os.path.join(model_dir,
                                              "model.ckpt-*.index"))]
  if not steps:
    raise ValueError("%s holds no checkpoint" % model_dir)
  return min(steps)


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
    scores: {step: {"<task>/<metric>": value}}, e.g. validation_scores(...).
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
                          eval_dir: str = EVAL_DIR) -> Best:
  """best_checkpoint of the decode_eval scores in model_dir."""
  return best_checkpoint(validation_scores(model_dir, eval_dir), score,
                         after_step)
