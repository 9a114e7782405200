"""Embeddings (Narang et al. 2021, Sec. 2.4): factorized, tied and untied, and
adaptive input embeddings. Factorized and adaptive embeddings are layers
at the vocabulary embedding (mtf_mods.layers.vocabulary); tying and untying
are mtf's own switches (Bitransformer.shared_embedding,
Unitransformer.shared_embedding_and_softmax_weights), the same in the kit
and the release.
"""
from mtf_mods.variants.variant import at_tiny
from mtf_mods.variants.variant import TINY_VOCABULARY
from mtf_mods.variants.variant import Variant

FAMILY = "embedding"

FACTORIZED = ("Inner dimension 128 at paper scale, 1/6 of d_model at every "
              "scale (32 at cpu). ")
CLUSTER_LAYOUT = ("On a mesh the cluster tables are not split over the "
                  "model axis (clusters of odd size; mtf cannot join "
                  "clusters along a split dimension), the logits over the "
                  "whole vocabulary are; mtf's own class cannot be laid "
                  "out on such a mesh at all.")
# Variant.replicated of the adaptive rows: the cluster tables.
CLUSTER_TABLES = ((r"embedding/cluster_\d+/token$", CLUSTER_LAYOUT),)
RELEASE_DROPOUT = ("The release's file also binds dropout_rate = 0.0, which "
                   "is the kit's pre-training dropout; the kit's stages set "
                   "dropout for the others. ")

VARIANTS = (
    Variant("factorized_embedding", "Factorized Embedding", FAMILY,
            FACTORIZED + "The encoder and decoder share the factorized "
            "input embedding; the decoder softmax is untied and "
            "unfactorized (a d_model x vocab projection), as in the "
            "release's factorized_embed.gin. " + RELEASE_DROPOUT,
            scale_departures=(at_tiny(1.09, 0.51, TINY_VOCABULARY),)),
    Variant("factorized_shared_embedding", "Factorized & shared embeddings",
            FAMILY,
            FACTORIZED + "The factorized embedding is also the decoder's "
            "softmax (release: factorized_embed_shared.gin). "
            + RELEASE_DROPOUT,
            params_note=(
                "Table 1 prints 202M; this configuration has 202,579,712 "
                "parameters (203M), and so has the study's released "
                "factorized_embed_shared.gin built from mtf 0.1.21's own "
                "layers: the paper seems to have truncated, not rounded."),
            scale_departures=(at_tiny(0.54, 0.41, TINY_VOCABULARY),)),
    Variant("tied_encoder_decoder_input",
            "Tied encoder/decoder input embeddings", FAMILY,
            "The decoder softmax untied from the shared input embedding "
            "(release: untied_decoder_softmax.gin).",
            scale_departures=(at_tiny(1.54, 1.0, TINY_VOCABULARY),)),
    Variant("tied_decoder_input_output",
            "Tied decoder input and output embeddings", FAMILY,
            "The encoder's input embedding untied from the decoder's tied "
            "input and softmax (release: untied_encoder_decoder.gin).",
            scale_departures=(at_tiny(1.54, 1.0, TINY_VOCABULARY),)),
    Variant("untied_embeddings", "Untied embeddings", FAMILY,
            "Encoder input, decoder input and softmax each their own "
            "(release: untied_embeddings.gin).",
            params_note=(
                "Table 1 prints 273M; this configuration has 272,391,936 "
                "parameters (272M), and so has the study's released "
                "untied_embeddings.gin built from mtf 0.1.21's own layers."),
            scale_departures=(at_tiny(2.08, 1.0, TINY_VOCABULARY),)),
    Variant("adaptive_input", "Adaptive input embeddings", FAMILY,
            "Clusters of 2,500 / 6,000 / 23,628 ids with embeddings of "
            "768 / 256 / 64 at paper scale; at other scales the same "
            "fractions of the vocabulary's pieces (the last cluster holds "
            "the sentinels and padding) and of d_model "
            "(mtf_mods.adaptive_clusters). The decoder softmax is the same "
            "weights (tied), as in the release's "
            "adaptive_input_embeddings.gin. " + CLUSTER_LAYOUT,
            replicated=CLUSTER_TABLES,
            scale_departures=(at_tiny(0.57, 0.44, TINY_VOCABULARY),)),
)
