"""mtf_mods.scaled: the same relative size change at every scale."""
import gin
import pytest

from mtf_mods import sizing


@pytest.mark.parametrize("value,ratio,expected", [
    (3072, "2/3", 2048), (768, "2/3", 512),      # GLU d_ff: paper, cpu
    (12, "2", 24), (6, "2", 12),                 # depth_24 layers
    (12, "1/2", 6), (6, "1/2", 3),               # depth_24 heads
    (12, "3/2", 18), (6, "2/3", 4), (3072, "3/2", 4608),
])
def test_whole_results_are_exact_whatever_the_multiple(value, ratio,
                                                        expected):
  assert sizing.scaled(value, ratio, multiple_of=2) == expected


@pytest.mark.parametrize("value,ratio,multiple_of,expected", [
    (128, "2/3", 2, 86),   # 85.3 -> nearest even
    (4, "2/3", 2, 2),      # 2.67 heads -> 2
    (2, "2/3", 1, 1),      # 1.33 layers -> 1
    (3, "1/2", 1, 2),      # ties round up
    (1, "1/3", 1, 1),      # never 0
    (1, "1/3", 2, 2),
])
def test_other_results_round_to_the_nearest_positive_multiple(
    value, ratio, multiple_of, expected):
  assert sizing.scaled(value, ratio, multiple_of) == expected


def test_a_gin_file_scales_the_scale_macro():
  @gin.configurable("sizing_probe")
  def probe(hidden_size=None):
    return hidden_size

  with gin.unlock_config():
    gin.parse_config("""
        sizing_probe.hidden_size = @d_ff/mtf_mods.scaled()
        d_ff/mtf_mods.scaled.value = %d_ff
        d_ff/mtf_mods.scaled.ratio = "2/3"
        d_ff = 3072
    """)
  try:
    assert probe() == 2048
    with gin.unlock_config():
      gin.bind_parameter("%d_ff", 768)
    assert probe() == 512
  finally:
    with gin.unlock_config():
      gin.clear_config(clear_constants=True)
