"""Fixtures shared by the tests."""
import pytest

import mtf_test_utils  # noqa: F401  (TF1 graph mode for every test)


@pytest.fixture(scope="session")
def mini_env(tmp_path_factory):
  """Environment for CLI subprocesses: a shared cache with a small corpus."""
  cache = tmp_path_factory.mktemp("mini_cache")
  return {"MTF_MODS_CACHE": str(cache),
          "MTF_MODS_MINI_TRAIN_DOCS": "3000",
          "MTF_MODS_MINI_VALIDATION_DOCS": "200"}
