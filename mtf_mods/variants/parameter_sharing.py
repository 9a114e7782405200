"""Parameter sharing (Narang et al. 2021, Sec. 2.5): block sharing across the
layers of a stack, with and without factorized embeddings. The kit's
sharing is a layer stack (mtf_mods.layers.stacks); the release's is mtf's
make_layer_stack(block_scope=False) with named layers."""
from mtf_mods.variants.variant import at_cpu
from mtf_mods.variants.variant import at_tiny
from mtf_mods.variants.variant import TINY_SHARING
from mtf_mods.variants.variant import Variant

FAMILY = "parameter sharing"

CPU_SHARING = (
    "Sharing leaves one of the cpu scale's 6 blocks per stack (the paper: "
    "one of 12), and factorizing saves less of the cpu scale's 2,100-piece "
    "embedding (6% of its baseline; the paper's 32,100 pieces: 11%): what "
    "remains is a larger share of the baseline. Each follows from the "
    "scale (its layers, the mini vocabulary), not from the row.")

SHARING = ("Each sub-block (attention, feed-forward, and its layer norm) "
           "has one set of weights shared by every layer of the stack "
           "(ALBERT); the decoder softmax is untied from the input "
           "embedding unless the row shares them, as in the paper and the "
           "release's block_sharing*.gin files. The release's "
           "files also bind dropout_rate = 0.0, the kit's pre-training "
           "dropout; the kit's stages set dropout for the others. ")
FACTORIZED = ("Factorized input embedding, inner dimension 128 (1/6 of "
              "d_model). ")

VARIANTS = (
    Variant("block_sharing", "Block sharing", FAMILY,
            SHARING + "Both stacks shared (release: block_sharing.gin).",
            params_note=(
                "Table 1 prints 65M; this configuration has 65,882,880 "
                "parameters (66M), and so has the study's released "
                "block_sharing.gin built from mtf 0.1.21's own layers. The "
                "encoder-only and decoder-only rows (170M, 144M) agree "
                "with it: their sum less the untied baseline is this "
                "count."),
            scale_departures=(at_tiny(1.31, 1.0, TINY_SHARING),)),
    Variant("block_sharing_factorized", "+ Factorized embeddings", FAMILY,
            SHARING + FACTORIZED + "Both stacks shared; the softmax is "
            "untied and unfactorized "
            "(release: block_sharing_factorized_embed.gin).",
            scale_departures=(at_tiny(0.86, 0.51, TINY_SHARING),
                              at_cpu(0.23, 0.91, CPU_SHARING))),
    Variant("block_sharing_factorized_shared",
            "+ Factorized & shared embeddings", FAMILY,
            SHARING + FACTORIZED + "Both stacks shared; the factorized "
            "embedding is also the softmax "
            "(release: block_sharing_factorized_embed_shared.gin).",
            params_note=(
                "Table 1 prints 20M; this configuration has 20,744,960 "
                "parameters (21M), and so has the study's released "
                "block_sharing_factorized_embed_shared.gin built from mtf "
                "0.1.21's own layers."),
            scale_departures=(at_tiny(0.32, 0.41, TINY_SHARING),
                              at_cpu(0.17, 0.9, CPU_SHARING))),
    Variant("block_sharing_encoder", "Encoder only block sharing", FAMILY,
            SHARING + "Only the encoder shared "
            "(release: block_sharing_enc.gin).",
            scale_departures=(at_tiny(1.44, 1.0, TINY_SHARING),)),
    Variant("block_sharing_decoder", "Decoder only block sharing", FAMILY,
            SHARING + "Only the decoder shared "
            "(release: block_sharing_dec.gin).",
            scale_departures=(at_tiny(1.41, 1.0, TINY_SHARING),)),
)
