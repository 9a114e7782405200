"""`mtf-mods train`: t5's `t5_mesh_transformer` with the kit's names.

It takes every flag of `t5_mesh_transformer` (--gin_file, --gin_param,
--gin_location_prefix, --model_dir, --module_import, --tpu, --tpu_zone,
--gcp_project, --tpu_topology, --model_parallelism, ...) and adds:

  --variant   a registered variant (mtf_mods.variants), default the baseline
  --implementation  kit (the kit's layers, gin/models/) or release (the
              authors' released config on mesh tensorflow's own layers,
              gin/reference/), default kit
  --scale     a named scale (mtf_mods.config.scales), default "cpu"
  --stage     a protocol stage (gin/stages/<stage>.gin), default "pretrain"
  --task      the seqio task or mixture (MIXTURE_NAME), default the scale's
  --text_files  span-corrupt these text files instead of --task
  --pretrained_model_dir  (t5's flag) --stage=finetune starts from this
              model_dir's latest checkpoint (binds INIT_CHECKPOINT; see
              mtf_mods/training/finetuning.py)
  --mesh_shape, --mesh_devices, --layout_rules   the device mesh without --tpu
  --train_steps  (t5's flag) sets utils.run.train_steps when given (and,
              in pre-training, the run length its schedules span:
              pretraining_steps); with --pretrained_model_dir, counted
              from the pre-trained step
  --seed      seeds the initializers and the training data order
  --autograph  convert the input pipeline's functions with AutoGraph
              (input_autograph.py); off by default, which saves seconds
              per launch

The kit's gin directory goes on the search path and `mtf_mods.tasks` among
the imported modules; the user's --module_import modules are imported and
their --gin_location_prefix folders searched before any variant is looked
up, so a variant of their own trains by name (mtf_mods.launch.plugins). Before anything runs, the names, the gin config and
model_dir are checked; a problem is reported on one line with exit code 2.
Then t5's own main runs: without --tpu on the local CPU, or data-parallel
over the GPUs TensorFlow sees.
"""
import importlib
import os
import sys

from absl import flags
from absl import logging
import mesh_tensorflow as mtf
import seqio
from t5.models import mesh_transformer_main as t5_main
import tensorflow.compat.v1 as tf

from mtf_mods.files import atomic_files
from mtf_mods.training import checkpoint_plan
from mtf_mods.config import gin_config
from mtf_mods.config import gin_files
from mtf_mods.launch import input_autograph
from mtf_mods.launch import input_checks
from mtf_mods.launch import launch_report
from mtf_mods.training import loss_guard
from mtf_mods.launch import model_dir_guard
from mtf_mods.files import model_dir_reader
from mtf_mods.model import model_graph
from mtf_mods.config import paths
from mtf_mods.launch import plugins
from mtf_mods.config import protocol
from mtf_mods.config import scales
from mtf_mods.flags import train_flags
# Registers the training loop's configurables in every stage, so a binding
# a study gives all its launches (a training hook) parses in evaluations too.
from mtf_mods.training import loop  # noqa: F401  pylint: disable=unused-import
from mtf_mods import variants
from mtf_mods.layers import dimensions
from mtf_mods.layers.vocabulary import clusters

FLAGS = flags.FLAGS
KIT_TASKS_MODULE = "mtf_mods.tasks"
TEXT_FILES_TASK = "text_files_span_corruption"
LOG_FILE = "train.log"

class UsageError(ValueError):
  """A bad name or flag combination."""


stage_names = train_flags.stage_names


def check_name(kind, name, valid):
  if name not in valid:
    raise UsageError("unknown %s %r; valid: %s" % (kind, name, ", ".join(
        sorted(valid))))


def load_plugins():
  """Imports the user's --module_import (variants of their own) and puts
  the --gin_location_prefix folders on the kit's gin search path
  (mtf_mods.launch.plugins); its PluginError (a ValueError) names what
  does not load, and main exits 2 with it."""
  modules = list(FLAGS.module_import) if FLAGS["module_import"].present else []
  plugins.load([m for m in modules if m != KIT_TASKS_MODULE],
               FLAGS.gin_location_prefix)


def import_task_modules():
  """Imports --module_import, always including the kit's tasks."""
  modules = list(FLAGS.module_import) if FLAGS["module_import"].present else []
  if KIT_TASKS_MODULE not in modules:
    modules.append(KIT_TASKS_MODULE)
  FLAGS.module_import = modules
  for module in modules:
    importlib.import_module(module)


