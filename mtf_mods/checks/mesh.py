"""A tiny model trains, and trains the same on one device and on a 2x2 mesh.

Two runs of `mesh_run.train` (plain SGD on one fixed batch, no dropout)
serve the four checks of a variant: the one-device run trains a few steps;
the 2x2 run (batch split 2 ways; heads, d_ff, vocab and experts 2 ways)
starts from the same values and takes the fewest steps that still catch a
layout bug.

- trains: finite loss, falling at every step, by more than 0.05 in all
  (most variants fall by 0.5 or more; the Weighted Transformer, whose only
  feed-forwards act on attention's branches, by 0.08).
- same losses: the loss before any update (the forward pass) and after one
  (the update), within rtol 1e-4.
- same gradients: each variable's gradient in the first step, compared to
  the largest entry of its own one-device gradient, so that a wrong
  gradient of a small variable (a norm gain, a relative-bias table, a
  router, a scalar) fails although it barely moves the loss.
- split: the comparisons mean something only if the mesh splits the model:
  some attention-heads or d_ff kernel is split over the model axis, and so
  is every weight of the variant's own (one the baseline does not have)
  wider than d_model, unless the variant names it in `replicated`.
"""
import dataclasses
import functools
import math
import re

import numpy as np

from mtf_mods.config import gin_config
from mtf_mods.model import mesh_run
from mtf_mods.model import model_graph
from mtf_mods import variants
from mtf_mods.checks import model_config
from mtf_mods.checks.result import Result

STEPS = 6
SHARDED_STEPS = 2
LOSS_RTOL = 1e-4
MIN_FALL = 0.05
# A gradient entry may differ between the meshes by this fraction of the
# variable's largest gradient entry (float32 sums in another order).
GRADIENT_RTOL = 1e-4
MODEL_PARALLEL_KERNEL = re.compile(r"(Attention|FeedForward).*/kernel$")


@dataclasses.dataclass
class MeshRuns:
  variant: object
  single: mesh_run.RunResult
  sharded: mesh_run.RunResult
  baseline_shapes: dict  # the baseline's {variable name: shape}, same params
  d_model: int


def on_one_device_and_mesh(variant, single_steps, mesh, mesh_steps):
  """(one device's run, the mesh's run from the same initial values) of
  the variant at the tiny scale, each with its first step's gradients."""
  tiny = model_config.TINY
  files = [variant.gin_file, tiny.gin_file]
  params = model_config.params(variant)
  single = mesh_run.train(files, params, tiny.vocab_size, single_steps,
                         gradients=True)
  return single, mesh_run.train(files, params, tiny.vocab_size, mesh_steps,
                                mesh=mesh,
                                initial_values=single.initial_values,
                                gradients=True)


def run(variant):
  """The variant trained on one device, then on 2x2 from the same start."""
  single, sharded = on_one_device_and_mesh(variant, STEPS, mesh_run.MESH_2X2,
                                           SHARDED_STEPS)
  one_layer = model_config.ONE_LAYER in model_config.params(variant)
  return MeshRuns(variant, single, sharded, _baseline_shapes(one_layer),
                  _d_model())


@functools.lru_cache(maxsize=None)
def _baseline_shapes(one_layer):
  tiny = model_config.TINY
  baseline = variants.get(variants.BASELINE)
  return model_graph.measure(
      [baseline.gin_file, tiny.gin_file],
      [model_config.ONE_LAYER] if one_layer else [], tiny.vocab_size,
      flops=False).signature


@functools.lru_cache(maxsize=None)
def _d_model():
  with gin_config.parsed([model_config.TINY.gin_file]):
    return gin_config.query("d_model")


def trains(runs):
  losses = runs.single.losses
  shown = ", ".join("%.3f" % loss for loss in losses)
  if not all(math.isfinite(loss) for loss in losses):
    return _result(runs, "trains", False, "a loss is not finite: " + shown)
  if not all(b < a for a, b in zip(losses, losses[1:])):
    return _result(runs, "trains", False, "the loss rises: " + shown)
  if losses[-1] >= losses[0] - MIN_FALL:
    return _result(runs, "trains", False, "the loss falls by less than "
                   "%g in %d steps: %s" % (MIN_FALL, STEPS, shown))
  return _result(runs, "trains", True, "loss %s over %d SGD steps" % (
      shown, STEPS))


def same_losses(runs):
  single = runs.single.losses[:SHARDED_STEPS]
  sharded = runs.sharded.losses
  same = np.allclose(sharded, single, rtol=LOSS_RTOL, atol=0.0)
  return _result(runs, "2x2 losses", same, "%s losses %s, one device %s "
                 "(rtol %g)" % ("same" if same else "different",
                                _floats(sharded), _floats(single), LOSS_RTOL))


def gradient_differences(single, sharded):
  """The variables whose first-step gradients differ between two runs,
  each as "name (off by ..., largest ...)"."""
  differing = []
  for name, one_device in sorted(single.gradients.items()):
    on_mesh = sharded.gradients.get(name)
    largest = float(np.abs(one_device).max())
    error = (math.inf if on_mesh is None
             else float(np.abs(on_mesh - one_device).max()))
    if not error <= GRADIENT_RTOL * largest:
      differing.append("%s (off by %.3g, largest %.3g)" % (name, error,
                                                          largest))
  return differing


def same_gradients(runs):
  differing = gradient_differences(runs.single, runs.sharded)
  count = len(runs.single.gradients)
  if differing:
    return _result(runs, "2x2 gradients", False, "%d of %d variables' "
                   "gradients differ on 2x2: %s" % (
                       len(differing), count, "; ".join(differing)))
  return _result(runs, "2x2 gradients", True, "all %d variables' gradients "
                 "within %g of their largest entry" % (count, GRADIENT_RTOL))


def split_weights(runs):
  """Names of the variables the 2x2 mesh splits (a slice smaller than the
  whole variable)."""
  whole = runs.single.slice_shapes
  return {name for name, shape in runs.sharded.slice_shapes.items()
          if list(shape) != list(whole[name])}


def own_wide_weights(runs):
  """{name: shape} of the variant's own weights (not the baseline's, or of
  another shape) with a dimension wider than d_model."""
  return {name: shape for name, shape in runs.single.slice_shapes.items()
          if list(runs.baseline_shapes.get(name, ())) != list(shape)
          and max(shape, default=0) > runs.d_model}


def splits_the_model(runs):
  split = split_weights(runs)
  if not any(MODEL_PARALLEL_KERNEL.search(name) for name in split):
    return _result(runs, "2x2 split", False, "no attention or feed-forward "
                   "kernel is split over the model axis; split: %s"
                   % (", ".join(sorted(split)) or "nothing"))
  declared = runs.variant.replicated
  own = own_wide_weights(runs)
  replicated = {name for name in own if name not in split}
  undeclared = sorted(name for name in replicated if not any(
      re.search(pattern, name) for pattern, _ in declared))
  if undeclared:
    return _result(runs, "2x2 split", False, "the variant's own weights %s "
                   "are whole on every device of the 2x2 mesh: name a "
                   "dimension of theirs in the layout rules, or list them "
                   "in the variant's replicated=" % ", ".join(
                       "%s%s" % (name, own[name]) for name in undeclared))
  return _result(runs, "2x2 split", True, "%d weights split, %d of them the "
                 "variant's own wider than d_model; %d replicated as the "
                 "variant declares" % (len(split), len(own) - len(replicated),
                                       len(replicated)))


def _floats(values):
  return "[%s]" % ", ".join("%.6f" % v for v in values)


def _result(runs, check, passed, reason):
  return Result(runs.variant.name, check, passed, reason)
