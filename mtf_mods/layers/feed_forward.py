"""Position-wise feed-forward block.

FFN(x) = act(x W1 + b1) W2 + b2   (Narang et al. 2021, App. D, eq. 10)

The hidden dimension is named "d_ff", so it shards over the mesh's model
dimension under the usual layout rule `d_ff:model`.
"""
import gin
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer

from mtf_mods.layers import activations
from mtf_mods.layers.dense import dense


@gin.configurable(module="mtf_mods")
class FeedForward(transformer.TransformerLayer):
  """Dense -> activation -> (dropout) -> dense.

  Attributes:
    hidden_size: d_ff, the width of the hidden layer.
    activation: a name in `activations.ACTIVATIONS`.
    use_bias: add b1 and b2 (the paper's baseline does).
    dropout_rate: dropout on the hidden activations while training.
  """

  def __init__(self, hidden_size=gin.REQUIRED, activation="relu",
               use_bias=True, dropout_rate=0.0):
    self.hidden_size = hidden_size
    self.activation = activations.get_activation(activation)
    self.use_bias = use_bias
    self.dropout_rate = dropout_rate

  def call(self, context, x, losses=None):
    del losses
    model_dim = context.model.model_dim
    hidden_dim = mtf.Dimension("d_ff", self.hidden_size)
    h = self.activation(dense(x, [hidden_dim], [model_dim], context, "wi",
                              use_bias=self.use_bias))
    if context.train and self.dropout_rate > 0.0:
      h = mtf.dropout(h, context.train, rate=self.dropout_rate,
                      noise_shape=h.shape - context.length_dim)
    return dense(h, [model_dim], [hidden_dim], context, "wo",
                 use_bias=self.use_bias)
