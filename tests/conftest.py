"""Fixtures shared by the tests, and how the tests are spread over workers.

The suite runs on pytest-xdist workers with `--dist loadscope
--no-loadscope-reorder` (Makefile): each test module runs on one worker, so
an expensive module-scoped fixture (a trained model, a study, a variant's
mesh runs) is built once. The modules start in the order of their first
test after `pytest_collection_modifyitems` below: modules with a test
marked `slow` (the long end-to-end runs) first, then modules with
module-scoped fixtures, then the rest, which fill the gaps.
"""
import pytest

import mtf_test_utils  # noqa: F401  (TF1 graph mode for every test)


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
  """Environment for CLI subprocesses: a shared cache with a small corpus."""
  cache = tmp_path_factory.mktemp("mini_cache")
  return {"MTF_MODS_CACHE": str(cache),
          "MTF_MODS_MINI_TRAIN_DOCS": "3000",
          "MTF_MODS_MINI_VALIDATION_DOCS": "200"}
