"""Refuse to resume from a checkpoint of a different model configuration.

The checkpoint in model_dir stores every model variable by name and shape,
beside the optimizer's slots and the global step; a configuration whose
model variables differ would either fail deep inside TensorFlow or, worse,
restore a subset silently. The optimizer's slots are not the model's: a
stage that reads a checkpoint without training it (the held-out loss,
decoding) builds no optimizer at all, so the guard compares model
variables only, whichever optimizer (Adafactor, or Adam for the Rezero and
Fixup rows) wrote the checkpoint.
"""
import re

import tensorflow.compat.v1 as tf

from mtf_mods.files import model_dir_reader

# The names mtf 0.1.21's optimizers (mesh_tensorflow/optimize.py) give the
# slots of a variable v: Adafactor v_slot_vr, v_slot_vc, v_slot_v, v_slot_m;
# Adam (AdamWeightDecayOptimizer) v/adam_m, v/adam_v; momentum
# v_momentum_v.
_NOT_MODEL = re.compile(
    r"(_slot_(vr|vc|v|m)$)|(/adam_(m|v)$)|(_momentum_v$)|(^global_step$)")


class ModelDirMismatch(ValueError):
  """model_dir holds a checkpoint of another model."""


def checkpoint_signature(model_dir):
  """{name: shape} of the model variables of model_dir's latest checkpoint,
  or None if there is no checkpoint."""
  if model_dir_reader.latest_step(model_dir) is None:
    return None
  checkpoint = model_dir_reader.latest_checkpoint(model_dir)
  return {name: list(shape)
          for name, shape in tf.train.list_variables(checkpoint)
          if not _NOT_MODEL.search(name)}


def first_difference(expected, found):
  """A short description of how two {name: shape} signatures differ."""
  for name in sorted(set(expected) | set(found)):
    if name not in found:
      return "the configured model has %s, the checkpoint does not" % name
    if name not in expected:
      return "the checkpoint has %s, the configured model does not" % name
    if list(expected[name]) != list(found[name]):
      return "%s is %s in the configured model, %s in the checkpoint" % (
          name, list(expected[name]), list(found[name]))
  return None


def check(model_dir, signature, description):
  """Raises ModelDirMismatch if model_dir's checkpoint is of another model.

  Args:
    model_dir: the model directory.
    signature: {name: shape} of the configured model (model_graph.signature).
    description: how to name the configured model in the message.
  """
  found = checkpoint_signature(model_dir)
  if found is None:
    return
  difference = first_difference(signature, found)
  if difference:
    raise ModelDirMismatch(
        "--model_dir %s holds a checkpoint of a different model than %s (%s);"
        " use a new --model_dir, or the configuration it was trained with"
        % (model_dir, description, difference))
