"""Normalization sublayers for `transformer.LayerStack`.

Each function has the LayerStack sublayer signature (x, layer_stack, context)
and is placed in `LayerStack.sublayers_per_layer` (before each block: the
paper's pre-layer-norm) and `LayerStack.sublayers_final`.
"""
import gin
import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf


@gin.configurable(module="mtf_mods")
def sublayer_layer_norm(x, layer_stack, context, epsilon=1e-6):
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
