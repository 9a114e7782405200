"""Normalizations of the LayerStack: layer norm and RMS norm.

The baseline normalizes the input of every block (pre-layer norm) and the
output of the stack with layer normalization; the `rms_norm` variant
(Narang et al. 2021, Sec. 2.2) uses RMS normalization in the same places.
Both are LayerStack sublayers, (x, layer_stack, context) -> y, placed in
`LayerStack.sublayers_per_layer` (before each block) and
`LayerStack.sublayers_final`, and registered with their numpy equations
(`registry`).
"""
import math

import gin
import mesh_tensorflow as mtf
import numpy as np
import tensorflow.compat.v1 as tf

from mtf_mods.layers import fused
from mtf_mods.layers import layer_norm
from mtf_mods.layers.sublayers import registry

EPSILON = 1e-6


def _np_layer_norm(x, w):
  centered = x - x.mean(-1, keepdims=True)
  variance = (centered ** 2).mean(-1, keepdims=True)
  return centered / np.sqrt(variance + EPSILON) * w["gain"] + w["bias"]


@registry.register(numpy_reference=_np_layer_norm)
@gin.configurable(module="mtf_mods")
def sublayer_layer_norm(x, layer_stack, context, epsilon=EPSILON):
  """Layer normalization with gain and bias (Ba et al. 2016).

  y = (x - mean(x)) / sqrt(var(x) + epsilon) * g + b, statistics over d_model.
  """
  del layer_stack
  return layer_norm.layer_norm(x, context.model.model_dim, context, epsilon)


def _np_rms_norm(x, w):
  mean_square = (x ** 2).mean(-1, keepdims=True)
  return x / np.sqrt(mean_square + EPSILON) * w["scale"]


@registry.register(numpy_reference=_np_rms_norm)
@gin.configurable(module="mtf_mods")
def sublayer_rms_norm(x, layer_stack, context, epsilon=EPSILON,
                      percentage_of_channels=100.0):
  """RMS normalization (Zhang & Sennrich 2019), with a gain g.

  y = x / sqrt(mean(x^2) + epsilon) * g: no centering and no bias.

  Args:
    x, layer_stack, context: the sublayer arguments.
    epsilon: added to the mean square.
    percentage_of_channels: the mean square is taken over the first
      ceil(d_model * percentage / 100) channels. 100 is the paper's RMS norm;
      the authors' released rms_norm.gin used 6.75 (52 of 768 channels),
      which this option reproduces.
  """
  del layer_stack
  model_dim = context.model.model_dim
  with tf.variable_scope("rms_norm"):
    scale = mtf.get_variable(x.mesh, "scale", mtf.Shape([model_dim]),
                             initializer=tf.ones_initializer(),
                             dtype=context.variable_dtype)
  statistic_channels = int(math.ceil(
      model_dim.size * percentage_of_channels / 100.0))
  if statistic_channels == model_dim.size:
    return fused.rms_normalize(
        x, x.shape.get_dim_by_name(model_dim.name), epsilon) * scale
  sample = mtf.slice(x, 0, statistic_channels, model_dim.name)
  mean_square = mtf.reduce_mean(
      mtf.square(sample), reduced_dim=sample.shape.get_dim_by_name(
          model_dim.name))
  return x * mtf.rsqrt(mean_square + epsilon) * scale
