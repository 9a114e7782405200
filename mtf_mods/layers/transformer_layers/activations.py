"""Activation functions of the feed-forward block, by name.

The baseline uses ReLU (Narang et al. 2021, App. D eq. 10:
FFN(x) = max(0, x W1 + b1) W2 + b2); Sec. 2.1 replaces it by GeLU, Swish,
ELU, SeLU, Sigmoid or Softplus, and uses the same functions (plus "linear")
as the gate activations of the GLU family (feed_forward.FeedForward, gated).

Each activation is one function of an mtf.Tensor, registered under the name
gin uses (`mtf_mods.FeedForward.activation = "swish"`) together with the same
equation in numpy, which the tests use as its reference. To add one:

    @register("my_act", numpy_reference=lambda x: ...)  # numpy equation
    def my_act(x):
      return ...  # the same equation on mtf.Tensors; cite it in a docstring
"""
import math

import mesh_tensorflow as mtf
import numpy as np

from mtf_mods.layers import fused

ACTIVATIONS = {}        # name -> function of an mtf.Tensor
NUMPY_REFERENCES = {}   # name -> the same equation on numpy arrays

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def register(name, numpy_reference):
  """Registers the decorated function as activation `name`."""
  def decorator(function):
    ACTIVATIONS[name] = function
    NUMPY_REFERENCES[name] = numpy_reference
    return function
  return decorator


def get_activation(name):
  """Returns the activation function registered as `name`."""
  if name not in ACTIVATIONS:
    raise ValueError("unknown activation %r; valid: %s"
                     % (name, ", ".join(sorted(ACTIVATIONS))))
  return ACTIVATIONS[name]


def _np_sigmoid(x):
  return 1.0 / (1.0 + np.exp(-x))


@register("relu", numpy_reference=lambda x: np.maximum(x, 0.0))
def relu(x):
  """ReLU (Nair & Hinton 2010): max(0, x)."""
  return fused.relu(x)


@register("linear", numpy_reference=lambda x: x)
def linear(x):
  """The identity; LiGLU's gate (Narang et al. 2021, Sec. 2.1)."""
  return x


@register("gelu", numpy_reference=lambda x: 0.5 * x * (1.0 + np.tanh(
    math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3))))
def gelu(x):
  """GeLU (Hendrycks & Gimpel 2016), their tanh form of x * Phi(x).

  0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the form mtf.gelu and so
  the study computed; it is within 5e-4 of x * Phi(x) for every x.
  """
  inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
  return 0.5 * x * (1.0 + mtf.tanh(inner))


@register("swish", numpy_reference=lambda x: x * _np_sigmoid(x))
def swish(x):
  """Swish with beta = 1 (Ramachandran et al. 2017): x * sigmoid(x)."""
  return x * mtf.sigmoid(x)


@register("elu", numpy_reference=lambda x: np.where(
    x > 0, x, np.expm1(np.minimum(x, 0.0))))
def elu(x):
  """ELU with alpha = 1 (Clevert et al. 2016): x if x > 0 else e^x - 1."""
  return mtf.where(mtf.greater(x, 0.0), x, _exp_minus_one_of_negative(x))


@register("selu", numpy_reference=lambda x: _SELU_SCALE * np.where(
    x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0.0))))
def selu(x):
  """SeLU (Klambauer et al. 2017): lambda (x if x > 0 else alpha (e^x - 1)).

  lambda = 1.0507..., alpha = 1.6732... (the values of their self-normalizing
  fixed point).
  """
  negative = _SELU_ALPHA * _exp_minus_one_of_negative(x)
  return _SELU_SCALE * mtf.where(mtf.greater(x, 0.0), x, negative)


@register("sigmoid", numpy_reference=_np_sigmoid)
def sigmoid(x):
  """The logistic sigmoid 1 / (1 + e^-x); GLU's gate (Dauphin et al. 2017)."""
  return mtf.sigmoid(x)


@register("softplus", numpy_reference=lambda x: np.logaddexp(0.0, x))
def softplus(x):
  """Softplus (Dugas et al. 2001): log(1 + e^x).

  Above x = 20, where log(1 + e^x) and x agree to float32 precision, it is
  x itself, so e^x never overflows.
  """
  large = mtf.greater(x, 20.0)
  return mtf.where(large, x, mtf.log(1.0 + mtf.exp(mtf.minimum(x, 20.0))))


def _exp_minus_one_of_negative(x):
  """e^min(x, 0) - 1: the negative branch of ELU and SeLU. The min keeps
  e^x finite where the positive branch is taken, so its gradient is too."""
  return mtf.exp(mtf.minimum(x, 0.0)) - 1.0
