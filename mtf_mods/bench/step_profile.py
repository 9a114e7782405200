"""Where one training step spends its time: the kit's against the peer's.

The kit's step is traced with TensorFlow's step statistics (a FULL_TRACE
`RunMetadata` of one `Session.run`): every executed node with its start and
end, named after the mtf operation it lowers (`encoder/block_000/layer_000/
MultiHeadSelfAttention/q/einsum/...`). The peer's step is traced with
`torch.profiler` over one step: every aten op with its self time and its
parent ranges (the autograd node of a backward op, the optimizer's range
`torch_peer.OPTIMIZER_SCOPE`).

Both traces are classified into the same categories (CATEGORIES), from op
type and name scope, so the two steps compare line by line; matmuls are
also listed by shape. The kit's step has one cost the peer's does not: the
session call around the executor (feeding, fetching, scheduling), measured
as the traced wall time minus the span of the executed nodes. Tracing slows
both steps a little; each profile is printed beside its untraced median
step time.
"""
import collections
import dataclasses
import re
import time

MATMUL = "matmuls"
LAYOUT = "transposes, reshapes, copies, one-hots"
NORM = "layer norms and residual adds"
SOFTMAX = "softmax (attention, loss)"
OPTIMIZER = "optimizer update"
OTHER = "other ops (activations, biases, masks, casts)"
SESSION = "session call (feeds, fetches, scheduling)"
CATEGORIES = (MATMUL, LAYOUT, NORM, SOFTMAX, OPTIMIZER, OTHER, SESSION)

KIT_MATMUL_TYPES = frozenset(
    ["Einsum", "MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"])
KIT_LAYOUT_TYPES = frozenset(
    ["Transpose", "Reshape", "BroadcastTo", "ExpandDims", "Squeeze", "Tile",
     "ConcatV2", "Slice", "StridedSlice", "Pad", "Pack", "Unpack", "Identity",
     "OneHot", "Gather", "GatherV2", "ResourceGather", "Split", "SplitV"])
PEER_MATMUL_OPS = frozenset(
    ["aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::dot",
     "aten::_scaled_dot_product_flash_attention_for_cpu",
     "aten::_scaled_dot_product_flash_attention_for_cpu_backward"])
PEER_LAYOUT_OPS = frozenset(
    ["aten::copy_", "aten::contiguous", "aten::clone", "aten::transpose",
     "aten::permute", "aten::view", "aten::reshape", "aten::_unsafe_view",
     "aten::t", "aten::expand", "aten::as_strided", "aten::cat",
     "aten::embedding", "aten::embedding_backward",
     "aten::embedding_dense_backward", "aten::index_select",
     "aten::index_add_", "aten::slice", "aten::select", "aten::unsqueeze",
     "aten::squeeze", "aten::empty_like", "aten::zeros_like", "aten::fill_",
     "aten::zero_", "aten::empty", "aten::new_zeros", "aten::zeros"])

_LAYER_LEVEL = re.compile(r"/layer_\d+/(?!gradients/)[a-z]")
# oneDNN's rewrites of TensorFlow ops: _MklEinsum, _MklNativeFusedMatMul...
_ONEDNN_PREFIX = re.compile(r"^_(Mkl)?(Native)?(Fused)?")
_SOFTMAX = re.compile(r"softmax|logsumexp")


@dataclasses.dataclass
class Profile:
  """One traced step, in seconds per category and per matmul shape."""
  side: str                  # "kit" or "peer"
  step_seconds: float        # median untraced step
  traced_seconds: float      # wall time of the traced step
  by_category: dict          # {category: seconds}
  matmuls: dict              # {shape description: (seconds, count)}

  def total(self):
    return sum(self.by_category.values())


def kit_category(name, op_type):
  """The category of an executed TensorFlow node of the kit's step."""
  op_type = _ONEDNN_PREFIX.sub("", op_type)
  lowered = name.lower()
  if ("/adafactor/" in lowered or "/adam" in lowered
      or lowered.startswith("assign")):
    return OPTIMIZER
  if op_type in KIT_MATMUL_TYPES or op_type.startswith("MatMul"):
    return MATMUL
  if _SOFTMAX.search(lowered):
    return SOFTMAX
  if op_type in KIT_LAYOUT_TYPES:
    return LAYOUT
  if _LAYER_LEVEL.search(name):
    return NORM
  return OTHER


def peer_category(name, ancestors):
  """The category of a torch op, from its name and its parents' names."""
  from mtf_mods.bench import torch_peer  # pylint: disable=g-import-not-at-top
  if torch_peer.OPTIMIZER_SCOPE in ancestors:
    return OPTIMIZER
  if name in PEER_MATMUL_OPS:
    return MATMUL
  context = " ".join([name] + list(ancestors)).lower()
  if "layer_norm" in context or "layernorm" in context:
    return NORM
  if "softmax" in context or "nll_loss" in context or "cross_entropy" in (
      context):
    return SOFTMAX
  if name in PEER_LAYOUT_OPS:
    return LAYOUT
  return OTHER