def resolve_task(scale):
  """The MIXTURE_NAME to train or evaluate on."""
  if FLAGS.text_files:
    from mtf_mods.tasks import register_text_files_task  # pylint: disable=g-import-not-at-top
    register_text_files_task(TEXT_FILES_TASK, FLAGS.text_files)
    return TEXT_FILES_TASK
  task = FLAGS.task or scale.default_task
  valid = set(seqio.TaskRegistry.names()) | set(seqio.MixtureRegistry.names())
  check_name("task", task, valid)
  return task


def mesh_bindings():
  """gin bindings laying the model out on a TPU, the GPUs or the CPU."""
  if FLAGS.tpu:
    return ["utils.run.mesh_shape = @utils.tpu_mesh_shape()",
            "utils.tpu_mesh_shape.tpu_topology = %r" % FLAGS.tpu_topology,
            "utils.tpu_mesh_shape.model_parallelism = %d"
            % FLAGS.model_parallelism]
  shape, devices = FLAGS.mesh_shape, FLAGS.mesh_devices
  if shape is None:
    gpus = tf.config.list_physical_devices("GPU")
    shape = "%s:1,%s:%d" % (dimensions.MODEL_AXIS, dimensions.BATCH_AXIS,
                            max(1, len(gpus)))
    devices = devices or ["gpu:%d" % i for i in range(len(gpus))] or [""]
  size = mtf.convert_to_shape(shape).size
  devices = devices or [""] * size
  if len(devices) != size:
    raise UsageError("--mesh_devices lists %d devices; --mesh_shape %r needs "
                     "%d" % (len(devices), shape, size))
  bindings = ["utils.run.mesh_shape = %r" % shape,
              "utils.run.mesh_devices = %r" % list(devices)]
  if FLAGS.layout_rules:
    bindings.append("utils.run.layout_rules = %r" % FLAGS.layout_rules)
  return bindings


def init_checkpoint_bindings():
  """INIT_CHECKPOINT (and the final step) for --pretrained_model_dir."""
  finetuning = FLAGS.stage == protocol.FINETUNE_STAGE
  if finetuning != bool(FLAGS.pretrained_model_dir):
    raise UsageError("--stage=%s and --pretrained_model_dir go together"
                     % protocol.FINETUNE_STAGE)
  if not FLAGS.pretrained_model_dir:
    return []
  checkpoint = model_dir_reader.latest_checkpoint(FLAGS.pretrained_model_dir)
  bindings = ["INIT_CHECKPOINT = %r" % checkpoint]
  if FLAGS["train_steps"].present:
    bindings.append("FINETUNE_STEPS = %d" % FLAGS.train_steps)
  return bindings


def vocabulary_size(task):
  """The size of the task's vocabulary, whose model this loads: a local
  path that does not exist ($MTF_MODS_EN_VOCAB, $MTF_MODS_WMT_VOCAB) raises
  VocabularyNotFound, a remote one that cannot be read a UsageError."""
  vocabulary = seqio.get_mixture_or_task(task).output_features[
      "targets"].vocabulary
  try:
    return vocabulary.vocab_size
  except tf.errors.OpError as e:
    raise UsageError(
        "cannot read the vocabulary model of task %s: %s; set "
        "MTF_MODS_EN_VOCAB (English tasks) or MTF_MODS_WMT_VOCAB (WMT) to a "
        "readable SentencePiece model file" % (task, " ".join(
            e.message.split()))) from e


def configure():
  """Checks the flags and sets t5's --gin_file/--gin_param from them.

  Returns:
    (description of the model, task name).
  """
  load_plugins()
  variant = variants.get(FLAGS.variant)
  scale = scales.get(FLAGS.scale)
  check_name("stage", FLAGS.stage, stage_names())
  check_name("implementation", FLAGS.implementation,
             gin_files.IMPLEMENTATIONS)
  import_task_modules()
  task = resolve_task(scale)
  if FLAGS.t5_tfds_data_dir:
    seqio.set_tfds_data_dir_override(FLAGS.t5_tfds_data_dir)
  from mtf_mods.tasks import tfds_sources  # pylint: disable=g-import-not-at-top
  tfds_sources.check_prepared(task)
  vocab_size = vocabulary_size(task)
  try:
    files = gin_files.stage_gin_files(variant, scale, FLAGS.stage, task,
                                      FLAGS.implementation)
  except gin_files.NoReleaseConfig as e:
    raise UsageError(str(e)) from e
  files = [gin_config.resolve(f) for f in files + list(FLAGS.gin_file or [])]
  params = ["MIXTURE_NAME = %r" % task] + mesh_bindings()
  params += init_checkpoint_bindings()
  if FLAGS["train_steps"].present and not FLAGS.pretrained_model_dir:
    params.append("utils.run.train_steps = %d" % FLAGS.train_steps)
    if FLAGS.stage == protocol.PRETRAIN_STAGE:
      params.append("pretraining_steps = %d" % FLAGS.train_steps)
  if FLAGS.seed is not None:
    params += ["mtf_mods.train_with_progress.seed = %d" % FLAGS.seed,
               "mesh_train_dataset_fn.seed = %d" % FLAGS.seed]
  params.append(clusters.vocab_size_binding(vocab_size))
  if not own_checkpoint_interval():
    params += checkpoint_plan.interval_bindings(
        FLAGS.stage, files,
        FLAGS.train_steps if FLAGS["train_steps"].present else None)
  params += list(FLAGS.gin_param or [])
  description = "variant %s (%s) at scale %s" % (
      variant.name, FLAGS.implementation, scale.name)
  training = FLAGS.stage in checkpoint_plan.TRAINING_STAGES
  size = model_graph.measure(files, params, vocab_size, flops=False,
                             checkpoint=training)
  model_dir_guard.check(FLAGS.model_dir, size.signature, description)
  input_checks.check_mesh(files, params, vocab_size)
  plan = training_checkpoint_plan(files, params, size) if training else None
  FLAGS.gin_file = files
  FLAGS.gin_param = params
  FLAGS.gin_location_prefix = [paths.gin_dir()] + paths.plugin_gin_dirs()
  return description, task, plan


