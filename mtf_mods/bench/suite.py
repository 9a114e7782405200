"""A bench run: the measurements one `mtf-mods bench` invocation asks for.

In order: the machine's matmul peak; for each variant its training step,
timed in alternating rounds with its PyTorch peer (when it has one) and the
peak matmul, so the kit/peer ratio and the utilisation compare steps made
under the same machine load; the input pipeline against the tokens/s the
baseline's step consumes; the baseline's scaling sweeps, every point in the
same rounds so their step times compare under one load. Returns the table
rows (table.COLUMNS) and, where the study's speed targets apply, one line
per target with what was reached.

The baseline is always measured, first when it was not asked for: every
variant row's `over_baseline` is its steps/s over the baseline's in this
run (each variant is timed in its own rounds, so a change of machine load
between them shows in the ratio; `peak_fraction`, against the matmul of the
same rounds, allows for it; with `together`, every variant's step is timed
in the same rounds, without peers, and the ratio holds under any load),
and `paper_over_baseline` the same ratio in Table 1's Step/s, measured at
the paper's scale and on its hardware (empty for a variant outside Table
1).
"""
import contextlib
import dataclasses
import sys

from mtf_mods.config import gin_files
from mtf_mods.config import paper
from mtf_mods.config import protocol
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.bench import cpu_threads
from mtf_mods.bench import kit_step
from mtf_mods.bench import machine
from mtf_mods.bench import matmul_peak
from mtf_mods.bench import peer_config
from mtf_mods.bench import scaling
from mtf_mods.bench import timing

# The study's speed targets, set for the cpu scale (docs/measurements/speed.md, "Against the
# targets").
TARGET_KIT_OVER_PEER = 1.0
TARGET_PEAK_FRACTION = 0.5
TARGET_PIPELINE_OVER_TRAINING = 5.0
PIPELINE_MIN_BATCHES = 100


@dataclasses.dataclass(frozen=True)
class Options:
  variants: tuple                 # registered variant names
  scale: str                      # a registered scale name
  steps: int = 20                 # timed rounds
  warmup: int = 3                 # untimed rounds after the first step
  peer: bool = True               # time the PyTorch peer where one exists
  pipeline: bool = True           # time the input pipeline
  sweeps: bool = True             # the baseline's scaling sweeps
  sweep_factors: tuple = scaling.DEFAULT_FACTORS
  task: str = None                # pipeline task; default: the scale's
  threads: cpu_threads.Threads = None  # default: cpu_threads.default_threads
  grappler: bool = True           # TF graph rewrites, as in training
  xla: bool = False               # XLA auto-clustering in kit sessions
  together: bool = False          # every variant's step in the same rounds


def _log(message):
  print("mtf-mods bench: %s" % message, file=sys.stderr, flush=True)


