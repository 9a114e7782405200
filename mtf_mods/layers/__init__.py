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
3. The stack itself (`transformer.LayerStack`, `make_layer_stack`): no
   module yet. Later: parameter sharing across layers, recurrence
   (Universal Transformer), pooling (Funnel Transformer).
4. The vocabulary embedding and the softmax head
   (`transformer.VocabEmbedding`, `Unitransformer`'s output layer): no
   module yet. Later: factorized and tied embeddings, adaptive input and
   softmax, mixture of softmaxes.

Every injection point is also tested inside whole models, by variant:
tests/test_model_graph.py checks the parameter counts against Table 1,
tests/test_reference_configs.py against the authors' released config on
mtf's layers (gin/reference/), and tests/test_mesh_run.py trains each
variant for a few steps and gives the same losses on one device and on a
2x2 mesh that really splits the model dimensions; tests/test_decoding.py
checks the attention's incremental decoding against teacher forcing.

Building blocks: `dimensions` (the named dimensions every weight is made
over, and the default layout rules), `dense` (projections over named
dimensions), `scalar` (trainable scalars).

Importing this package registers every layer and sublayer with gin under
the `mtf_mods.` module prefix (for example `@mtf_mods.MultiHeadSelfAttention`,
`@mtf_mods.sublayer_layer_norm`).
"""
from mtf_mods.layers import sublayers
from mtf_mods.layers import transformer_layers
