"""The Weighted Transformer's own learning rate for its branch weights: it
really applies (each update equals Adafactor's at the schedule's rate), it
freezes kappa and alpha over the last 20,000 / 524,288 of the run while the
rest trains on, it finds exactly the branch weights of the kit's model
(where the release's regex finds nothing in the release's), and a run cut
to the early step keeps the full run's schedule."""
import functools
import math
import re

import mesh_tensorflow as mtf
from mesh_tensorflow import optimize
from mesh_tensorflow.transformer import learning_rate_schedules
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.training import branch_weight_schedule
from mtf_mods.config import gin_config
from mtf_mods.config import gin_files
from mtf_mods.model import lowering
from mtf_mods.model import model_graph
from mtf_mods.config import protocol
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.study import budgets

TOTAL = 1000  # frozen from 1000 - 1000 * 20000 / 524288 = 961.85 on
RUN_LEARNING_RATE = 0.003
INITIAL = {"kappa": np.array([0.1, 0.4, 0.2, 0.3], np.float32),
           "w": np.array([0.5, -0.3, 0.8, -0.1], np.float32)}
GRADIENT = {"kappa": np.array([1.0, -2.0, 0.5, 0.25], np.float32),
            "w": np.array([-1.0, 0.5, 2.0, 0.1], np.float32)}


def slanted_triangular(step, total):
  """mtf's defaults: 10% rise to 0.01, then a fall to 0.01 / 32."""
  cut = math.floor(total * 0.1)
  p = step / cut if step < cut else 1 - (step - cut) / (cut * 9)
  return 0.01 * (1 + p * 31) / 32


def updated(make_optimizer, step):
  """{name: value after one update at global `step`} of the variables
  "layer/kappa" and "layer/w" with gradients GRADIENT, by the optimizer
  make_optimizer() (made in the graph: Adafactor's decay rate reads the
  global step)."""
  with tf.Graph().as_default():
    global_step = tf.train.get_or_create_global_step()
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    dim = mtf.Dimension("heads", 4)
    variables, loss = {}, 0
    with tf.variable_scope("layer"):
      for name in ("kappa", "w"):
        variables[name] = mtf.get_variable(
            mesh, name, mtf.Shape([dim]),
            initializer=tf.constant_initializer(INITIAL[name]))
        gradient = mtf.import_fully_replicated(
            mesh, tf.constant(GRADIENT[name]), mtf.Shape([dim]))
        loss += mtf.reduce_sum(variables[name] * gradient)
    names = list(variables)
    grads = mtf.gradients([loss], [variables[n] for n in names])
    updates = make_optimizer().apply_grads(
        grads, [variables[n].operation for n in names])
    with lowering.open_session(graph, mesh, [variables[n] for n in names],
                               updates) as run:
      run.session.run(global_step.assign(step))
      run.run()
      values = run.session.run(run.outputs)
  return dict(zip(names, values))


def kit_optimizer():
  return branch_weight_schedule.AdafactorWithBranchWeightSchedule(
      branch_weight_schedule=[learning_rate_schedules.slanted_triangular,
                              branch_weight_schedule.frozen_at_end],
      total_steps=TOTAL, learning_rate=RUN_LEARNING_RATE)


def adafactor(learning_rate):
  return functools.partial(optimize.AdafactorOptimizer,
                           learning_rate=learning_rate)


@pytest.mark.parametrize("step", [50, 600, 961])
def test_branch_weights_update_at_the_schedules_rate(step):
  ours = updated(kit_optimizer, step)
  at_branch_rate = updated(adafactor(slanted_triangular(step, TOTAL)), step)
  at_run_rate = updated(adafactor(RUN_LEARNING_RATE), step)
  np.testing.assert_allclose(ours["kappa"], at_branch_rate["kappa"],
                             rtol=1e-6)
  np.testing.assert_allclose(ours["w"], at_run_rate["w"], rtol=1e-6)
  assert not np.allclose(ours["kappa"], INITIAL["kappa"])
  assert not np.allclose(at_branch_rate["kappa"], at_run_rate["kappa"])


RELEASE_OPTIMIZER = gin_files.optimizer_gin_file(
    variants.get("weighted_transformer"), protocol.PRETRAIN_STAGE,
    gin_files.RELEASE)
AS_PUBLISHED = "reference/as_published/weighted_transformer.gin"


def updated_by_release(step, extra_files=()):
  """`updated` by the release's pre-training optimizer of the Weighted
  Transformer as its gin files configure it (kept parsed throughout: mtf
  reads the alternative schedule's length from gin while it updates), at
  the run's rate RUN_LEARNING_RATE."""
  with gin_config.parsed([RELEASE_OPTIMIZER] + list(extra_files),
                         ["pretraining_steps = %d" % TOTAL]):
    configured = gin_config.query("utils.run.optimizer")
    assert configured.selector.startswith("optimize."), configured.selector
    optimizer = configured.scoped_configurable_fn
    return updated(functools.partial(optimizer,
                                     learning_rate=RUN_LEARNING_RATE), step)


