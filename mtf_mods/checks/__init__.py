"""The per-variant checks the kit's suite runs on every Table 1 row, for
any registered variant (a user's included): `mtf-mods check`.

One implementation of each, which the suite's per-variant tests call too:
  sizes.py     parameters and FLOPs at every scale, ratios to the baseline,
               and a Table 1 row's paper numbers
  mesh.py      a tiny model trains; the same losses and gradients on one
               device and on the 2x2 mesh, which really splits the model
  experts.py   a mixture of experts: the same with the experts split over
               2 devices
  decoding.py  greedy and beam decoding, and a causal decoder
model_config.py says which model they build: the tiny scale, one layer per
stack where that still catches what they look for; each graph serves all
the checks of its module. Each check gives a `result.Result`: pass or fail,
and why, on one line.
"""
from mtf_mods.checks import decoding
from mtf_mods.checks import experts
from mtf_mods.checks import mesh
from mtf_mods.checks import model_config
from mtf_mods.checks import sizes


def run(variant):
  """Yields the variant's Results, one per check, module by module."""
  yield from sizes.check(variant)
  runs = mesh.run(variant)
  for check in (mesh.trains, mesh.same_losses, mesh.same_gradients,
                mesh.splits_the_model):
    yield check(runs)
  if model_config.has_experts(variant):
    yield experts.same_with_experts_split(variant)
  decoded = decoding.decode(variant)
  for check in (decoding.greedy_matches_teacher_forcing,
                decoding.beam_at_least_greedy, decoding.causal):
    yield check(decoded)
