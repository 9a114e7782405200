"""Architectures (Narang et al. 2021, Sec. 2.7): transparent attention,
convolutions, Synthesizers, the Evolved, Universal, Funnel and Weighted
Transformers, mixture of experts, Switch and product key memory. Their
layers enter as TransformerLayers or at the stack (mtf_mods.layers).
"""
from mtf_mods.variants.variant import at_cpu
from mtf_mods.variants.variant import at_tiny
from mtf_mods.variants.variant import TINY_SEQUENCES
from mtf_mods.variants.variant import TINY_VOCABULARY
from mtf_mods.variants.variant import Variant

FAMILY = "architecture"

WEIGHTED_HEADS = (
    "Every head is a branch through its layer's feed-forward, so the FLOPs "
    "grow with the heads: 12 at the paper scale, 6 at cpu, 4 at tiny (each "
    "scale's heads x d_kv is its d_model); a row with the paper's 12 heads "
    "would change the scale's attention, not the row.")
UNIVERSAL_BLOCK = (
    "One block per stack at every scale: a sixth of the cpu baseline's 6 "
    "blocks (the paper: a twelfth of 12), so its parameters are a larger "
    "share; its FLOPs keep their ratio (2 x num_layers steps and "
    "num_layers / 6 applications before and after).")
TINY_FUNNEL = (
    "The tiny scale's 2-layer encoder is 2 blocks of one layer, pooled "
    "once (the paper's 3 blocks of 4, pooled twice), and its decoder and "
    "softmax are most of the tiny model's FLOPs; the tiny scale serves "
    "the tests, not the study.")
SYNTHESIZER_RANDOM_CPU = (
    "Its random tables hold max_sequence_length^2 weights per head (128^2 "
    "at cpu, 512^2 in the paper) in place of the query and key "
    "projections (d_model^2 each): they are a smaller share of the cpu "
    "model than of the paper's.")
# (mode: the small scales at which its ratios depart)
SYNTHESIZER_DEPARTURES = {
    "dense_plus": (at_tiny(1.06, 1.01, TINY_SEQUENCES),),
    "dense_plus_alpha": (at_tiny(1.06, 1.01, TINY_SEQUENCES),),
    "factorized": (at_tiny(1.19, 0.95, TINY_SEQUENCES),),
    "random": (at_tiny(1.95, 0.95, TINY_SEQUENCES),
               at_cpu(1.03, 0.9, SYNTHESIZER_RANDOM_CPU)),
    "random_plus": (at_tiny(2.02, 1.0, TINY_SEQUENCES),),
    "random_plus_alpha": (at_tiny(2.02, 1.0, TINY_SEQUENCES),),
}

SYNTHESIZER = ("In the encoder's and the decoder's self-attention, "
               "encoder-decoder attention unchanged, relative position bias "
               "shared per stack. Where the paper is silent the kit follows "
               "the release as it ran: 8 heads of 128 (heads x 2/3 and d_kv "
               "x 2 of the scale's) and no attention dropout, mtf's "
               "Synthesizer defaults, since the release's bindings of 12 x "
               "64 and dropout went to SelfAttention, which gin does not "
               "pass on to the Synthesizer subclass; Table 1's counts are "
               "those of 8 x 128. Tables of the scale's max_sequence_length "
               "positions (512 at paper scale, where the release hard-codes "
               "512 at every scale); a longer sequence is refused with a "
               "one-line error. ")
# (mode, Table 1's "Synthesizer (...)", the release's file and notes)
SYNTHESIZER_ROWS = (
    ("dense", "dense", "synthesizer_de.gin, mode dense_minus: the query "
     "projection, no dot product, k and v tied"),
    ("dense_plus", "dense plus", "synthesizer_dep.gin"),
    ("dense_plus_alpha", "dense plus alpha", "synthesizer_depa.gin"),
    ("factorized", "factorized", "synthesizer_fr.gin; mtf's factorized "
     "logits sum the elementwise product of R1 and R2 over the rank, the "
     "same for every query, and the kit computes the same"),
    ("random", "random", "synthesizer_r.gin"),
    ("random_plus", "random plus", "synthesizer_rp.gin"),
    ("random_plus_alpha", "random plus alpha", "synthesizer_rpa.gin"),
)
# The rows whose paper-scale count Table 1 truncates: (printed, ours).
SYNTHESIZER_PARAMS = {"dense": ("224M", "224,615,936 (225M)"),
                      "random": ("254M", "254,500,352 (255M)")}