@pytest.mark.parametrize("step", [50, 600, 961, 962])
def test_the_releases_fixed_schedule_is_the_kits_on_mtfs_optimizer(step):
  """The release's optimizer with its regex and cut-off fixed (mtf's
  AdafactorWithMultiLRSchedule) updates as the kit's does; as published it
  is plain Adafactor."""
  with gin_config.parsed([RELEASE_OPTIMIZER], ["pretraining_steps = 1"]):
    assert gin_config.query("utils.run.optimizer").selector == (
        "optimize.AdafactorWithMultiLRSchedule")
  release = updated_by_release(step)
  ours = updated(kit_optimizer, step)
  as_published = updated_by_release(step, [AS_PUBLISHED])
  at_run_rate = updated(adafactor(RUN_LEARNING_RATE), step)
  for name in INITIAL:
    np.testing.assert_allclose(release[name], ours[name], rtol=1e-6)
    np.testing.assert_allclose(as_published[name], at_run_rate[name],
                               rtol=1e-6)
  assert not np.allclose(release["kappa"], at_run_rate["kappa"])


@pytest.mark.parametrize("step", [962, 999])
def test_branch_weights_are_frozen_over_the_last_20000_of_524288(step):
  ours = updated(kit_optimizer, step)
  np.testing.assert_array_equal(ours["kappa"], INITIAL["kappa"])
  np.testing.assert_allclose(
      ours["w"], updated(adafactor(RUN_LEARNING_RATE), step)["w"], rtol=1e-6)
  assert not np.allclose(ours["w"], INITIAL["w"])


def test_frozen_at_end_takes_steps_or_a_fraction():
  factor = functools.partial(branch_weight_schedule.frozen_at_end,
                             total_train_steps=100)
  steps = tf.constant([79, 80, 89, 90])
  with tf.Session() as session:
    by_steps, by_fraction = session.run(
        [factor(steps, steps_or_fraction=20),
         factor(steps, steps_or_fraction=0.1)])
  np.testing.assert_array_equal(by_steps, [1, 0, 0, 0])
  np.testing.assert_array_equal(by_fraction, [1, 1, 1, 0])


def variable_names(gin_file):
  """The trainable variables of a one-layer tiny model of `gin_file`."""
  scale = scales.get("tiny")
  with gin_config.parsed([gin_file, scale.gin_file], ["num_layers = 1"]), \
      tf.Graph().as_default():
    graph = model_graph.build_training_graph(
        scale.vocab_size, 2, model_graph.sequence_lengths())
    return [v.name for v in graph.variables]


def test_the_pattern_finds_the_branch_weights_and_the_release_found_none():
  """Ours: kappa and alpha of the encoder's layer and of the decoder's
  two. The release's "branched" matches no name of its model (they spell
  "BranchedSelfAttention"); only ignoring case would it have matched, and
  then every weight of the branched layers."""
  variant = variants.get("weighted_transformer")
  ours = [name for name in variable_names(variant.gin_file)
          if re.search(branch_weight_schedule.BRANCH_WEIGHTS, name)]
  assert sorted(name.rsplit("/", 1)[1] for name in ours) == (
      ["alpha"] * 3 + ["kappa"] * 3)
  release = variable_names(variant.reference_gin_file)
  assert not [name for name in release if re.search("branched", name)]
  any_case = [name for name in release
              if re.search("branched", name, re.IGNORECASE)]
  assert len(any_case) > 6 and {"q", "wi", "kappa"} <= {
      part for name in any_case for part in name.split("/")}


def test_a_run_cut_to_the_early_step_keeps_the_full_runs_schedule():
  """The study's early-loss seed stops at 1/8 of the run; its branch
  schedule still spans the whole run (pretraining_steps)."""
  variant = variants.get("weighted_transformer")
  scale = scales.get("tiny")
  budget = budgets.pretraining_budget(scale)
  files = gin_files.stage_gin_files(variant, scale, protocol.PRETRAIN_STAGE)
  cut = ["utils.run.train_steps = %d" % budget.early,
         "pretraining_steps = %d" % budget.early]  # the launcher's
  with gin_config.parsed(files, cut + budgets.pretraining_bindings(budget)):
    assert gin_config.query("utils.run.train_steps") == budget.early
    assert gin_config.query(
        "mtf_mods.AdafactorWithBranchWeightSchedule.total_steps") == (
            budget.final)


def _schedule_values(schedule, total, steps):
  with tf.Graph().as_default(), tf.Session() as session:
    return session.run([schedule(tf.constant(step), total) for step in steps])


def test_the_slanted_triangular_is_mtfs_and_finite_in_a_short_run():
  """mtf's rise of floor(T / 10) steps is 0 steps for T < 10, a NaN or
  infinite rate at every step (a study's 8-step pre-training gave a NaN
  held-out loss); the
  kit's rises over one step there and equals mtf's from T = 10 on."""
  steps = [0, 1, 3, 7, 19]
  np.testing.assert_allclose(
      _schedule_values(branch_weight_schedule.slanted_triangular, 20, steps),
      [slanted_triangular(step, 20) for step in steps], rtol=1e-6)
  assert not np.isfinite(_schedule_values(
      learning_rate_schedules.slanted_triangular, 8, [0, 1])).any()
  short = _schedule_values(branch_weight_schedule.slanted_triangular, 8,
                           [0, 1, 7])
  np.testing.assert_allclose(short, [slanted_triangular(step, 10)
                                     for step in (0, 1, 7)], rtol=1e-6)
