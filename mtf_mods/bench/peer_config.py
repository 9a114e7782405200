"""The HuggingFace T5 configuration that matches a kit variant, if any.

HuggingFace's `T5ForConditionalGeneration` is the same family as the kit's
baseline: pre-norm encoder-decoder blocks, relative position biases computed
in the first layer of each stack and shared by its other layers, tied
embeddings. It has no biases and only RMS norm (its T5LayerNorm); the peer
module adds the baseline's FFN biases and layer norm when the kit's model has
them, so both sides train the same parameters.

A variant has a peer when its gin config is the baseline's structure with
only what HuggingFace can express changed: the FFN activation (any in
TORCH_ACTIVATIONS), a gated FFN (the GLU family), RMS norm over all channels
in place of layer norm, and the sizes (depth, d_ff, heads). Sizes, biases and
gating are read from the kit's own training graph, so the peer is built from
what the kit trains, not from a second list of variants.

Everything else is refused (NoPeer, naming what differs): other layers or
sublayers, relative attention other than one bias per stack, a layer stack
class other than mtf's LayerStack (block sharing: HF T5 has its own weights
in every block), a vocabulary embedding class other than mtf's
VocabEmbedding or the kit's (the same, looking ids up by a gather)
(factorized or adaptive embeddings, adaptive softmax, mixture of
softmaxes), a stack's own loss function (Unitransformer.loss_fn), and
embeddings not all three tied (HF T5 ties them).
"""
import dataclasses
import inspect
import re

import gin
from mesh_tensorflow.transformer import transformer
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.model import model_graph
from mtf_mods.layers import dimensions
from mtf_mods.layers.sublayers import normalization
from mtf_mods.layers.transformer_layers import attention
from mtf_mods.layers.transformer_layers import feed_forward
from mtf_mods.layers.vocabulary import lookup

# kit activation -> (torch.nn module, its arguments) of the same equation
TORCH_ACTIVATIONS = {
    "relu": ("ReLU", {}), "gelu": ("GELU", {"approximate": "tanh"}),
    "swish": ("SiLU", {}), "elu": ("ELU", {}), "selu": ("SELU", {}),
    "sigmoid": ("Sigmoid", {}), "softplus": ("Softplus", {}),
    "linear": ("Identity", {}),
}
NORMS = {
    "mtf_mods.sublayer_layer_norm": ("layer_norm",
                                     normalization.sublayer_layer_norm),
    "mtf_mods.sublayer_rms_norm": ("rms_norm",
                                   normalization.sublayer_rms_norm),
}
ENCODER_LAYERS = ["mtf_mods.MultiHeadSelfAttention", "mtf_mods.FeedForward"]
DECODER_LAYERS = ["mtf_mods.MultiHeadSelfAttention",
                  "mtf_mods.MultiHeadEncDecAttention", "mtf_mods.FeedForward"]
SUBLAYERS = ["transformer.sublayer_call_layer", "transformer.sublayer_dropout",
             "transformer.sublayer_residual"]


class NoPeer(ValueError):
  """The variant has no HuggingFace T5 counterpart; the message says why."""


@dataclasses.dataclass(frozen=True)
class PeerConfig:
  vocab_size: int        # the kit's padded vocabulary
  d_model: int
  d_ff: int
  d_kv: int
  num_heads: int
  encoder_layers: int
  decoder_layers: int
  num_buckets: int
  max_distance: int
  activation: str        # a key of TORCH_ACTIVATIONS
  gated: bool
  ffn_bias: bool
  norm: str              # "layer_norm" (gain and bias) or "rms_norm"
  norm_epsilon: float
  kit_parameters: int

  def describe(self):
    ffn = ("gated-%s" % self.activation if self.gated else self.activation)
    return "HF T5 %d+%d layers, %s FFN%s, %s" % (
        self.encoder_layers, self.decoder_layers, ffn,
        " with biases" if self.ffn_bias else "",
        "LayerNorm" if self.norm == "layer_norm" else "T5LayerNorm (RMS)")


def _setting(configurable, selector, parameter):
  """What gin binds to `selector.parameter`, else the Python default."""
  try:
    return gin.query_parameter("%s.%s" % (selector, parameter))
  except ValueError:
    return inspect.signature(configurable).parameters[parameter].default


def _scoped_setting(configurable, selector, parameter, scope):
  """What `selector.parameter` is in gin scope `scope` (mtf builds each
  stack in its own: "encoder", "decoder"), else unscoped, else the default."""
  try:
    return gin.query_parameter("%s/%s.%s" % (scope, selector, parameter))
  except ValueError:
    return _setting(configurable, selector, parameter)


def _require(value, wanted, what, instead):
  """NoPeer naming `what` and the configurable `value` refers to, unless it
  is `wanted` (mtf's own part, the one HF T5 has, or a tuple of parts that
  compute the same).

  Args:
    value: a gin reference (`@name`) or an unbound parameter's default.
    wanted: the Python object HF T5 matches, or a tuple of them.
    what, instead: the part, and what HF T5 has in its place.
  """
  wanted = wanted if isinstance(wanted, tuple) else (wanted,)
  if isinstance(value, gin.config.ConfigurableReference):
    if value.configurable.wrapped in wanted:
      return
    value = value.selector
  elif value in wanted:
    return
  raise NoPeer("%s %s, not %s" % (what, value, instead))


