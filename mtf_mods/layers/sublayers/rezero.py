"""Rezero (Bachlechner et al. 2020; Narang et al. 2021, Sec. 2.2).

x_{i+1} = x_i + alpha_i F(x_i), alpha_i a trainable scalar initialised to 0,
so every block starts as the identity. Without normalization (`rezero`) or
with the baseline's pre-layer norm or an RMS norm before F
(`rezero_layer_norm`, `rezero_rms_norm`).
"""
import gin
import tensorflow.compat.v1 as tf

from mtf_mods.layers.scalar import scalar_variable
from mtf_mods.layers.sublayers import registry


@registry.register(numpy_reference=lambda x, w: x * w["alpha"])
@gin.configurable(module="mtf_mods")
def sublayer_rezero(x, layer_stack, context, initial_value=0.0):
  """alpha_i F(x_i): Rezero's trainable multiplier of the block's output.

  Multiplies the block's output F(x_i) by its own trainable scalar alpha_i,
  initialised to 0; placed between the block (and its dropout) and
  `transformer.sublayer_residual`.
  """
  del layer_stack
  with tf.variable_scope("rezero"):
    alpha = scalar_variable(context, "alpha", initial_value)
  return x * alpha
