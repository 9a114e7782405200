"""The batch shapes of the scaling sweeps: step time against sequence length
and against batch size.

Each sweep multiplies one quantity of the scale's batch shape by each factor
and keeps the other. A sequence-length point scales the inputs length and
takes the targets length span corruption gives for it (128 -> 29,
256 -> 58), so every point is a shape pre-training would use. The points'
step times tell what a run of another shape costs: the bench prints each
point's steps/s and its step time relative to the scale's own shape.
"""
from mtf_mods.tasks import span_corruption

DEFAULT_FACTORS = (0.5, 1.0, 2.0)


def _scaled(value, factor):
  return max(1, int(round(value * factor)))


def length_points(batch, lengths, factors=DEFAULT_FACTORS):
  """[(batch, {"inputs", "targets"})] with the inputs length x factor."""
  points = []
  for factor in factors:
    if factor == 1.0:
      points.append((batch, dict(lengths)))
      continue
    inputs = _scaled(lengths["inputs"], factor)
    points.append((batch, {
        "inputs": inputs,
        "targets": span_corruption.span_corruption_targets_length(inputs)}))
  return points


def batch_points(batch, lengths, factors=DEFAULT_FACTORS):
  """[(batch x factor, lengths)]."""
  return [(_scaled(batch, factor), dict(lengths)) for factor in factors]
