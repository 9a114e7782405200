"""Model sizes: the paper-scale baseline and the shape of smaller scales."""
import pytest

from mtf_mods import gin_config
from mtf_mods import model_graph
from mtf_mods import paper
from mtf_mods import scales
from mtf_mods import variants
from mtf_mods.tasks import span_corruption
import mtf_mods.layers  # noqa: F401  (registers the layers with gin)

BASELINE = variants.get(variants.BASELINE)


def size_at(scale_name, variant=BASELINE):
  scale = scales.get(scale_name)
  return model_graph.measure([variant.gin_file, scale.gin_file], [],
                             scale.vocab_size)


def test_paper_scale_baseline_has_table1_parameter_count():
  size = size_at("paper")
  expected = paper.table1()[BASELINE.table1_row]["Params"]
  assert expected == 223e6
  # Table 1 rounds to millions.
  assert round(size.parameters / 1e6) == 223
  # 32,128 (padded vocabulary) x 768 embedding, 12 encoder and 12 decoder
  # layers with biases in the FFN, gains and biases in the layer norms.
  assert size.parameters == 223_043_328


def test_paper_scale_flops_are_six_times_the_papers_forward_ops():
  """Our count is training FLOPs (2 per multiply-add, forward + backward);
  the paper's Ops match forward multiply-adds, one sixth of it."""
  size = size_at("paper")
  ops = paper.table1()[BASELINE.table1_row]["Ops"]
  assert size.flops_per_step / ops == pytest.approx(6.0, rel=0.01)


@pytest.mark.parametrize("scale_name", scales.names())
def test_scales_keep_the_papers_shape_ratios(scale_name):
  with gin_config.parsed([scales.get(scale_name).gin_file]):
    d_model = gin_config.query("d_model")
    assert gin_config.query("d_ff") == 4 * d_model
    assert gin_config.query("num_heads") * gin_config.query("d_kv") == d_model
    lengths = model_graph.sequence_lengths()
    # span corruption (15%, mean span 3) fits without padding, as span.gin
    assert lengths["targets"] == span_corruption.span_corruption_targets_length(
        lengths["inputs"])


def test_smaller_scales_are_smaller():
  params = [size_at(name).parameters for name in ("tiny", "cpu", "paper")]
  assert params == sorted(params) and params[0] < 1e6


def test_signature_names_every_variable_with_its_shape():
  size = size_at("tiny")
  assert sum(
      _product(shape) for shape in size.signature.values()) == size.parameters
  assert any("MultiHeadEncDecAttention" in name for name in size.signature)


def _product(shape):
  result = 1
  for n in shape:
    result *= n
  return result
