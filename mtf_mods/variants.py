"""The variant registry: the single source of truth for what the kit runs.

Each entry names a Table 1 row of Narang et al. 2021, its family, the gin
file that builds it (relative to the kit's gin directory) and how it departs
from the paper or from the authors' released configuration. The CLI, the
tests, the report and the docs read this list; nothing else lists variants.

To add a variant: write its layer, write `gin/models/<name>.gin`, and add one
`Variant(...)` line below.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Variant:
  name: str          # command-line name
  table1_row: str    # the `model` column of the paper's Table 1
  family: str        # Section 2 heading: activation, normalization, ...
  gin_file: str      # relative to the kit's gin directory
  notes: str = ""    # deviations from the paper or the released configs
  optimizer: str = "adafactor"  # gin/optimizers/<optimizer>/<stage>.gin
  # Why the paper-scale parameter count does not round to Table 1's Params
  # ("" when it does; tests/test_model_graph.py checks both ways).
  params_note: str = ""


VARIANTS = (
    Variant(
        name="baseline",
        table1_row="Vanilla Transformer",
        family="baseline",
        gin_file="models/baseline.gin",
        notes=("Pre-LN with gain and bias, ReLU FFN with biases, relative "
               "position bias shared across the layers of each stack, all "
               "three embeddings tied.")),
    # Activations (Sec. 2.1): the FFN's ReLU replaced; GLU family gated, with
    # d_ff 2/3 of the baseline's to keep the parameter count.
    Variant("gelu", "GeLU", "activation", "models/gelu.gin",
            "tanh form of x*Phi(x) (Hendrycks & Gimpel), as mtf.gelu that "
            "the study ran; within 5e-4 of the exact form."),
    Variant("swish", "Swish", "activation", "models/swish.gin",
            "x * sigmoid(x) (beta = 1)."),
    Variant("elu", "ELU", "activation", "models/elu.gin", "alpha = 1."),
    Variant("glu", "GLU", "activation", "models/glu.gin",
            "(sigmoid(xW+b) * (xV+c)) W2 + b2, d_ff x 2/3 (2048 at paper "
            "scale). Biases kept on all three projections, as the study's "
            "dense_product with use_bias = True; without them the count is "
            "also 223M (222.95M against 223.07M)."),
    Variant("geglu", "GeGLU", "activation", "models/geglu.gin",
            "GLU with a GeLU gate (tanh form); d_ff x 2/3, biases kept."),
    Variant("reglu", "ReGLU", "activation", "models/reglu.gin",
            "GLU with a ReLU gate; d_ff x 2/3, biases kept."),
    Variant("selu", "SeLU", "activation", "models/selu.gin",
            "lambda = 1.0507, alpha = 1.6733 (Klambauer et al. 2017)."),
    Variant("swiglu", "SwiGLU", "activation", "models/swiglu.gin",
            "GLU with a Swish (beta = 1) gate; d_ff x 2/3, biases kept."),
    Variant("liglu", "LiGLU", "activation", "models/liglu.gin",
            "bilinear: GLU with a linear gate; d_ff x 2/3, biases kept."),
    Variant("sigmoid", "Sigmoid", "activation", "models/sigmoid.gin",
            "the logistic function."),
    Variant("softplus", "Softplus", "activation", "models/softplus.gin",
            "log(1 + e^x)."),
    # Normalization (Sec. 2.2). Rezero and Fixup train with Adam (Sec. 3).
    Variant("rms_norm", "RMS Norm", "normalization", "models/rms_norm.gin",
            "Mean square over all d_model channels, as the paper's RMS norm "
            "(Zhang & Sennrich 2019). The released rms_norm.gin used mtf's "
            "sublayer_rms_norm_subsampled with percentage 6.75 (the first 52 "
            "of 768 channels); reproduce it with "
            "--gin_param='mtf_mods.sublayer_rms_norm.percentage_of_channels "
            "= 6.75'."),
    Variant("rezero", "Rezero", "normalization", "models/rezero.gin",
            "No normalization; x + alpha F(x), alpha a scalar per block "
            "initialised to 0. Adam (optimizers/adam/): pre-training lr "
            "0.05 min(1, step/warm-up) / sqrt(max(step, 10^4)), warm-up "
            "4,000 of 524,288 steps (the same fraction at every scale); "
            "fine-tuning 5e-5 constant after the budget's warm-up. With the "
            "study's Adam parametrization (its defaults_adam.gin): embedding "
            "scaled like classifier weights, 1/sqrt(d_kv) at run time.",
            optimizer="adam"),
    Variant("rezero_layer_norm", "Rezero + LayerNorm", "normalization",
            "models/rezero_layer_norm.gin",
            "Pre-LN kept (gain and bias); x + alpha F(LN(x)). Adam and its "
            "parametrization, as rezero.", optimizer="adam"),
    Variant("rezero_rms_norm", "Rezero + RMS Norm", "normalization",
            "models/rezero_rms_norm.gin",
            "Pre-RMS-norm over all channels (the released config also used "
            "the full sublayer_rms_norm here); x + alpha F(RMS(x)). Adam and "
            "its parametrization, as rezero.", optimizer="adam"),
    Variant("fixup", "Fixup", "normalization", "models/fixup.gin",
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
    # Depth (Sec. 2.3): layers, d_ff and heads changed together, keeping the
    # parameter count; the same ratios at every scale.
    Variant("depth_24", "24 layers, d_ff = 1536, H = 6", "depth",
            "models/depth_24.gin", "layers x 2, d_ff x 1/2, heads x 1/2.",
            params_note=(
                "Table 1 prints 224M; this configuration has 223,153,536 "
                "parameters (223M), and so has the study's released "
                "depth_24l.gin built from mtf 0.1.21's own layers.")),
    Variant("depth_18", "18 layers, d_ff = 2048, H = 8", "depth",
            "models/depth_18.gin", "layers x 3/2, d_ff x 2/3, heads x 2/3."),
    Variant("depth_8", "8 layers, d_ff = 4608, H = 18", "depth",
            "models/depth_8.gin", "layers x 2/3, d_ff x 3/2, heads x 3/2."),
    Variant("depth_6", "6 layers, d_ff = 6144, H = 24", "depth",
            "models/depth_6.gin", "layers x 1/2, d_ff x 2, heads x 2."),
)

BASELINE = VARIANTS[0].name


def names():
  return [v.name for v in VARIANTS]


def get(name):
  """The variant registered as `name`; ValueError listing valid names."""
  for variant in VARIANTS:
    if variant.name == name:
      return variant
  raise ValueError("unknown variant %r; valid: %s" % (name, ", ".join(names())))
