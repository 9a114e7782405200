"""Incremental decoding agrees with the full-sequence computation.

Greedy decoding runs the kit's attention in "first_part" and "incremental"
modes (cached keys and values, one position at a time). Feeding the decoded
sequence back as teacher-forced targets must give logits whose argmax is
the decoded sequence, position by position.
"""
import mesh_tensorflow as mtf
from mesh_tensorflow.transformer import transformer
import numpy as np
import tensorflow.compat.v1 as tf

from mtf_mods import gin_config
from mtf_mods import lowering
from mtf_mods import scales
from mtf_mods import variants
from mtf_mods.layers import dimensions
import mtf_mods.layers  # noqa: F401

VOCAB = 300


def test_greedy_decode_matches_teacher_forced_argmax():
  tiny = scales.get("tiny")
  files = [variants.get(variants.BASELINE).gin_file, tiny.gin_file]
  rng = np.random.default_rng(0)
  inputs_np = rng.integers(2, VOCAB, size=(3, 7), dtype=np.int32)
  with gin_config.parsed(files, ["dropout_rate = 0.0"]), \
      tf.Graph().as_default():
    tf.set_random_seed(1)
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    model = transformer.make_bitransformer(input_vocab_size=VOCAB,
                                           output_vocab_size=VOCAB)
    inputs = mtf.import_fully_replicated(
        mesh, tf.constant(inputs_np),
        mtf.Shape([mtf.Dimension(dimensions.BATCH, 3),
                   mtf.Dimension(dimensions.LENGTH, 7)]))
    dtype = mtf.VariableDType(tf.float32, tf.float32, tf.float32)
    decoded = model.decode(inputs, variable_dtype=dtype, temperature=0.0,
                           max_decode_length=6)
    with tf.variable_scope(tf.get_variable_scope(), reuse=True):
      logits, _ = model.call_simple(inputs, decoded, compute_loss=False,
                                    mode="eval", variable_dtype=dtype)
    argmax = mtf.argmax(logits, logits.shape.dims[-1])
    with lowering.open_session(graph, mesh, [decoded, argmax]) as run:
      ids, predicted = run.session.run(run.outputs)
  compared = 0
  for row_ids, row_predicted in zip(ids, predicted):
    for position, token in enumerate(row_ids):
      if token == 0:  # decoding stopped (after EOS)
        break
      assert row_predicted[position] == token
      compared += 1
  assert compared >= 9, (ids, predicted)
