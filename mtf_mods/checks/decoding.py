"""The variant decodes: greedily, by beam search, and causally.

One graph (the model of `model_config.params`, under the gin files of the
decode_eval stage on a mini task at tiny scale: its sequence lengths and
decode length) serves the three checks, from the same random weights
(`random_weights`: every weight random, so that a variant whose
initializers start a branch at zero, as Rezero and Fixup do, still decodes
more than a token):
- greedy: decoding runs every layer in "first_part" and "incremental"
  modes (cached keys and values, one position at a time); feeding the
  decoded sequence back as teacher-forced targets must give logits whose
  argmax is the decoded sequence, position by position: incremental
  decoding computes what the whole sequence does;
- beam: beam search through the binding a decode_eval launch takes
  (`--gin_param="Bitransformer.decode.beam_size = 4"`): the graph holds a
  beam of that width, and the best beam's score (log-probability under
  teacher forcing over mtf's length penalty ((5 + length) / 6)^alpha) is
  at least the greedy sequence's, less 1% (SCORE_TOLERANCE);
- causal: the teacher-forced logits of the greedy sequence, and of the
  same sequence with every token after position t changed, are the same
  at every position up to t + 1 (whose input is token t): no position sees
  a later one.
"""
import dataclasses

import gin
import mesh_tensorflow as mtf
import numpy as np
import tensorflow.compat.v1 as tf

from mtf_mods.config import gin_config
from mtf_mods.config import gin_files
from mtf_mods.model import lowering
from mtf_mods.model import model_graph
from mtf_mods.config import protocol
from mtf_mods.checks import model_config
from mtf_mods.checks.result import Result
from mtf_mods.layers import dimensions
from mtf_mods.layers.vocabulary import clusters

BATCH, INPUT_TOKENS = 3, 7
BEAM = 4
BEAM_BINDING = "Bitransformer.decode.beam_size = %d" % BEAM
EOS = 1
# The causality check changes the tokens after this position.
AGREE_UNTIL = 4
# Beam search of width 4 may drop the greedy sequence itself from its beams
# (block sharing's does, by 1.4e-4 of its score, in one row): its best may
# score below greedy's by this fraction; a beam search that mixes up its
# beams' states scores far below.
SCORE_TOLERANCE = 1e-2


@dataclasses.dataclass
class Decoded:
  variant: object
  greedy: np.ndarray           # [batch, length] ids
  greedy_logits: np.ndarray    # teacher-forced on them
  beam: np.ndarray
  beam_logits: np.ndarray
  beam_widths: set             # sizes of the "beam" dimensions in the graph
  alpha: float                 # the length penalty's exponent
  changed_logits: np.ndarray   # teacher-forced on the greedy sequence
                               # with its tokens after AGREE_UNTIL changed


def random_weights(vocab_size, seed=0):
  """(name, shape) -> a random value for every variable: normal with
  standard deviation 1 / sqrt(the product of all but its last dimension),
  a fan-in scaling that keeps the activations of every variant in range.

  In every table of token embeddings (the first dimension the padded
  vocabulary, or the first cluster's ids) the rows of ids 0 (padding, and
  the decoder's start) and 1 (EOS) are zero: with random tied weights the
  start token's embedding would otherwise make a model predict the start
  token or EOS at once, and decoding would stop there.
  """
  rng = np.random.default_rng(seed)
  vocab_rows = clusters.padded(vocab_size)

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


def _ids(mesh, values):
  return mtf.import_fully_replicated(
      mesh, tf.constant(values),
      mtf.Shape([mtf.Dimension(dimensions.BATCH, values.shape[0]),
                 mtf.Dimension(dimensions.LENGTH, values.shape[1])]))


