"""Softmax heads (Narang et al. 2021, Sec. 2.6): adaptive softmax, with and
without projection, and the mixture of softmaxes. Their layers enter at the
softmax head (mtf_mods.layers.vocabulary)."""
from mtf_mods.variants.embeddings import CLUSTER_LAYOUT
from mtf_mods.variants.embeddings import CLUSTER_TABLES
from mtf_mods.variants.variant import at_cpu
from mtf_mods.variants.variant import at_tiny
from mtf_mods.variants.variant import TINY_VOCABULARY
from mtf_mods.variants.variant import Variant

FAMILY = "softmax"

SOFTMAX_SHARE = (
    "The mixture multiplies the cost of the softmax, which over the cpu "
    "scale's 2,100 pieces is a smaller share of a training step's FLOPs "
    "than over the paper's 32,100: its FLOPs ratio is smaller, as follows "
    "from the mini vocabulary, not from the row.")

CLUSTERS = ("Clusters of 2,500 / 6,000 / 23,500 / 128 ids at paper scale, "
            "the last the sentinels and padding; at other scales the same "
            "fractions of the vocabulary's pieces, sentinels and padding "
            "last (mtf_mods.adaptive_clusters). Tied to the input "
            "embedding; no label smoothing (the release turns it off). "
            "Its loss is the exact cross-entropy of the distribution the "
            "head defines (Grave et al. 2017). The release's loss "
            "(mtf 0.1.21) computes a tail cluster with length projection "
            "factor f < 1 only for its first ceil(f x length) targets of "
            "each sequence, drops the rest and weighs the kept ones about "
            "1/f times more; mtf_mods.adaptive_softmax_loss."
            "length_projection = \"release\" selects it. "
            + CLUSTER_LAYOUT + " ")

VARIANTS = (
    Variant("adaptive_softmax", "Adaptive softmax", FAMILY,
            CLUSTERS + "Embeddings of 768 / 256 / 64 / 768 dimensions at "
            "paper scale (the same fractions of d_model elsewhere) and the "
            "release's length projection factor 0.25 on the tail clusters "
            "(release: adaptive_softmax.gin).",
            replicated=CLUSTER_TABLES,
            scale_departures=(at_tiny(0.61, 0.49, TINY_VOCABULARY),)),
    Variant("adaptive_softmax_no_projection",
            "Adaptive softmax without projection", FAMILY,
            CLUSTERS + "Every cluster d_model wide "
            "(release: adaptive_softmax_no_projection.gin).",
            flops_note=(
                "The kit's loss is the exact cross-entropy, so it computes "
                "every tail cluster's softmax at every position: FLOPs "
                "ratio 1.000. The release computes them at the first "
                "quarter of the positions (length projection 0.25; its "
                "config on mtf's layers: 0.978), which Table 1's Ops "
                "(10.8T, 0.973) reflect. "
                "mtf_mods.adaptive_softmax_loss.length_projection = "
                "\"release\" selects the release's loss."),
            replicated=CLUSTER_TABLES),
    Variant("mixture_of_softmaxes", "Mixture of softmaxes", FAMILY,
            "15 softmaxes (App. B; release: mixture_of_softmax.gin). The "
            "release's N(0, 1) initializers (the paper is silent) start "
            "its logits with a spread of about 0.6 sqrt(d_model), where "
            "the baseline's is about 1: its first held-out losses are far "
            "above ln(vocabulary), and a short run (the cpu scale's early "
            "step) is still recovering from them.",
            scale_departures=(at_tiny(1.12, 2.71, TINY_VOCABULARY),
                              at_cpu(1.08, 1.3, SOFTMAX_SHARE))),
)
