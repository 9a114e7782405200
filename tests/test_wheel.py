"""The wheel holds every file of the package, and works installed from it.

One wheel is built from a copy of the repository's files (so nothing left
over in `build/` or `*.egg-info` can slip in) and installed into a fresh
target directory, which then shadows the editable install on PYTHONPATH.
A user's plugin, written in a temporary directory, runs on it.
"""
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from mtf_mods import variants
from mtf_test_utils import REPO
from plugin_files import write_plugin

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


# A user's plugin (mtf_mods.launch.plugins) outside the kit: a new activation and
# a new sublayer, each a variant.
PLUGIN = "my_mods"
PLUGIN_SOURCE = '''
    """Squared ReLU, max(0, x)^2, as the feed-forward's activation; scale
    normalization (Nguyen & Salazar 2019), g x / ||x|| over d_model with
    one scalar g initialized to sqrt(d_model), in place of layer norm."""
    import gin
    import mesh_tensorflow as mtf
    import numpy as np
    import tensorflow.compat.v1 as tf

    from mtf_mods import variants
    from mtf_mods.layers.transformer_layers import activations


    @activations.register("squared_relu",
                          numpy_reference=lambda x: np.maximum(x, 0.0) ** 2)
    def squared_relu(x):
      return mtf.square(mtf.relu(x))


    @gin.configurable(module="my_mods")
    def sublayer_scale_norm(x, layer_stack, context, epsilon=1e-6):
      del layer_stack
      model_dim = context.model.model_dim
      with tf.variable_scope("scale_norm"):
        gain = mtf.get_variable(
            x.mesh, "gain", mtf.Shape([]),
            initializer=tf.constant_initializer(model_dim.size ** 0.5),
            dtype=context.variable_dtype)
      norm = mtf.sqrt(mtf.reduce_sum(mtf.square(x), reduced_dim=model_dim))
      return x / (norm + epsilon) * gain


    for name, notes in (("squared_relu", "max(0, x)^2 in the FFN."),
                        ("scale_norm", "g x / ||x|| before each block.")):
      variants.register(variants.Variant(
          name, None, "own", notes, no_reference="not in the release"))
'''
PLUGIN_GIN = {
    "squared_relu": """
        include 'models/baseline.gin'
        mtf_mods.FeedForward.activation = "squared_relu"
        """,
    "scale_norm": """
        include 'models/baseline.gin'
        transformer.LayerStack.sublayers_per_layer = [
            @my_mods.sublayer_scale_norm, @transformer.sublayer_call_layer,
            @transformer.sublayer_dropout, @transformer.sublayer_residual]
        transformer.LayerStack.sublayers_final = [
            @my_mods.sublayer_scale_norm, @transformer.sublayer_dropout]
        """,
}
PLUGIN_VARIANTS = list(PLUGIN_GIN)


@pytest.fixture(scope="module")
def plugin(installed, tmp_path_factory):
  """(installed, with the plugin's folder on PYTHONPATH; its flags)."""
  env, cwd, target = installed
  python_dir, gin_dir = write_plugin(tmp_path_factory.mktemp("user"), PLUGIN,
                                     PLUGIN_SOURCE, PLUGIN_GIN)
  env = dict(env, PYTHONPATH=os.pathsep.join([str(target), python_dir]))
  flags = ["--module_import=" + PLUGIN, "--gin_location_prefix=" + gin_dir]
  return (env, cwd, target), flags


def _installed_files(target):
  """{path: modification time} of the installed kit's files, bytecode
  caches aside."""
  files = {}
  for root, dirs, names in os.walk(target):
    dirs[:] = [d for d in dirs if d != "__pycache__"]
    for name in names:
      path = os.path.join(root, name)
      files[path] = os.stat(path).st_mtime_ns
  return files


@pytest.fixture(scope="module")
def files_before(installed):
  return _installed_files(installed[2])


def test_installed_variants_sizes_the_kits_and_a_plugins_variants(
    plugin, files_before):
  """The installed command finds and builds the registry's first and last
  variants' gin files, and the plugin's. (That the wheel holds every file
  is checked by test_wheel_holds_exactly_the_package_files_of_the_tree;
  that the command lists every variant, by test_cli in this process.)"""
  del files_before  # taken before the first command
  installed, flags = plugin
  names = [variants.names()[0], variants.names()[-1]] + PLUGIN_VARIANTS
  result = run_installed(installed, "variants", "--scale", "tiny",
                         "--variants=%s" % ",".join(names), *flags)
  assert result.returncode == 0, result.stderr[-2000:]
  rows = [line.split("\t") for line in result.stdout.strip().splitlines()]
  assert [row[0] for row in rows[1:]] == names
  assert all(int(row[2]) > 0 for row in rows[1:])


def test_installed_check_passes_the_plugins_variants(plugin):
  installed, flags = plugin
  result = run_installed(installed, "check",
                         "--variants=%s" % ",".join(PLUGIN_VARIANTS), *flags)
  assert result.returncode == 0, result.stdout + result.stderr[-2000:]
  lines = result.stdout.strip().splitlines()
  for name in PLUGIN_VARIANTS:
    ours = [line for line in lines if line.split()[1] == name]
    assert len(ours) >= 8 and all(line.startswith("PASS ") for line in ours)


@pytest.fixture(scope="module")
def plugin_study(plugin):
  """The installed kit's early-loss study of the baseline and a plugin's
  variant, and its report: (workdir, study's result, report's result).
  Its launches are the installed `mtf-mods train` of the plugin's
  variant, so they stand for a tiny train too."""
  installed, flags = plugin
  workdir = installed[1] / "study"
  study = run_installed(installed, "study", *flags,
                        "--variants=baseline,scale_norm", "--scale=tiny",
                        "--seeds=1", "--pretrain_until=early",
                        "--pretrain_steps=8", "--workdir=%s" % workdir)
  report = run_installed(installed, "report", *flags,
                         "--workdir=%s" % workdir)
  return workdir, study, report


def test_installed_train_of_a_plugins_variant_uses_the_stage_optimizer(
    plugin_study):
  workdir, study, _ = plugin_study
  assert study.returncode == 0, study.stderr[-3000:]
  config = (workdir / "runs" / "scale_norm" / "seed0" / "pretrain"
            / "operative_config.gin").read_text()
  assert "@my_mods.sublayer_scale_norm" in config
  # optimizers/adafactor/pretrain.gin (mtf's default fraction is 0.1).
  assert "learning_rate_schedule_noam.linear_decay_fraction = 0.0" in config


def test_installed_study_and_report_of_a_plugins_variant(plugin_study):
  _, study, report = plugin_study
  assert study.returncode == 0, study.stderr[-3000:]
  assert report.returncode == 0, report.stderr[-3000:]
  for name in ("baseline", "scale_norm"):
    assert "| %s | kit |" % name in report.stdout, report.stdout


def test_nothing_inside_the_installed_kit_is_written(installed,
                                                     files_before):
  assert _installed_files(installed[2]) == files_before
