"""A NaN or infinite loss stops training loudly and keeps the good checkpoints.

Injected with a gin-bound learning rate of 1e30: the first update blows the
weights up, and the next step's loss is no longer finite.
"""
import glob
import os

import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.training import loss_guard
from mtf_mods.files import model_dir_reader
from mtf_mods.study import records
from mtf_test_utils import run_cli

TINY = ["--scale=tiny", "--task=mini_span_corruption", "--seed=2"]
BLOW_UP = "--gin_param=utils.run.learning_rate_schedule = 1e30"


def files(model_dir, pattern="model.ckpt-*"):
  contents = {}
  for path in sorted(glob.glob(os.path.join(model_dir, pattern))):
    with open(path, "rb") as f:
      contents[os.path.basename(path)] = f.read()
  return contents


def fake_checkpoints(model_dir, steps):
  os.makedirs(model_dir)
  paths = []
  for step in steps:
    path = os.path.join(model_dir, "model.ckpt-%d" % step)
    for suffix in (".index", ".data-00000-of-00001", ".meta"):
      with open(path + suffix, "w") as f:
        f.write("weights of step %d" % step)
    paths.append(path)
  tf.train.update_checkpoint_state(model_dir, paths[-1],
                                   all_model_checkpoint_paths=paths)


def test_checkpoints_from_the_bad_step_on_are_removed(tmp_path):
  model_dir = str(tmp_path / "model")
  fake_checkpoints(model_dir, [0, 2, 4, 6])
  kept = loss_guard.remove_checkpoints_from(model_dir, 4)
  assert kept == os.path.join(model_dir, "model.ckpt-2")
  assert model_dir_reader.latest_step(model_dir) == 2
  assert sorted(files(model_dir)) == [
      "model.ckpt-%d%s" % (step, suffix) for step in (0, 2)
      for suffix in (".data-00000-of-00001", ".index", ".meta")]


def test_a_run_without_a_good_checkpoint_keeps_none(tmp_path):
  model_dir = str(tmp_path / "model")
  fake_checkpoints(model_dir, [2])
  assert loss_guard.remove_checkpoints_from(model_dir, 0) is None
  assert model_dir_reader.latest_step(model_dir) is None
  assert not files(model_dir)


@pytest.fixture(scope="module")
def blown_up(mini_env, tmp_path_factory):
  """4 good steps (a checkpoint at each), then a resumed run at 1e30."""
  model_dir = str(tmp_path_factory.mktemp("nan") / "model")
  good = run_cli("train", *TINY, "--train_steps=4", "--model_dir=" + model_dir,
                 env=mini_env)
  assert good.returncode == 0, good.stderr[-2000:]
  # A resumed run saves its starting point again, with its own graph in
  # .meta; the weights are what must stay.
  before = files(model_dir, "model.ckpt-*[0-9].[di]*")
  result = run_cli("train", *TINY, "--train_steps=12", BLOW_UP,
                   "--model_dir=" + model_dir, env=mini_env)
  return model_dir, before, result


def test_a_non_finite_loss_stops_the_run_with_exit_1(blown_up):
  _, _, result = blown_up
  assert result.returncode == 1, result.stderr[-2000:]
  last = result.stderr.strip().splitlines()[-1]
  # Step 5 trains from the good weights of step 4; step 6's loss is not.
  assert last.startswith("mtf-mods train: the training loss became ")
  assert "at step 6 (last finite loss " in last and "at step 5)" in last
  assert "model.ckpt-4" in last


def test_no_checkpoint_of_the_failed_state_is_kept(blown_up):
  model_dir, before, _ = blown_up
  # The weights of steps 0 to 4, byte for byte, and no later checkpoint.
  assert files(model_dir, "model.ckpt-*[0-9].[di]*") == before
  assert sorted(before) == sorted(
      "model.ckpt-%d.%s" % (step, part) for step in range(5)
      for part in ("index", "data-00000-of-00002", "data-00001-of-00002"))
  assert model_dir_reader.latest_step(model_dir) == 4


def test_a_study_records_the_cell_as_failed_and_goes_on(mini_env, tmp_path):
  workdir = tmp_path / "study"
  result = run_cli("study", "--scale=tiny", "--seeds=2",
                   "--pretrain_until=early", "--workdir=%s" % workdir,
                   "--gin_param=utils.run.learning_rate_schedule = 1e30",
                   env=mini_env)
  assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
  store = records.ResultStore(str(workdir))
  for seed in (0, 1):  # the second cell ran after the first failed
    record = store.get("baseline", "pretrain", seed)
    assert record.status == records.FAILED
    assert "the training loss became" in record.error
    assert "last good checkpoint" in record.error
