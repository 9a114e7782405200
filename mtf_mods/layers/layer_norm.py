"""Layer normalization over one named dimension (Ba et al. 2016).

y = (x - mean(x)) / sqrt(var(x) + epsilon) * g + b, the statistics over
`dim`; the gain g (ones) and bias b (zeros) span `dim` (and the model's
ensemble dimensions) and live in the variable scope `scope`. Calling it
again in the same scope reuses them (mtf.get_variable returns the
variable a name already has). The baseline's sublayer, the Evolved
Transformer's convolutions, the Universal Transformer's gates and the
product key memory's queries normalize with it.
"""
import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf

from mtf_mods.layers import fused


def layer_norm(x, dim, context, epsilon, scope="layer_norm", gain="gain"):
  """x normalized over `dim`; the gain's variable is named `gain`."""
  shape = mtf.Shape(context.model.ensemble_dims + [dim])
  with tf.variable_scope(scope):
    g = mtf.get_variable(x.mesh, gain, shape,
                         initializer=tf.ones_initializer(),
                         dtype=context.variable_dtype)
    b = mtf.get_variable(x.mesh, "bias", shape,
                         initializer=tf.zeros_initializer(),
                         dtype=context.variable_dtype)
  return fused.standardize(x, dim, epsilon) * g + b
