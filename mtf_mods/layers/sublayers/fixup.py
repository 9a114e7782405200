"""Fixup's scalar sublayers (Zhang, Dauphin & Ma 2019, rule 3).

Fixup (Narang et al. 2021, Sec. 2.2) removes the normalizations and adds,
to every residual branch, scalar biases initialised to 0 and a scalar
multiplier initialised to 1. As the study's layers did, the model puts one
bias before each branch (`sublayer_fixup_bias`, so ahead of q, k, v and of
the feed-forward's wi) and the multiplier at the branch's end
(`sublayer_fixup_multiplier`); the bias before the feed-forward output
projection is inside `transformer_layers.fixup.FixupFeedForward`, which also
holds rules 1 and 2 (the initialization).
"""
import gin
import tensorflow.compat.v1 as tf

from mtf_mods.layers.scalar import scalar_variable
from mtf_mods.layers.sublayers import registry


@registry.register(numpy_reference=lambda x, w: x + w["bias"])
@gin.configurable(module="mtf_mods")
def sublayer_fixup_bias(x, layer_stack, context):
  """x + b, b a scalar initialised to 0 (Fixup rule 3)."""
  del layer_stack
  with tf.variable_scope("fixup_bias"):
    return x + scalar_variable(context, "bias", 0.0)


@registry.register(numpy_reference=lambda x, w: x * w["multiplier"])
@gin.configurable(module="mtf_mods")
def sublayer_fixup_multiplier(x, layer_stack, context):
  """x * s, s a scalar initialised to 1 (Fixup rule 3)."""
  del layer_stack
  with tf.variable_scope("fixup_multiplier"):
    return x * scalar_variable(context, "multiplier", 1.0)