def _median_step(step, steps):
  times = []
  for _ in range(steps):
    started = time.perf_counter()
    step()
    times.append(time.perf_counter() - started)
  return sorted(times)[len(times) // 2]


def _einsum_shape(graph, name):
  """'equation  [shape] x [shape]' of an executed matmul node."""
  try:
    op = graph.get_operation_by_name(name)
  except KeyError:  # a node Grappler made
    return "(rewritten by Grappler)"
  shapes = " x ".join(str(i.shape.as_list()) for i in op.inputs)
  try:
    return "%s  %s" % (op.get_attr("equation").decode(), shapes)
  except ValueError:
    return "%s  %s" % (op.type, shapes)


def profile_kit(kit, steps=5):
  """Profiles a bench.kit_step.KitStep (already past its first step)."""
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  step_seconds = _median_step(kit.step, steps)
  metadata = tf.RunMetadata()
  started = time.perf_counter()
  kit.lowered.run(tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                  metadata)
  traced = time.perf_counter() - started
  graph = kit.lowered.session.graph
  by_category = collections.Counter()
  matmuls = collections.defaultdict(lambda: [0.0, 0])
  first, last = None, None
  for device in metadata.step_stats.dev_stats:
    for node in device.node_stats:
      if node.node_name == "_SOURCE":
        continue
      begin = node.all_start_micros
      end = begin + node.all_end_rel_micros
      first = begin if first is None else min(first, begin)
      last = end if last is None else max(last, end)
      seconds = (node.op_end_rel_micros - node.op_start_rel_micros) / 1e6
      op_type = node.timeline_label.split(" = ")[-1].split("(")[0].strip()
      category = kit_category(node.node_name, op_type)
      by_category[category] += seconds
      if category == MATMUL:
        entry = matmuls[_einsum_shape(graph, node.node_name)]
        entry[0] += seconds
        entry[1] += 1
  by_category[SESSION] = max(0.0, traced - (last - first) / 1e6)
  return Profile("kit", step_seconds, traced, dict(by_category),
                 {k: tuple(v) for k, v in matmuls.items()})


def profile_peer(peer, steps=5):
  """Profiles a bench.torch_peer.PeerStep (already past its first step)."""
  import torch  # pylint: disable=g-import-not-at-top
  step_seconds = _median_step(peer.step, steps)
  activities = [torch.profiler.ProfilerActivity.CPU]
  with torch.profiler.profile(activities=activities,
                              record_shapes=True) as trace:
    started = time.perf_counter()
    peer.step()
    traced = time.perf_counter() - started
  by_category = collections.Counter()
  matmuls = collections.defaultdict(lambda: [0.0, 0])
  for event in trace.events():
    ancestors = []
    parent = event.cpu_parent
    while parent is not None:
      ancestors.append(parent.name)
      parent = parent.cpu_parent
    seconds = event.self_cpu_time_total / 1e6
    category = peer_category(event.name, ancestors)
    by_category[category] += seconds
    if category == MATMUL and seconds > 0:
      shapes = " x ".join(str(s) for s in event.input_shapes if s)
      entry = matmuls["%s  %s" % (event.name.replace("aten::", ""), shapes)]
      entry[0] += seconds
      entry[1] += 1
  return Profile("peer", step_seconds, traced, dict(by_category),
                 {k: tuple(v) for k, v in matmuls.items()})


def render(name, kit, peer=None, top_matmuls=8):
  """The category table of a variant's profiles and its largest matmuls."""
  profiles = [p for p in (kit, peer) if p is not None]
  header = "| %s | %s |" % (name, " | ".join(
      "%s ms/step | %%" % p.side for p in profiles))
  lines = [header, "|---|%s" % ("---|---|" * len(profiles))]
  for category in CATEGORIES:
    cells = []
    for p in profiles:
      seconds = p.by_category.get(category)
      if seconds is None:
        cells += ["-", "-"]
      else:
        cells += ["%.0f" % (1000 * seconds),
                  "%.0f%%" % (100 * seconds / p.total())]
    lines.append("| %s | %s |" % (category, " | ".join(cells)))
  lines.append("| traced step (sum of the above) | %s |" % " | ".join(
      "%.0f | " % (1000 * p.total()) for p in profiles))
  lines.append("| untraced step (median) | %s |" % " | ".join(
      "%.0f | " % (1000 * p.step_seconds) for p in profiles))
  for p in profiles:
    lines.append("")
    lines.append("%s's largest matmuls (ms/step, calls): %s" % (
        p.side, "" if p.matmuls else "none"))
    for shape, (seconds, count) in sorted(
        p.matmuls.items(), key=lambda item: -item[1][0])[:top_matmuls]:
      lines.append("  %6.1f ms  %3d x  %s" % (1000 * seconds, count, shape))
  return "\n".join(lines)
