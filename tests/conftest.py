"""Fixtures shared by the tests, and how the tests are spread over workers.

The suite runs on pytest-xdist workers with `--dist loadgroup
--no-loadscope-reorder` (Makefile). Two rules keep both workers busy and
every expensive fixture built once:
- the tests that share one instance of a module-scoped fixture (a trained
  model, a study, one variant's runs) form one xdist group, so they run on
  one worker and the fixture is built there only;
- tests marked `slow` (the long end-to-end runs) are scheduled first, then
  the groups, then the single tests that fill the gaps.
"""
import pytest

import mtf_test_utils  # noqa: F401  (TF1 graph mode for every test)


def shared_fixture_group(item):
  """The group of an item that uses a module-scoped fixture, or None.

  The group names the module and the parameters of its module-scoped
  fixtures: a fixture parametrized by variant gives one group per variant.
  """
  definitions = getattr(item, "_fixtureinfo", None)
  if definitions is None:
    return None
  scoped = sorted(name for name, defs in definitions.name2fixturedefs.items()
                  if defs and defs[-1].scope == "module")
  if not scoped:
    return None
  params = getattr(getattr(item, "callspec", None), "params", {})
  return "::".join([item.module.__name__] + [
      "%s=%s" % (name, params[name]) for name in scoped if name in params])


def scheduling_rank(item):
  """0 for slow tests, 1 for grouped ones, 2 for the rest."""
  if item.get_closest_marker("slow"):
    return 0
  return 1 if item.get_closest_marker("xdist_group") else 2


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
  for item in items:
    group = shared_fixture_group(item)
    if group and not item.get_closest_marker("xdist_group"):
      item.add_marker(pytest.mark.xdist_group(group))
  items.sort(key=scheduling_rank)


@pytest.fixture(scope="session")
def mini_env(tmp_path_factory):
  """Environment for CLI subprocesses: a shared cache with a small corpus."""
  cache = tmp_path_factory.mktemp("mini_cache")
  return {"MTF_MODS_CACHE": str(cache),
          "MTF_MODS_MINI_TRAIN_DOCS": "3000",
          "MTF_MODS_MINI_VALIDATION_DOCS": "200"}
