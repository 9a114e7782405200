"""Each check that `mtf-mods check` and the suite run fails on the bug it
exists to catch: variants broken on purpose, registered as a user's plugin
(mtf_mods.launch.plugins) in this process."""
import dataclasses
import sys

import pytest

from mtf_mods.config import paths
from mtf_mods.launch import plugins
from mtf_mods import variants
from mtf_mods.checks import decoding
from mtf_mods.checks import mesh
import mtf_mods.layers  # noqa: F401
from plugin_files import write_plugin

PACKAGE = "broken_plugin"
SOURCE = '''
    """Two layers with a bug each, and the variants made of them."""
    import gin
    import mesh_tensorflow as mtf
    from mesh_tensorflow.transformer import transformer

    from mtf_mods import variants


    @gin.configurable(module="broken_plugin")
    class LooksAhead(transformer.TransformerLayer):
      """y_t = x_{t+1}: each position reads the next one."""

      def call(self, context, x, losses=None):
        if context.mode == "incremental":  # no next position yet
          return mtf.zeros_like(x)
        return mtf.shift(x, offset=-1, dim=context.length_dim, wrap=False)


    @gin.configurable(module="broken_plugin")
    class UnsplitFeedForward(transformer.TransformerLayer):
      """relu(x W1) W2, its hidden dimension named outside the layout
      rules: whole on every device of a mesh."""

      def __init__(self, hidden_size=128):
        self.hidden_size = hidden_size

      def call(self, context, x, losses=None):
        hidden = mtf.Dimension("my_hidden", self.hidden_size)
        h = mtf.layers.dense(x, hidden, activation=mtf.relu, use_bias=False,
                             variable_dtype=context.variable_dtype,
                             name="wi")
        return mtf.layers.dense(h, context.model.model_dim, use_bias=False,
                                variable_dtype=context.variable_dtype,
                                name="wo")


    for name in ("looks_ahead", "unsplit_feed_forward"):
      variants.register(variants.Variant(
          name, None, "broken", "A bug on purpose.",
          no_reference="a test's broken variant"))
'''
GIN = {
    "looks_ahead": """
        include 'models/baseline.gin'
        decoder/transformer.make_layer_stack.layers = [
            @mtf_mods.MultiHeadSelfAttention, @broken_plugin.LooksAhead,
            @mtf_mods.MultiHeadEncDecAttention, @mtf_mods.FeedForward]
        """,
    "unsplit_feed_forward": """
        include 'models/baseline.gin'
        encoder/transformer.make_layer_stack.layers = [
            @mtf_mods.MultiHeadSelfAttention, @broken_plugin.UnsplitFeedForward]
        decoder/transformer.make_layer_stack.layers = [
            @mtf_mods.MultiHeadSelfAttention, @mtf_mods.MultiHeadEncDecAttention,
            @broken_plugin.UnsplitFeedForward]
        """,
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
  """The broken variants, registered for this module's tests only."""
  with pytest.MonkeyPatch.context() as patch:
    patch.setattr(variants, "VARIANTS", variants.VARIANTS)
    patch.setattr(paths, "_PLUGIN_GIN_DIRS", [])
    python_dir, gin_dir = write_plugin(tmp_path_factory.mktemp("plugin"),
                                       PACKAGE, SOURCE, GIN)
    patch.syspath_prepend(python_dir)
    plugins.load([PACKAGE], [gin_dir])
    yield
    sys.modules.pop(PACKAGE, None)


@pytest.fixture(scope="module")
def looks_ahead(broken):
  return decoding.decode(variants.get("looks_ahead"))


@pytest.fixture(scope="module")
def unsplit(broken):
  return mesh.run(variants.get("unsplit_feed_forward"))


def test_a_decoder_that_looks_ahead_is_not_causal(looks_ahead):
  result = decoding.causal(looks_ahead)
  assert not result.passed and "change by" in result.reason, result.line()


def test_a_layer_whose_weights_the_layout_does_not_split_fails(unsplit):
  runs = unsplit
  assert mesh.same_losses(runs).passed  # what the loss alone shows
  result = mesh.splits_the_model(runs)
  assert not result.passed, result.line()
  assert "UnsplitFeedForward/wi/kernel[32, 128]" in result.reason


def test_a_wrong_gradient_of_a_small_variable_fails(unsplit):
  """A layer norm gain's gradient 10% off on the mesh: the gradients show
  it, whatever it does to the loss after the update."""
  runs = unsplit
  gain = "decoder/block_000/layer_000/layer_norm/gain"
  wrong = dict(runs.sharded.gradients)
  wrong[gain] = wrong[gain] * 1.1
  result = mesh.same_gradients(dataclasses.replace(
      runs, sharded=dataclasses.replace(runs.sharded, gradients=wrong)))
  assert not result.passed and gain in result.reason, result.line()


def test_a_beam_width_the_decoder_ignores_fails(looks_ahead):
  decoded = looks_ahead
  assert decoding.beam_at_least_greedy(decoded).passed
  ignored = dataclasses.replace(decoded, beam_widths=set())
  assert not decoding.beam_at_least_greedy(ignored).passed
  worse = dataclasses.replace(decoded, beam=decoded.greedy,
                              beam_logits=-decoded.greedy_logits)
  result = decoding.beam_at_least_greedy(worse)
  assert not result.passed and "below greedy" in result.reason
