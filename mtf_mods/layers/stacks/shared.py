"""Block (ALBERT-style) parameter sharing across the blocks of a stack.

Narang et al. 2021, Sec. 2.5 (after Lan et al. 2020): "Each subblock (e.g.,
self-attention) has a unique set of weights shared across all l layers".
A stack of L blocks of N sub-blocks computes, for b = 1..L and n = 1..N,

    x_(b,n) = x_(b,n-1) + F_n(LN_n(x_(b,n-1)); theta_n),

where x_(b,0) = x_(b-1,N), and theta_n, the weights of the n-th sub-block,
and LN_n, its layer norm's gain and bias, are the same in every block b.
The stack's final layer norm and the baseline's relative position bias
(one table per stack) have one copy per stack, shared or not; a per-layer
bias table ("bias") becomes one per sub-block, as in the release.

Mesh TensorFlow names a stack's variables by the scope of each layer,
`make_layer_stack`'s "block_NNN/<name>", where <name> is the name given in
`make_layer_stack.layers` or "layer_NNN", the layer's position in its
block; `mtf.get_variable` called again with a full name the graph already
holds returns the existing variable. SharedLayerStack drops the
"block_NNN/" part of every layer's name: every block then calls its n-th
sub-block, with its per-layer sublayers (layer norm), in one scope, e.g.
"encoder/layer_000/MultiHeadSelfAttention/q/kernel" for all blocks; the
gradient of a shared weight is the sum of its L uses'. The layer objects
stay distinct (each keeps its own incremental-decoding states); only
variables are shared.

The study's release got the same sharing from `make_layer_stack`'s
`block_scope = False` and named layers, e.g. [("self_attention", SA),
("dense_relu_dense", DRD)]: names without a block part, the same in every
block. Under that config the layer norms of each sub-block are shared too,
since LayerStack calls the per-layer sublayers inside the layer's scope.
Here the stack keeps mtf's default `block_scope = True` and the variant's
layer list as it is; given the release's layer names, its layers' scopes
are the release's.

Usage: bind `encoder/transformer.make_layer_stack.layer_stack_cls` (and/or
`decoder/...`) to `@mtf_mods.SharedLayerStack`.
"""
import gin
from mesh_tensorflow.transformer import transformer

from mtf_mods.layers.layer_names import block_and_name


def layers_per_block(layers):
  """N, the number of layers of block 0; checks every block repeats them.

  Raises:
    ValueError: a layer not named by `make_layer_stack` with block scopes,
      or blocks that are not the same list of layers in order.
  """
  blocks, names = zip(*map(block_and_name, layers)) if layers else ((), ())
  n = blocks.count(0)
  repeated = n and len(layers) % n == 0 and all(
      blocks[i] == i // n and names[i] == names[i % n]
      for i in range(len(layers)))
  if not repeated:
    raise ValueError("SharedLayerStack needs blocks 0, 1, ... with the same "
                     "layers in order; got %s"
                     % [layer.name for layer in layers])
  return n


@gin.configurable(module="mtf_mods")
class SharedLayerStack(transformer.LayerStack):
  """A LayerStack whose blocks share one set of weights per sub-block.

  Takes the layers `make_layer_stack` builds with block scopes; the number
  of layers per block is read from their names. Every other argument (the
  sublayers, recompute_grads) is LayerStack's.
  """

  def __init__(self, layers, **kwargs):
    self.layers_per_block = layers_per_block(layers)
    for layer in layers:
      layer.set_name(block_and_name(layer)[1])
    super().__init__(layers, **kwargs)
