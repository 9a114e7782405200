"""The best validation checkpoint of a fine-tuned (or from-scratch) model.

The paper reports each downstream result "for the model checkpoint
corresponding to the highest validation performance" (Sec. 4, and Sec. 5 for
WMT). The decode_eval stage scores every checkpoint of a model_dir; t5 writes
the scores as TensorBoard events with tags `eval/<task>/<metric>` into
`model_dir/validation_eval/`. This module picks, among the scores
`model_dir_reader.validation_scores` reads back, the step where a score
function of them (e.g. XSum's ROUGE-2, `protocol.Application.score`) is
highest (`best_checkpoint`).

A benchmark of several tasks fine-tuned together (SuperGLUE's mixture)
picks each task's best checkpoint on its own (`best_per_task`), as T5 did
for models fine-tuned on several tasks (Raffel et al. 2020, Sec. 3.1.2),
whose protocol Narang et al. 2021 follow ("the model checkpoint
corresponding to the highest validation performance"); the benchmark's
score is the mean of the tasks' best scores.
"""
import dataclasses
from typing import Callable, Mapping

from mtf_mods.files import model_dir_reader


@dataclasses.dataclass(frozen=True)
class Best:
  """The best checkpoint: its score, step, and every metric at that step.
  Chosen per task: `task_steps` gives each task's step, `step` the latest
  of them and `metrics` each metric at its task's step."""
  score: float
  step: int
  metrics: Mapping[str, float]
  task_steps: Mapping[str, int] = None


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


def best_per_task(scores: Mapping[int, Mapping[str, float]],
                  tasks: Mapping[str, list],
                  after_step: int = -1) -> Best:
  """Each task's best step by the mean of its metrics, and the mean of
  those best task scores.

  Args:
    scores: {step: {"<task>/<metric>": value}}.
    tasks: {task: ["<task>/<metric>", ...]}, e.g. t5's SuperGLUE groups.
    after_step: only steps above it count.

  Raises:
    ValueError: a task has no step with all its metrics.
  """
  bests = {task: best_checkpoint(
      scores, lambda metrics, tags=tags: sum(metrics[t] for t in tags)
      / len(tags), after_step) for task, tags in tasks.items()}
  metrics = {tag: bests[task].metrics[tag] for task, tags in tasks.items()
             for tag in tags}
  return Best(sum(b.score for b in bests.values()) / len(bests),
              max(b.step for b in bests.values()), metrics,
              {task: best.step for task, best in bests.items()})


def best_validation_score(model_dir: str,
                          score: Callable[[Mapping[str, float]], float],
                          after_step: int = -1,
                          eval_dir: str = model_dir_reader.EVAL_DIR) -> Best:
  """best_checkpoint of the decode_eval scores in model_dir."""
  return best_checkpoint(
      model_dir_reader.validation_scores(model_dir, eval_dir), score,
      after_step)
