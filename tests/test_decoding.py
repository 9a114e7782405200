"""Every variant decodes, greedily and by beam search of width 4, as the
decode_eval stage configures it.

One graph per variant (one layer per stack unless the variant spans layers:
mtf_test_utils.model_test_params), built under the gin files of the
decode_eval stage on a mini task at tiny scale (its sequence lengths and
decode length), serves both checks, from the same random weights
(`_random_weights`: every weight random, so that a variant whose
initializers start a branch at zero, as Rezero and Fixup do, still decodes
more than a token):
- greedy decoding runs every layer in "first_part" and "incremental" modes
  (cached keys and values, one position at a time); feeding the decoded
  sequence back as teacher-forced targets must give logits whose argmax is
  the decoded sequence, position by position;
- beam search of width 4 (`--gin_param="Bitransformer.decode.beam_size =
  4"` in a decode_eval launch) keeps, at every step, the 2 x 4 best
  extensions over all beams, so every token of its best sequence ranks
  among the 8 most probable under teacher forcing of that sequence.
"""
import mesh_tensorflow as mtf
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from mtf_mods import gin_config
from mtf_mods import gin_files
from mtf_mods import lowering
from mtf_mods import model_graph
from mtf_mods import protocol
from mtf_mods import scales
from mtf_mods import variants
from mtf_mods.layers import dimensions
from mtf_mods.layers.vocabulary import clusters
import mtf_mods.layers  # noqa: F401
from mtf_test_utils import model_test_params

TINY = scales.get("tiny")
TASK = protocol.get("superglue").task(protocol.MINI_DATA)
BATCH, INPUT_TOKENS = 3, 7
BEAM = 4
EOS = 1


def _random_weights(seed=0):
  """(name, shape) -> a random value for every variable: normal with
  standard deviation 1 / sqrt(the product of all but its last dimension),
  a fan-in scaling that keeps the activations of every variant in range.

  In every table of token embeddings (the first dimension the padded
  vocabulary, or the first cluster's ids) the rows of ids 0 (padding, and
  the decoder's start) and 1 (EOS) are zero: with random tied weights
  the start token's embedding would otherwise make a model predict the
  start token or EOS at once, and decoding would stop there.
  """
  rng = np.random.default_rng(seed)
  vocab_rows = clusters.padded(TINY.vocab_size)

  def value(name, shape):
    array = rng.standard_normal(shape) / np.sqrt(np.prod(shape[:-1]))
    if shape and (shape[0] == vocab_rows or "cluster_0/" in name):
      array[:EOS + 1] = 0.0
    return array.astype(np.float32)
  return value


def _teacher_forced_logits(model, inputs, targets, dtype):
  with tf.variable_scope(tf.get_variable_scope(), reuse=True):
    logits, _ = model.call_simple(inputs, targets, compute_loss=False,
                                  mode="eval", variable_dtype=dtype)
  return logits


@pytest.fixture(scope="module", params=variants.names())
def decoded(request):
  """(greedy ids, its teacher-forced logits, beam ids, theirs)."""
  variant = variants.get(request.param)
  files = gin_files.stage_gin_files(variant, TINY, protocol.EVAL_STAGE, TASK)
  with gin_config.parsed(files, model_test_params(variant)), \
      tf.Graph().as_default():
    tf.set_random_seed(1)
    length = model_graph.sequence_lengths()["inputs"]
    rng = np.random.default_rng(0)
    inputs_np = np.zeros((BATCH, length), np.int32)
    inputs_np[:, :INPUT_TOKENS] = rng.integers(
        2, TINY.vocab_size, size=(BATCH, INPUT_TOKENS))
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    model = model_graph.make_model(TINY.vocab_size)
    inputs = mtf.import_fully_replicated(
        mesh, tf.constant(inputs_np),
        mtf.Shape([mtf.Dimension(dimensions.BATCH, BATCH),
                   mtf.Dimension(dimensions.LENGTH, length)]))
    dtype = mtf.VariableDType(tf.float32, tf.float32, tf.float32)
    outputs = []
    for beam_size in (1, BEAM):
      ids = model.decode(inputs, variable_dtype=dtype, beam_size=beam_size)
      outputs += [ids, _teacher_forced_logits(model, inputs, ids, dtype)]
    with lowering.open_session(graph, mesh, outputs,
                               initial_values=_random_weights()) as run:
      return run.session.run(run.outputs)


def _positions(ids):
  """(row, position) of every decoded token up to and including EOS."""
  for row, row_ids in enumerate(ids):
    for position, token in enumerate(row_ids):
      yield row, position
      if token in (0, EOS):
        break


def test_greedy_decode_matches_teacher_forced_argmax(decoded):
  ids, logits = decoded[:2]
  positions = list(_positions(ids))
  for row, position in positions:
    assert logits[row, position].argmax() == ids[row, position]
  assert len(positions) >= 2 * BATCH, ids


def test_beam_search_of_width_4_keeps_the_best_extensions(decoded):
  ids, logits = decoded[2:]
  assert ids.shape[0] == BATCH
  for row, position in _positions(ids):
    scores = logits[row, position]
    rank = (scores > scores[ids[row, position]]).sum()
    assert rank < 2 * BEAM, (row, position, rank)