# The weights of the variants' own that the 2x2 layout keeps whole
# (Variant.replicated): their dimensions are none of those the layout rules
# split (batch, heads, d_ff, vocab, experts: layers/dimensions.py).
SYNTHESIZER_REPLICATED = (
    (r"Synthesizer/pi/kernel$", "the dense projection to the memory_length "
     "positions: the layout splits heads, not positions"),)
WEIGHTED_REPLICATED = (
    (r"Branched(Self|EncDec)Attention/w[io]/(kernel|bias)$", "the "
     "branches' feed-forward width is branch_d_ff, which the layout rules "
     "do not split"),)
MEMORY_REPLICATED = (
    (r"ProductKeyMemory/values$", "the memory's value table "
     "(memory_values rows): the layout rules split no memory dimension"),
    (r"ProductKeyMemory/query_norm/(scale|bias)$", "the query's batch norm "
     "over d_product_key, which the layout rules do not split"),)
EVOLVED_REPLICATED = (
    (r"Evolved(En|De)coderConvolution/.*", "the convolution branches' "
     "widths are conv_channels, which the layout rules do not split"),)


def _synthesizer(mode, row, release):
  params_note = ""
  if mode in SYNTHESIZER_PARAMS:
    printed, ours = SYNTHESIZER_PARAMS[mode]
    params_note = ("Table 1 prints %s; this configuration has %s "
                   "parameters, and so has the study's released %s built "
                   "from mtf 0.1.21's own layers."
                   % (printed, ours, release.split(",")[0]))
  replicated = SYNTHESIZER_REPLICATED if mode.startswith("dense") else ()
  return Variant("synthesizer_" + mode, "Synthesizer (%s)" % row, FAMILY,
                 SYNTHESIZER + "Mode %s (release: %s)." % (mode, release),
                 params_note=params_note,
                 release_as_run=("max_sequence_length = 512",),
                 replicated=replicated,
                 scale_departures=SYNTHESIZER_DEPARTURES.get(mode, ()))


CONVOLUTION = ("In place of the encoder's and the decoder's self-attention: "
               "kernel width 9, relative positions -4..+4 in the encoder and "
               "-8..0 (causal) in the decoder, as the release. One kernel "
               "per channel, as the release ran and Table 1 counts (the "
               "paper does not say how many channels share one): the "
               "release bound num_unique_depth_filters = 2, which mtf "
               "0.1.21's LocalConvAttnBlock does not pass on to its "
               "convolution. The kit keeps, as for the Synthesizers, what "
               "the release ran; "
               "--gin_param='mtf_mods.LocalConvolution."
               "num_unique_depth_filters = 2' is what it bound (a kernel "
               "shared by every 2 channels). ")

LIGHTWEIGHT_PARAMS = (
    "Table 1 prints 224M; this configuration (one kernel per channel, as "
    "the release ran) has 223,300,608 parameters (223M), and so has the "
    "study's released lightweight_convolution.gin built from mtf 0.1.21's "
    "own layers.")
DYNAMIC_PARAMS = (
    "Table 1 prints 257M; this configuration (one kernel per channel, as "
    "the release ran: a kernel predictor of d_model x d_model x 9 per "
    "layer) has 256,269,312 parameters (256M), and so has the study's "
    "released dynamic_convolution.gin built from mtf 0.1.21's own layers.")

