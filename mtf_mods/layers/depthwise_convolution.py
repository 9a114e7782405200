"""A depthwise convolution along the length, one TensorFlow kernel each way.

For x [..., length, channels...] and a filter f [heads, K] that each
channel [j, h] reads by its last index h, and a window starting at `lo`:

  o[..., t, j, h] = sum_{i < K} f[h, i] x[..., t + lo + i, j, h]

with x = 0 outside the sequence: the lightweight convolution (Wu et al.
2019, eq. 2-3; `transformer_layers/convolution.py`, one filter for each
group of channels) and the depthwise part of a separable convolution (one
filter a channel; the Evolved Transformer's, `transformer_layers/
evolved.py`). mtf writes it as a
stack of K shifted copies of x and a product with f, a tensor K times the
size of x read and written each way. Here the forward pass is one
tf.nn.depthwise_conv2d over the padded sequence, the input gradient the
same convolution of dy by the flipped filter over the mirrored window,
and the filter gradient TensorFlow's DepthwiseConv2dNativeBackpropFilter,
summed over the devices that split the dimensions f does not have (as an
einsum's reduced dimensions are).

The length must not be split over the mesh (lowering refuses such a
layout, as the fused kernels of `layers.fused` refuse a split of what they
reduce, and `input_checks` reports it before a launch); the batch and the
channels may be.
"""
import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf

from mtf_mods.layers import fused


def _as_image(t, length_axis):
  """[..., length, c...] -> [n, 1, length, c] (NHWC with height 1)."""
  shape = tf.shape(t)
  channels = tf.reduce_prod(shape[length_axis + 1:])
  return tf.reshape(t, tf.stack([-1, 1, shape[length_axis], channels]))


def _padded(image, lo, width):
  """The image padded so that a VALID window of `width` at output t starts
  at input t + lo."""
  return tf.pad(image, [[0, 0], [0, 0], [-lo, width - 1 + lo], [0, 0]])


def _channel_filter(f, copies):
  """f [heads, K] -> [1, K, copies * heads, 1], channel j H + h reading f[h]."""
  return tf.tile(tf.transpose(f), [1, copies])[None, :, :, None]


def _convolve_slice(x, f, length_axis, lo):
  """o of the equation above for one slice of x and f."""
  heads, width = f.shape.as_list()
  copies = x.shape[length_axis + 1:].num_elements() // heads
  image = _padded(_as_image(x, length_axis), lo, width)
  o = tf.nn.depthwise_conv2d(image, _channel_filter(f, copies),
                             [1, 1, 1, 1], "VALID")
  return tf.reshape(o, tf.shape(x))


def _filter_gradient_slice(x, dy, f_shape, length_axis, lo):
  """d loss / d f [heads, K] from this slice of x and dy."""
  heads, width = f_shape
  copies = x.shape[length_axis + 1:].num_elements() // heads
  gradient = tf.nn.depthwise_conv2d_backprop_filter(
      _padded(_as_image(x, length_axis), lo, width),
      [1, width, copies * heads, 1], _as_image(dy, length_axis),
      [1, 1, 1, 1], "VALID")
  return tf.transpose(tf.reduce_sum(
      tf.reshape(gradient, [width, copies, heads]), 1))


class _LengthOperation(fused.ReducesOneDimension, mtf.Operation):
  """An operation over windows of the length, which must not be split."""

  def __init__(self, inputs, length_dim, name):
    super().__init__(inputs, name=name)
    self.reduced_dim = length_dim

  @property
  def filter_shape(self):
    """The filter's shape, [heads, K]."""
    raise NotImplementedError

  def flops(self):
    """2 per point of the einsum of mtf's window [..., K, channels...] and
    f, which this operation replaces: K multiply-adds per value of x."""
    width = self.filter_shape.dims[-1].size
    return 2 * self.inputs[0].shape.size * width


