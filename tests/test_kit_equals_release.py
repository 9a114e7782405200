"""The kit's baseline (gin/models/baseline.gin, mtf_mods layers) and the
release's (gin/reference/baseline.gin, mtf 0.1.21's own layers) are the
same function: with the same weights, the same training loss on the same
batch, at the tiny scale with two layers per stack (shared relative bias,
padding), dropout off.

Weights map one to one: mtf names the layer norm
true_layer_norm/layer_prepostprocess/layer_norm/layer_norm_{scale,bias}
(ours layer_norm/{gain,bias}), the attention kernels q, k, v, o with heads
and d_kv in one dimension (ours <name>/kernel, [d_model, heads, d_kv] and
[heads, d_kv, d_model]: the same numbers in the same order), and the
feed-forward block DenseReluDense (ours FeedForward).
"""
import re

import numpy as np
import pytest

from mtf_mods.config import gin_config
from mtf_mods.model import mesh_run
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_test_utils import model_loss
from mtf_test_utils import random_weights

SCALE = scales.get("tiny")
BASELINE = variants.get(variants.BASELINE)
BATCH = 2
LENGTHS = {"inputs": 12, "targets": 7}
RENAMES = (
    (r"/layer_norm/gain$",
     "/true_layer_norm/layer_prepostprocess/layer_norm/layer_norm_scale"),
    (r"/layer_norm/bias$",
     "/true_layer_norm/layer_prepostprocess/layer_norm/layer_norm_bias"),
    (r"/MultiHeadSelfAttention/(\w)/kernel$", r"/SelfAttention/\1"),
    (r"/MultiHeadSelfAttention/", "/SelfAttention/"),
    (r"/MultiHeadEncDecAttention/(\w)/kernel$", r"/EncDecAttention/\1"),
    (r"/FeedForward/", "/DenseReluDense/"),
)


def release_name(name):
  for pattern, replacement in RENAMES:
    name = re.sub(pattern, replacement, name)
  return name


def padded_features():
  """Random ids with padding at the end of the second sequence."""
  features = mesh_run.random_features(SCALE.vocab_size, BATCH, LENGTHS)
  for key, length in LENGTHS.items():
    features[key][1, length // 2:] = 0
  return features


def training_loss(gin_file, weights):
  """(loss, {variable: value}) of the model on padded_features()."""
  with gin_config.parsed([gin_file, SCALE.gin_file],
                         ["num_layers = 2", "dropout_rate = 0.0"]):
    return model_loss(padded_features(), SCALE.vocab_size, weights)


def test_equal_weights_give_the_same_loss():
  ours, values = training_loss(BASELINE.gin_file, random_weights(3))
  by_release_name = {release_name(name): value
                     for name, value in values.items()}
  theirs, release_values = training_loss(
      BASELINE.reference_gin_file,
      lambda name, shape: by_release_name[name].reshape(shape))
  assert sorted(release_values) == sorted(by_release_name)
  for name, value in release_values.items():
    np.testing.assert_array_equal(value.ravel(),
                                  by_release_name[name].ravel())
  assert np.isfinite(ours) and ours > 1.0
  assert theirs == pytest.approx(ours, rel=1e-5)
