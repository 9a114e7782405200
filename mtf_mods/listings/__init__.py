"""The registry and the kit's own results shown to a reader.

catalogue.py writes docs/variant-catalogue.md from the registry (`python
-m mtf_mods.listings.catalogue`); listing.py is `mtf-mods variants`, the
variants' measured sizes beside Table 1's; readme_summary.py quotes the
kit's own Table 1 report in the README (`python -m
mtf_mods.listings.readme_summary`). It may import variants/, config/,
model/ (to count sizes) and study/ (a report's sections); nothing but
commands/ imports it.
"""
