"""A plugin (mtf_mods.launch.plugins): the flags, their launch form, and the one
line and exit code 2 of each way a plugin fails to load."""
import argparse
import os
import sys

import pytest

from mtf_mods.config import paths
from mtf_mods.launch import plugins
from mtf_mods import variants
from mtf_test_utils import call_cli
from plugin_files import write_plugin

REGISTERING = '''
    from mtf_mods import variants
    variants.register(variants.Variant(
        %r, None, "own", "", no_reference="a test's plugin"))
'''


@pytest.fixture
def isolated(monkeypatch):
  """The registry, the gin search path and the imported modules as they
  were, after the test."""
  monkeypatch.setattr(variants, "VARIANTS", variants.VARIANTS)
  monkeypatch.setattr(paths, "_PLUGIN_GIN_DIRS", [])
  modules = set(sys.modules)
  yield monkeypatch
  for name in set(sys.modules) - modules:
    del sys.modules[name]


def _plugin(tmp_path, monkeypatch, package, source, gin_models):
  python_dir, gin_dir = write_plugin(tmp_path, package, source, gin_models)
  monkeypatch.syspath_prepend(python_dir)
  return gin_dir


def test_the_flags_take_t5s_names_and_give_the_launch_flags(tmp_path):
  parser = argparse.ArgumentParser()
  plugins.add_flags(parser)
  args = parser.parse_args(["--module_import=a", "--module_import=b",
                            "--gin_location_prefix=%s,%s" % (tmp_path, tmp_path),
                            "--gin_location_prefix", str(tmp_path)])
  assert args.module_import == ["a", "b"]
  assert args.gin_location_prefix == [str(tmp_path)] * 3
  loaded = plugins.Plugins(("a", "b"), ("/x", "/y"))
  assert loaded.launch_flags() == ["--module_import=a", "--module_import=b",
                                   "--gin_location_prefix=/x,/y"]
  assert loaded.configuration() == {"module_import": ["a", "b"],
                                    "gin_location_prefix": ["/x", "/y"]}


def test_a_registered_variant_is_in_the_registry_after_the_kits(
    isolated, tmp_path):
  gin_dir = _plugin(tmp_path, isolated, "own_plugin", REGISTERING % "mine",
                    {"mine": "include 'models/baseline.gin'\n"})
  loaded = plugins.load(["own_plugin"], [gin_dir])
  assert variants.names()[-1] == "mine" and variants.get("mine").name == "mine"
  assert loaded.gin_dirs == (gin_dir,) and gin_dir in paths.gin_search_path()
  with pytest.raises(variants.AlreadyRegistered, match="'mine'"):
    variants.register(variants.get("mine"))


@pytest.mark.parametrize("command", ["variants", "check", "bench"])
def test_a_module_that_does_not_import_exits_2_naming_it(command):
  result = call_cli(command, "--variants=baseline",
                    "--module_import=no_such_plugin_module")
  assert result.returncode == 2
  assert result.stderr.strip().splitlines() == [
      "mtf-mods %s: --module_import=no_such_plugin_module does not import: "
      "ModuleNotFoundError: No module named 'no_such_plugin_module'"
      % command]


def test_a_name_registered_twice_exits_2_naming_it(isolated, tmp_path):
  _plugin(tmp_path, isolated, "twice_plugin", REGISTERING % "baseline", {})
  result = call_cli("variants", "--variants=baseline",
                    "--module_import=twice_plugin")
  assert result.returncode == 2
  assert result.stderr.strip().splitlines() == [
      "mtf-mods variants: --module_import=twice_plugin: variant 'baseline' "
      "is already registered; choose another name"]


def test_a_gin_folder_that_is_not_one_exits_2_naming_it(tmp_path):
  missing = os.path.join(tmp_path, "missing")
  result = call_cli("check", "--variants=baseline",
                    "--gin_location_prefix=" + missing)
  assert result.returncode == 2
  assert result.stderr.strip().splitlines() == [
      "mtf-mods check: --gin_location_prefix=%s is not a directory" % missing]


def test_a_variant_without_its_gin_file_exits_2_naming_it(isolated,
                                                          tmp_path):
  _plugin(tmp_path, isolated, "no_gin_plugin", REGISTERING % "mine", {})
  result = call_cli("variants", "--variants=mine",
                    "--module_import=no_gin_plugin")
  assert result.returncode == 2
  [line] = result.stderr.strip().splitlines()
  assert line.startswith(
      "mtf-mods variants: variant mine (registered by "
      "--module_import=no_gin_plugin): gin file models/mine.gin not found in ")
  assert line.endswith("; give its folder with --gin_location_prefix")


def test_train_loads_the_plugin_before_the_variant(isolated, tmp_path):
  _plugin(tmp_path, isolated, "no_gin_plugin", REGISTERING % "mine", {})
  result = call_cli("train", "--variant=mine", "--scale=tiny",
                    "--module_import=no_gin_plugin",
                    "--model_dir=%s" % (tmp_path / "model"))
  assert result.returncode == 2
  assert result.stderr.strip().splitlines()[0].startswith(
      "mtf-mods train: variant mine (registered by "
      "--module_import=no_gin_plugin): gin file models/mine.gin not found")