WEIGHTED_AS_RUN = (
    "transformer.Unitransformer.positional_embedding = True",
    "mtf_mods.BranchedSelfAttention.relative_attention = None",
    "mtf_mods.BranchedSelfAttention.constrain_branch_weights = False",
    "mtf_mods.BranchedEncDecAttention.constrain_branch_weights = False",
    "utils.run.optimizer = @optimize.AdafactorOptimizer",
)
WEIGHTED = (
    "Every attention layer's heads are branches: kappa-weighted, through "
    "the layer's own ReLU feed-forward (d_ff, shared by its branches), "
    "alpha-weighted and summed; no separate feed-forward layers, as the "
    "release. kappa and alpha are kept non-negative and summing to 1 "
    "(relu, normalized), initialized U(0, 1) as the release. In "
    "pre-training they take their own learning rate, mtf's "
    "slanted_triangular with its defaults (the release's; the paper states "
    "none), and are frozen over the last 20,000 of 524,288 steps (the "
    "paper; the same share of a smaller run); fine-tuning and training "
    "from scratch as every variant. Relative position bias as the "
    "baseline (the protocol). The release as it ran (release_as_run): "
    "learned absolute positions, as its include of vanilla_transformer.gin "
    "turned on; plain Adafactor, since its branch schedule never matched "
    "a variable (case-sensitive \"branched\") and its cut-off factor "
    "returned the step instead of 1 and froze the last 10,000 steps; "
    "kappa and alpha unconstrained, since mtf never applies the "
    "constraint it declares (release: weighted_transformer.gin).")

EXPERTS = (
    "32 experts (ReLU, no biases) in place of every fourth feed-forward "
    "of the encoder and of the decoder: blocks 3, 7 and 11 of 12, the "
    "release's; counted from each stack's last block at other scales "
    "(blocks 1 and 5 of the cpu scale's 6, where their number keeps the "
    "paper's total over the stack: 24; 16 in 1 of 2 at tiny). "
    "Load-balancing loss x 1e-2 and routing groups of up to 1,024 tokens "
    "(d_ff / 3 at every scale: 256 at cpu), minimum capacity 4, as mtf's "
    "MoE1D, which the release ran. Capacity factors in the encoder and the "
    "decoder alike (the paper); the release's \"deccoder/\" typo left "
    "its decoder at mtf's 1.25 in training and 2.0 in evaluation "
    "(release_as_run). The scale-0.1 variance-scaling initializer on the "
    "experts only, where the release's global binding also shrank every "
    "other dense feed-forward kernel. ")
EXPERTS_AS_RUN = (
    "decoder/mtf_mods.MixtureOfExperts.capacity_factor_train = 1.25",
    "decoder/mtf_mods.MixtureOfExperts.capacity_factor_eval = 2.0",
)
EXPERTS_FLOPS = (
    "The kit's decoder experts have the paper's capacity factor 2.0 in "
    "training, where the release's ran with mtf's 1.25: FLOPs ratio 1.068 "
    "against Table 1's 1.054; 1.057 as the release ran (release_as_run, "
    "and the released config on mtf's layers).")
SWITCH_PARAMS = (
    "Table 1 prints 1100M (1.1B); this configuration has 1,100,825,856 "
    "parameters (1101M), and so has the study's released "
    "switch_transformer.gin built from mtf 0.1.21's own layers.")

MEMORY = (
    "A product key memory in place of the feed-forward of the decoder's "
    "last block but one (block 11 of 12, as the release): knn 32, 512 "
    "sub-keys per half (262,144 slots of d_model), 128-dimensional "
    "sub-keys (key_size 256), 4 heads (Lample et al.'s), the query layer-"
    "normed as mtf's. The release's pkm.gin was never published: these "
    "are its reconstruction from the paper's \"knn = 32, 128 keys and 512 "
    "memory slots\", chosen because they give both Table 1's 421M "
    "parameters and, with mtf 0.1.21's one-hot reads (h x 94T multiply-"
    "adds), its 386.6T Ops; 128-wide full keys would need 6 to 8 heads "
    "for 421M and give 560T or more. The kit reads the knn selected rows "
    "by a gather and scatters their gradient (release: "
    "product_key_memory.gin with the reconstructed pkm.gin).")
MEMORY_FLOPS = (
    "Table 1's 386.6T is mtf 0.1.21's one-hot read of the 262,144 slots "
    "(Sec. 3.1: an inefficient implementation); the kit reads them by "
    "gathers and counts the algorithmic cost: FLOPs ratio about 1.0.")

