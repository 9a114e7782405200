"""The docs' variant catalogue is the registry's: the committed page equals
what mtf_mods.listings.catalogue generates, so a registry change without a
regenerated page fails here."""
import os

from mtf_mods.listings import catalogue
from mtf_mods import variants
from mtf_test_utils import REPO


def test_the_committed_catalogue_is_the_registrys():
  with open(os.path.join(REPO, catalogue.PAGE)) as f:
    committed = f.read()
  assert committed == catalogue.catalogue_markdown(), (
      "%s is stale; regenerate it: python -m mtf_mods.listings.catalogue > %s"
      % (catalogue.PAGE, catalogue.PAGE))


def test_every_registered_variant_has_a_row_and_a_section():
  text = catalogue.catalogue_markdown()
  for variant in variants.VARIANTS:
    assert "| [`%s`](#%s) |" % (variant.name, variant.name) in text
    assert "\n### %s\n" % variant.name in text


def test_a_registered_variant_appears_in_the_catalogue(monkeypatch):
  monkeypatch.setattr(variants, "VARIANTS", variants.VARIANTS)
  variants.register(variants.Variant(
      "catalogue_probe", None, "own", "a probe | with a pipe.",
      no_reference="a probe"))
  text = catalogue.catalogue_markdown()
  assert "| [`catalogue_probe`](#catalogue_probe) | (not in Table 1) | own |" in text
  assert "- **Notes.** a probe | with a pipe." in text


def test_every_departure_is_listed_with_its_ratios():
  text = catalogue.departures_markdown()
  for variant in variants.VARIANTS:
    for departure in variant.scale_departures:
      assert "`%s` at %s (%.2f, %.2f)" % (
          variant.name, departure.scale, departure.params_ratio,
          departure.flops_ratio) in text
