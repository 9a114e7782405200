"""Reading a model_dir: checkpoints by one pattern, event files, summary."""
import json
import time

import pytest

from mtf_mods.files import model_dir_reader
from mtf_test_utils import write_scalar_events


def _checkpoints(model_dir, *steps):
  for step in steps:
    (model_dir / ("model.ckpt-%d.index" % step)).write_text("")


def test_step_of_a_checkpoint_path():
  assert model_dir_reader.step_of("/a/b/model.ckpt-1200") == 1200
  with pytest.raises(ValueError, match="model.ckpt-<step>"):
    model_dir_reader.step_of("/a/b/model.ckpt")


def test_checkpoints_are_found_by_their_index_files(tmp_path):
  _checkpoints(tmp_path, 1300, 1200, 1250)
  (tmp_path / "model.ckpt-1400.meta").write_text("")  # no index: incomplete
  (tmp_path / "model.ckpt-1300.data-00000-of-00001").write_text("")
  assert model_dir_reader.checkpoint_steps(str(tmp_path)) == [1200, 1250,
                                                               1300]
  assert model_dir_reader.latest_step(str(tmp_path)) == 1300
  assert model_dir_reader.latest_checkpoint(str(tmp_path)) == str(
      tmp_path / "model.ckpt-1300")


def test_first_checkpoint_is_where_training_started(tmp_path):
  _checkpoints(tmp_path, 1300, 1200, 1250)
  assert model_dir_reader.first_step(str(tmp_path)) == 1200


def test_a_model_dir_without_checkpoints(tmp_path):
  assert model_dir_reader.checkpoint_steps(str(tmp_path / "none")) == []
  assert model_dir_reader.latest_step(str(tmp_path)) is None
  with pytest.raises(ValueError, match="holds no checkpoint"):
    model_dir_reader.first_step(str(tmp_path / "none"))
  with pytest.raises(ValueError, match="holds no checkpoint; pre-train"):
    model_dir_reader.latest_checkpoint(str(tmp_path))


def test_validation_scores_are_read_back_per_step(tmp_path):
  scores = {100: {"a/accuracy": 50.0, "b/bleu": 3.0},
            200: {"a/accuracy": 75.0, "b/bleu": 2.0}}
  write_scalar_events(
      str(tmp_path / model_dir_reader.EVAL_DIR),
      {step: dict({"eval/" + tag: v for tag, v in metrics.items()},
                  loss=1.0) for step, metrics in scores.items()})
  assert model_dir_reader.validation_scores(str(tmp_path)) == scores


def test_held_out_losses_are_minus_the_log_perplexity(tmp_path):
  write_scalar_events(str(tmp_path / "eval_mini_span_corruption"),
                      {2: {"neg_log_perplexity": -4.5, "accuracy": 0.1},
                       4: {"neg_log_perplexity": -3.0}})
  assert model_dir_reader.held_out_losses(str(tmp_path)) == {2: 4.5, 4: 3.0}


def test_an_event_file_cut_short_is_read_up_to_the_cut(tmp_path):
  directory = tmp_path / "eval_task"
  write_scalar_events(str(directory), {2: {"neg_log_perplexity": -4.5},
                                       4: {"neg_log_perplexity": -3.0}})
  events, = directory.iterdir()
  events.write_bytes(events.read_bytes()[:-5])
  assert model_dir_reader.held_out_losses(str(tmp_path)) == {2: 4.5}


def test_train_summary(tmp_path):
  assert model_dir_reader.train_summary(str(tmp_path)) is None
  summary = {"step": 8, "steps_per_second": 2.0}
  (tmp_path / model_dir_reader.SUMMARY_FILE).write_text(json.dumps(summary))
  assert model_dir_reader.train_summary(str(tmp_path)) == summary


def test_evaluations_are_read_per_directory_and_from_a_time_on(tmp_path):
  write_scalar_events(str(tmp_path / "eval_a"),
                      {2: {"neg_log_perplexity": -4.5}})
  since = time.time()
  write_scalar_events(str(tmp_path / "eval_b"),
                      {4: {"neg_log_perplexity": -3.0}})
  write_scalar_events(str(tmp_path / model_dir_reader.EVAL_DIR),
                      {4: {"eval/t/bleu": 7.0}})
  assert model_dir_reader.held_out_losses_per_evaluation(str(tmp_path)) == {
      "eval_a": {2: 4.5}, "eval_b": {4: 3.0}}
  assert model_dir_reader.held_out_losses_per_evaluation(
      str(tmp_path), since) == {"eval_b": {4: 3.0}}
  assert model_dir_reader.validation_scores(str(tmp_path), since=since) == {
      4: {"t/bleu": 7.0}}
  assert model_dir_reader.validation_scores(
      str(tmp_path), since=time.time() + 60) == {}
