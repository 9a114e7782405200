"""Normalization sublayers for `transformer.LayerStack`.

Each function has the LayerStack sublayer signature (x, layer_stack, context)
and is placed in `LayerStack.sublayers_per_layer` (before each block: the
paper's pre-layer-norm; Rezero's multiplier after it) and
`LayerStack.sublayers_final`.

Every sublayer is registered with the same equation in numpy, a function of
the input and of the sublayer's weights by variable name, which the tests use
as its reference. To add a normalization:

    @register(numpy_reference=lambda x, w: x / w["scale"])  # numpy equation
    @gin.configurable(module="mtf_mods")
    def sublayer_my_norm(x, layer_stack, context):
      ...  # the same equation on mtf.Tensors; cite it in a docstring
"""
import math

import gin
import mesh_tensorflow as mtf
import numpy as np
import tensorflow.compat.v1 as tf

SUBLAYERS = {}          # function name -> sublayer function
NUMPY_REFERENCES = {}   # function name -> f(x, {variable name: value})

EPSILON = 1e-6


def register(numpy_reference):
  """Registers the decorated sublayer with its numpy reference."""
  def decorator(sublayer):
    SUBLAYERS[sublayer.__name__] = sublayer
    NUMPY_REFERENCES[sublayer.__name__] = numpy_reference
    return sublayer
  return decorator


def scalar_variable(context, name, initial_value):
  """One trainable scalar (per ensemble member)."""
  return mtf.get_variable(
      context.mesh, name, mtf.Shape(context.model.ensemble_dims),
      initializer=tf.constant_initializer(initial_value),
      dtype=context.variable_dtype)


def _np_layer_norm(x, w):
  centered = x - x.mean(-1, keepdims=True)
  variance = (centered ** 2).mean(-1, keepdims=True)
  return centered / np.sqrt(variance + EPSILON) * w["gain"] + w["bias"]


@register(numpy_reference=_np_layer_norm)
@gin.configurable(module="mtf_mods")
def sublayer_layer_norm(x, layer_stack, context, epsilon=EPSILON):
  """Layer normalization with gain and bias (Ba et al. 2016).

  y = (x - mean(x)) / sqrt(var(x) + epsilon) * g + b, statistics over d_model.
  """
  del layer_stack
  model_dim = context.model.model_dim
  with tf.variable_scope("layer_norm"):
    gain = mtf.get_variable(x.mesh, "gain", mtf.Shape([model_dim]),
                            initializer=tf.ones_initializer(),
                            dtype=context.variable_dtype)
    bias = mtf.get_variable(x.mesh, "bias", mtf.Shape([model_dim]),
                            initializer=tf.zeros_initializer(),
                            dtype=context.variable_dtype)
  centered = x - mtf.reduce_mean(x, reduced_dim=model_dim)
  variance = mtf.reduce_mean(mtf.square(centered), reduced_dim=model_dim)
  return centered * mtf.rsqrt(variance + epsilon) * gain + bias


def _np_rms_norm(x, w):
  mean_square = (x ** 2).mean(-1, keepdims=True)
  return x / np.sqrt(mean_square + EPSILON) * w["scale"]


@register(numpy_reference=_np_rms_norm)
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
  sample = x
  if statistic_channels < model_dim.size:
    sample = mtf.slice(x, 0, statistic_channels, model_dim.name)
  mean_square = mtf.reduce_mean(
      mtf.square(sample), reduced_dim=sample.shape.get_dim_by_name(
          model_dim.name))
  return x * mtf.rsqrt(mean_square + epsilon) * scale


@register(numpy_reference=lambda x, w: x * w["alpha"])
@gin.configurable(module="mtf_mods")
def sublayer_rezero(x, layer_stack, context, initial_value=0.0):
  """Rezero (Bachlechner et al. 2020): x_{i+1} = x_i + alpha_i F(x_i).

  Multiplies the block's output F(x_i) by its own trainable scalar alpha_i,
  initialised to 0 so every block starts as the identity; placed between
  the block (and its dropout) and `transformer.sublayer_residual`.
  """
  del layer_stack
  with tf.variable_scope("rezero"):
    alpha = scalar_variable(context, "alpha", initial_value)
  return x * alpha
