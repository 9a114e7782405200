"""A training step writes its variables only after all of its reads.

mesh_tensorflow ends each training graph with
`tf.group(variable updates + [tf.assign_add(global_step, 1)])`, with no
order among the writes and the reads of the same step:

- the global step's increment has no inputs, so it may run at any point of
  the step, before or after the learning-rate schedule, Adafactor's decay
  rate and the dropout seed (`reproducible_random`) read the step;
- a weight's or a slot's update may likewise run before the step's last
  read of it; with resource variables (`mtf-mods train` enables them) a
  read then sees the new value, with TF1 reference variables (mtf's
  default) an op reading the variable's buffer may even see it change
  under it, as an assignment of the same shape writes it in place.

Which comes first depends on thread timing. Runs were not reproducible bit
for bit on a loaded machine (CI: a killed and resumed run ended with weights
different from an uninterrupted one's), and a two-op graph of that shape,
`assign(x, x + step)` grouped with `assign_add(step, 1)`, read the
incremented step in 93 of 3000 steps on an idle 2-core machine.

`order_writes_after_reads(train_op)` gives every write of the step a control
input on one barrier that waits for every value the step writes. Each value
is computed from the step's reads (forward and backward passes, schedules),
so all reads that feed an update happen before any variable changes. The
barrier costs no computation: the train op waited for all of these values.
`UpdatesAfterReads` applies it, as a SessionRunHook, to the graph an
Estimator builds.
"""
import tensorflow.compat.v1 as tf

# Ops that change a variable in place; the variable is input 0.
WRITE_OPS = frozenset([
    "Assign", "AssignAdd", "AssignSub",
    "AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp",
    "ScatterUpdate", "ScatterAdd", "ScatterSub", "ScatterMul", "ScatterDiv",
    "ScatterNdUpdate", "ScatterNdAdd", "ScatterNdSub",
    "ResourceScatterUpdate", "ResourceScatterAdd", "ResourceScatterSub",
])
VARIABLE_OPS = frozenset(["VariableV2", "Variable", "VarHandleOp"])
# Ops whose output is their input's buffer.
ALIASING_OPS = frozenset(["Identity", "RefIdentity", "Switch", "RefSwitch",
                          "Merge", "RefMerge"])


def ancestors(ops):
  """Every op that `ops` wait for, through data or control edges, and
  `ops` themselves."""
  seen, stack = set(), list(ops)
  while stack:
    op = stack.pop()
    if op in seen:
      continue
    seen.add(op)
    stack.extend(tensor.op for tensor in op.inputs)
    stack.extend(op.control_inputs)
  return seen


def aliased_variables(tensor):
  """The variables whose buffer `tensor` is, passed on unchanged by
  Identity, Switch or Merge ops (such a tensor is read when its consumer
  runs, not when it is produced)."""
  found, stack, seen = set(), [tensor], set()
  while stack:
    tensor = stack.pop()
    if tensor in seen:
      continue
    seen.add(tensor)
    if tensor.op.type in VARIABLE_OPS:
      found.add(tensor.op)
    elif tensor.op.type in ALIASING_OPS:
      stack.extend(tensor.op.inputs)
  return found


def order_writes_after_reads(train_op):
  """Makes each variable write that `train_op` waits for wait for all
  values written in the step (see the module); returns the writes ordered.

  A write that another write's value depends on keeps its place: ordering
  it after that value would be a cycle. A value that is a variable's own
  buffer (`assign(total, identity(step))`) is read when its write runs, so
  that write goes before the variable's writes instead.
  """
  writes = [op for op in ancestors([train_op]) if op.type in WRITE_OPS]
  values = [tensor for op in writes for tensor in op.inputs[1:]]
  computed_first = ancestors([tensor.op for tensor in values])
  ordered = [op for op in writes if op not in computed_first]
  if not ordered:
    return []
  with train_op.graph.as_default(), tf.name_scope("writes_after_reads"):
    barrier = tf.group(*values, name="barrier")
  for op in ordered:
    op._add_control_inputs([barrier])  # pylint: disable=protected-access
  for reader in writes:
    read = set().union(*[aliased_variables(t) for t in reader.inputs[1:]])
    later = [op for op in ordered if op is not reader
             and op.inputs[0].op in read]
    if later:
      reader_waits_for = ancestors([reader])
      for op in later:
        if op not in reader_waits_for:
          op._add_control_inputs([reader])  # pylint: disable=protected-access
  return ordered


def global_step_train_op(graph, global_step):
  """The op grouping the global step's increment with the step's updates:
  the outermost tf.group (mesh_tensorflow's train op) above the increment.
  The increment of a resource variable has a read of the new value among
  its control outputs too; the climb follows only the groups (NoOps)."""
  increments = [op for op in graph.get_operations()
                if op.type in ("AssignAdd", "AssignAddVariableOp")
                and op.inputs[0].op is global_step.op]
  if len(increments) != 1:
    raise ValueError("expected one increment of %s in the training graph, "
                     "found %d" % (global_step.op.name, len(increments)))
  op = increments[0]
  while _groups_above(op):
    op = _groups_above(op)[0]
  if op is increments[0]:
    raise ValueError("the increment of %s is in no tf.group: it is not "
                     "mesh_tensorflow's train op" % global_step.op.name)
  return op


def _groups_above(op):
  """The tf.group ops (NoOps) that wait for `op`."""
  return [o for o in op._control_outputs  # pylint: disable=protected-access
          if o.type == "NoOp"]


class UpdatesAfterReads(tf.train.SessionRunHook):
  """Orders the training graph's writes after its reads, before the
  session starts (see the module). A TPU training graph, whose step XLA
  compiles as one program, is left as it is."""

  def begin(self):
    graph = tf.get_default_graph()
    if any(op.type == "TPUReplicateMetadata" for op in graph.get_operations()):
      return
    order_writes_after_reads(
        global_step_train_op(graph, tf.train.get_global_step(graph)))