UNIVERSAL = (
    "One block per stack applied recurrently: adaptive computation time "
    "(tensor2tensor's and mtf's \"basic\" ACT: halting threshold 0.5, at "
    "most 24 steps, the last step halting whatever remains; no ponder "
    "loss, as mtf), as the paper. Where it is silent, as the release: GRU "
    "gating of each sub-block (mtf's gate as it runs), a learned step "
    "embedding, 2 applications of the same block before and 2 after the "
    "recurrence, an untied softmax, no position signal (mtf never adds the "
    "one the release bound). The release ran recurrence \"basic\": no "
    "ACT, always 24 steps (release_as_run). Every step is computed, as "
    "mtf's unrolled graph does (release: universal_transformer.gin).")
UNIVERSAL_FLOPS = (
    "24 unrolled steps and 4 applications around them: FLOPs ratio 3.62, "
    "as mtf 0.1.21's own UTLayerStack with the release's config (3.623); "
    "Table 1's 40.0T is 3.60.")
FUNNEL = (
    "The encoder in 3 blocks (num_layers / 3 layers each, 4 at paper "
    "scale; a block per layer in a stack of fewer than 3), the sequence "
    "mean-pooled by 2 (padding counted, as mtf) after each block but the "
    "last (the paper: \"pooled after every 4 layers\"; mtf's funnel, "
    "which the release ran, pools after the first self-attention of "
    "blocks 2 and 3: release_as_run); the decoder attends over the pooled "
    "sequence, its padding masked. The baseline's layer norms, where the "
    "release bound RMS norm for the funnel encoder (release_as_run). "
    "Packing off, as the release (release: "
    "funnel_transformer.gin, whose base, at5_base.gin, was never "
    "published: the release README's base file stands in for it).")
FUNNEL_FLOPS = (
    "Pooling the encoder twice leaves the decoder and the softmax whole: "
    "FLOPs ratio 0.686 (0.701 as mtf's funnel pools, one self-attention "
    "later, which the release's config on mtf's layers computes too). "
    "Table 1's 1.9T "
    "(0.171) is below what the decoder and softmax alone cost, about a "
    "quarter of the baseline's; the paper does not say how it counted it.")
EVOLVED = (
    "One cell for two of the baseline's layers (num_layers / 2 cells per "
    "stack, 6 at paper scale), the release's cell structure on the kit's "
    "layers: encoder: gated linear unit, 1x1 and 3x1 convolution branches "
    "then a 9x1 separable convolution, self-attention, feed-forward; "
    "decoder: self-attention with 2H heads plus encoder attention with H "
    "heads, causal separable 11x1 and 7x1 branches then 7x1, "
    "self-attention, encoder-decoder attention, a Swish feed-forward. The "
    "2H-head branch has the release's width (d_kv per head, 24 + 12 heads "
    "at paper scale); So et al.'s keeps the baseline's width "
    "(EvolvedDecoderAttention.self_attention_key_value_size = None). The "
    "decoder's convolutions read their inputs unmasked (So et al.); mtf "
    "zeroes positions whose id is 0, the start position included, and "
    "skips that mask in incremental decoding (release_as_run: "
    "mask_zero_ids) (release: evolved_transformer.gin).")
EVOLVED_PARAMS = (
    "Table 1 prints 217M; this configuration has 216,344,064 parameters "
    "(216M), and so has the study's released evolved_transformer.gin built "
    "from mtf 0.1.21's own layers.")
EVOLVED_FLOPS = (
    "The kit counts the encoder's 3x1 convolution (an einsum, 0.35T of "
    "Ops at paper scale), which mtf computes by a conv2d that no einsum "
    "count sees: FLOPs ratio 0.925, 0.893 without it, as on mtf's layers "
    "(0.893) and in Table 1 (0.892).")

