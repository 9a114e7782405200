"""The named dimensions of the kit's models and how they lay out on a mesh.

Mesh TensorFlow shards a tensor by the names of its dimensions: a layout rule
`heads:model` splits every dimension named "heads" over the mesh dimension
"model". Every layer creates its weights over these names, so how a weight
shards is declared where it is made (as flaxformer's logical axes), and the
layout below, Mesh TensorFlow's t5 default, decides the rest. The layers,
the mesh harness (`mtf_mods.model.mesh_run`), the bench and the tests read the
names and rules from here and write none of them out themselves.
"""
import mesh_tensorflow as mtf

# Dimensions of the data.
BATCH = "batch"
LENGTH = "length"
MEMORY_LENGTH = "memory_length"  # keys and values of attention
# Dimensions of the weights; the first three split over the model axis.
HEADS = "heads"
D_FF = "d_ff"
VOCAB = "vocab"
EXPERTS = "experts"
D_KV = "d_kv"
D_MODEL = "d_model"
BUCKETS = "buckets"  # relative-position buckets of the attention bias
D_EMBEDDING = "d_embedding"  # inner size of a factorized or adaptive embedding
VOCAB_CLUSTER = "vocab_cluster"  # one adaptive cluster's ids; never split
SOFTMAXES = "softmaxes"  # components of a mixture of softmaxes
D_MODEL_IN = "d_model_in"  # d_model as input of a d_model x d_model weight
CONV_WIDTH = "conv_width"  # positions of a convolution kernel
SYNTHESIZER_RANK = "synthesizer_rank"  # factorized Synthesizer tables
ENCODER_MODULE_OUTPUTS = "encoder_module_outputs"  # transparent attention
DECODER_MODULE_INPUTS = "decoder_module_inputs"  # transparent attention
# The hidden layer of the Weighted Transformer's per-branch feed-forward;
# never split: its tensors also hold the heads, which take the model axis.
BRANCH_D_FF = "branch_d_ff"

# Mixtures of experts: routing groups and expert slots.
GROUP = "group"  # the tokens of one routing group
GROUPS = "groups"  # the routing groups on the experts' side (not split)
EXPERT_CAPACITY = "expert_capacity"  # an expert's slots in one group
# The router's experts on the tokens' side: not split, since the groups
# take the batch dimension's name (and split) there.
EXPERTS_UNSPLIT = "experts_unsplit"
# Product key memory (none split: its value table is replicated).
KEY_HALVES = "key_halves"  # the two halves of a product key (size 2)
PRODUCT_KEYS = "product_keys"  # the sub-keys of one half (n_keys)
D_PRODUCT_KEY = "d_product_key"  # one half of a key or query (key_size/2)
KNN = "knn"  # the selected keys
KNN_SECOND = "knn_second"  # the second half's selection, before pairing
CANDIDATES = "knn_candidates"  # the knn^2 sums of the halves' selections
MEMORY_VALUES = "memory_values"  # the value table's rows (n_keys^2)

# Universal Transformer: the recurrence's learned step embedding, a GRU
# gate's two inputs, the channels of a sinusoid's half.
STEPS = "recurrent_steps"
GATE_INPUTS = "gate_inputs"
TIMING_CHANNELS = "timing_channels"
# Funnel Transformer: the positions of one pooling window.
POOLING_WINDOW = "pooling_window"
# Evolved Transformer: the channels inside its convolution layers (4 d_model
# in the encoder, 2 d_model in the decoder); never split, as its branches
# are padded into them.
CONV_CHANNELS = "conv_channels"

# Mesh axes and the default layout (t5's utils.run default without the
# ensemble axis): data parallel over "batch", model parallel over "model".
BATCH_AXIS = "batch"
MODEL_AXIS = "model"
LAYOUT_RULES = ",".join("%s:%s" % rule for rule in (
    (BATCH, BATCH_AXIS), (HEADS, MODEL_AXIS), (D_FF, MODEL_AXIS),
    (VOCAB, MODEL_AXIS), (EXPERTS, BATCH_AXIS)))
# One device, and the smallest mesh that splits both axes (4 devices).
SINGLE_DEVICE_MESH = "%s:1,%s:1" % (MODEL_AXIS, BATCH_AXIS)
MESH_2X2 = "%s:2,%s:2" % (BATCH_AXIS, MODEL_AXIS)
# Dimensions a 2x2 mesh must really split for a layout test to mean anything.
MODEL_PARALLEL = (HEADS, D_FF, VOCAB, EXPERTS)


def dimension(name, size):
  """mtf.Dimension(name, size) for one of the names above."""
  return mtf.Dimension(name, size)
