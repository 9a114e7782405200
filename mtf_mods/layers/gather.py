"""Gathers whose gradient is a scatter-add, not a one-hot matmul.

mtf 0.1.21's `mtf.gather(params, indices, dim)` and `mtf.top_k`'s gradient
are einsums with a one-hot over `dim`: (entries x dim.size) numbers and
2 x entries x dim.size x row-width FLOPs each way for a lookup that moves
entries x row-width numbers. Here

  out[s.., i.., r..] = params[s.., indices[s.., i..], r..]

is `tf.gather` on each device's slice, and its gradient

  dparams[s.., v, r..] = sum over i.. with indices[s.., i..] = v of
                         dout[s.., i.., r..]

is `tf.math.unsorted_segment_sum`: the one-hot matmul's sums, in another
order (the same values to float rounding; the forward values are the same
bits). s are the dimensions indices and params share, i those of indices
only, r the rest of params.

Where a mesh axis splits `dim` (mtf's default layout splits the vocabulary
over "model"), each device gathers the indices its slice holds, zeros the
others and the devices along that axis sum their rows, as the one-hot
einsum's lowering does; the gradient scatters only the indices the slice
holds. Devices along an axis that splits only the indices' own dimensions
hold partial sums of the gradient's rows, which are summed over it.
"""
import mesh_tensorflow as mtf
import numpy as np
import tensorflow.compat.v1 as tf


def _permutation(shape, dims):
  return [shape.dims.index(d) for d in dims]


def _split_axis(mesh_impl, dim):
  """The mesh axis of more than one device splitting `dim`, or None."""
  axis = mesh_impl.tensor_dimension_to_mesh_axis(dim)
  if axis is None or mesh_impl.shape[axis].size == 1:
    return None
  return axis


def _slice_offsets(mesh_impl, axis, depth):
  """A laid-out scalar per device: the first index of its slice of a
  dimension split by `axis` into slices of `depth` (0 if not split)."""
  if axis is None:
    return 0
  return mesh_impl.slicewise(tf.multiply, mesh_impl.laid_out_pcoord(axis),
                             depth)


def _held(indices, offset, depth, trailing):
  """Indices local to the slice (clipped into it) and a float mask of
  those it holds, with `trailing` unit dimensions to broadcast over."""
  local = indices - tf.cast(offset, indices.dtype)
  held = tf.logical_and(local >= 0, local < depth)
  mask = tf.reshape(held, held.shape.as_list() + [1] * trailing)
  return tf.clip_by_value(local, 0, depth - 1), mask


class GatherOperation(mtf.Operation):
  """out[s.., i.., r..] = params[s.., indices[s.., i..], r..]."""

  def __init__(self, params, indices, dim, name=None):
    super().__init__([params, indices], name=name or "gather")
    self._dim = dim
    self._shared = [d for d in indices.shape.dims if d in params.shape.dims]
    self._indexed = [d for d in indices.shape.dims
                     if d not in params.shape.dims]
    self._rest = [d for d in params.shape.dims
                  if d != dim and d not in self._shared]
    self._outputs = [mtf.Tensor(
        self, mtf.Shape(self._shared + self._indexed + self._rest),
        params.dtype)]

  def gradient(self, grad_ys):
    params, indices = self.inputs
    return [scatter_add(grad_ys[0], indices, params.shape, self._dim), None]

  def lower(self, lowering):
    mesh_impl = lowering.mesh_impl(self)
    params, indices = self.inputs
    params_order = _permutation(params.shape,
                                self._shared + [self._dim] + self._rest)
    indices_order = _permutation(indices.shape, self._shared + self._indexed)
    batch = len(self._shared)
    axis = _split_axis(mesh_impl, self._dim)
    depth = mesh_impl.slice_shape(params.shape)[
        params.shape.dims.index(self._dim)]

    def slice_fn(p, i, offset):
      p = tf.transpose(p, params_order)
      i = tf.transpose(i, indices_order)
      if axis is None:
        return tf.gather(p, i, axis=batch, batch_dims=batch)
      local, mask = _held(i, offset, depth, len(self._rest))
      rows = tf.gather(p, local, axis=batch, batch_dims=batch)
      return rows * tf.cast(mask, rows.dtype)

    y = mesh_impl.slicewise(slice_fn, lowering.tensors[params],
                            lowering.tensors[indices],
                            _slice_offsets(mesh_impl, axis, depth))
    if axis is not None:
      y = mesh_impl.allreduce(y, [axis], "SUM")
    lowering.set_tensor_lowering(self.outputs[0], y)