def _selectors(name):
  """The configurables a list binding refers to; [] if unbound."""
  try:
    return [reference.selector for reference in gin.query_parameter(name)]
  except ValueError:
    return []


def _check_structure():
  """The norm kind and epsilon, if the config is the baseline's structure."""
  for stack, expected in (("encoder", ENCODER_LAYERS),
                          ("decoder", DECODER_LAYERS)):
    layers = _selectors("%s/transformer.make_layer_stack.layers" % stack)
    if layers != expected:
      raise NoPeer("%s layers %s, not the baseline's" % (
          stack, ", ".join(layers)))
    _require(_scoped_setting(transformer.make_layer_stack,
                             "transformer.make_layer_stack", "layer_stack_cls",
                             stack),
             transformer.LayerStack, "%s layer stack" % stack,
             "mtf's LayerStack (one set of weights per block)")
  per_layer = _selectors("transformer.LayerStack.sublayers_per_layer")
  final = _selectors("transformer.LayerStack.sublayers_final")
  if (per_layer[1:] != SUBLAYERS or per_layer[0] not in NORMS
      or final != [per_layer[0], "transformer.sublayer_dropout"]):
    raise NoPeer("sublayers %s; HF T5 has norm, layer, dropout, residual"
                 % ", ".join(per_layer))
  norm, function = NORMS[per_layer[0]]
  if norm == "rms_norm" and _setting(function, per_layer[0],
                                     "percentage_of_channels") != 100.0:
    raise NoPeer("RMS norm over part of the channels")
  relative = _setting(attention.MultiHeadSelfAttention,
                      "mtf_mods.MultiHeadSelfAttention", "relative_attention")
  if relative != "shared_bias":
    raise NoPeer("relative attention %r (HF shares one bias per stack)"
                 % relative)
  # looked up when the model is called, outside the stacks' scopes
  _require(_setting(transformer.get_vocab_embedding_cls,
                    "transformer.get_vocab_embedding_cls", "cls"),
           (transformer.VocabEmbedding, lookup.VocabEmbedding),
           "vocabulary embedding",
           "mtf's VocabEmbedding (a d_model x vocab matrix and a softmax)")
  for stack in ("encoder", "decoder"):
    _require(_scoped_setting(transformer.Unitransformer,
                             "transformer.Unitransformer", "loss_fn", stack),
             None, "%s loss_fn" % stack, "mtf's cross-entropy")
  for configurable, parameter, wanted in (
      (transformer.Unitransformer, "positional_embedding", False),
      (transformer.Unitransformer, "shared_embedding_and_softmax_weights",
       True),
      (transformer.Bitransformer, "shared_embedding", True)):
    selector = "transformer.%s" % configurable.__name__
    if _setting(configurable, selector, parameter) != wanted:
      raise NoPeer("%s.%s is not %s" % (selector, parameter, wanted))
  return norm, _setting(function, per_layer[0], "epsilon")


def _dims(variable):
  return {d.name: d.size for d in variable.shape.dims}


def _first(variables, suffix):
  for variable in variables:
    if variable.name.endswith(suffix):
      return _dims(variable)
  raise NoPeer("no variable named */%s" % suffix)


def _blocks(variables, stack):
  pattern = re.compile(r"^%s/block_(\d+)/" % stack)
  return len({m.group(1) for m in map(pattern.match,
                                      (v.name for v in variables)) if m})


def peer_config(gin_files, gin_params, vocab_size):
  """The PeerConfig of a configured kit model; NoPeer if it has none."""
  with gin_config.parsed(gin_files, gin_params), tf.Graph().as_default():
    norm, epsilon = _check_structure()
    activation = _setting(feed_forward.FeedForward, "mtf_mods.FeedForward",
                          "activation")
    if activation not in TORCH_ACTIVATIONS:
      raise NoPeer("activation %r" % activation)
    graph = model_graph.build_training_graph(
        vocab_size, 1, {"inputs": 8, "targets": 8})
    variables = graph.variables
    names = [v.name for v in variables]
    embedding = _first(variables, "shared/embedding")
    query = _first(variables, "MultiHeadSelfAttention/q/kernel")
    ffn = _first(variables, "FeedForward/wi/kernel")
    return PeerConfig(
        vocab_size=embedding[dimensions.VOCAB],
        d_model=embedding[dimensions.D_MODEL], d_ff=ffn[dimensions.D_FF],
        d_kv=query[dimensions.D_KV], num_heads=query[dimensions.HEADS],
        encoder_layers=_blocks(variables, "encoder"),
        decoder_layers=_blocks(variables, "decoder"),
        num_buckets=_setting(attention.MultiHeadSelfAttention,
                             "mtf_mods.MultiHeadSelfAttention", "num_buckets"),
        max_distance=_setting(attention.MultiHeadSelfAttention,
                              "mtf_mods.MultiHeadSelfAttention",
                              "max_distance"),
        activation=activation,
        gated=any(n.endswith("FeedForward/wi_linear/kernel") for n in names),
        ffn_bias=any(n.endswith("FeedForward/wi/bias") for n in names),
        norm=norm, norm_epsilon=epsilon,
        kit_parameters=model_graph.count_parameters(graph))
