"""The kit's Mesh TensorFlow layers, one package per injection point.

A modification of the Transformer enters Mesh TensorFlow's model
(mesh_tensorflow/transformer/transformer.py) at one of four places; each
has its package here, and its own way of being tested.

1. A TransformerLayer in a LayerStack's layer list
   (`transformer.make_layer_stack.layers`): `transformer_layers`.
   Now: attention, feed-forward (plain and gated), their activations and
   Fixup's initialization of both. Later: convolutions, Synthesizers,
   mixtures of experts, product key memory.
   Tests (tests/layers/transformer_layers/): each layer's equation in numpy
   on small inputs, and equal outputs for equal weights against mtf
   0.1.21's own layer for the same modification (SelfAttention,
   EncDecAttention, DenseReluDense, fixup_layers), including the
   initializers' distributions.
2. A LayerStack sublayer (`transformer.LayerStack.sublayers_per_layer`,
   `sublayers_final`): `sublayers`.
   Now: layer norm, RMS norm, Rezero, Fixup's scalar bias and multiplier.
   Tests (tests/layers/sublayers/): every registered sublayer against its
   numpy equation (parametrized over `sublayers.registry`), and against
   mtf 0.1.21's sublayer of the same name with equal weights.
3. The stack itself (`transformer.LayerStack`, `make_layer_stack`):
   `stacks`, the class bound to `make_layer_stack.layer_stack_cls`.
   Now: block (ALBERT-style) parameter sharing, SharedLayerStack. Later:
   recurrence (Universal Transformer), pooling (Funnel Transformer).
   Tests (tests/layers/stacks/): the shared stack's variables and
   parameter count, its weights' gradients (the sum over the blocks), equal
   losses against the release's sharing (mtf's block_scope = False with
   named layers) for equal weights, and its incremental decoding.
4. The vocabulary embedding and the softmax head (the class bound to
   `transformer.get_vocab_embedding_cls.cls`, and `Unitransformer.loss_fn`):
   `vocabulary`. Now: factorized and adaptive input embeddings, adaptive
   softmax and its loss, mixture of softmaxes, and the paper's frequency
   clusters at any scale. Tying and untying are mtf's own switches.
   Tests (tests/layers/vocabulary/): embeddings, distributions and losses
   against numpy (every head sums to 1 over the vocabulary; the adaptive
   loss is the cross-entropy of its distribution), and equal outputs for
   equal weights against mtf 0.1.21's classes, or the stated difference.

Every injection point is also tested inside whole models, by variant:
tests/model/test_model_graph.py checks the parameter counts against Table 1,
tests/test_reference_configs.py against the authors' released config on
mtf's layers (gin/reference/), and tests/model/test_mesh_run.py trains each
variant for a few steps and gives the same losses on one device and on a
2x2 mesh that really splits the model dimensions; tests/test_decoding.py
decodes each variant greedily and by beam search, as decode_eval does, and
checks the incremental decoding against teacher forcing.

Building blocks: `dimensions` (the named dimensions every weight is made
over, and the default layout rules), `dense` (projections over named
dimensions), `scalar` (trainable scalars), `fused` (ReLU, softmax and the
normalizations as fused kernels, not mtf's compositions of many ops).

Importing this package registers every layer and sublayer with gin under
the `mtf_mods.` module prefix (for example `@mtf_mods.MultiHeadSelfAttention`,
`@mtf_mods.sublayer_layer_norm`).
"""
from mtf_mods.layers import stacks
from mtf_mods.layers import sublayers
from mtf_mods.layers import transformer_layers
from mtf_mods.layers import vocabulary
