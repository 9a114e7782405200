"""Activation functions of the feed-forward block, by name.

The baseline uses ReLU (Narang et al. 2021, App. D eq. 10:
FFN(x) = max(0, x W1 + b1) W2 + b2). Each entry maps a name usable from gin
(`mtf_mods.FeedForward.activation = "relu"`) to a function of one mtf.Tensor.
"""
import mesh_tensorflow as mtf

ACTIVATIONS = {
    "relu": mtf.relu,
    "linear": lambda x: x,
}


def get_activation(name):
  """Returns the activation function registered as `name`."""
  if name not in ACTIVATIONS:
    raise ValueError("unknown activation %r; valid: %s"
                     % (name, ", ".join(sorted(ACTIVATIONS))))
  return ACTIVATIONS[name]