VARIANTS = (
    Variant("transparent_attention", "Transparent attention", FAMILY,
            "Each decoder layer attends over a softmax-weighted mix of the "
            "encoder's module outputs; modules of 2 encoder and 3 decoder "
            "layers, num_layers of each (release: "
            "transparent_attention.gin)."),
    Variant("dynamic_convolution", "Dynamic convolution", FAMILY,
            CONVOLUTION + "Kernels a linear function of the input. d_ff "
            "512 of 3072 (x 1/6 at every scale), which the paper does not "
            "mention: the kit follows the release "
            "(release: dynamic_convolution.gin).",
            params_note=DYNAMIC_PARAMS),
    Variant("lightweight_convolution", "Lightweight convolution", FAMILY,
            CONVOLUTION + "(release: lightweight_convolution.gin).",
            params_note=LIGHTWEIGHT_PARAMS),
    Variant("weighted_transformer", "Weighted Transformer", FAMILY,
            WEIGHTED, optimizer="adafactor_branch_weights",
            release_as_run=WEIGHTED_AS_RUN,
            replicated=WEIGHTED_REPLICATED,
            scale_departures=(at_tiny(1.13, 1.54, WEIGHTED_HEADS),
                              at_cpu(1.27, 3.77, WEIGHTED_HEADS))),
    Variant("mixture_of_experts", "Mixture of experts", FAMILY,
            EXPERTS + "Top-2 routing (GShard's: the second expert with "
            "probability min(1, g2 / 0.2), mtf's default \"random\" "
            "policy), experts of d_ff / 2 (1536: the baseline's FLOPs), "
            "capacity factor 2.0 (release: mixture_of_experts.gin).",
            flops_note=EXPERTS_FLOPS, release_as_run=EXPERTS_AS_RUN,
            scale_departures=(at_tiny(1.9, 1.05, TINY_VOCABULARY),)),
    Variant("switch_transformer", "Switch Transformer", FAMILY,
            EXPERTS + "Top-1 (Switch) routing, experts of d_ff, capacity "
            "factor 1.2, the router's input jittered by U(0.99, 1.01) in "
            "training (release: switch_transformer.gin, whose rand_1 "
            "names mtf 0.1.21 renamed: switch gating, input_jitter "
            "1e-2).", params_note=SWITCH_PARAMS,
            release_as_run=EXPERTS_AS_RUN,
            scale_departures=(at_tiny(2.92, 1.1, TINY_VOCABULARY),)),
    Variant("product_key_memory", "Product key memory", FAMILY, MEMORY,
            flops_note=MEMORY_FLOPS,
            replicated=MEMORY_REPLICATED,
            scale_departures=(at_tiny(1.42, 1.0, TINY_VOCABULARY),)),
    Variant("evolved_transformer", "Evolved Transformer", FAMILY, EVOLVED,
            params_note=EVOLVED_PARAMS, flops_note=EVOLVED_FLOPS,
            release_as_run=(
                "mtf_mods.EvolvedDecoderConvolution.mask_zero_ids = True",),
            replicated=EVOLVED_REPLICATED),
    Variant("universal_transformer", "Universal Transformer", FAMILY,
            UNIVERSAL, flops_note=UNIVERSAL_FLOPS, release_as_run=(
                "mtf_mods.UniversalTransformerStack.recurrence = 'basic'",),
            scale_departures=(at_tiny(1.56, 2.32, TINY_VOCABULARY),
                              at_cpu(0.45, 3.91, UNIVERSAL_BLOCK))),
    Variant("funnel_transformer", "Funnel Transformer", FAMILY, FUNNEL,
            flops_note=FUNNEL_FLOPS, release_as_run=(
                "mtf_mods.FunnelLayerStack.pool_between_blocks = False",
                "mtf_mods.FunnelLayerStack.sublayers_per_layer = ["
                "@mtf_mods.sublayer_rms_norm, @transformer.sublayer_call_layer,"
                " @transformer.sublayer_dropout, @transformer.sublayer_residual]",
                "mtf_mods.FunnelLayerStack.sublayers_final = ["
                "@mtf_mods.sublayer_rms_norm, @transformer.sublayer_dropout]"),
            scale_departures=(at_tiny(1.0, 0.93, TINY_FUNNEL),)),
) + tuple(_synthesizer(*row) for row in SYNTHESIZER_ROWS)
