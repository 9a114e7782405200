"""Fixtures shared by the tests, and how the tests are spread over workers.

The suite runs on pytest-xdist workers with `--dist loadscope
--no-loadscope-reorder` (Makefile), in the units of work of
xdist_scheduling.py: a test module, or a module's tests of one variant.
A module-scoped fixture (a trained model, a study, a variant's mesh runs)
is built once, on one worker, and the variants spread over the workers. The
units start in the order of their first test after
`pytest_collection_modifyitems` below: those with a test marked `slow` (the
long end-to-end runs) first, then those with module-scoped fixtures, then
the rest, which fill the gaps.
"""
import pytest

import mtf_mods  # noqa: F401  (first: turns TensorFlow's oneDNN on, as the kit)
import mtf_test_utils  # noqa: F401  (TF1 graph mode for every test)
from xdist_scheduling import VariantScopeScheduling


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
