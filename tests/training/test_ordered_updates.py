"""A training step's writes wait for its reads (ordered_updates)."""
import mesh_tensorflow as mtf
from mesh_tensorflow import optimize
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods.training import ordered_updates


@pytest.fixture(params=["reference", "resource"], autouse=True)
def variables(request):
  """Each test with TF1 reference variables (mesh_tensorflow's default) and
  with resource variables (what `mtf-mods train` enables): the increment of
  a resource variable also has a read of its new value as a control output."""
  enabled = tf.resource_variables_enabled()
  if request.param == "resource":
    tf.enable_resource_variables()
  else:
    tf.disable_resource_variables()
  yield request.param
  if enabled:
    tf.enable_resource_variables()
  else:
    tf.disable_resource_variables()


def readers(variable_op, writes):
  """The ops that read a variable: its consumers (a resource variable's
  reads, or a reference variable's), and theirs through Identity (a
  reference variable's snapshot aliases its buffer)."""
  found, stack = set(), list(variable_op.outputs)
  while stack:
    for consumer in stack.pop().consumers():
      if consumer in writes or consumer in found:
        continue
      found.add(consumer)
      if consumer.type == "Identity":
        stack.extend(consumer.outputs)
  return found


def assert_writes_after_reads(train_op):
  writes = {op for op in ordered_updates.ancestors([train_op])
            if op.type in ordered_updates.WRITE_OPS}
  assert writes
  for write in writes:
    before = ordered_updates.ancestors([write])
    for other in writes:
      unread = readers(other.inputs[0].op, writes) - before
      # Reads outside the step (initializers, fetches) are not its reads.
      unread &= ordered_updates.ancestors([train_op])
      assert not unread, (write.name, sorted(op.name for op in unread))


def mtf_shaped_step():
  """mesh_tensorflow's train op on a one-layer model: Adafactor's updates
  (its decay rate reads the global step) lowered onto one device, grouped
  with `assign_add(global_step, 1)`, as utils.tpu_estimator_model_fn does."""
  global_step = tf.train.get_or_create_global_step()
  graph = mtf.Graph()
  mesh = mtf.Mesh(graph, "mesh")
  rows, columns = mtf.Dimension("rows", 4), mtf.Dimension("columns", 8)
  x = mtf.import_tf_tensor(
      mesh, tf.constant(np.arange(32, dtype=np.float32).reshape(4, 8) / 32),
      mtf.Shape([rows, columns]))
  weight = mtf.get_variable(mesh, "w", mtf.Shape([columns]))
  loss = mtf.reduce_sum(mtf.square(x * weight - 1.0))
  variables = graph.trainable_variables
  updates = optimize.AdafactorOptimizer(learning_rate=0.1).apply_grads(
      mtf.gradients([loss], [v.outputs[0] for v in variables]), variables)
  impl = mtf.placement_mesh_impl.PlacementMeshImpl(
      mtf.convert_to_shape(""), mtf.convert_to_layout_rules(""), [""])
  lowering = mtf.Lowering(graph, {mesh: impl})
  tf_updates = [lowering.lowered_operation(op) for op in updates]
  tf_updates.append(tf.assign_add(global_step, 1))
  return tf.group(tf_updates), lowering.export_to_tf_tensor(loss)


def test_the_step_increment_and_updates_wait_for_every_read():
  with tf.Graph().as_default() as graph:
    train_op, _ = mtf_shaped_step()
    found = ordered_updates.global_step_train_op(
        graph, tf.train.get_global_step())
    assert found is train_op
    with pytest.raises(AssertionError):  # mtf leaves them unordered
      assert_writes_after_reads(train_op)
    ordered = ordered_updates.order_writes_after_reads(train_op)
    assert {op.type for op in ordered} & {"AssignAdd", "AssignAddVariableOp"}
    assert len(ordered) > 1
    assert_writes_after_reads(train_op)


def test_each_step_reads_the_step_before_its_increment():
  """`x += step` grouped with the increment: without the order, some of
  these steps read the incremented step (93 of 3000 when measured)."""
  with tf.Graph().as_default():
    step = tf.train.get_or_create_global_step()
    total = tf.get_variable("total", [], tf.int64,
                            initializer=tf.zeros_initializer())
    train_op = tf.group([tf.assign_add(total, tf.identity(step)),
                         tf.assign_add(step, 1)])
    ordered_updates.order_writes_after_reads(train_op)
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      for _ in range(300):
        session.run(train_op)
      assert session.run(total) == 300 * 299 // 2


def test_a_write_feeding_another_keeps_its_place():
  """A value computed after a write (ordering it would be a cycle)."""
  with tf.Graph().as_default():
    step = tf.train.get_or_create_global_step()
    first = tf.get_variable("first", [], tf.int64,
                            initializer=tf.zeros_initializer())
    then = tf.get_variable("then", [], tf.int64,
                           initializer=tf.zeros_initializer())
    write_first = tf.assign(first, step + 1)
    with tf.control_dependencies([write_first]):
      write_then = tf.assign(then, tf.identity(first) * 10)
    train_op = tf.group([write_then, tf.assign_add(step, 1)])
    ordered = ordered_updates.order_writes_after_reads(train_op)
    assert write_first.op not in ordered and write_then.op in ordered
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      session.run(train_op)
      assert session.run([first, then, step]) == [1, 10, 1]


def test_a_graph_without_a_step_increment_is_refused():
  with tf.Graph().as_default() as graph:
    step = tf.train.get_or_create_global_step()
    with pytest.raises(ValueError, match="expected one increment"):
      ordered_updates.global_step_train_op(graph, step)


def test_an_increment_in_no_group_is_refused():
  with tf.Graph().as_default() as graph:
    step = tf.train.get_or_create_global_step()
    tf.assign_add(step, 1)
    with pytest.raises(ValueError, match="in no tf.group"):
      ordered_updates.global_step_train_op(graph, step)


def test_the_hook_orders_the_training_graph():
  with tf.Graph().as_default():
    train_op, loss = mtf_shaped_step()
    ordered_updates.UpdatesAfterReads().begin()
    assert_writes_after_reads(train_op)
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      losses = [session.run([loss, train_op])[0] for _ in range(3)]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
