"""Normalization (Narang et al. 2021, Sec. 2.2). Rezero and Fixup train with
Adam (Sec. 3), with the study's Adam parametrization (gin/models/parts/
adam_parametrization.gin)."""
from mtf_mods.variants.variant import Variant

FAMILY = "normalization"

_ADAM = ("Adam (optimizers/adam/): pre-training lr 0.05 min(1, step/warm-up) "
         "/ sqrt(max(step, 10^4)), warm-up 4,000 of 524,288 steps (the same "
         "fraction at every scale); fine-tuning 5e-5 constant after the "
         "budget's warm-up. Adam with Kingma & Ba's bias correction "
         "(mtf_mods.Adam): the release's mtf AdamWeightDecayOptimizer has "
         "none, which the paper's 4,000-step warm-up hid (no step above "
         "1.01 x the peak rate) and a warm-up scaled to a small budget does "
         "not (9 steps at the cpu scale: steps up to 6.5 x the rate, and "
         "Fixup diverged, the release's layers too); reproduce the release "
         "with --gin_param='mtf_mods.Adam.bias_correction = False'. With the "
         "study's Adam parametrization (its defaults_adam.gin): embedding "
         "scaled like classifier weights, 1/sqrt(d_kv) at run time.")

VARIANTS = (
    Variant("rms_norm", "RMS Norm", FAMILY,
            "Mean square over all d_model channels, as the paper's RMS norm "
            "(Zhang & Sennrich 2019). The released rms_norm.gin used mtf's "
            "sublayer_rms_norm_subsampled with percentage 6.75 (the first 52 "
            "of 768 channels); reproduce it with "
            "--gin_param='mtf_mods.sublayer_rms_norm.percentage_of_channels "
            "= 6.75'."),
    Variant("rezero", "Rezero", FAMILY,
            "No normalization; x + alpha F(x), alpha a scalar per block "
            "initialised to 0. " + _ADAM, optimizer="adam"),
    Variant("rezero_layer_norm", "Rezero + LayerNorm", FAMILY,
            "Pre-LN kept (gain and bias); x + alpha F(LN(x)). Adam and its "
            "parametrization, as rezero.", optimizer="adam"),
    Variant("rezero_rms_norm", "Rezero + RMS Norm", FAMILY,
            "Pre-RMS-norm over all channels (the released config also used "
            "the full sublayer_rms_norm here); x + alpha F(RMS(x)). Adam and "
            "its parametrization, as rezero.", optimizer="adam"),
    Variant("fixup", "Fixup", FAMILY,
            "No normalization; Fixup's three rules with L = 5 * num_layers "
            "(60), m = 2 (FFN) and 4 (attention, as the study's layers), He "
            "truncated-normal init, no vector biases, float32 activations. "
            "The released config left encoder-decoder attention at mtf's "
            "standard init (its EncDecAttentionFixup inherits "
            "EncDecAttention's); Fixup scales it like self-attention, as we "
            "do. Reproduce the release with "
            "--gin_param='mtf_mods.FixupEncDecAttention."
            "rescale_initialization = False'. Adam and its parametrization, "
            "as rezero (the released fixup.gin does not build in mtf without "
            "defaults_adam.gin's SelfAttention.fold_scaling_into_initializer "
            "= False).", optimizer="adam"),
)
