"""Position-wise feed-forward block, plain or gated (the GLU family).

Plain (the baseline, Narang et al. 2021, App. D eq. 10):
    FFN(x) = act(x W1 + b1) W2 + b2
Gated (GLU variants; Dauphin et al. 2017; Shazeer 2020):
    FFN(x) = (act(x W1 + b1) * (x V + c)) W2 + b2
with act = sigmoid (GLU), gelu (GeGLU), relu (ReGLU), swish (SwiGLU) or
linear (LiGLU, a bilinear layer). A gated block has three weight matrices
instead of two, so the GLU variants use d_ff = 2/3 of the baseline's (2048
for 3072) to keep the parameter count.

The hidden dimension is `dimensions.D_FF`, so the block shards over the
mesh's model axis under the default layout rules. The kernels start as the
release's did (the paper is silent): mtf's default dense initializer, a
normal of std fan_in^-1/2 truncated at two standard deviations
(`dense.fan_in_truncated_normal`); biases at zero.
"""
import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer

from mtf_mods.layers import dimensions
from mtf_mods.layers.dense import dense
from mtf_mods.layers.dense import fan_in_truncated_normal
from mtf_mods.layers.transformer_layers import activations


@gin.configurable(module="mtf_mods")
class FeedForward(transformer.TransformerLayer):
  """Dense -> activation (x gate) -> (dropout) -> dense.

  Attributes:
    hidden_size: d_ff, the width of the hidden layer.
    activation: a name in `activations.ACTIVATIONS`.
    gated: multiply the activation by a second, linear projection of x
      (the GLU family); its weights are "wi_linear".
    use_bias: add the biases b1, (c,) b2 (the paper's baseline does; the GLU
      variants keep them, as the study's dense_product did).
    dropout_rate: dropout on the hidden activations while training.
  """

  def __init__(self, hidden_size=gin.REQUIRED, activation="relu",
               gated=False, use_bias=True, dropout_rate=0.0):
    self.hidden_size = hidden_size
    self.activation = activations.get_activation(activation)
    self.gated = gated
    self.use_bias = use_bias
    self.dropout_rate = dropout_rate

  @property
  def hidden_dim(self):
    """The hidden layer's dimension (split over the mesh's model axis)."""
    return mtf.Dimension(dimensions.D_FF, self.hidden_size)

  def call(self, context, x, losses=None):
    del losses
    model_dim = context.model.model_dim
    hidden_dim = self.hidden_dim
    inner = fan_in_truncated_normal([model_dim])
    h = self.activation(dense(x, [hidden_dim], [model_dim], context, "wi",
                              use_bias=self.use_bias, initializer=inner))
    if self.gated:
      h *= dense(x, [hidden_dim], [model_dim], context, "wi_linear",
                 use_bias=self.use_bias, initializer=inner)
    if context.train and self.dropout_rate > 0.0:
      h = mtf.dropout(h, context.train, rate=self.dropout_rate,
                      noise_shape=h.shape - context.length_dim)
    return dense(h, [model_dim], [hidden_dim], context, "wo",
                 use_bias=self.use_bias,
                 initializer=fan_in_truncated_normal([hidden_dim]))
