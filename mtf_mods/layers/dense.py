"""Dense projections over named Mesh TensorFlow dimensions.

y = x · W (+ b), where W spans `reduced_dims + new_dims` (Vaswani et al. 2017,
eq. 2 projections; App. D of Narang et al. 2021). The weight is created with
the named dimensions it contracts and produces, so the layout rules of the
mesh (for example `d_ff:model`, `heads:model`) decide how it is sharded.
"""
import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf


def fan_in_truncated_normal(reduced_dims, scale=1.0):
  """Mesh TensorFlow 0.1.21's default dense kernel initializer
  (mtf.layers.VarianceScalingInitializer with mode "fan_in", distribution
  "normal"): a normal of std sqrt(scale / fan_in) truncated at two of those
  standard deviations, so its samples have about 0.88 of that std."""
  fan_in = mtf.Shape(reduced_dims).size
  return tf.truncated_normal_initializer(stddev=(scale / fan_in) ** 0.5)


def dense(x, new_dims, reduced_dims, context, name, use_bias=False,
          stddev=None, initializer=None):
  """Projects `x` from `reduced_dims` to `new_dims`.

  Args:
    x: an mtf.Tensor containing every dimension of `reduced_dims`.
    new_dims: list of mtf.Dimension produced.
    reduced_dims: list of mtf.Dimension contracted away.
    context: the transformer Context (for variable dtypes and ensembles).
    name: variable scope of the kernel ("kernel") and bias ("bias").
    use_bias: add a bias over `new_dims`, initialised to zero.
    stddev: standard deviation of the normal kernel initializer; defaults to
      fan_in ** -0.5 (fan_in = product of `reduced_dims`).
    initializer: a tf initializer for the kernel, instead of that normal.

  Returns:
    an mtf.Tensor with the dims of `x` less `reduced_dims`, plus `new_dims`.
  """
  ensemble_dims = context.model.ensemble_dims
  fan_in = mtf.Shape(reduced_dims).size
  if stddev is None:
    stddev = fan_in ** -0.5
  if initializer is None:
    initializer = tf.random_normal_initializer(stddev=stddev)
  with tf.variable_scope(name):
    kernel = mtf.get_variable(
        x.mesh, "kernel", mtf.Shape(ensemble_dims + reduced_dims + new_dims),
        initializer=initializer, dtype=context.variable_dtype)
    output_dims = [d for d in x.shape.dims if d not in reduced_dims] + new_dims
    y = mtf.einsum([x, kernel], output_shape=mtf.Shape(output_dims))
    if use_bias:
      y += mtf.get_variable(
          x.mesh, "bias", mtf.Shape(ensemble_dims + new_dims),
          initializer=tf.zeros_initializer(), dtype=context.variable_dtype)
  return y
