"""The PyTorch peer: which variants have one, and that it trains exactly the
parameters the kit's model trains."""
import re

import pytest
import transformers

from mtf_mods.config import gin_files
from mtf_mods.config import protocol
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.bench import peer_config
from mtf_mods.bench import torch_peer

TINY = scales.get("tiny")
# Every registered Table 1 row has a HuggingFace T5 peer but these and the
# families below (a modification outside Table 1 may have none), each with what its NoPeer message names: the sublayer or
# layer HF T5 cannot express.
WITHOUT_PEER = {
    "rezero": "mtf_mods.sublayer_rezero",
    "rezero_layer_norm": "mtf_mods.sublayer_rezero",
    "rezero_rms_norm": "mtf_mods.sublayer_rezero",
    "fixup": "mtf_mods.FixupSelfAttention",
}
# Families none of whose rows HF T5 expresses, with the pattern of what the
# NoPeer message names: an embedding not tied (the shared_embedding*
# binding) or the kit's vocabulary embedding class (factorized, adaptive
# input); the shared layer stack; the softmax head's class; a stack's
# layers or layer stack (the architectures).
FAMILIES_WITHOUT_PEER = {
    "architecture": r"(en|de)coder layer",
    "embedding": r"shared_embedding|vocabulary embedding mtf_mods\.\w+",
    "parameter sharing": r"(en|de)coder layer stack mtf_mods\.SharedLayerStack",
    "softmax": r"vocabulary embedding mtf_mods\.\w+",
}


def _peer(name, gin_params=()):
  files = gin_files.stage_gin_files(variants.get(name), TINY,
                                    protocol.PRETRAIN_STAGE)
  return peer_config.peer_config(files, gin_params, TINY.vocab_size)


def _no_peer_pattern(variant):
  """What the variant's NoPeer message must match; None if it has a peer."""
  if variant.name in WITHOUT_PEER:
    return re.escape(WITHOUT_PEER[variant.name])
  return FAMILIES_WITHOUT_PEER.get(variant.family)


def test_the_variants_without_a_peer_are_registered():
  assert set(WITHOUT_PEER) <= set(variants.names())
  assert set(FAMILIES_WITHOUT_PEER) <= {v.family for v in variants.VARIANTS}


@pytest.mark.parametrize("binding, named", [
    ("transformer.make_layer_stack.layer_stack_cls = "
     "@mtf_mods.SharedLayerStack", "encoder layer stack "
     "mtf_mods.SharedLayerStack"),
    ("decoder/transformer.Unitransformer.loss_fn = "
     "@mtf_mods.adaptive_softmax_loss", "decoder loss_fn "
     "mtf_mods.adaptive_softmax_loss"),
], ids=["layer_stack_cls", "loss_fn"])
def test_a_binding_hf_t5_cannot_express_leaves_no_peer(binding, named):
  with pytest.raises(peer_config.NoPeer, match=re.escape(named)):
    _peer(variants.BASELINE, [binding])


def test_baseline_peer_has_the_baseline_structure():
  config = _peer(variants.BASELINE)
  assert (config.activation, config.gated, config.ffn_bias, config.norm) == (
      "relu", False, True, "layer_norm")
  assert (config.d_model, config.d_ff, config.num_heads, config.d_kv) == (
      32, 128, 4, 8)
  assert (config.encoder_layers, config.decoder_layers) == (2, 2)
  assert config.vocab_size % 128 == 0 and config.vocab_size >= TINY.vocab_size


@pytest.mark.parametrize("name", variants.names())
def test_a_peer_trains_the_kits_parameters(name):
  pattern = _no_peer_pattern(variants.get(name))
  if pattern:
    with pytest.raises(peer_config.NoPeer, match=pattern):
      _peer(name)
    return
  try:
    config = _peer(name)
  except peer_config.NoPeer as e:
    if variants.get(name).in_table1:
      raise  # a Table 1 row lost its peer
    pytest.skip("a modification outside Table 1 without an HF T5 peer: %s"
                % e)
  model = torch_peer.match_kit(
      transformers.T5ForConditionalGeneration(torch_peer.t5_config(config)),
      config)
  assert sum(p.numel() for p in model.parameters()) == config.kit_parameters
  norms = {type(m).__name__ for m in model.modules()} & {"LayerNorm",
                                                          "T5LayerNorm"}
  assert norms == {"LayerNorm" if config.norm == "layer_norm"
                   else "T5LayerNorm"}
  assert type(model.encoder.block[0].layer[1].DenseReluDense.act).__name__ == (
      peer_config.TORCH_ACTIVATIONS[config.activation][0])
