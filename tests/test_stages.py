"""The downstream protocol stages through `mtf-mods train`, at the tiny scale:
fine-tuning from a pre-trained checkpoint, decode evaluation with the best
checkpoint read back, training from scratch, and their bad-input errors."""
import os
import re

import pytest
import tensorflow.compat.v1 as tf

from mtf_mods import model_dir_reader
from mtf_mods import protocol
from mtf_test_utils import run_cli

TINY = ["--scale=tiny"]
EMBEDDING = "shared/embedding"


@pytest.fixture(scope="module")
def env(mini_env):
  """mini_env with a small generated mini benchmark."""
  return dict(mini_env, MTF_MODS_MINI_BENCH_TRAIN="100",
              MTF_MODS_MINI_BENCH_VALIDATION="16")


@pytest.fixture(scope="module")
def pretrained(env, tmp_path_factory):
  model_dir = str(tmp_path_factory.mktemp("stages") / "pretrain")
  result = run_cli("train", *TINY, "--train_steps=4",
                   "--model_dir=" + model_dir, env=env)
  assert result.returncode == 0, result.stderr[-3000:]
  return model_dir


@pytest.fixture(scope="module")
def finetuned(env, pretrained):
  """mini_summarization fine-tuned for 4 steps, then scored."""
  model_dir = os.path.join(os.path.dirname(pretrained), "xsum")
  flags = protocol.launches(protocol.get("xsum"), "mini", model_dir,
                            pretrained)
  results = []
  for _, arguments in flags:
    extra = ["--train_steps=4"] if "--stage=finetune" in arguments else []
    results.append(run_cli("train", *TINY, *arguments, *extra, env=env))
    assert results[-1].returncode == 0, results[-1].stderr[-3000:]
  return model_dir, results


def test_fine_tuning_starts_from_the_pretrained_checkpoint(pretrained,
                                                           finetuned):
  model_dir, [train, _] = finetuned
  assert "step 8/8" in train.stderr  # 4 steps after the pre-trained step 4
  start = os.path.join(model_dir, "model.ckpt-4")
  assert (tf.train.load_variable(start, EMBEDDING) ==
          tf.train.load_variable(os.path.join(pretrained, "model.ckpt-4"),
                                 EMBEDDING)).all()
  assert tf.train.latest_checkpoint(model_dir).endswith("model.ckpt-8")
  with open(os.path.join(model_dir, "operative_config.gin")) as f:
    config = re.sub(r"\\\n\s*", "", f.read())  # gin wraps long values
  assert "dropout_rate = 0.1" in config
  assert "constant_learning_rate.learning_rate = 0.0005" in config
  assert "INIT_CHECKPOINT = '%s'" % os.path.join(pretrained,
                                                 "model.ckpt-4") in config


def test_decode_eval_scores_every_checkpoint_and_the_best_is_kept(finetuned):
  model_dir, _ = finetuned
  scores = model_dir_reader.validation_scores(model_dir)
  assert sorted(scores) == [4, 8]
  assert set(scores[8]) == {"mini_summarization/rouge1",
                            "mini_summarization/rouge2",
                            "mini_summarization/rougeLsum"}
  best = protocol.best(protocol.get("xsum"), "mini", model_dir)
  assert best.step == 8
  assert best.score == scores[8]["mini_summarization/rouge2"]
  predictions = os.path.join(model_dir, model_dir_reader.EVAL_DIR,
                             "mini_summarization_8_predictions")
  with open(predictions) as f:
    assert len(f.read().splitlines()) == 16


def test_training_from_scratch_has_no_initial_checkpoint(env, tmp_path):
  model_dir = str(tmp_path / "wmt")
  result = run_cli("train", *TINY, "--stage=train_from_scratch",
                   "--task=mini_translation", "--train_steps=3",
                   "--model_dir=" + model_dir, env=env)
  assert result.returncode == 0, result.stderr[-3000:]
  assert "step 3/3" in result.stderr
  with open(os.path.join(model_dir, "operative_config.gin")) as f:
    assert "init_checkpoint = None" in f.read()


@pytest.mark.parametrize("flags,message", [
    (["--stage=finetune"], "--stage=finetune and --pretrained_model_dir go "
     "together"),
    (["--stage=pretrain", "--pretrained_model_dir=x"],
     "--stage=finetune and --pretrained_model_dir go together"),
    (["--stage=finetune", "--pretrained_model_dir={empty}"],
     "holds no checkpoint"),
])
def test_fine_tuning_input_errors_are_one_line(env, tmp_path, flags, message):
  flags = [f.format(empty=tmp_path) for f in flags]
  result = run_cli("train", *TINY, "--task=mini_summarization", *flags,
                   "--model_dir=%s" % (tmp_path / "m"), env=env)
  assert result.returncode == 2
  lines = result.stderr.strip().splitlines()
  assert len(lines) == 1 and message in lines[0]