def decode(variant):
  """Builds and runs the variant's decoding graph: a Decoded."""
  tiny = model_config.TINY
  task = protocol.get("superglue").task(protocol.MINI_DATA)
  files = gin_files.stage_gin_files(variant, tiny, protocol.EVAL_STAGE, task)
  params = model_config.params(variant) + [BEAM_BINDING]
  with gin_config.parsed(files, params), tf.Graph().as_default():
    tf.set_random_seed(1)
    length = model_graph.sequence_lengths()["inputs"]
    rng = np.random.default_rng(0)
    inputs_np = np.zeros((BATCH, length), np.int32)
    inputs_np[:, :INPUT_TOKENS] = rng.integers(
        2, tiny.vocab_size, size=(BATCH, INPUT_TOKENS))
    graph = mtf.Graph()
    mesh = mtf.Mesh(graph, "mesh")
    model = model_graph.make_model(tiny.vocab_size)
    inputs = _ids(mesh, inputs_np)
    dtype = mtf.VariableDType(tf.float32, tf.float32, tf.float32)
    greedy = model.decode(inputs, variable_dtype=dtype, beam_size=1)
    beam = model.decode(inputs, variable_dtype=dtype)  # the binding's width
    # The greedy sequence with every token after AGREE_UNTIL replaced.
    later = mtf.greater(mtf.range(mesh, greedy.shape[-1], tf.int32),
                        AGREE_UNTIL)
    replacements = mtf.import_fully_replicated(mesh, tf.constant(
        rng.integers(2, tiny.vocab_size, size=greedy.shape.to_integer_list,
                     dtype=np.int32)), greedy.shape)
    other = mtf.where(later, replacements, greedy)
    outputs = [greedy, _teacher_forced_logits(model, inputs, greedy, dtype),
               beam, _teacher_forced_logits(model, inputs, beam, dtype),
               _teacher_forced_logits(model, inputs, other, dtype)]
    widths = {dim.size for op in graph.operations for t in op.outputs
              for dim in t.shape.dims if dim.name == "beam"}
    alpha = gin.query_parameter("Bitransformer.decode.alpha") if (
        _bound("Bitransformer.decode.alpha")) else 0.6
    with lowering.open_session(
        graph, mesh, outputs,
        initial_values=random_weights(tiny.vocab_size)) as run:
      values = run.session.run(run.outputs)
  return Decoded(variant, values[0], values[1], values[2], values[3],
                 widths, alpha, values[4])


def _bound(name):
  try:
    gin.query_parameter(name)
    return True
  except ValueError:
    return False


def positions(ids):
  """(row, position) of every decoded token up to and including EOS."""
  for row, row_ids in enumerate(ids):
    for position, token in enumerate(row_ids):
      yield row, position
      if token in (0, EOS):
        break


def greedy_matches_teacher_forcing(decoded):
  ids, logits = decoded.greedy, decoded.greedy_logits
  spots = list(positions(ids))
  for row, position in spots:
    predicted = logits[row, position].argmax()
    if predicted != ids[row, position]:
      return _result(decoded, "greedy", False, "row %d position %d: decoded "
                     "%d, teacher forcing's argmax %d" % (
                         row, position, ids[row, position], predicted))
  if len(spots) < 2 * BATCH:
    return _result(decoded, "greedy", False, "decoding stops at once "
                   "(%d tokens in %d rows)" % (len(spots), BATCH))
  return _result(decoded, "greedy", True, "%d decoded tokens equal teacher "
                 "forcing's argmax" % len(spots))


def score(ids, logits, alpha):
  """Each row's log-probability up to its EOS over ((5 + length) / 6)^alpha,
  as mtf's beam search ranks finished sequences."""
  shifted = logits - logits.max(-1, keepdims=True)
  log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
  totals, lengths = np.zeros(len(ids)), np.zeros(len(ids))
  for row, position in positions(ids):
    totals[row] += log_probs[row, position, ids[row, position]]
    lengths[row] = position + 1
  return totals / ((5.0 + lengths) / 6.0) ** alpha


def beam_at_least_greedy(decoded):
  if decoded.beam_widths != {BEAM}:
    return _result(decoded, "beam", False, "the binding %r gives beams of "
                   "width %s" % (BEAM_BINDING, sorted(decoded.beam_widths)
                                 or "none"))
  beam = score(decoded.beam, decoded.beam_logits, decoded.alpha)
  greedy = score(decoded.greedy, decoded.greedy_logits, decoded.alpha)
  worse = [row for row in range(len(beam))
           if beam[row] < greedy[row] - SCORE_TOLERANCE * abs(greedy[row])]
  shown = "beam %s, greedy %s" % (np.round(beam, 4).tolist(),
                                  np.round(greedy, 4).tolist())
  if worse:
    return _result(decoded, "beam", False, "width %d scores below greedy "
                   "(by more than %g of it) in rows %s: %s" % (
                       BEAM, SCORE_TOLERANCE, worse, shown))
  return _result(decoded, "beam", True, "width %d through %r; scores %s" % (
      BEAM, BEAM_BINDING, shown))


def causal(decoded):
  """The logits at position t read the targets before t (the decoder's
  inputs are the targets shifted right): up to AGREE_UNTIL + 1 they must
  not move."""
  first, second = decoded.greedy_logits, decoded.changed_logits
  last = AGREE_UNTIL + 1
  change = float(np.abs(first[:, :last + 1] - second[:, :last + 1]).max())
  scale = float(np.abs(first[:, :last + 1]).max())
  if change > 1e-5 * scale:
    return _result(decoded, "causal", False, "logits at positions 0..%d "
                   "change by %.3g when only targets after %d change" % (
                       last, change, AGREE_UNTIL))
  return _result(decoded, "causal", True, "logits at positions 0..%d do not "
                 "move when only targets after %d change" % (last,
                                                             AGREE_UNTIL))


def _result(decoded, check, passed, reason):
  return Result(decoded.variant.name, check, passed, reason)
