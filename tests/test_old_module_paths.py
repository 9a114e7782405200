"""mtf_mods.old_module_paths: a moved module's old path still imports it."""
import importlib
import os

import gin

import mtf_mods
from mtf_mods import old_module_paths
from mtf_mods.config import sizing
from mtf_mods.launch import launcher


def test_every_old_path_names_a_moved_module_and_no_file_is_left_there():
  package_dir = os.path.dirname(mtf_mods.__file__)
  for old, new in old_module_paths.MOVED.items():
    assert importlib.util.find_spec("mtf_mods." + new) is not None, new
    assert not os.path.exists(os.path.join(package_dir, old + ".py")), old


def test_an_old_path_is_the_moved_module_with_a_note(capsys):
  old = importlib.import_module("mtf_mods.launcher")
  assert old is launcher
  assert ("module mtf_mods.launcher is now mtf_mods.launch.launcher"
          in capsys.readouterr().err)


def test_a_gin_file_importing_an_old_path_still_binds_the_same_names():
  with gin.unlock_config():
    gin.parse_config("""
        import mtf_mods.sizing
        old_path_probe/mtf_mods.scaled.value = 12
        old_path_probe/mtf_mods.scaled.ratio = "1/2"
    """)
  try:
    with gin.config_scope("old_path_probe"):
      assert sizing.scaled() == 6
  finally:
    gin.clear_config()
  assert importlib.import_module("mtf_mods.sizing") is sizing