class _Convolution(_LengthOperation):

  def __init__(self, x, f, length_dim, lo, name="depthwise_convolution"):
    super().__init__([x, f], length_dim, name)
    self.lo = lo
    self._outputs = [mtf.Tensor(self, x.shape, x.dtype)]

  @property
  def filter_shape(self):
    return self.inputs[1].shape

  def gradient(self, grad_ys):
    [dy] = grad_ys
    x, f = self.inputs
    width = f.shape.dims[-1].size
    flipped = mtf.slicewise(lambda t: tf.reverse(t, [-1]), [f],
                            output_shape=f.shape,
                            splittable_dims=f.shape.dims[:-1],
                            name=self.name + "/flipped_filter")
    return [_Convolution(dy, flipped, self.reduced_dim,
                         -(self.lo + width - 1),
                         name=self.name + "/input_gradient").outputs[0],
            _FilterGradient(x, dy, f, self.reduced_dim, self.lo,
                            name=self.name + "/filter_gradient").outputs[0]]

  def lower(self, lowering):
    mesh_impl = lowering.mesh_impl(self)
    self.check_unsplit(lowering)
    x, f = self.inputs
    axis = x.shape.dims.index(self.reduced_dim)
    lowering.set_tensor_lowering(self.outputs[0], mesh_impl.slicewise(
        lambda xs, fs: _convolve_slice(xs, fs, axis, self.lo),
        lowering.tensors[x], lowering.tensors[f]))


class _FilterGradient(_LengthOperation):

  def __init__(self, x, dy, f, length_dim, lo, name):
    super().__init__([x, dy], length_dim, name)
    self.lo = lo
    self._outputs = [mtf.Tensor(self, f.shape, f.dtype)]

  @property
  def filter_shape(self):
    return self.outputs[0].shape

  def lower(self, lowering):
    mesh_impl = lowering.mesh_impl(self)
    self.check_unsplit(lowering)
    x, dy = self.inputs
    f_shape = self.filter_shape
    axis = x.shape.dims.index(self.reduced_dim)
    local_shape = mesh_impl.slice_shape(f_shape)
    gradient = mesh_impl.slicewise(
        lambda xs, dys: _filter_gradient_slice(xs, dys, local_shape, axis,
                                               self.lo),
        lowering.tensors[x], lowering.tensors[dy])
    summed_axes = [mesh_impl.tensor_dimension_to_mesh_axis(d)
                   for d in x.shape.dims if d not in f_shape.dims]
    summed_axes = [a for a in summed_axes if a is not None]
    if summed_axes:
      gradient = mesh_impl.allreduce(gradient, summed_axes, "SUM")
    lowering.set_tensor_lowering(self.outputs[0], gradient)


COUNTED = (_Convolution, _FilterGradient)


def _filter_fits(x, f):
  """f is 2-d, one of its dimensions x's last (the heads)."""
  return f.shape.ndims == 2 and x.shape.dims[-1] in f.shape.dims


def serves(context, x, f):
  """Whether a layer convolves x by f with `convolve`: with fused kernels
  on (`mtf_mods.fused_kernels.enabled`), over all positions at once (while
  decoding, a layer keeps mtf's window of K shifted copies, its state),
  and f 2-d with x's last dimension one of its two."""
  return (fused.fused_kernels()
          and context.mode not in ("first_part", "incremental")
          and _filter_fits(x, f))


def convolve(x, f, length_dim, lo):
  """The equation above. x: [..., length_dim, channels...]; f: the filter,
  [heads, K] or [K, heads], heads x's last dimension; lo: the window's
  first position relative to the output's."""
  if not _filter_fits(x, f):
    raise ValueError("the filter must be [heads, width] or [width, heads] "
                     "with heads the input's last dimension; got %s and %s"
                     % (f.shape, x.shape))
  if f.shape.dims[0] != x.shape.dims[-1]:
    f = mtf.transpose(f, f.shape.dims[::-1])
  return _Convolution(x, f, length_dim, lo).outputs[0]
