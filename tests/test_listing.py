"""The README's list of the rows that depart at the small scales is the
registry's (mtf_mods.listing.departures_markdown)."""
import os
import re

from mtf_mods import listing
from mtf_mods import variants
from mtf_test_utils import REPO

BLOCK = re.compile(r"<!-- scale departures: begin -->\n(.*?)\n"
                   r"<!-- scale departures: end -->", re.S)


def test_the_readme_lists_the_registrys_departures():
  with open(os.path.join(REPO, "README.md")) as f:
    [block] = BLOCK.findall(f.read())
  assert block == listing.departures_markdown()


def test_every_departure_is_listed_with_its_ratios():
  text = listing.departures_markdown()
  for variant in variants.VARIANTS:
    for departure in variant.scale_departures:
      assert "`%s` at %s (%.2f, %.2f)" % (
          variant.name, departure.scale, departure.params_ratio,
          departure.flops_ratio) in text
