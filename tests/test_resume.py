"""A training run killed with SIGKILL resumes to the same weights.

Pre-training (no dropout) and fine-tuning (dropout 0.1) at tiny scale: a run
killed mid-way (tests/fault_injection.py) and started again with the same
command ends with checkpoints equal, bit for bit, to an uninterrupted run's
with the same seed: the same weights, so the same loss at every later step.
"""
import os

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.files import model_dir_reader
from mtf_test_utils import REPO, run_cli

TESTS = os.path.join(REPO, "tests")
# A checkpoint every 4 steps: killed at step 7, the run resumes from step 4
# and trains steps 5 to 7 again.
PRETRAIN = ["--scale=tiny", "--task=mini_span_corruption", "--seed=5",
            "--train_steps=12",
            "--gin_param=utils.run.save_checkpoints_steps = 4"]
FINETUNE_TASK = "--task=mini_closed_book_qa"


def kill_flags(step, marker):
  return ["--module_import=fault_injection",
          "--gin_param=mtf_mods.train_with_progress.hooks = "
          "[@SigkillOnce()]",
          "--gin_param=SigkillOnce.step = %d" % step,
          "--gin_param=SigkillOnce.marker = %r" % str(marker)]


def checkpoint_values(model_dir, step):
  path = os.path.join(model_dir, "model.ckpt-%d" % step)
  reader = tf.train.load_checkpoint(path)
  return {name: reader.get_tensor(name)
          for name in reader.get_variable_to_shape_map()}


def assert_same_checkpoint(model_dir, other, step):
  expected, found = checkpoint_values(model_dir, step), checkpoint_values(
      other, step)
  assert sorted(expected) == sorted(found)
  different = [name for name in expected
               if not np.array_equal(expected[name], found[name])]
  assert not different, different[:5]


def train_killed_and_resumed(args, kill_at, tmp_path, env):
  """Runs `args` with a SIGKILL at step `kill_at`, then the same command."""
  marker = tmp_path / "killed"
  command = list(args) + kill_flags(kill_at, marker)
  killed = run_cli("train", *command, env=env)
  assert killed.returncode == -9, killed.stderr[-2000:]
  assert marker.exists()
  resumed = run_cli("train", *command, env=env)
  assert resumed.returncode == 0, resumed.stderr[-2000:]
  return killed, resumed


@pytest.fixture(scope="module")
def env(mini_env):
  return dict(mini_env, PYTHONPATH=TESTS)


@pytest.fixture(scope="module")
def uninterrupted(env, tmp_path_factory):
  model_dir = str(tmp_path_factory.mktemp("uninterrupted") / "model")
  result = run_cli("train", *PRETRAIN, "--model_dir=" + model_dir, env=env)
  assert result.returncode == 0, result.stderr[-2000:]
  return model_dir


def test_killed_pretraining_resumes_to_the_same_weights(uninterrupted, env,
                                                        tmp_path):
  model_dir = str(tmp_path / "model")
  _, resumed = train_killed_and_resumed(
      PRETRAIN + ["--model_dir=" + model_dir], 7, tmp_path, env)
  progress = [line for line in resumed.stderr.splitlines()
              if line.startswith("step ")]
  assert progress[0].startswith("step 5/12")  # from the checkpoint of step 4
  assert model_dir_reader.latest_step(model_dir) == 12
  assert_same_checkpoint(uninterrupted, model_dir, 12)
  assert (model_dir_reader.train_summary(model_dir)["loss"]
          == model_dir_reader.train_summary(uninterrupted)["loss"])


def test_killed_finetuning_resumes_to_the_same_weights(uninterrupted, env,
                                                       tmp_path):
  finetune = ["--scale=tiny", "--stage=finetune", FINETUNE_TASK,
              "--seed=5", "--pretrained_model_dir=" + uninterrupted]
  straight = str(tmp_path / "straight")
  result = run_cli("train", *finetune, "--model_dir=" + straight, env=env)
  assert result.returncode == 0, result.stderr[-2000:]
  model_dir = str(tmp_path / "model")
  _, resumed = train_killed_and_resumed(
      finetune + ["--model_dir=" + model_dir], 12 + 7, tmp_path, env)
  progress = [line for line in resumed.stderr.splitlines()
              if line.startswith("step ")]
  first = int(progress[0].split()[1].split("/")[0])
  # From a fine-tuning checkpoint the kill left (past the pre-trained
  # step 12, before the kill), not again from the pre-trained checkpoint.
  assert first - 1 in model_dir_reader.checkpoint_steps(model_dir)
  assert 12 < first - 1 < 12 + 7, progress[0]
  assert model_dir_reader.latest_step(model_dir) == 12 + 10
  assert_same_checkpoint(straight, model_dir, 12 + 10)