class Bench:
  """Runs the measurements of `options`, collecting rows."""

  def __init__(self, options):
    self.options = options
    self.scale = scales.get(options.scale)
    self.threads = options.threads or cpu_threads.default_threads()
    self.session_config = cpu_threads.session_config(
        self.threads, grappler=options.grappler, xla=options.xla)
    self.rows = []
    self.matmul_size = None
    self.training = None  # the baseline's row: the pipeline's reference

  def gin_files(self, variant_name):
    return gin_files.stage_gin_files(variants.get(variant_name), self.scale,
                                     protocol.PRETRAIN_STAGE)

  def variant_names(self):
    """The requested variants; the baseline first if it is not one."""
    requested = tuple(self.options.variants)
    if variants.BASELINE in requested:
      return requested
    return (variants.BASELINE,) + requested

  def run(self):
    self.rows.append(self.machine_row())
    self.measure_peak()
    if self.options.together:
      measured = self.measure_together(self.variant_names())
    else:
      measured = [self.measure_variant(name)
                  for name in self.variant_names()]
    compare_with_baseline(measured)
    self.rows.extend(measured)
    self.training = next(row for row in measured
                         if row["name"] == variants.BASELINE)
    if self.options.pipeline:
      self.rows.append(self.measure_pipeline())
    if self.options.sweeps:
      self.measure_sweeps()
    return self.rows

  def machine_row(self):
    return {"section": "machine", "name": machine.cpu_model(),
            "notes": "%d cores, %s; %s; %s; %s" % (
                cpu_threads.available_cores(), machine.vector_instructions(),
                self.threads.describe(),
                machine.versions(), machine.today())}

  def measure_peak(self):
    _log("measuring the fp32 matmul peak")
    steps = max(3, min(self.options.steps, 10))
    self.matmul_size, rate = matmul_peak.fastest_size(self.threads, steps, 1)
    self.rows.append({
        "section": "peak", "name": "matmul fp32 %d" % self.matmul_size,
        "gflop_per_s": rate / 1e9,
        "notes": "fastest of n = %s; n x n by n x n, 2 n^3 FLOPs" % ", ".join(
            str(n) for n in matmul_peak.SIZES)})

  def time_kits(self, points, peer=None):
    """Times kit steps, the peak matmul and the peer (if given) together.

    Args:
      points: [(gin files, batch or None, lengths or None)], one kit step
        each; the peer, if any, runs the first point's batch shape.
      peer: a peer_config.PeerConfig or None.

    Returns:
      one (row of figures, notes) per point; the notes start with the peak
      of these rounds, then (first point only) what the peer was.
    """
    options = self.options
    with contextlib.ExitStack() as stack:
      kits = [stack.enter_context(kit_step.open_step(
          files, [], self.scale.vocab_size, self.session_config, batch,
          lengths)) for files, batch, lengths in points]
      matmul = stack.enter_context(
          matmul_peak.open_matmul(self.matmul_size, self.threads))
      steppers = kits + [matmul]
      if peer is not None:
        from mtf_mods.bench import torch_peer  # pylint: disable=g-import-not-at-top
        peer_step = stack.enter_context(torch_peer.open_step(
            peer, kits[0].batch, kits[0].lengths, self.threads))
        steppers.append(peer_step)
      timings = timing.time_together(steppers, options.steps, options.warmup)
    matmul_timing = timings[len(kits)]
    peak = matmul.flops_per_step * matmul_timing.steps_per_second
    measured = []
    for kit, kit_timing in zip(kits, timings):
      flops_per_second = kit.flops_per_step * kit_timing.steps_per_second
      row = {
          "params": kit.parameters, "batch": kit.batch,
          "inputs": kit.lengths["inputs"], "targets": kit.lengths["targets"],
          "steps_per_s": kit_timing.steps_per_second,
          "tokens_per_s": kit.tokens_per_step * kit_timing.steps_per_second,
          "first_step_s": kit_timing.first_step_seconds,
          "gflop_per_s": flops_per_second / 1e9,
          "peak_fraction": flops_per_second / peak}
      measured.append((row, ["peak %.1f GFLOP/s in these rounds"
                             % (peak / 1e9)]))
    if peer is not None:
      row, notes = measured[0]
      peer_timing = timings[-1]
      row["peer_tokens_per_s"] = (kits[0].tokens_per_step
                                  * peer_timing.steps_per_second)
      row["kit_over_peer"] = row["tokens_per_s"] / row["peer_tokens_per_s"]
      notes.append("peer: %s, %s, first step %.1f s" % (
          peer.describe(), peer_step.optimizer,
          peer_timing.first_step_seconds))
      if peer_step.parameters != kits[0].parameters:
        notes.append("peer params %d" % peer_step.parameters)
    return measured

  def measure_variant(self, name):
    files = self.gin_files(name)
    peer, why_not = None, ["peer not requested"]
    if self.options.peer:
      try:
        peer = peer_config.peer_config(files, [], self.scale.vocab_size)
      except peer_config.NoPeer as e:
        why_not = ["no HuggingFace T5 peer: %s" % e]
    _log("timing %s%s" % (name, " and its PyTorch peer" if peer else ""))
    (row, notes), = self.time_kits([(files, None, None)], peer)
    if name not in self.options.variants:
      notes.insert(0, "not requested: the reference of over_baseline")
    row.update(section="variant", name=name,
               notes="; ".join((why_not if peer is None else []) + notes))
    return row

  def measure_together(self, names):
    """Every variant's step in the same alternating rounds, without peers:
    a change of the machine's load then slows every variant alike, so
    `over_baseline` compares steps made under the same load."""
    _log("timing %d variants in the same rounds" % len(names))
    measured = self.time_kits([(self.gin_files(name), None, None)
                               for name in names])
    rows = []
    for name, (row, notes) in zip(names, measured):
      if name not in self.options.variants:
        notes.insert(0, "not requested: the reference of over_baseline")
      row.update(section="variant", name=name, notes="; ".join(
          notes + ["timed in the same rounds as every variant"]))
      rows.append(row)
    return rows

  def measure_pipeline(self):
    from mtf_mods import tasks  # pylint: disable=g-import-not-at-top,unused-import
    from mtf_mods.bench import input_pipeline  # pylint: disable=g-import-not-at-top
    task = self.options.task or self.scale.default_task
    training = self.training
    batch = training["batch"]
    lengths = {"inputs": training["inputs"], "targets": training["targets"]}
    _log("timing the input pipeline of %s" % task)
    batches = max(self.options.steps, PIPELINE_MIN_BATCHES)
    with input_pipeline.open_pipeline(task, batch, lengths,
                                      self.session_config) as pipeline:
      result, = timing.time_together([pipeline], batches,
                                     max(self.options.warmup, 1))
    tokens_per_second = pipeline.tokens_per_step * result.mean_steps_per_second
    return {
        "section": "input_pipeline", "name": task, "batch": batch,
        "inputs": lengths["inputs"], "targets": lengths["targets"],
        "steps_per_s": result.mean_steps_per_second,
        "tokens_per_s": tokens_per_second,
        "first_step_s": result.first_step_seconds,
        "over_training": tokens_per_second / training["tokens_per_s"],
        "notes": "packed, %.0f%% of tokens not padding; over_training: "
                 "against %s's step" % (
                     100.0 * sum(pipeline.fill) / len(pipeline.fill),
                     training["name"])}

  def measure_sweeps(self):
    """Every point of both sweeps timed in the same rounds."""
    batch, lengths = self.training["batch"], {
        "inputs": self.training["inputs"],
        "targets": self.training["targets"]}
    factors = self.options.sweep_factors
    points = [(section, quantity, factor, point)
              for section, quantity, sweep in (
                  ("length_sweep", "inputs",
                   scaling.length_points(batch, lengths, factors)),
                  ("batch_sweep", "batch",
                   scaling.batch_points(batch, lengths, factors)))
              for factor, point in zip(factors, sweep)]

    def key(point_batch, point_lengths):
      return point_batch, point_lengths["inputs"], point_lengths["targets"]

    # the scale's own shape first: the sweeps' step times are relative to it
    shapes = list(dict.fromkeys(
        [key(batch, lengths)] + [key(*point) for *_, point in points]))
    _log("timing %s at %d batch shapes together" % (variants.BASELINE,
                                                     len(shapes)))
    files = self.gin_files(variants.BASELINE)
    measured = dict(zip(shapes, self.time_kits(
        [(files, b, {"inputs": i, "targets": t}) for b, i, t in shapes])))
    base_row, _ = measured[shapes[0]]
    for section, quantity, factor, point in points:
      row, notes = measured[key(*point)]
      self.rows.append(dict(
          row, section=section, name=variants.BASELINE,
          notes="%s x%g; step time x%.2f of the scale's; %s" % (
              quantity, factor, base_row["steps_per_s"] / row["steps_per_s"],
              notes[0])))


