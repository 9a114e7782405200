"""Which model a variant's checks build: one layer per stack unless the
model's stack is a class of its own, found from the model, not from the
variant's family name."""
from mesh_tensorflow.transformer import transformer

from mtf_mods import variants
from mtf_mods.checks import model_config
from mtf_mods.layers.stacks import shared


class OwnStack(transformer.LayerStack):
  """A user's stack, which may span its layers."""


def test_a_stack_of_its_own_keeps_the_scales_layers():
  for name in ("baseline", "universal_transformer", "funnel_transformer",
               "switch_transformer"):
    assert model_config.ONE_LAYER in model_config.params(variants.get(name))
  for variant in variants.VARIANTS:
    if variant.family == "parameter sharing":
      assert model_config.ONE_LAYER not in model_config.params(variant)
  parts = model_config.parts(variants.get("baseline"))
  assert not model_config.spans_layers(parts)
  for stack in (OwnStack, shared.SharedLayerStack):
    assert model_config.spans_layers(
        type(parts)(parts.layers, parts.others | {stack}))
