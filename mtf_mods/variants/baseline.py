"""The paper's Vanilla Transformer (Narang et al. 2021, Sec. 3, App. D)."""
from mtf_mods.variants.variant import Variant

VARIANTS = (
    Variant(
        name="baseline",
        table1_row="Vanilla Transformer",
        family="baseline",
        notes=("Pre-LN with gain and bias, ReLU FFN with biases, relative "
               "position bias shared across the layers of each stack, all "
               "three embeddings tied.")),
)
