"""How pytest-xdist groups the tests into units of work (tests/conftest.py).

`--dist loadscope` makes each test module one unit, run on one worker, so a
module-scoped fixture is built once. A module whose tests are parametrized
by variant would then run all its variants on one worker: with 52 variants
the mesh runs alone would be the longest chain of the suite. Here a test
parametrized by a registered variant's name is a unit of its module and that
variant, so a fixture parametrized by variant is still built once per
variant, and the variants spread over the workers.
"""
from xdist.scheduler import LoadScopeScheduling

from mtf_mods import variants


def parameter(nodeid):
  """The parameter id of a test's node id ("...::test[baseline]" ->
  "baseline"), or None."""
  if not nodeid.endswith("]") or "[" not in nodeid:
    return None
  return nodeid[nodeid.index("[") + 1:-1]


class VariantScopeScheduling(LoadScopeScheduling):
  """loadscope, with "tests/model/test_mesh_run.py::test_x[baseline]" in the unit
  "tests/model/test_mesh_run.py[baseline]"."""

  def _split_scope(self, nodeid):
    scope = super()._split_scope(nodeid)
    name = parameter(nodeid)
    if name in variants.names():
      return "%s[%s]" % (scope, name)
    return scope
