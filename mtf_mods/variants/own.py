"""Modifications the paper did not run: yours.

An entry here needs no Table 1 row (`table1_row=None`): `mtf-mods variants`,
the study, the report (the kit's row and its difference from the baseline)
and the registry-driven tests handle it like any other. For example:

    VARIANTS = (
        Variant("max_norm", None, FAMILY, "x / max|x| before each block.",
                no_reference="not in the study's release"),
    )

`no_reference` says why there is no `gin/reference/<name>.gin` (the same
model on mtf's own layers); docs/adding-a-variant.md has the whole recipe.
"""
from mtf_mods.variants.variant import Variant  # noqa: F401  (for entries)

FAMILY = "own"

VARIANTS = ()
