"""Random draws of a training step as a function of the seed and the step.

mesh_tensorflow lowers every random operation of a model (dropout's masks,
the mixture of experts' random routing) on a CPU or GPU mesh
(`PlacementMeshImpl.random`) to a stateful TensorFlow op seeded from Python's
`random.random()` and `hash()` of a string. The draws then differ from
process to process whatever `--seed` says, and a run resumed from a
checkpoint replays the masks of its first steps instead of continuing the
sequence. Training with dropout (fine-tuning, training from scratch) was
neither reproducible nor resumable bit for bit.

`stateless_random()` replaces that lowering, while a training graph is
built, with `tf.random.stateless_*` draws seeded by

  (crc32(graph seed, the operation's position in the lowering, the slice's
   offset), global step)

so the draws of step s are the same in any process, also after a resume at
s. The distributions are the ones mtf draws from (uniform, normal,
truncated normal, with the same arguments), so the model is unchanged. The
step is the Estimator's read of the global step at the start of the step
(the "global_step_read_op_cache" collection); `ordered_updates` makes the
step's increment wait for it.
"""
import contextlib
import zlib

import mesh_tensorflow as mtf
import tensorflow.compat.v1 as tf

_STATELESS = {
    tf.random.uniform: tf.random.stateless_uniform,
    tf.random.normal: tf.random.stateless_normal,
    tf.random.truncated_normal: tf.random.stateless_truncated_normal,
}
# The Estimator's read of the global step, on which every op of its model
# function (the step's increment included) depends.
_STEP_READ = "global_step_read_op_cache"


def _seed_pair(graph_seed, op_index, slice_begin, step):
  key = "%s/%d/%s" % (graph_seed, op_index, list(slice_begin))
  return tf.stack([tf.constant(zlib.crc32(key.encode()), tf.int64),
                   tf.cast(step, tf.int64)])


def step_at_start():
  """The global step as read before the training step's update, or None
  outside an Estimator's training graph."""
  reads = tf.get_collection(_STEP_READ)
  return reads[0] if reads else None


def _lower_stateless(original):
  """A PlacementMeshImpl.random drawing from stateless ops (see module)."""

  def random(mesh_impl, shape, tf_fn, kwargs):
    step = step_at_start()
    stateless_fn = _STATELESS.get(tf_fn)
    if step is None or stateless_fn is None:
      return original(mesh_impl, shape, tf_fn, kwargs)
    op_index = getattr(mesh_impl, "_stateless_random_ops", 0)
    mesh_impl._stateless_random_ops = op_index + 1  # pylint: disable=protected-access
    slice_shape = mesh_impl.slice_shape(shape)
    graph_seed = tf.get_default_graph().seed

    def draw(pnum):
      seed = _seed_pair(graph_seed, op_index,
                        mesh_impl.slice_begin(shape, pnum), step)
      return stateless_fn(slice_shape, seed=seed, **kwargs)
    return mesh_impl.slicewise(draw, mesh_impl.laid_out_pnum())
  return random


@contextlib.contextmanager
def stateless_random():
  """Within the block, mtf's CPU/GPU meshes lower random ops statelessly.

  TPU meshes (SimdMeshImpl) keep mtf's own draws.
  """
  impl = mtf.placement_mesh_impl.PlacementMeshImpl
  original = impl.random
  impl.random = _lower_stateless(original)
  try:
    yield
  finally:
    impl.random = original
