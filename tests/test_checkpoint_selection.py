"""Reading decode_eval's scores back and keeping the best checkpoint."""
import os

import pytest
import tensorflow.compat.v1 as tf

from mtf_mods import checkpoint_selection


def _write_scores(model_dir, scores):
  """Writes {step: {"task/metric": value}} as t5's eval_model does."""
  writer = tf.summary.FileWriter(os.path.join(
      model_dir, checkpoint_selection.EVAL_DIR))
  for step, metrics in scores.items():
    summary = tf.Summary()
    for tag, value in metrics.items():
      summary.value.add(tag="eval/" + tag, simple_value=value)
    writer.add_summary(summary, step)
  writer.close()


def test_scores_are_read_back_per_step(tmp_path):
  scores = {100: {"a/accuracy": 50.0, "b/bleu": 3.0},
            200: {"a/accuracy": 75.0, "b/bleu": 2.0}}
  _write_scores(str(tmp_path), scores)
  assert checkpoint_selection.validation_scores(str(tmp_path)) == scores


def test_best_step_by_a_score_of_several_metrics(tmp_path):
  _write_scores(str(tmp_path), {
      100: {"a/accuracy": 50.0, "b/accuracy": 90.0},
      200: {"a/accuracy": 80.0, "b/accuracy": 70.0},
      300: {"a/accuracy": 60.0, "b/accuracy": 60.0}})
  best = checkpoint_selection.best_validation_score(
      str(tmp_path), lambda m: (m["a/accuracy"] + m["b/accuracy"]) / 2)
  assert (best.score, best.step) == (75.0, 200)
  assert best.metrics == {"a/accuracy": 80.0, "b/accuracy": 70.0}


def test_first_checkpoint_is_where_training_started(tmp_path):
  for step in (1300, 1200, 1250):
    (tmp_path / ("model.ckpt-%d.index" % step)).write_text("")
  (tmp_path / "model.ckpt-1300.meta").write_text("")
  assert checkpoint_selection.first_checkpoint_step(str(tmp_path)) == 1200
  with pytest.raises(ValueError, match="holds no checkpoint"):
    checkpoint_selection.first_checkpoint_step(str(tmp_path / "none"))


def test_ties_go_to_the_earlier_step_and_steps_can_be_skipped():
  scores = {10: {"t/em": 9.0}, 20: {"t/em": 5.0}, 30: {"t/em": 5.0},
            40: {"other/em": 99.0}}
  em = lambda m: m["t/em"]
  assert checkpoint_selection.best_checkpoint(scores, em).step == 10
  best = checkpoint_selection.best_checkpoint(scores, em, after_step=10)
  assert best.step == 20  # 40 lacks the metric and is skipped
  with pytest.raises(ValueError, match="no evaluated checkpoint after step 30"):
    checkpoint_selection.best_checkpoint(scores, em, after_step=30)
