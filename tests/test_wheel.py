"""The wheel holds every file of the package, and works installed from it.

One wheel is built from a copy of the repository's files (so nothing left
over in `build/` or `*.egg-info` can slip in) and installed into a fresh
target directory, which then shadows the editable install on PYTHONPATH.
"""
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from mtf_mods import variants
from mtf_test_utils import REPO

pytestmark = pytest.mark.slow

# Where each top-level folder of the repository lands in the wheel.
INSTALLED_AS = {"mtf_mods": "mtf_mods", "tasks": "mtf_mods/tasks",
                "gin": "mtf_mods/gin"}
# Folders and files that are never part of the source tree.
NOT_SOURCE = ("__pycache__", ".git", ".venv", "build", "runs")


def tree_files():
  """The repository's files, relative to it.

  In a git checkout: the tracked files and the new ones git does not ignore
  (and that exist); elsewhere: every file, skipping caches and build output.
  """
  if os.path.isdir(os.path.join(REPO, ".git")):
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, text=True, check=True).stdout
    return sorted(path for path in listed.splitlines()
                  if os.path.isfile(os.path.join(REPO, path)))
  found = []
  for root, dirs, files in os.walk(REPO):
    dirs[:] = [d for d in dirs
               if d not in NOT_SOURCE and not d.endswith(".egg-info")]
    found.extend(os.path.relpath(os.path.join(root, name), REPO)
                 for name in files if not name.endswith(".pyc"))
  return sorted(found)


def expected_wheel_files(files):
  """Where the wheel must hold each file of mtf_mods/, tasks/ and gin/."""
  expected = set()
  for path in files:
    top, _, rest = path.partition("/")
    if top in INSTALLED_AS and rest:
      expected.add(INSTALLED_AS[top] + "/" + rest)
  return expected


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
  """The path of a wheel built offline from a copy of the repository."""
  work = tmp_path_factory.mktemp("wheel")
  source = work / "source"
  for path in tree_files():
    os.makedirs(source / os.path.dirname(path), exist_ok=True)
    shutil.copy2(os.path.join(REPO, path), source / path)
  result = subprocess.run(
      [sys.executable, "-m", "pip", "wheel", "--no-deps",
       "--no-build-isolation", "--no-index", "-w", str(work / "dist"),
       str(source)], capture_output=True, text=True)
  assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
  (built,) = (work / "dist").glob("*.whl")
  return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory, mini_env):
  """(environment, cwd, target): the wheel installed into a fresh target."""
  target = tmp_path_factory.mktemp("target")
  result = subprocess.run(
      [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
       "--target", str(target), str(wheel)], capture_output=True, text=True)
  assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
  env = dict(os.environ, PYTHONPATH=str(target), **mini_env)
  return env, tmp_path_factory.mktemp("outside_repo"), target


def run_installed(installed, *args):
  env, cwd, target = installed
  return subprocess.run([str(target / "bin" / "mtf-mods")] + list(args),
                        capture_output=True, text=True, env=env, cwd=cwd,
                        timeout=600)


def test_wheel_holds_exactly_the_package_files_of_the_tree(wheel):
  with zipfile.ZipFile(wheel) as archive:
    ours = {name for name in archive.namelist()
            if not name.split("/")[0].endswith(".dist-info")}
  expected = expected_wheel_files(tree_files())
  assert ours == expected, {"missing": sorted(expected - ours),
                            "extra": sorted(ours - expected)}


def test_the_installed_wheel_is_what_python_imports(installed):
  env, cwd, target = installed
  result = subprocess.run(
      [sys.executable, "-c",
       "import importlib.util, mtf_mods; print(mtf_mods.__file__); "
       "print(importlib.util.find_spec('mtf_mods.tasks').origin)"],
      capture_output=True, text=True, env=env, cwd=cwd, check=True)
  for origin in result.stdout.split():
    assert origin.startswith(str(target) + os.sep), origin


def test_installed_variants_sizes_the_registrys_first_and_last(installed):
  """The installed command finds and builds registered variants' gin
  files. (That the wheel holds every file is checked by
  test_wheel_holds_exactly_the_package_files_of_the_tree; that the command
  lists every variant, by test_cli in this process.)"""
  ends = [variants.names()[0], variants.names()[-1]]
  result = run_installed(installed, "variants", "--scale", "tiny",
                         "--variants=%s" % ",".join(ends))
  assert result.returncode == 0, result.stderr[-2000:]
  rows = [line.split("\t") for line in result.stdout.strip().splitlines()]
  assert [row[0] for row in rows[1:]] == ends
  assert all(int(row[2]) > 0 for row in rows[1:])


def test_installed_train_uses_the_stage_optimizer_and_budget(installed):
  _, cwd, _ = installed
  model_dir = cwd / "model"
  # The scale's own length (20 steps), whose interval the budget sets; a
  # --train_steps would bind one of its own (checkpoint_plan).
  result = run_installed(installed, "train", "--scale=tiny",
                         "--task=mini_span_corruption",
                         "--model_dir=%s" % model_dir)
  assert result.returncode == 0, result.stderr[-3000:]
  config = (model_dir / "operative_config.gin").read_text()
  # optimizers/adafactor/pretrain.gin (mtf's default fraction is 0.1).
  assert "learning_rate_schedule_noam.linear_decay_fraction = 0.0" in config
  # budgets/tiny/pretrain.gin (scales/tiny.gin says 10).
  assert "run.save_checkpoints_steps = 2" in config
