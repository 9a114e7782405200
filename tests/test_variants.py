"""The registry: complete, consistent with Table 1 and with the gin files."""
import os

import pytest

from mtf_mods import paper
from mtf_mods import paths
from mtf_mods import variants


def test_baseline_is_the_first_entry():
  assert variants.VARIANTS[0].name == variants.BASELINE == "baseline"
  assert variants.VARIANTS[0].table1_row == "Vanilla Transformer"


def test_names_and_rows_are_unique():
  assert len(set(variants.names())) == len(variants.VARIANTS)
  rows = [v.table1_row for v in variants.VARIANTS]
  assert len(set(rows)) == len(rows)


@pytest.mark.parametrize("variant", variants.VARIANTS, ids=variants.names())
def test_entry_points_at_a_table1_row_and_a_gin_file(variant):
  assert variant.table1_row in paper.table1()
  assert os.path.exists(os.path.join(paths.gin_dir(), variant.gin_file))
  assert variant.family


def test_unknown_variant_lists_the_valid_names():
  with pytest.raises(ValueError, match="valid: baseline"):
    variants.get("no-such-variant")


def test_paper_table_has_all_52_rows():
  assert len(paper.table1()) == 52
  assert paper.table1()["Switch Transformer"]["Params"] == 1100e6
