"""The model a variant's checks build: the tiny scale, made smaller where
that still catches what the checks look for.

One layer per stack catches a layer's layout or decoding bug at about two
thirds of the cost of the tiny scale's two. A model whose stack is a class
of its own (block sharing's, or a user's) may span its layers: it keeps the
scale's layers. The two stacks the kit shortens in its own way keep one
layer with bindings of their own.
"""
from mesh_tensorflow.transformer import transformer

from mtf_mods.model import model_parts
from mtf_mods.config import scales
from mtf_mods.layers.stacks import funnel
from mtf_mods.layers.stacks import universal
from mtf_mods.layers.transformer_layers import placed_feed_forward

TINY = scales.get("tiny")
ONE_LAYER = "num_layers = 1"
# A mixture of experts is made deterministic (the paper's random second
# expert and router jitter off: a mesh draws other random numbers than one
# device), routes the same groups of 16 tokens on one device and on a mesh
# that splits the batch, and drops no token in evaluation, where
# step-by-step decoding routes other groups than teacher forcing does.
DETERMINISTIC_EXPERTS = [
    "mtf_mods.MixtureOfExperts.second_policy_train = 'all'",
    "mtf_mods.MixtureOfExperts.second_policy_eval = 'all'",
    "mtf_mods.MixtureOfExperts.jitter = 0.0",
    "mtf_mods.MixtureOfExperts.group_size = 16",
    "mtf_mods.MixtureOfExperts.capacity_factor_eval = 32.0",
]
# The Universal Transformer's recurrence in 2 steps, not 24, without the
# applications before and after it (4 more of the block); the funnel
# encoder in 3 blocks of one layer, so that it pools twice.
FEWER_STEPS = ["mtf_mods.UniversalTransformerStack.num_steps = 2",
               "mtf_mods.UniversalTransformerStack.vanilla_layers_before = 0",
               "mtf_mods.UniversalTransformerStack.vanilla_layers_after = 0"]
THREE_BLOCKS = ["encoder/transformer.make_layer_stack.num_layers = 3"]
# Stacks of one layer: mtf's own, and the two shortened above.
ONE_LAYER_STACKS = (transformer.LayerStack,
                    universal.UniversalTransformerStack,
                    funnel.FunnelLayerStack)


def parts(variant):
  """The classes of the variant's model at the tiny scale."""
  return model_parts.of_config([variant.gin_file, TINY.gin_file],
                               TINY.vocab_size)


def has_experts(variant):
  """Whether the variant's model has a mixture of experts."""
  return placed_feed_forward.PeriodicExperts in parts(variant).layers


def spans_layers(model):
  """Whether a model's (ModelParts) stack is a class of its own, other
  than those of ONE_LAYER_STACKS."""
  return any(isinstance(part, type) and issubclass(part, transformer.LayerStack)
             and part not in ONE_LAYER_STACKS for part in model.others)


def params(variant):
  """Gin bindings of the variant's checks."""
  model = parts(variant)
  bindings = [] if spans_layers(model) else [ONE_LAYER]
  if placed_feed_forward.PeriodicExperts in model.layers:
    bindings += DETERMINISTIC_EXPERTS
  if universal.UniversalTransformerStack in model.others:
    bindings += FEWER_STEPS
  if funnel.FunnelLayerStack in model.others:
    bindings += THREE_BLOCKS
  return bindings
