"""Activation functions of the feed-forward block, by name.

The baseline uses ReLU (Narang et al. 2021, App. D eq. 10:
FFN(x) = max(0, x W1 + b1) W2 + b2); Sec. 2.1 replaces it by GeLU, Swish,
ELU, SeLU, Sigmoid or Softplus, and uses the same functions (plus "linear")
as the gate activations of the GLU family (feed_forward.FeedForward, gated).

Each activation is one function of an mtf.Tensor, registered under the name
gin uses (`mtf_mods.FeedForward.activation = "swish"`) together with the same
equation in numpy, which the tests use as its reference. Each but the
identity runs as one TensorFlow function per slice (`fused.elementwise`):
TensorFlow's kernel and gradient kernel where it has one (Relu, Elu, Selu,
Sigmoid, Softplus), else a few TensorFlow ops with the gradient in closed
form (GeLU, Swish), where mtf's composition of the same equation
differentiates op by op, a pass over the feed-forward's hidden tensor
each. With fused kernels off (`mtf_mods.fused_kernels.enabled = False`)
each is that mtf composition.
To add one:

    @register("my_act", numpy_reference=lambda x: ...)  # numpy equation
    def my_act(x):
      return ...  # the same equation on mtf.Tensors; cite it in a docstring
"""
import math

import mesh_tensorflow as mtf
import numpy as np
import tensorflow.compat.v1 as tf

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


_GELU_SCALE = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


@register("gelu", numpy_reference=lambda x: 0.5 * x * (1.0 + np.tanh(
    _GELU_SCALE * (x + _GELU_CUBIC * x ** 3))))
def gelu(x):
  """GeLU (Hendrycks & Gimpel 2016), their tanh form of x * Phi(x).

  0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the form mtf.gelu and so
  the study computed; it is within 5e-4 of x * Phi(x) for every x.
  """
  def composition(x):
    inner = _GELU_SCALE * (x + _GELU_CUBIC * x * x * x)
    return 0.5 * x * (1.0 + mtf.tanh(inner))
  return fused.elementwise(x, _gelu_kernel, composition, "gelu")


def _gelu_kernel(t):
  """GeLU's tanh form on a tf.Tensor as t phi, phi = (1 + tanh u) / 2, u =
  sqrt(2/pi) (t + 0.044715 t^3); its derivative is phi + t dphi/dt, dphi/dt
  = 2 phi (1 - phi) du/dt (as 1 - tanh^2 u = 4 phi (1 - phi)), du/dt =
  sqrt(2/pi) (1 + 3 * 0.044715 t^2)."""
  @tf.custom_gradient
  def forward(t):
    t_squared = tf.square(t)
    phi = 0.5 + 0.5 * tf.tanh(
        t * (_GELU_SCALE + (_GELU_SCALE * _GELU_CUBIC) * t_squared))

    def backward(dy):
      twice_slope = (2.0 * _GELU_SCALE
                     + (6.0 * _GELU_SCALE * _GELU_CUBIC) * t_squared)
      return dy * (phi + t * (phi * (1.0 - phi) * twice_slope))
    return t * phi, backward
  return forward(t)


@register("swish", numpy_reference=lambda x: x * _np_sigmoid(x))
def swish(x):
  """Swish with beta = 1 (Ramachandran et al. 2017): x * sigmoid(x)."""
  return fused.elementwise(x, _swish_kernel, lambda x: x * mtf.sigmoid(x),
                           "swish")


def _swish_kernel(t):
  """t sigmoid(t) on a tf.Tensor; its derivative is s + y (1 - s), with
  s = sigmoid(t) and y = t s."""
  @tf.custom_gradient
  def forward(t):
    s = tf.sigmoid(t)
    y = t * s

    def backward(dy):
      return dy * (s + y * (1.0 - s))
    return y, backward
  return forward(t)


@register("elu", numpy_reference=lambda x: np.where(
    x > 0, x, np.expm1(np.minimum(x, 0.0))))
def elu(x):
  """ELU with alpha = 1 (Clevert et al. 2016): x if x > 0 else e^x - 1."""
  return fused.elementwise(
      x, tf.nn.elu, lambda x: mtf.where(
          mtf.greater(x, 0.0), x, _exp_minus_one_of_negative(x)), "elu")


@register("selu", numpy_reference=lambda x: _SELU_SCALE * np.where(
    x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0.0))))
def selu(x):
  """SeLU (Klambauer et al. 2017): lambda (x if x > 0 else alpha (e^x - 1)).

  lambda = 1.0507..., alpha = 1.6732... (the values of their self-normalizing
  fixed point), TensorFlow's Selu kernel's too.
  """
  def composition(x):
    negative = _SELU_ALPHA * _exp_minus_one_of_negative(x)
    return _SELU_SCALE * mtf.where(mtf.greater(x, 0.0), x, negative)
  return fused.elementwise(x, tf.nn.selu, composition, "selu")


@register("sigmoid", numpy_reference=_np_sigmoid)
def sigmoid(x):
  """The logistic sigmoid 1 / (1 + e^-x); GLU's gate (Dauphin et al. 2017)."""
  return fused.elementwise(x, tf.sigmoid, mtf.sigmoid, "sigmoid")


@register("softplus", numpy_reference=lambda x: np.logaddexp(0.0, x))
def softplus(x):
  """Softplus (Dugas et al. 2001): log(1 + e^x).

  Far above 0, where log(1 + e^x) and x agree to float32 precision, it is x
  itself, so e^x never overflows: TensorFlow's Softplus kernel switches
  above x = 13.9, mtf's composition here above 20.
  """
  def composition(x):
    large = mtf.greater(x, 20.0)
    return mtf.where(large, x, mtf.log(1.0 + mtf.exp(mtf.minimum(x, 20.0))))
  return fused.elementwise(x, tf.nn.softplus, composition, "softplus")


def _exp_minus_one_of_negative(x):
  """e^min(x, 0) - 1: the negative branch of ELU and SeLU. The min keeps
  e^x finite where the positive branch is taken, so its gradient is too."""
  return mtf.exp(mtf.minimum(x, 0.0)) - 1.0
