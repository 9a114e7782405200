"""Keeping the best checkpoint of decode_eval's scores."""
import os

import pytest

from mtf_mods.config import checkpoint_selection
from mtf_mods.files import model_dir_reader
from mtf_test_utils import write_scalar_events


def write_scores(model_dir, scores):
  """Writes {step: {"task/metric": value}} as t5's eval_model does."""
  write_scalar_events(
      os.path.join(model_dir, model_dir_reader.EVAL_DIR),
      {step: {"eval/" + tag: value for tag, value in metrics.items()}
       for step, metrics in scores.items()})


def test_best_step_by_a_score_of_several_metrics(tmp_path):
  write_scores(str(tmp_path), {
      100: {"a/accuracy": 50.0, "b/accuracy": 90.0},
      200: {"a/accuracy": 80.0, "b/accuracy": 70.0},
      300: {"a/accuracy": 60.0, "b/accuracy": 60.0}})
  best = checkpoint_selection.best_validation_score(
      str(tmp_path), lambda m: (m["a/accuracy"] + m["b/accuracy"]) / 2)
  assert (best.score, best.step) == (75.0, 200)
  assert best.metrics == {"a/accuracy": 80.0, "b/accuracy": 70.0}


def test_ties_go_to_the_earlier_step_and_steps_can_be_skipped():
  scores = {10: {"t/em": 9.0}, 20: {"t/em": 5.0}, 30: {"t/em": 5.0},
            40: {"other/em": 99.0}}
  em = lambda m: m["t/em"]
  assert checkpoint_selection.best_checkpoint(scores, em).step == 10
  best = checkpoint_selection.best_checkpoint(scores, em, after_step=10)
  assert best.step == 20  # 40 lacks the metric and is skipped
  with pytest.raises(ValueError, match="no evaluated checkpoint after step 30"):
    checkpoint_selection.best_checkpoint(scores, em, after_step=30)


def test_several_tasks_each_keep_their_own_best_checkpoint():
  """T5's rule for a benchmark fine-tuned as one mixture (SuperGLUE): each
  task at its own best step; the score is the mean of the tasks' bests,
  above any single checkpoint's average here (75 at step 200)."""
  scores = {100: {"a/accuracy": 50.0, "b/f1": 90.0, "b/accuracy": 80.0},
            200: {"a/accuracy": 80.0, "b/f1": 70.0, "b/accuracy": 70.0},
            300: {"a/accuracy": 60.0, "b/f1": 60.0, "b/accuracy": 60.0}}
  tasks = {"a": ["a/accuracy"], "b": ["b/f1", "b/accuracy"]}
  best = checkpoint_selection.best_per_task(scores, tasks)
  assert best.task_steps == {"a": 200, "b": 100}
  assert best.score == pytest.approx((80.0 + 85.0) / 2)
  assert best.metrics == {"a/accuracy": 80.0, "b/f1": 90.0,
                          "b/accuracy": 80.0}
  assert best.step == 200
  on_average = checkpoint_selection.best_checkpoint(
      scores, lambda m: (m["a/accuracy"] + (m["b/f1"] + m["b/accuracy"]) / 2)
      / 2)
  assert on_average.score == 75.0 < best.score
  later = checkpoint_selection.best_per_task(scores, tasks, after_step=100)
  assert later.task_steps == {"a": 200, "b": 200}
