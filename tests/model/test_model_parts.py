"""The parts of a configured model: its layers, sublayers and classes."""
import types

from mesh_tensorflow.transformer import transformer
from mesh_tensorflow.transformer import transformer_layers

from mtf_mods.model import model_parts
from mtf_mods.config import scales

TINY = scales.get("tiny")


def test_the_kits_baseline_is_made_of_its_layers_in_mtfs_framework():
  parts = model_parts.of_config(["models/baseline.gin", TINY.gin_file],
                                TINY.vocab_size)
  assert {layer.__name__ for layer in parts.layers} == {
      "MultiHeadSelfAttention", "MultiHeadEncDecAttention", "FeedForward"}
  assert {layer.__module__.split(".")[0] for layer in parts.layers} == {
      "mtf_mods"}
  assert {transformer.Bitransformer, transformer.Unitransformer,
          transformer.LayerStack, transformer.sublayer_call_layer,
          transformer.sublayer_dropout,
          transformer.sublayer_residual} <= parts.others
  # the kit's: its layer norm, and mtf's VocabEmbedding with a gather lookup
  assert {part.__name__ for part in parts.others
          if part.__module__.startswith("mtf_mods.")} == {
              "sublayer_layer_norm", "VocabEmbedding"}


def test_a_nested_stack_gives_its_layers_and_sublayers():
  inner = transformer.LayerStack(
      [transformer_layers.DenseReluDense()],
      sublayers_per_layer=[transformer.sublayer_rezero])
  outer = transformer.LayerStack([transformer_layers.SelfAttention(), inner])
  model = types.SimpleNamespace(
      encoder=types.SimpleNamespace(layer_stack=outer),
      decoder=types.SimpleNamespace(layer_stack=outer))
  parts = model_parts.of_model(model)
  assert parts.layers == {transformer_layers.SelfAttention,
                          transformer_layers.DenseReluDense}
  assert transformer.sublayer_rezero in parts.others
  assert parts.modules() >= {"mesh_tensorflow.transformer.transformer",
                             "mesh_tensorflow.transformer.transformer_layers"}


def test_a_stacks_loss_function_and_embedding_are_parts():
  """The adaptive softmax brings its embedding class and its own loss."""
  kit = model_parts.of_config(["models/adaptive_softmax.gin", TINY.gin_file],
                              TINY.vocab_size)
  release = model_parts.of_config(
      ["reference/adaptive_softmax.gin", TINY.gin_file], TINY.vocab_size)
  assert {part.__name__ for part in kit.others
          if part.__module__ == "mtf_mods.layers.vocabulary.adaptive_softmax"
          } == {"AdaptiveSoftmax", "adaptive_softmax_loss"}
  assert {part.__name__ for part in release.others
          if part.__module__ == "mesh_tensorflow.transformer.adaptive_softmax"
          } == {"AdaptiveSoftmaxVocabEmbedding", "adaptive_softmax_loss_fn"}
