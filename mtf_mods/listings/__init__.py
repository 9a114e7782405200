"""The registry shown to a reader: its variants as tables.

catalogue.py writes docs/variant-catalogue.md from the registry (`python
-m mtf_mods.listings.catalogue`); listing.py is `mtf-mods variants`, the
variants' measured sizes beside Table 1's. It may import variants/,
config/ and model/ (to count sizes); nothing but commands/ imports it.
"""
