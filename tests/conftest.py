"""Fixtures shared by the tests, and how the tests are spread over workers.

The suite runs on pytest-xdist workers with `--dist loadscope
--no-loadscope-reorder` (Makefile), scheduled by `VariantScopeScheduling`
below: each test module is one unit of work, run on one worker, so an
expensive module-scoped fixture (a trained model, a study) is built once;
but a module's tests parametrized by a registered variant's name are one
unit per variant, so a per-variant module fixture (the variant's mesh runs)
is still built once while the 52 variants spread over the workers. The
units start in the order of their first test after
`pytest_collection_modifyitems` below: those with a test marked `slow` (the
long end-to-end runs) first, then those with module-scoped fixtures, then
the rest, which fill the gaps.
"""
import pytest
from xdist.scheduler import LoadScopeScheduling

from mtf_mods import variants
import mtf_test_utils  # noqa: F401  (TF1 graph mode for every test)


class VariantScopeScheduling(LoadScopeScheduling):
  """loadscope, with a test parametrized by a variant's name in a unit of
  its module and that variant: "tests/test_mesh_run.py[baseline]"."""

  def _split_scope(self, nodeid):
    scope = super()._split_scope(nodeid)
    parameter = nodeid[nodeid.rfind("[") + 1:-1] if nodeid.endswith(
        "]") else None
    if parameter in variants.names():
      return "%s[%s]" % (scope, parameter)
    return scope


def pytest_xdist_make_scheduler(config, log):
  if config.getoption("dist") == "loadscope":
    return VariantScopeScheduling(config, log)
  return None


def uses_module_fixture(item):
  """Whether the item uses a module-scoped fixture."""
  definitions = getattr(item, "_fixtureinfo", None)
  return definitions is not None and any(
      defs and defs[-1].scope == "module"
      for defs in definitions.name2fixturedefs.values())


def scheduling_rank(item):
  """0 for slow tests, 1 for users of module fixtures, 2 for the rest."""
  if item.get_closest_marker("slow"):
    return 0
  return 1 if uses_module_fixture(item) else 2


def pytest_collection_modifyitems(items):
  items.sort(key=scheduling_rank)


@pytest.fixture(scope="session")
def mini_env(tmp_path_factory):
  """Environment for CLI subprocesses: a shared cache with a small corpus
  and a small mini benchmark (decoding its validation sets is most of a
  downstream cell's time)."""
  cache = tmp_path_factory.mktemp("mini_cache")
  return {"MTF_MODS_CACHE": str(cache),
          "MTF_MODS_MINI_TRAIN_DOCS": "3000",
          "MTF_MODS_MINI_VALIDATION_DOCS": "200",
          "MTF_MODS_MINI_BENCH_TRAIN": "100",
          "MTF_MODS_MINI_BENCH_VALIDATION": "16"}
