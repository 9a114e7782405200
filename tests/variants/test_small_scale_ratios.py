"""The small scales' rule (mtf_mods/variants/variant.py): at the tiny and
cpu scales, every row's parameters and FLOPs over the baseline's are within
a factor 1.1 of the row's ratios at the paper scale (which
tests/model/test_model_graph.py holds to Table 1's Params and Ops ratios), or its
registry entry has a ScaleDeparture for that scale that says why and gives
the ratios measured here, to 2 decimals. Not near and not stated fails;
stated and near (a stale departure) fails too."""
import pytest

from model_sizes import size_at
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.variants import variant as variant_module

SMALL_SCALES = [s.name for s in scales.SCALES if s.name != "paper"]


def ratios(scale_name, variant):
  """(parameters, FLOPs) of the variant over the baseline's at the scale."""
  size, baseline = size_at(scale_name, variant), size_at(scale_name)
  return (size.parameters / baseline.parameters,
          size.flops_per_step / baseline.flops_per_step)


def test_the_small_scales_are_the_tiny_and_cpu_scales():
  assert SMALL_SCALES == ["tiny", "cpu"]


@pytest.mark.parametrize("name", variants.names())
def test_small_scale_ratios_are_the_paper_scales_or_the_registry_says_why(
    name):
  variant = variants.get(name)
  assert {d.scale for d in variant.scale_departures} <= set(SMALL_SCALES)
  paper_params, paper_flops = ratios("paper", variant)
  for scale_name in SMALL_SCALES:
    params, flops = ratios(scale_name, variant)
    is_near = (variant_module.near(params, paper_params)
               and variant_module.near(flops, paper_flops))
    departure = variant.departure(scale_name)
    measured = (scale_name, round(params, 2), round(flops, 2))
    if is_near:
      assert departure is None, ("stale departure", measured,
                                 (paper_params, paper_flops))
      continue
    assert departure is not None, ("not near the paper scale's ratios and "
                                   "no departure", measured,
                                   (paper_params, paper_flops))
    assert (departure.scale, departure.params_ratio,
            departure.flops_ratio) == measured
    assert departure.why


def test_near_is_a_factor_of_1_1_either_way():
  assert variant_module.near(1.1, 1.0) and variant_module.near(1.0, 1.1)
  assert not variant_module.near(1.11, 1.0)
  assert not variant_module.near(1.0, 1.11)
