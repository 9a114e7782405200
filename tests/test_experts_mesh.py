"""The mixtures of experts shard over an `experts` mesh dimension
(mtf_mods/checks/experts.py, which `mtf-mods check` runs)."""
import pytest

from mtf_mods import variants
from mtf_mods.checks import experts
from mtf_mods.checks import model_config

WITH_EXPERTS = [v.name for v in variants.VARIANTS
                if model_config.has_experts(v)]


@pytest.mark.parametrize("name", WITH_EXPERTS)
def test_same_losses_and_gradients_with_the_experts_split(name):
  result = experts.same_with_experts_split(variants.get(name))
  assert result.passed, result.line()


def test_table1s_mixtures_of_experts_are_found():
  """has_experts finds the models made of a mixture of experts by their
  layers, whatever file includes them: Table 1's two rows among them."""
  rows = {variants.get(name).table1_row for name in WITH_EXPERTS}
  assert {"Mixture of experts", "Switch Transformer"} <= rows
