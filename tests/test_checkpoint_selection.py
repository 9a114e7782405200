"""Keeping the best checkpoint of decode_eval's scores."""
import os

import pytest

from mtf_mods import checkpoint_selection
from mtf_mods import model_dir_reader
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
