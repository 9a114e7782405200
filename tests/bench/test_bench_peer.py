"""The PyTorch peer: which variants have one, and that it trains exactly the
parameters the kit's model trains."""
import re

import pytest
import transformers

from mtf_mods import gin_files
from mtf_mods import protocol
from mtf_mods import scales
from mtf_mods import variants
from mtf_mods.bench import peer_config
from mtf_mods.bench import torch_peer

TINY = scales.get("tiny")
# Every registered variant has a HuggingFace T5 peer but these, each with
# what its NoPeer message names: the sublayer or layer HF T5 cannot express.
WITHOUT_PEER = {
    "rezero": "mtf_mods.sublayer_rezero",
    "rezero_layer_norm": "mtf_mods.sublayer_rezero",
    "rezero_rms_norm": "mtf_mods.sublayer_rezero",
    "fixup": "mtf_mods.FixupSelfAttention",
}


def _peer(name):
  files = gin_files.stage_gin_files(variants.get(name), TINY,
                                    protocol.PRETRAIN_STAGE)
  return peer_config.peer_config(files, [], TINY.vocab_size)


def test_the_variants_without_a_peer_are_registered():
  assert set(WITHOUT_PEER) <= set(variants.names())


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
  if name in WITHOUT_PEER:
    with pytest.raises(peer_config.NoPeer, match=re.escape(WITHOUT_PEER[name])):
      _peer(name)
    return
  config = _peer(name)  # NoPeer fails the test: the variant lost its peer
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
