"""Depth (Narang et al. 2021, Sec. 2.3): layers, d_ff and heads changed
together, keeping the parameter count; the same ratios at every scale
(gin/models/parts/depth.gin)."""
from mtf_mods.variants.variant import at_tiny
from mtf_mods.variants.variant import Variant

FAMILY = "depth"

SMALL_DEPTH = (
    "8 of 12 layers is 1.33 of the tiny scale's 2, rounded to 1 per stack "
    "with d_ff and heads x 3/2: the count keeps its ratio only where "
    "layers x 2/3 is whole (4 of the cpu scale's 6); the tiny scale serves "
    "the tests, not the study.")

VARIANTS = (
    Variant("depth_24", "24 layers, d_ff = 1536, H = 6", FAMILY,
            "layers x 2, d_ff x 1/2, heads x 1/2.",
            params_note=(
                "Table 1 prints 224M; this configuration has 223,153,536 "
                "parameters (223M), and so has the study's released "
                "depth_24l.gin built from mtf 0.1.21's own layers.")),
    Variant("depth_18", "18 layers, d_ff = 2048, H = 8", FAMILY,
            "layers x 3/2, d_ff x 2/3, heads x 2/3."),
    Variant("depth_8", "8 layers, d_ff = 4608, H = 18", FAMILY,
            "layers x 2/3, d_ff x 3/2, heads x 3/2.",
            scale_departures=(at_tiny(0.89, 0.93, SMALL_DEPTH),)),
    Variant("depth_6", "6 layers, d_ff = 6144, H = 24", FAMILY,
            "layers x 1/2, d_ff x 2, heads x 2."),
)