class ScatterAddOperation(mtf.Operation):
  """The gradient of GatherOperation: each row of `dy` added to the row of
  a zero `params_shape` tensor its index names."""

  def __init__(self, dy, indices, params_shape, dim, name=None):
    super().__init__([dy, indices], name=name or "scatter_add")
    self._dim = dim
    self._shared = [d for d in indices.shape.dims if d in params_shape.dims]
    self._indexed = [d for d in indices.shape.dims
                     if d not in params_shape.dims]
    self._rest = [d for d in params_shape.dims
                  if d != dim and d not in self._shared]
    self._outputs = [mtf.Tensor(self, params_shape, dy.dtype)]

  def gradient(self, grad_ys):
    dy, indices = self.inputs
    return [mtf.transpose(gather(grad_ys[0], indices, self._dim), dy.shape),
            None]

  def lower(self, lowering):
    mesh_impl = lowering.mesh_impl(self)
    dy, indices = self.inputs
    params_shape = self.outputs[0].shape
    summed_axes = {mesh_impl.tensor_dimension_to_mesh_axis(d)
                   for d in self._indexed} - {None}
    if summed_axes & {mesh_impl.tensor_dimension_to_mesh_axis(d)
                      for d in params_shape.dims}:
      raise ValueError("scatter_add: a mesh axis splits both the indices' "
                       "own dimensions and the table")
    dy_order = _permutation(dy.shape, self._shared + self._indexed + self._rest)
    indices_order = _permutation(indices.shape, self._shared + self._indexed)
    ordered = mtf.Shape(self._shared + [self._dim] + self._rest)
    back = _permutation(ordered, params_shape.dims)
    ordered_slice = mesh_impl.slice_shape(ordered)
    batch = len(self._shared)
    rows = int(np.prod(ordered_slice[:batch]))
    depth = ordered_slice[batch]
    axis = _split_axis(mesh_impl, self._dim)

    def slice_fn(g, i, offset):
      i = tf.transpose(i, indices_order)
      g = tf.transpose(g, dy_order)
      if axis is not None:
        i, mask = _held(i, offset, depth, len(self._rest))
        g *= tf.cast(mask, g.dtype)
      i = tf.reshape(i, [rows, -1])
      segments = tf.reshape(i + depth * tf.range(rows)[:, None], [-1])
      g = tf.reshape(g, [-1] + ordered_slice[batch + 1:])
      out = tf.math.unsorted_segment_sum(g, segments, rows * depth)
      return tf.transpose(tf.reshape(out, ordered_slice), back)

    y = mesh_impl.slicewise(slice_fn, lowering.tensors[dy],
                            lowering.tensors[indices],
                            _slice_offsets(mesh_impl, axis, depth))
    if summed_axes:
      y = mesh_impl.allreduce(y, sorted(summed_axes), "SUM")
    lowering.set_tensor_lowering(self.outputs[0], y)


def gather(params, indices, dim):
  """The entries of `params` along `dim` that `indices` name (a lookup,
  whose gradient is a scatter-add: no one-hot, unlike mtf.gather)."""
  return GatherOperation(params, indices, dim).outputs[0]


def scatter_add(dy, indices, params_shape, dim):
  return ScatterAddOperation(dy, indices, params_shape, dim).outputs[0]


def top_k(x, reduced_dim, k_dim):
  """(values, indices) of the k largest entries of `x` along `reduced_dim`;
  the values' gradient is scattered to the k entries (mtf.top_k's is an
  einsum with a one-hot over `reduced_dim`)."""
  _, indices = mtf.top_k(mtf.stop_gradient(x), reduced_dim, k_dim)
  return gather(x, indices, reduced_dim), indices
