"""Adam with its bias correction (mtf_mods.training.adam): every step moves a weight
by the schedule's learning rate, from the first step on, as the paper's
4,000-step warm-up made the release's uncorrected Adam do at paper scale.
Without the correction a warm-up scaled to a small budget let the first
steps move weights by several times the rate (the Fixup row's divergence at
the cpu scale)."""
import os

import mesh_tensorflow as mtf
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.training import adam
from mtf_mods.config import gin_config
from mtf_mods.model import lowering
from mtf_mods.files import model_dir_reader
from mtf_test_utils import run_cli

LEARNING_RATE = 1e-3
GRADIENT = [1.0, -2.0, 0.5]


def adam_steps(make_optimizer, steps):
  """The weights after each of `steps` updates from 0 with GRADIENT, the
  global step counting the updates as in training."""
  with tf.Graph().as_default():
    global_step = tf.train.get_or_create_global_step()
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    shape = mtf.Shape([mtf.Dimension("d", len(GRADIENT))])
    weight = mtf.get_variable(mesh, "w", shape,
                              initializer=tf.zeros_initializer())
    gradient = mtf.import_fully_replicated(mesh, tf.constant(GRADIENT), shape)
    updates = make_optimizer(LEARNING_RATE).apply_grad(gradient,
                                                       weight.operation)
    count = tf.assign_add(global_step, 1)
    with lowering.open_session(graph, mesh, [weight], updates) as run:
      values = []
      for _ in range(steps):
        run.run()
        run.session.run(count)
        values.append(run.session.run(run.outputs[0]))
      return np.array(values)


def test_each_step_moves_a_weight_by_the_learning_rate():
  """A constant gradient: m_hat / sqrt(v_hat) = sign(g) at every step."""
  weights = adam_steps(lambda rate: adam.Adam(rate), 3)
  expected = -LEARNING_RATE * np.outer([1, 2, 3], np.sign(GRADIENT))
  np.testing.assert_allclose(weights, expected, rtol=1e-3)


def test_without_bias_correction_the_first_step_is_the_releases():
  """mtf 0.1.21's AdamWeightDecayOptimizer: 0.1 g / sqrt(0.001 g^2), 3.16
  times the learning rate."""
  weights = adam_steps(lambda rate: adam.Adam(rate, bias_correction=False),
                       1)
  np.testing.assert_allclose(
      weights[0], -LEARNING_RATE * 0.1 / np.sqrt(0.001) * np.sign(GRADIENT),
      rtol=1e-3)


@pytest.mark.parametrize("stage", ["pretrain", "finetune",
                                   "train_from_scratch"])
def test_the_adam_rows_train_with_bias_correction_in_every_stage(stage):
  files = [os.path.join("optimizers", "adam", stage + ".gin")]
  with gin_config.parsed(files):
    optimizer = gin_config.query("utils.run.optimizer")
    weights = adam_steps(optimizer.scoped_configurable_fn, 1)
  np.testing.assert_allclose(
      weights[0], -LEARNING_RATE * np.sign(GRADIENT), rtol=1e-3)


def test_fixup_pretraining_steps_are_at_most_the_learning_rate(
    mini_env, tmp_path):
  """The Fixup row at the tiny scale, 2 steps: the first step's rate is 0
  (the warm-up starts at 0), the second's the peak, 5e-4. No weight may
  move by more than that; the release's uncorrected Adam moves most of them
  by 4.25 times it (0.19 g / sqrt(0.002 g^2) for a steady gradient)."""
  model_dir = tmp_path / "fixup"
  result = run_cli("train", "--variant=fixup", "--scale=tiny",
                   "--train_steps=2", "--model_dir=%s" % model_dir,
                   env=mini_env)
  assert result.returncode == 0, result.stderr[-3000:]
  before, after = (
      tf.train.load_checkpoint(model_dir_reader.checkpoint_path(
          str(model_dir), step)) for step in (0, 2))
  moves = {
      name: np.abs(after.get_tensor(name) - before.get_tensor(name)).max()
      for name, _ in tf.train.list_variables(str(model_dir))
      if not name.endswith(("adam_m", "adam_v", "global_step"))}
  assert max(moves.values()) <= 5e-4 * 1.002, max(moves.items(),
                                                   key=lambda i: i[1])
  assert max(moves.values()) > 5e-4 * 0.9
