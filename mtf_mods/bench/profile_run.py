"""A `mtf-mods profile` run: each variant's step and its peer's, traced.

The kit's step is the bench's (`kit_step.open_step`: the training graph on
one fixed batch, Grappler on, as in training) and the peer's the bench's
(`torch_peer.open_step`), one op at a time (`cpu_threads.one_op_at_a_time`:
training runs ops side by side, and overlapping ops would each be charged
the time they share). The input pipeline is not part of either step: it
runs beside training on the same cores, so its time per batch, measured
alone, is printed after the table. The run starts with the machine's fp32
matmul peak (bench.matmul_peak), so profiles from different machines
compare.
"""
import contextlib
import sys

from mtf_mods.config import gin_config
from mtf_mods.config import gin_files
from mtf_mods.config import protocol
from mtf_mods import variants
from mtf_mods.bench import cpu_threads
from mtf_mods.bench import kit_step
from mtf_mods.bench import matmul_peak
from mtf_mods.bench import peer_config
from mtf_mods.bench import step_profile
from mtf_mods.bench import timing

PIPELINE_BATCHES = 50
PEAK_STEPS = 5


def _log(message):
  print("mtf-mods profile: %s" % message, file=sys.stderr, flush=True)


def profile_variant(name, scale, steps, peer, threads, config):
  """The rendered profiles of one variant's step (and its peer's)."""
  files = gin_files.stage_gin_files(variants.get(name), scale,
                                    protocol.PRETRAIN_STAGE)
  notes = []
  with contextlib.ExitStack() as stack:
    _log("tracing %s's step" % name)
    kit = stack.enter_context(kit_step.open_step(
        files, [], scale.vocab_size, config))
    kit_profile = step_profile.profile_kit(kit, steps)
    peer_profile = None
    if peer:
      try:
        peer_settings = peer_config.peer_config(files, [], scale.vocab_size)
      except peer_config.NoPeer as e:
        notes.append("no PyTorch peer: %s" % e)
      else:
        from mtf_mods.bench import torch_peer  # pylint: disable=g-import-not-at-top
        _log("tracing the peer's step")
        peer_step = stack.enter_context(torch_peer.open_step(
            peer_settings, kit.batch, kit.lengths, threads))
        peer_profile = step_profile.profile_peer(peer_step, steps)
        notes.append("peer: %s, %s" % (peer_settings.describe(),
                                       peer_step.optimizer))
  header = "## %s: batch %d x %d/%d tokens, %s" % (
      name, kit.batch, kit.lengths["inputs"], kit.lengths["targets"],
      threads.describe())
  return "\n".join([header, ""] + notes + [
      "", step_profile.render(name, kit_profile, peer_profile), ""])


def pipeline_seconds_per_batch(scale, config):
  """The mean time of one batch of the scale's task, measured alone."""
  from mtf_mods.model import model_graph  # pylint: disable=g-import-not-at-top
  from mtf_mods import tasks  # pylint: disable=g-import-not-at-top,unused-import
  from mtf_mods.bench import input_pipeline  # pylint: disable=g-import-not-at-top
  with gin_config.parsed([scale.gin_file]):
    batch = model_graph.batch_size()
    lengths = model_graph.sequence_lengths()
  with input_pipeline.open_pipeline(scale.default_task, batch, lengths,
                                    config) as pipeline:
    result, = timing.time_together([pipeline], PIPELINE_BATCHES, 1)
  return 1.0 / result.mean_steps_per_second


def profile_variants(names, scale, steps, peer, pipeline):
  """Yields the printed sections of a profile run."""
  threads = cpu_threads.one_op_at_a_time()
  config = cpu_threads.session_config(threads)
  _log("measuring the fp32 matmul peak")
  size, rate = matmul_peak.fastest_size(threads, PEAK_STEPS, 1)
  yield "machine: %d cores, fp32 matmul peak %.0f GFLOP/s (n = %d)\n" % (
      cpu_threads.available_cores(), rate / 1e9, size)
  for name in names:
    yield profile_variant(name, scale, steps, peer, threads, config)
  if pipeline:
    _log("timing the input pipeline")
    seconds = pipeline_seconds_per_batch(scale, config)
    yield ("input pipeline (%s, packed): %.0f ms per batch measured alone; "
           "in training it runs beside the step on the same cores"
           % (scale.default_task, 1000 * seconds))
