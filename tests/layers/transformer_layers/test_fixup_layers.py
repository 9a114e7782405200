"""Fixup layers: their equations in numpy, their initialization (Zhang et al.
2019, rules 1 and 2), and mtf 0.1.21's fixup_layers, which the study used,
as a reference: same parameters, same outputs for the same weights, and the
same initial distributions except where the released config differs
(encoder-decoder attention).
"""
import math

import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import fixup_layers
import numpy as np
import pytest

from mtf_mods.layers import dimensions
from mtf_mods.layers.transformer_layers import fixup
from mtf_test_utils import parameter_count, random_weights, run_layer

NUM_BLOCKS = 60


def softmax(x):
  e = np.exp(x - x.max(-1, keepdims=True))
  return e / e.sum(-1, keepdims=True)


def run(layer, weights, d_model=8, length=3, memory_length=4, seed=0):
  batch_dim = mtf.Dimension(dimensions.BATCH, 2)
  length_dim = mtf.Dimension(dimensions.LENGTH, length)
  memory_dim = mtf.Dimension(dimensions.MEMORY_LENGTH, memory_length)
  model_dim = mtf.Dimension(dimensions.D_MODEL, d_model)
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(2, length, d_model)).astype(np.float32)
  memory = rng.normal(size=(2, memory_length, d_model)).astype(np.float32)
  y, values = run_layer(
      lambda context, inputs: layer.call(context, inputs["x"]),
      {"x": (x, [batch_dim, length_dim, model_dim]),
       "encoder_output": (memory, [batch_dim, memory_dim, model_dim])},
      model_dim, length_dim, [batch_dim], weights=weights,
      autoregressive=True)
  return x, memory, y, values


def study_feed_forward(hidden_size):
  """The study's fixup.gin DenseReluDenseFixup."""
  return fixup_layers.DenseReluDenseFixup(
      hidden_size=hidden_size, num_blocks=NUM_BLOCKS, use_bias=False,
      default_init="he", init_distribution="truncated_normal")


def study_self_attention(num_heads, key_value_size):
  """The study's SelfAttentionFixup. Fixup refuses mtf's default of folding
  1/sqrt(d_kv) into q's initializer, so that is switched off."""
  return fixup_layers.SelfAttentionFixup(
      num_blocks=NUM_BLOCKS, default_init="he",
      init_distribution="truncated_normal", num_heads=num_heads,
      key_value_size=key_value_size, relative_attention_type=None,
      fold_scaling_into_initializer=False)


def test_feed_forward_matches_numpy():
  layer = fixup.FixupFeedForward(hidden_size=6, num_blocks=NUM_BLOCKS)
  x, _, y, values = run(layer, random_weights(1))
  w1, b, w2 = values["wi/kernel"], values["fixup_bias/bias"], values[
      "wo/kernel"]
  np.testing.assert_allclose(y, (np.maximum(x @ w1, 0) + b) @ w2, rtol=1e-4,
                             atol=1e-5)
  assert sorted(values) == ["fixup_bias/bias", "wi/kernel", "wo/kernel"]


def test_self_attention_matches_numpy():
  layer = fixup.FixupSelfAttention(num_blocks=NUM_BLOCKS, num_heads=2,
                                   key_value_size=4, relative_attention=None)
  x, _, y, values = run(layer, random_weights(2))
  wq, wk, wv, wo = (values[n + "/kernel"] for n in "qkvo")
  q = np.einsum("bld,dhk->bhlk", x, wq) / math.sqrt(4)
  k = np.einsum("bmd,dhk->bhmk", x, wk)
  v = np.einsum("bmd,dhk->bhmk", x, wv)
  causal = np.where(np.arange(3)[None, :] > np.arange(3)[:, None], -1e9, 0)
  weights = softmax(np.einsum("bhlk,bhmk->bhlm", q, k) + causal)
  expected = np.einsum("bhlm,bhmk,hkd->bld", weights, v, wo)
  np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def combined(values):
  """Our [d_model, heads, d_kv] / [heads, d_kv, d_model] kernels as mtf's
  attention keeps them, with heads and d_kv combined into one dimension."""
  return {name.split("/")[0]: value.reshape(
      (value.shape[0], -1) if name[0] in "qkv" else (-1, value.shape[-1]))
          for name, value in values.items()}


def test_feed_forward_equals_the_studys_layer():
  layer = fixup.FixupFeedForward(hidden_size=6, num_blocks=NUM_BLOCKS)
  _, _, y, values = run(layer, random_weights(3))
  ours = {"wi/kernel": values["wi/kernel"], "wo/kernel": values["wo/kernel"],
          "shift": values["fixup_bias/bias"]}
  _, _, y_study, study_values = run(
      study_feed_forward(6), lambda n, shape: ours[n].reshape(shape))
  assert parameter_count(study_values) == parameter_count(values)
  np.testing.assert_allclose(y, y_study, rtol=1e-5, atol=1e-5)


