"""The Weighted Transformer's own learning rate for its branch weights
(Narang et al. 2021, Sec. 2.7; Ahmed et al. 2017, Sec. 3).

The branch weights kappa and alpha of every branched attention layer
(mtf_mods.layers.transformer_layers.branched_attention) train with

  lr_branch(t) = slanted_triangular(t, T) * [t < T - F],

every other variable with the run's schedule (pre-training's inverse square
root). T is the number of steps of the pre-training run; F = 20,000 / 524,288
of T: the paper freezes "the weights of the branched attention module for
the last 20,000 steps of pre-training" (Ahmed et al. 2017 froze kappa and
alpha, the rest of the network training on). slanted_triangular is mtf's
(Howard and Ruder 2018): a linear rise over the first 10% of T to 0.01,
then a linear fall to 0.01 / 32; for a run of fewer than 10 steps, where
mtf's divides by a rise of 0 steps, the rise lasts one step
(`slanted_triangular`). Where the paper is silent (the schedule and
its peak), the kit takes the release's weighted_transformer.gin.

The release meant this and ran none of it: mtf's AdafactorWithMultiLRSchedule
matched the regex "branched" against variable names, which spell the layer
"BranchedSelfAttention" (re.search is case-sensitive), so every weight
trained on the plain schedule; its cut-off factor (at 514,288, the last
10,000 steps) returned the step itself, not 1, before the cut-off; and its
name `at5_optimizers.learning_rate_cut_off` does not resolve in gin. The
release as it ran is plain Adafactor: bind
`utils.run.optimizer = @optimize.AdafactorOptimizer`.

T is the gin macro `pretraining_steps` (gin/scales/*.gin, and the study's
full run): a run cut short (the study's early-loss seeds stop at 1/8 of the
steps) keeps the full run's schedule.
"""
import math
import re

import gin
import mesh_tensorflow as mtf
from mesh_tensorflow import optimize
from mesh_tensorflow.transformer import learning_rate_schedules
import tensorflow.compat.v1 as tf

from mtf_mods.layers.transformer_layers import branched_attention

# The branch weights' variable names end in "/kappa" or "/alpha".
BRANCH_WEIGHTS = r"/(%s|%s)$" % (branched_attention.KAPPA,
                                 branched_attention.ALPHA)
# The paper's frozen share of pre-training: its last 20,000 of 524,288 steps.
PAPER_FROZEN_FRACTION = 20000 / 524288


@gin.configurable(module="mtf_mods")
def frozen_at_end(step, total_train_steps,
                  steps_or_fraction=PAPER_FROZEN_FRACTION):
  """A learning-rate factor: 1 before the last `steps_or_fraction` of the
  run (a number of steps if >= 1, else a fraction of total_train_steps), 0
  over them."""
  frozen = (steps_or_fraction if steps_or_fraction >= 1
            else steps_or_fraction * total_train_steps)
  return tf.cast(tf.less(tf.cast(step, tf.float32),
                         float(total_train_steps - frozen)), tf.float32)


@gin.configurable(module="mtf_mods")
def slanted_triangular(step, total_train_steps, cut_fraction=0.1, **kwargs):
  """mtf's slanted_triangular, defined for a run of any length.

  mtf rises over cut = floor(cut_fraction T) steps and divides by cut, so a
  run of fewer than 1 / cut_fraction steps (10) has a NaN or infinite
  learning rate at every step. Its value depends on T only through cut: with T raised to
  1 / cut_fraction where it is less, the rise lasts one step and the
  schedule equals mtf's wherever mtf's is defined.
  """
  shortest = math.ceil(1.0 / cut_fraction)
  return learning_rate_schedules.slanted_triangular(
      step, max(total_train_steps, shortest), cut_fraction=cut_fraction,
      **kwargs)


@gin.configurable(module="mtf_mods")
class AdafactorWithBranchWeightSchedule(optimize.AdafactorOptimizer):
  """mtf's Adafactor; variables whose names match `variable_pattern` take
  the learning rate product(`branch_weight_schedule`) at the global step.

  Attributes:
    branch_weight_schedule: learning-rate factors (numbers or functions of
      step and total steps), multiplied.
    total_steps: T, the steps the factors span.
    variable_pattern: a regex searched in each variable's name.
  """

  def __init__(self, branch_weight_schedule=gin.REQUIRED,
               total_steps=gin.REQUIRED, variable_pattern=BRANCH_WEIGHTS,
               **kwargs):
    super().__init__(**kwargs)
    self.branch_weight_schedule = branch_weight_schedule
    self.total_steps = total_steps
    self.variable_pattern = re.compile(variable_pattern)
    self._branch_learning_rate = None

  def branch_learning_rate(self):
    """The branch weights' learning rate at the global step (made once)."""
    if self._branch_learning_rate is None:
      with mtf.utils.outside_all_rewrites():
        self._branch_learning_rate = (
            learning_rate_schedules.product_learning_rate(
                tf.train.get_or_create_global_step(), self.total_steps,
                factors=self.branch_weight_schedule))
        tf.summary.scalar("branch_weight_learning_rate",
                          self._branch_learning_rate)
    return self._branch_learning_rate

  def apply_grad(self, grad, var):
    if not self.variable_pattern.search(var.name):
      return super().apply_grad(grad, var)
    run_learning_rate = self._learning_rate
    self._learning_rate = self.branch_learning_rate()
    try:
      return super().apply_grad(grad, var)
    finally:
      self._learning_rate = run_learning_rate
