"""mtf_mods.scaled: the same relative size change at every scale."""
import gin
import pytest

from mtf_mods.config import sizing


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


@pytest.mark.parametrize("num_layers,d_model,expected", [
    (12, 768, 512),   # the paper's product key memory: exact
    (6, 192, 181),    # cpu: sqrt(32,768) = 181.02
    (2, 32, 43),      # tiny: sqrt(1,820.4) = 42.67
])
def test_a_square_root_keeps_a_square_tables_share(num_layers, d_model,
                                                    expected):
  n = sizing.scaled_square_root([num_layers, d_model], "256/9")
  assert n == expected
  # n^2 d_model over num_layers d_model^2: the same at every scale, to
  # the rounding of n
  share = n * n / (num_layers * d_model)
  assert share == pytest.approx(512 * 512 / (12 * 768), rel=0.02)


@pytest.mark.parametrize("num_blocks,expected", [
    (12, 32),  # 3 of 12 blocks: the paper's 32 experts
    (6, 24),   # 2 of 6 blocks hold 1.5 blocks' worth
    (2, 16),   # 1 of 2 blocks holds half a block's worth
    (8, 32),   # 2 of 8: whole again
])
def test_a_size_per_placed_block_keeps_its_total_over_the_stack(
    num_blocks, expected):
  assert sizing.per_placed_block(32, num_blocks, 4, multiple_of=2) == expected


def test_a_square_root_is_never_below_its_floor():
  """One tiny layer would give sqrt(256/9 x 32) = 30 sub-keys, fewer than
  the memory's knn of 32."""
  assert sizing.scaled_square_root([1, 32], "256/9") == 30
  assert sizing.scaled_square_root([1, 32], "256/9", at_least=32) == 32
