"""What a gin-configured model is made of: the classes and functions in it.

A Mesh TensorFlow Bitransformer is assembled from parts that gin chooses: the
model and stack classes, the TransformerLayers of each stack, the sublayer
functions a LayerStack runs around every layer and at its ends, the
vocabulary embedding class and a stack's own loss function, if any. Each
part names the Python module that defines it, which tells the kit's two
implementations apart: the kit's models
(gin/models/) are made of mtf_mods TransformerLayers, the authors' released
configs (gin/reference/) of mesh_tensorflow's alone.
"""
import dataclasses

from mesh_tensorflow.transformer import transformer

from mtf_mods.config import gin_config
from mtf_mods.model import model_graph


@dataclasses.dataclass(frozen=True)
class ModelParts:
  """The parts of a configured model.

  Attributes:
    layers: the class of every TransformerLayer in the encoder and decoder
      stacks (the layers of a nested stack included, not the nested stack).
    others: the model, stack and vocabulary embedding classes, the
      sublayer functions and the stacks' loss functions.
  """
  layers: frozenset
  others: frozenset

  def modules(self):
    """The modules defining the parts (e.g. "mtf_mods.layers.attention")."""
    return {part.__module__ for part in self.layers | self.others}


def of_model(model):
  """The parts of a built `transformer.Bitransformer`."""
  layers, others = set(), {type(model)}
  for unitransformer in (model.encoder, model.decoder):
    others.add(type(unitransformer))
    loss_fn = getattr(unitransformer, "_loss_fn", None)
    if loss_fn:
      others.add(loss_fn)
    _collect_stack(unitransformer.layer_stack, layers, others)
  # Looked up when the model is called; the parsed config decides it.
  others.add(transformer.get_vocab_embedding_cls())
  return ModelParts(frozenset(layers), frozenset(others))


def _collect_stack(stack, layers, others):
  others.add(type(stack))
  # A LayerStack's sublayers (mtf's UTLayerStack has none: it applies its
  # own layer norms).
  for sublayers in ("_sublayers_initial", "_sublayers_per_layer",
                    "_sublayers_final"):
    others.update(getattr(stack, sublayers, None) or ())
  for layer in stack.layers:
    if isinstance(layer, transformer.LayerStack):
      _collect_stack(layer, layers, others)
    else:
      layers.add(type(layer))


def of_config(gin_files, vocab_size, gin_params=()):
  """The parts of the Bitransformer that `gin_files` configure.

  Only builds the model's Python objects (milliseconds), not its graph.
  """
  with gin_config.parsed(gin_files, gin_params):
    return of_model(model_graph.make_model(vocab_size))
