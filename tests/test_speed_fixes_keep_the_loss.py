"""The speed fixes leave training unchanged: the baseline, the first
variant of every family and the rows that reach the later fixes (LATER_FIXES)
train to the same losses, to float tolerance, with the fixes and with what
they replaced.

Before: a process with TensorFlow's oneDNN kernels off
(TF_ENABLE_ONEDNN_OPTS=0, set before TensorFlow starts), mtf's one-hot
embedding lookup (`mtf_mods.embedding_lookup.method = "one_hot"`), mtf's
compositions of the feed-forward's activations, softmax, layer norm and RMS
norm (`mtf_mods.fused_kernels.enabled = False`) and attention's q, k and v
transposed inside each tf.einsum
(`mtf_mods.attention_transposes.explicit = False`). After: this process
(mtf_mods turns oneDNN on) with the kit's gather lookup, fused kernels and
explicit transposes, from the same initial weights. The input pipeline
without AutoGraph is checked batch by batch (test_input_autograph.py)."""
import os
import subprocess
import sys

import numpy as np
import pytest

from mtf_mods.config import gin_files
from mtf_mods.model import mesh_run
from mtf_mods.config import protocol
from mtf_mods.config import scales
from mtf_mods import variants

SCALE = scales.get("tiny")
STEPS = 3
BEFORE = ['mtf_mods.embedding_lookup.method = "one_hot"',
          "mtf_mods.fused_kernels.enabled = False",
          "mtf_mods.attention_transposes.explicit = False"]
FIRST_OF_EACH_FAMILY = [family.VARIANTS[0].name
                        for family in variants.FAMILIES if family.VARIANTS]
# The rows that reach the later fixes, which the first rows do not: the
# fused ELU, SeLU, sigmoid, softplus and Swish, the depthwise convolutions
# (lightweight and dynamic convolutions, the Evolved Transformer's
# branches) and the Synthesizer's explicit transposes.
LATER_FIXES = ["swish", "elu", "selu", "sigmoid", "softplus",
               "lightweight_convolution", "dynamic_convolution",
               "evolved_transformer", "synthesizer_dense"]
ROWS = FIRST_OF_EACH_FAMILY + [variants.get(name).name
                               for name in LATER_FIXES
                               if name not in FIRST_OF_EACH_FAMILY]


def stage_files(name):
  return gin_files.stage_gin_files(variants.get(name), SCALE,
                                   protocol.PRETRAIN_STAGE)


def train_before(directory, names):
  """Trains each variant as before the fixes; saves losses and weights."""
  for name in names:
    run = mesh_run.train(stage_files(name), BEFORE, SCALE.vocab_size, STEPS)
    np.savez(os.path.join(directory, name + ".npz"),
             losses=np.array(run.losses), **{
                 "weight:" + k: v for k, v in run.initial_values.items()})


@pytest.fixture(scope="module")
def before(tmp_path_factory):
  """{variant: (losses, initial values)} from a process without oneDNN."""
  directory = str(tmp_path_factory.mktemp("before"))
  env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="0",
             PYTHONPATH=os.pathsep.join(
                 [os.path.dirname(__file__)]
                 + os.environ.get("PYTHONPATH", "").split(os.pathsep)))
  subprocess.run(
      [sys.executable, "-c",
       "import sys; import mtf_test_utils; "
       "import test_speed_fixes_keep_the_loss as t; "
       "t.train_before(sys.argv[1], sys.argv[2:])", directory]
      + ROWS, env=env, check=True, capture_output=True)
  runs = {}
  for name in ROWS:
    saved = np.load(os.path.join(directory, name + ".npz"))
    runs[name] = (saved["losses"], {
        k[len("weight:"):]: saved[k] for k in saved.files
        if k.startswith("weight:")})
  return runs


def test_onednn_runs_the_kits_matmuls():
  """A matmul of a process that imported mtf_mods first runs as oneDNN's."""
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  with tf.Graph().as_default():
    product = tf.matmul(tf.ones([64, 64]), tf.Variable(tf.ones([64, 64])))
    with tf.Session() as session:
      session.run(tf.global_variables_initializer())
      metadata = tf.RunMetadata()
      session.run(product, options=tf.RunOptions(
          trace_level=tf.RunOptions.FULL_TRACE), run_metadata=metadata)
  kernels = [node.timeline_label for device in metadata.step_stats.dev_stats
             for node in device.node_stats]
  assert any(" = _Mkl" in label and "MatMul" in label for label in kernels), (
      kernels)


# Ids that are not bare variant names keep the module one unit of work
# (xdist_scheduling.py), so the `before` process runs once, not once per
# worker that gets a variant.
@pytest.mark.parametrize("name", ROWS, ids=lambda name: "row-" + name)
def test_same_losses_before_and_after(before, name):
  losses, weights = before[name]
  after = mesh_run.train(stage_files(name), [], SCALE.vocab_size, STEPS,
                         initial_values=weights)
  assert np.all(np.isfinite(after.losses))
  assert after.losses[-1] < after.losses[0]
  np.testing.assert_allclose(after.losses, losses, rtol=1e-5)
