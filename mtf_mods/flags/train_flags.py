"""The flags `mtf-mods train` adds to t5's `t5_mesh_transformer` flags.

absl flags, as t5's are (the launcher passes both to t5's main), defined
here without TensorFlow so that `mtf-mods train --help` lists them and a
bad name is refused at once; t5's own flags (--gin_file, --gin_param,
--model_dir, --tpu, ...) come with the launcher and `--helpfull` lists
them. Each name and default follows the kit's rules (shared_flags.py).
"""
import glob
import os

from absl import flags

from mtf_mods.config import gin_files
from mtf_mods.config import paths
from mtf_mods.config import scales
from mtf_mods.flags import shared_flags
from mtf_mods import variants

FLAGS = flags.FLAGS
PRETRAIN_STAGE = "pretrain"  # protocol.PRETRAIN_STAGE (a test keeps them one)


def stage_names():
  """The stages a launch can run: gin/stages/<stage>.gin."""
  pattern = os.path.join(paths.gin_dir(), "stages", "*.gin")
  return sorted(os.path.basename(p)[:-len(".gin")] for p in glob.glob(pattern))


flags.DEFINE_string("variant", variants.BASELINE,
                    "A registered variant (mtf-mods variants lists them).")
flags.DEFINE_string("implementation", gin_files.KIT,
                    "%s (the kit's layers) or %s (the authors' released "
                    "config on mesh tensorflow's own layers)."
                    % (gin_files.KIT, gin_files.RELEASE))
flags.DEFINE_string("scale", shared_flags.TRAINING_SCALE,
                    "A named scale: " + ", ".join(scales.names()) + ".")
flags.DEFINE_string("stage", PRETRAIN_STAGE,
                    "A protocol stage: " + ", ".join(stage_names()) + ".")
flags.DEFINE_string("task", None, "seqio task or mixture; default: the "
                    "scale's default task.")
flags.DEFINE_list("text_files", None, "Glob patterns of plain-text files "
                  "(one document per line) to pre-train on instead of --task.")
flags.DEFINE_string("mesh_shape", None, "Mesh shape without --tpu, e.g. "
                    "'batch:2,model:2'. Default: one device, or the GPUs.")
flags.DEFINE_list("mesh_devices", None, "Devices of the mesh without --tpu.")
flags.DEFINE_string("layout_rules", None, "utils.run.layout_rules override.")
flags.DEFINE_integer("seed", None, "Seed of the initializers and of the "
                     "training data order.")
flags.DEFINE_boolean("autograph", False, "Convert the input pipeline's "
                     "functions with AutoGraph (needed only by a "
                     "preprocessor with Python control flow on tensors).")
flags.DEFINE_boolean("verbose", False, "Show TensorFlow's logs in the "
                     "terminal instead of model_dir/train.log.")

KIT_FLAGS = ("variant", "implementation", "scale", "stage", "task",
             "text_files", "mesh_shape", "mesh_devices", "layout_rules",
             "seed", "autograph", "verbose")


def _default(flag):
  if flag.boolean:
    return "on" if flag.default else "off"
  return "none" if flag.default is None else flag.default


def help_text():
  """`mtf-mods train --help`: the kit's flags, and where t5's are."""
  lines = ["usage: mtf-mods train [flags]", "",
           "t5's t5_mesh_transformer with the kit's names: every flag of "
           "t5's launcher (--gin_file, --gin_param, --model_dir, "
           "--train_steps, --pretrained_model_dir, --module_import, "
           "--gin_location_prefix, --tpu, ...; mtf-mods train --helpfull "
           "lists them all) and the kit's:", ""]
  for name in KIT_FLAGS:
    flag = FLAGS[name]
    switch = " | --no_%s" % name if flag.boolean else ""
    lines.append("  --%s%s" % (name, switch))
    lines.append("      %s (default: %s)" % (flag.help, _default(flag)))
  lines += ["", "docs/protocol.md says how the kit's flags and t5's combine "
            "(docs/cli.md: the kit's flag names)."]
  return "\n".join(lines)