def own_checkpoint_interval():
  """Whether the user's --gin_param or --gin_file sets the interval."""
  texts = list(FLAGS.gin_param or [])
  for path in FLAGS.gin_file or []:
    with tf.io.gfile.GFile(gin_config.resolve(path)) as f:
      texts.append(f.read())
  return any("save_checkpoints_steps" in text for text in texts)


def training_checkpoint_plan(files, params, size):
  """The checkpoints the configured training run will write."""
  start = model_dir_reader.latest_step(FLAGS.model_dir) or 0
  pretrained = (model_dir_reader.latest_step(FLAGS.pretrained_model_dir)
                if FLAGS.pretrained_model_dir else None)
  return checkpoint_plan.plan(files, params, start, size.checkpoint_bytes,
                              finetune_from=pretrained)


def log_to_model_dir():
  """Sends everything written to file descriptor 2 (TensorFlow's C++ logs,
  tf.Print, Python logging) to model_dir/train.log; `sys.stderr` keeps the
  terminal for the kit's own lines (progress, errors). Local model_dir only.
  """
  if "://" in FLAGS.model_dir:
    return None
  tf.io.gfile.makedirs(FLAGS.model_dir)
  path = os.path.join(FLAGS.model_dir, LOG_FILE)
  terminal = os.fdopen(os.dup(2), "w", buffering=1)
  with open(path, "a") as log:
    os.dup2(log.fileno(), 2)
  sys.stderr = terminal
  return path


def main(argv):
  """absl main: configure, then run t5's main."""
  if not FLAGS.verbose:
    logging.set_verbosity(logging.WARNING)
  try:
    description, task, plan = configure()
  except (UsageError, gin_config.ConfigError,
          model_dir_guard.ModelDirMismatch) as e:
    print("mtf-mods train: %s" % e, file=sys.stderr)
    sys.exit(2)
  except ValueError as e:  # unknown variant or scale
    print("mtf-mods train: %s" % gin_config.one_line(e), file=sys.stderr)
    sys.exit(2)
  print("mtf-mods train: %s, stage %s, task %s, model_dir %s"
        % (description, FLAGS.stage, task, FLAGS.model_dir), file=sys.stderr,
        flush=True)
  if plan:
    print("mtf-mods train: %s" % plan.describe(), file=sys.stderr, flush=True)
  if not FLAGS.verbose:
    log = log_to_model_dir()
    if log:
      print("mtf-mods train: TensorFlow's log is in %s" % log,
            file=sys.stderr, flush=True)
  try:
    with input_autograph.converting(FLAGS.autograph):
      t5_main.main(argv)
  except input_autograph.NEEDS_AUTOGRAPH as e:
    print("mtf-mods train: %s; run again with --autograph"
          % str(e).splitlines()[0], file=sys.stderr, flush=True)
    sys.exit(2)
  except (loss_guard.NonFiniteLoss, atomic_files.WriteFailed) as e:
    # gin appends the configurable it was raised in on further lines.
    print("mtf-mods train: %s" % str(e).splitlines()[0], file=sys.stderr,
          flush=True)
    sys.exit(1)
  launch_report.finish(FLAGS.variant, FLAGS.implementation, FLAGS.scale,
                       FLAGS.stage, FLAGS.seed, FLAGS.model_dir)
