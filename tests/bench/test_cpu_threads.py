"""The bench's TensorFlow sessions: threads, and graph rewrites as training."""
from mtf_mods.bench import cpu_threads
from mtf_mods.commands import bench as bench_command


def test_sessions_rewrite_the_graph_as_training_does_unless_told_not_to():
  threads = cpu_threads.Threads(intra_op=2, inter_op=1)
  default = cpu_threads.session_config(threads)
  assert default.intra_op_parallelism_threads == 2
  assert default.inter_op_parallelism_threads == 1
  # t5's Estimator on CPU passes no session config: Grappler stays on.
  assert not default.graph_options.rewrite_options.disable_meta_optimizer
  off = cpu_threads.session_config(threads, grappler=False)
  assert off.graph_options.rewrite_options.disable_meta_optimizer


def test_the_default_threads_are_the_ones_training_runs_with():
  """t5 gives its Estimator no session config on a CPU; the Estimator's
  default leaves TensorFlow's 0s: every core, per op and for ops at once.
  The bench times the same."""
  from tensorflow_estimator.python.estimator import run_config  # pylint: disable=g-import-not-at-top
  training = run_config.get_default_session_config()
  assert training.intra_op_parallelism_threads == 0
  assert training.inter_op_parallelism_threads == 0
  cores = cpu_threads.available_cores()
  assert cpu_threads.default_threads() == cpu_threads.Threads(cores, cores)


def test_the_profile_traces_one_op_at_a_time_on_every_core():
  cores = cpu_threads.available_cores()
  assert cpu_threads.one_op_at_a_time() == cpu_threads.Threads(cores, 1)


def test_the_command_keeps_grappler_on_by_default():
  assert bench_command.parse([]).grappler
  assert not bench_command.parse(["--no_grappler"]).grappler