def compare_with_baseline(rows):
  """Sets over_baseline and paper_over_baseline in the variant rows.

  Args:
    rows: the variant rows of one run, the baseline's among them.
  """
  baseline = next(row for row in rows if row["name"] == variants.BASELINE)
  table1 = paper.table1()
  vanilla = table1[variants.get(variants.BASELINE).table1_row]["Step/s"]
  for row in rows:
    row["over_baseline"] = row["steps_per_s"] / baseline["steps_per_s"]
    variant = variants.get(row["name"])
    if variant.in_table1:
      row["paper_over_baseline"] = (
          table1[variant.table1_row]["Step/s"] / vanilla)


def target_lines(rows, scale_name):
  """One line per speed target the rows measure: reached, and met or not."""
  baseline = next((r for r in rows if r["section"] == "variant"
                   and r["name"] == variants.BASELINE), None)
  pipeline = next((r for r in rows if r["section"] == "input_pipeline"
                   and "over_training" in r), None)
  lines = []

  def verdict(value, target):
    return "met" if value >= target else "MISSED"

  if baseline and "kit_over_peer" in baseline:
    value = baseline["kit_over_peer"]
    lines.append("baseline tokens/s over the PyTorch peer's: %.2fx (target "
                 ">= %.1fx: %s)" % (value, TARGET_KIT_OVER_PEER,
                                    verdict(value, TARGET_KIT_OVER_PEER)))
  if baseline:
    value = baseline["peak_fraction"]
    lines.append("baseline utilisation of the matmul peak: %.0f%% (target "
                 ">= %.0f%%: %s)" % (100 * value, 100 * TARGET_PEAK_FRACTION,
                                     verdict(value, TARGET_PEAK_FRACTION)))
  if pipeline:
    value = pipeline["over_training"]
    lines.append("input pipeline tokens/s over training's: %.1fx (target "
                 ">= %.0fx: %s)" % (value, TARGET_PIPELINE_OVER_TRAINING,
                                    verdict(value,
                                            TARGET_PIPELINE_OVER_TRAINING)))
  if lines and scale_name != "cpu":
    lines.append("(the targets are set for the cpu scale; this ran at %s)"
                 % scale_name)
  return lines


def run(options):
  """The rows of a bench run (see the module docstring)."""
  return Bench(options).run()
