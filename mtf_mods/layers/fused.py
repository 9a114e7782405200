"""Functions mtf composes from many ops, lowered with fewer.

mtf builds ReLU's gradient from a comparison, a cast and a product; a
softmax from a max, two exps, a sum and a log; layer and RMS norms from
means, squares and a reciprocal square root, each op with gradient ops of
its own. On a CPU every op reads and writes its whole tensor, and those
passes cost more than the arithmetic. Here ReLU and softmax are TensorFlow's
fused kernels (Relu and ReluGrad; Softmax), `elementwise` applies any
TensorFlow function with its TensorFlow gradient (the feed-forward's
activations), and each normalization is one function with its gradient in
closed form, a few TensorFlow ops; each is one mtf operation, applied slice
by slice. The values are the same equations to float rounding.

The reduced dimension of `softmax` and of the normalizations must not be
split over the mesh (lowering refuses such a layout); the kit's layouts
never split the memory length, d_model or a layer's own channels.
`mtf_mods.fused_kernels.enabled = False` restores mtf's compositions, which
lay out over any mesh.
"""
import gin
import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf


@gin.configurable(module="mtf_mods")
def fused_kernels(enabled=True):
  """True: the functions below, and the lightweight and separable
  convolutions (layers/depthwise_convolution.py), lower to fused kernels;
  False: to mtf's ops."""
  return enabled


class ReducesOneDimension:
  """A fused operation that reduces `reduced_dim` of its first input,
  which each device must hold whole."""
  reduced_dim = None

  def check_unsplit(self, lowering):
    x = self.inputs[0]
    layout = lowering.mesh_impl(self).tensor_layout(x)
    mesh_axis = layout.tensor_axis_to_mesh_axis[
        x.shape.dims.index(self.reduced_dim)]
    if mesh_axis is not None:
      raise ValueError(
          "%s reduces dimension %s, which the layout rules split over mesh "
          "axis %d; keep it unsplit, or set mtf_mods.fused_kernels.enabled "
          "= False" % (self.name, self.reduced_dim.name, mesh_axis))


class _ReducingOperation(ReducesOneDimension, mtf.SlicewiseOperation):
  """tf_fn on each slice of x, reducing `dim`, which must not be split."""

  def __init__(self, tf_fn, x, dim, name):
    super().__init__(tf_fn, [x], [x.shape], [x.dtype],
                     [d for d in x.shape.dims if d != dim], name=name)
    self.reduced_dim = dim

  def lower(self, lowering):
    self.check_unsplit(lowering)
    super().lower(lowering)


def split_reductions(graph, mesh_shape, layout_rules):
  """{dimension name: mesh axis name} of the dimensions that the fused ops
  of an mtf.Graph reduce and `layout_rules` split over a mesh axis."""
  found = {}
  for operation in graph.operations:
    if isinstance(operation, ReducesOneDimension):
      axis = layout_rules.tensor_dimension_to_mesh_axis(
          operation.reduced_dim, mesh_shape)
      if axis is not None:
        found[operation.reduced_dim.name] = mesh_shape.dims[axis].name
  return found


def elementwise(x, kernel, composition, name):
  """kernel(t) on each slice t of x, differentiated by TensorFlow (its
  registered gradient kernel or its tf.custom_gradient); with fused kernels
  off, composition(x): the same equation in mtf's ops."""
  if not fused_kernels():
    return composition(x)
  return mtf.cwise(kernel, [x], name=name)


def relu(x, name="relu"):
  """max(0, x); its gradient is TensorFlow's ReluGrad (dy where x > 0)."""
  return elementwise(x, tf.nn.relu, mtf.relu, name)


def softmax(x, dim, name="softmax"):
  """exp(x) / sum(exp(x)) over `dim`, by tf.nn.softmax (and its gradient,
  y (dy - sum(dy y)))."""
  if not fused_kernels():
    return mtf.softmax(x, dim, name=name)
  axis = x.shape.dims.index(dim)
  return _ReducingOperation(lambda t: tf.nn.softmax(t, axis=axis), x, dim,
                            name).outputs[0]


def _standardize_slice(t, axis, epsilon):
  """(t - mean) / sqrt(var + epsilon) over `axis`, with the gradient
  dt = (dy - mean(dy) - y mean(dy y)) / sqrt(var + epsilon)."""
  @tf.custom_gradient
  def forward(t):
    mean, variance = tf.nn.moments(t, axes=[axis], keepdims=True)
    inverse_std = tf.math.rsqrt(variance + epsilon)
    y = (t - mean) * inverse_std

    def backward(dy):
      return inverse_std * (
          dy - tf.reduce_mean(dy, axis, keepdims=True)
          - y * tf.reduce_mean(dy * y, axis, keepdims=True))
    return y, backward
  return forward(t)


def _rms_normalize_slice(t, axis, epsilon):
  """t / sqrt(mean(t^2) + epsilon) over `axis`, with the gradient
  dt = (dy - y mean(dy y)) / sqrt(mean(t^2) + epsilon)."""
  @tf.custom_gradient
  def forward(t):
    inverse_rms = tf.math.rsqrt(
        tf.reduce_mean(tf.square(t), axis, keepdims=True) + epsilon)
    y = t * inverse_rms

    def backward(dy):
      return inverse_rms * (
          dy - y * tf.reduce_mean(dy * y, axis, keepdims=True))
    return y, backward
  return forward(t)


def rms_normalize(x, dim, epsilon, name="rms_normalize"):
  """x / sqrt(mean(x^2) + epsilon), the mean over `dim`: an RMS norm without
  its gain (Zhang & Sennrich 2019, eq. 4)."""
  if not fused_kernels():
    return x * mtf.rsqrt(
        mtf.reduce_mean(mtf.square(x), reduced_dim=dim) + epsilon)
  axis = x.shape.dims.index(dim)
  return _ReducingOperation(lambda t: _rms_normalize_slice(t, axis, epsilon),
                            x, dim, name).outputs[0]


def standardize(x, dim, epsilon, name="standardize"):
  """(x - mean(x)) / sqrt(var(x) + epsilon), the statistics over `dim`: a
  layer norm without its gain and bias (Ba et al. 2016, eq. 4)."""
  if not fused_kernels():
    centered = x - mtf.reduce_mean(x, reduced_dim=dim)
    variance = mtf.reduce_mean(mtf.square(centered), reduced_dim=dim)
    return centered * mtf.rsqrt(variance + epsilon)
  axis = x.shape.dims.index(dim)
  return _ReducingOperation(lambda t: _standardize_slice(t, axis, epsilon),
                            x, dim, name).outputs[0]
