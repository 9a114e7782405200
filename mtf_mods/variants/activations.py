"""Activations (Narang et al. 2021, Sec. 2.1): the feed-forward's ReLU
replaced; the GLU family gated, with d_ff 2/3 of the baseline's to keep the
parameter count."""
from mtf_mods.variants.variant import Variant

FAMILY = "activation"


def _activation(name, row, notes):
  return Variant(name, row, FAMILY, notes)


VARIANTS = (
    _activation("gelu", "GeLU",
                "tanh form of x*Phi(x) (Hendrycks & Gimpel), as mtf.gelu "
                "that the study ran; within 5e-4 of the exact form."),
    _activation("swish", "Swish", "x * sigmoid(x) (beta = 1)."),
    _activation("elu", "ELU", "alpha = 1."),
    _activation("glu", "GLU",
                "(sigmoid(xW+b) * (xV+c)) W2 + b2, d_ff x 2/3 (2048 at paper "
                "scale). Biases kept on all three projections, as the "
                "study's dense_product with use_bias = True; without them "
                "the count is also 223M (222.95M against 223.07M)."),
    _activation("geglu", "GeGLU",
                "GLU with a GeLU gate (tanh form); d_ff x 2/3, biases kept."),
    _activation("reglu", "ReGLU",
                "GLU with a ReLU gate; d_ff x 2/3, biases kept."),
    _activation("selu", "SeLU",
                "lambda = 1.0507, alpha = 1.6733 (Klambauer et al. 2017)."),
    _activation("swiglu", "SwiGLU",
                "GLU with a Swish (beta = 1) gate; d_ff x 2/3, biases kept."),
    _activation("liglu", "LiGLU",
                "bilinear: GLU with a linear gate; d_ff x 2/3, biases kept."),
    _activation("sigmoid", "Sigmoid", "the logistic function."),
    _activation("softplus", "Softplus", "log(1 + e^x)."),
)
