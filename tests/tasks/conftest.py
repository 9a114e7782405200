"""Fixtures for the tests of `mtf_mods.tasks`: a private cache, small corpora."""
import pytest

# Small enough to generate in about a second, large enough for a vocabulary of
# the full VOCAB_SIZE pieces.
SMALL_TRAIN_DOCS = 400
SMALL_VALIDATION_DOCS = 40


@pytest.fixture
def cache(tmp_path, monkeypatch):
  """An empty cache directory used by everything generated in the test."""
  path = tmp_path / "cache"
  monkeypatch.setenv("MTF_MODS_CACHE", str(path))
  return path


@pytest.fixture(scope="module")
def small_mini(tmp_path_factory):
  """The registered mini task, pointed at one small corpus for the module."""
  with pytest.MonkeyPatch.context() as patch:
    path = tmp_path_factory.mktemp("mini_cache")
    patch.setenv("MTF_MODS_CACHE", str(path))
    patch.setenv("MTF_MODS_MINI_TRAIN_DOCS", str(SMALL_TRAIN_DOCS))
    patch.setenv("MTF_MODS_MINI_VALIDATION_DOCS", str(SMALL_VALIDATION_DOCS))
    yield path
