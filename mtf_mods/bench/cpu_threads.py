"""The CPU threads every measurement of a bench run shares.

TensorFlow runs one op on `intra_op` threads and up to `inter_op` ops at
once; PyTorch is given the same two numbers (torch.set_num_threads,
torch.set_num_interop_threads), so both frameworks, and the matmul that
measures the machine's peak, use the same cores. By default they are the
ones training uses (`default_threads`); PyTorch's eager step runs one op at
a time whatever its inter-op threads.

TensorFlow is imported only where a session config is made, so that
`enable_xla_on_cpu` can set its flags before TensorFlow starts.
"""
import dataclasses
import os


@dataclasses.dataclass(frozen=True)
class Threads:
  intra_op: int
  inter_op: int

  def describe(self):
    return "%d intra-op x %d inter-op threads" % (self.intra_op,
                                                   self.inter_op)


def available_cores():
  """The cores this process may run on."""
  return len(os.sched_getaffinity(0))


def default_threads():
  """The threads `mtf-mods train` runs with: t5's Estimator passes no
  session config on a CPU, so TensorFlow takes every available core for
  each op and runs as many ops at once (its 0 for both)."""
  cores = available_cores()
  return Threads(intra_op=cores, inter_op=cores)


def one_op_at_a_time():
  """Every core for each op, one op at a time: a traced step whose ops do
  not overlap, so each op's time is its own and the categories of
  `mtf-mods profile` add up to the step."""
  return Threads(intra_op=available_cores(), inter_op=1)


def session_config(threads, grappler=True, xla=False):
  """The tf.ConfigProto of a timed TensorFlow session.

  Args:
    threads: a Threads.
    grappler: run TensorFlow's graph rewrites (Grappler) before the first
      step, as every session of `mtf-mods train` does (t5 turns them off
      on TPU only). They add seconds to the set-up and, at the cpu scale,
      make the step about 20% faster.
    xla: compile clusters of ops with XLA (auto-clustering; on CPU it also
      needs TF_XLA_FLAGS=--tf_xla_cpu_global_jit before TensorFlow starts,
      which `enable_xla_on_cpu` sets).
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  config = tf.ConfigProto(intra_op_parallelism_threads=threads.intra_op,
                          inter_op_parallelism_threads=threads.inter_op)
  config.graph_options.rewrite_options.disable_meta_optimizer = not grappler
  if xla:
    config.graph_options.optimizer_options.global_jit_level = (
        tf.OptimizerOptions.ON_1)
  return config


def enable_xla_on_cpu():
  """Lets XLA auto-clustering compile CPU ops (read when TF first runs)."""
  flags = os.environ.get("TF_XLA_FLAGS", "")
  if "--tf_xla_cpu_global_jit" not in flags:
    os.environ["TF_XLA_FLAGS"] = (flags + " --tf_xla_cpu_global_jit").strip()