def test_self_attention_equals_the_studys_layer():
  layer = fixup.FixupSelfAttention(num_blocks=NUM_BLOCKS, num_heads=2,
                                   key_value_size=4, relative_attention=None)
  _, _, y, values = run(layer, random_weights(4))
  ours = {name + "_fixup": value for name, value in combined(values).items()}
  _, _, y_study, study_values = run(study_self_attention(2, 4),
                                    lambda n, shape: ours[n])
  assert sorted(study_values) == sorted(ours)
  assert parameter_count(study_values) == parameter_count(values)
  np.testing.assert_allclose(y, y_study, rtol=1e-5, atol=1e-5)


def study_enc_dec_attention(num_heads, key_value_size):
  """The study's EncDecAttentionFixup (mtf's EncDecAttention), with q scaled
  at run time as its self-attention (see study_self_attention)."""
  return fixup_layers.EncDecAttentionFixup(
      num_heads=num_heads, key_value_size=key_value_size,
      fold_scaling_into_initializer=False)


@pytest.mark.parametrize("rescale", [True, False])
def test_enc_dec_attention_equals_the_studys_layer(rescale):
  """Only the initialization depends on rescale_initialization."""
  layer = fixup.FixupEncDecAttention(
      num_blocks=NUM_BLOCKS, num_heads=2, key_value_size=4,
      rescale_initialization=rescale)
  _, _, y, values = run(layer, random_weights(5))
  ours = combined(values)
  _, _, y_study, study_values = run(study_enc_dec_attention(2, 4),
                                    lambda n, shape: ours[n])
  assert sorted(study_values) == sorted(ours)
  assert parameter_count(study_values) == parameter_count(values)
  np.testing.assert_allclose(y, y_study, rtol=1e-5, atol=1e-5)


def initial_values(layer, d_model=512):
  """The values the layer's initializers draw."""
  return run(layer, None, d_model=d_model, length=2, memory_length=2)[3]


def assert_truncated_normal(values, stddev):
  """Sample std within 3% of `stddev`, mean 0, cut at 2 underlying stds."""
  assert values.std() == pytest.approx(stddev, rel=0.03)
  assert abs(values.mean()) < 0.05 * stddev
  assert np.abs(values).max() <= 2 * stddev / 0.8796 * 1.0001


def test_feed_forward_initialization_follows_fixup_and_the_study():
  """wi ~ He * L^-1/2 = N(0, 2 / (d_model L)); wo = 0 (rules 1 and 2)."""
  values = initial_values(fixup.FixupFeedForward(hidden_size=1024,
                                                 num_blocks=NUM_BLOCKS))
  study = initial_values(study_feed_forward(1024))
  expected = math.sqrt(2.0 / 512) * NUM_BLOCKS ** -0.5
  assert_truncated_normal(values["wi/kernel"], expected)
  assert_truncated_normal(study["wi/kernel"], expected)
  assert not values["wo/kernel"].any() and not study["wo/kernel"].any()
  assert values["fixup_bias/bias"] == 0 == study["shift"]


def test_self_attention_initialization_follows_fixup_and_the_study():
  """q, k, v ~ He * L^-1/6 (m = 4); o = 0."""
  values = combined(initial_values(fixup.FixupSelfAttention(
      num_blocks=NUM_BLOCKS, num_heads=8, key_value_size=64)))
  study = initial_values(study_self_attention(8, 64))
  expected = math.sqrt(2.0 / 512) * NUM_BLOCKS ** (-1.0 / 6)
  for name in "qkv":
    assert_truncated_normal(values[name], expected)
    assert_truncated_normal(study[name + "_fixup"], expected)
  assert not values["o"].any() and not study["o_fixup"].any()


def test_enc_dec_attention_initialization_paper_or_released():
  """Fixup: as self-attention. Released: mtf's standard initialization,
  N(0, 1 / fan_in) for q, k, v and o."""
  def layer(rescale):
    return fixup.FixupEncDecAttention(num_blocks=NUM_BLOCKS, num_heads=8,
                                      key_value_size=64,
                                      rescale_initialization=rescale)
  paper = combined(initial_values(layer(True)))
  expected = math.sqrt(2.0 / 512) * NUM_BLOCKS ** (-1.0 / 6)
  for name in "qkv":
    assert_truncated_normal(paper[name], expected)
  assert not paper["o"].any()
  released = combined(initial_values(layer(False)))
  study = initial_values(study_enc_dec_attention(8, 64))
  for name in "qkvo":  # fan-in 512 each: d_model, or heads x d_kv for o
    assert released[name].std() == pytest.approx(512 ** -0.5, rel=0.03)
    assert study[name].std() == pytest.approx(512 ** -0.5, rel=0.03)
