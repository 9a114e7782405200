"""docs/adding-a-variant.md's recipe for a modification of your own, followed literally.

In a copy of the installed package (its gin files and tasks inside it, as a
wheel lays them out), a user writes a sublayer in mtf_mods/layers, its gin
file gin/models/<name>.gin, and one Variant line with no Table 1 row in
mtf_mods/variants/own.py; then runs `mtf-mods variants --scale tiny` on the
copy. The registry-driven code then serves the new entry like any other.
"""
import csv
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

import mtf_mods
from mtf_mods.config import paths
from mtf_mods.study import table as report
from mtf_mods.study import records
from mtf_mods import variants
import mtf_mods.tasks

NAME = "max_norm"

SUBLAYER = '''"""Max normalization (a modification of your own): the input
divided by its largest magnitude over d_model, times a gain:
y = x / (max|x| + epsilon) * g.
"""
import gin
import mesh_tensorflow as mtf
import numpy as np
import tensorflow.compat.v1 as tf

from mtf_mods.layers.sublayers import registry

EPSILON = 1e-6


def _np_max_norm(x, w):
  return x / (np.abs(x).max(-1, keepdims=True) + EPSILON) * w["gain"]


@registry.register(numpy_reference=_np_max_norm)
@gin.configurable(module="mtf_mods")
def sublayer_max_norm(x, layer_stack, context, epsilon=EPSILON):
  """y = x / (max|x| + epsilon) * g, the maximum over d_model."""
  del layer_stack
  model_dim = context.model.model_dim
  with tf.variable_scope("max_norm"):
    gain = mtf.get_variable(x.mesh, "gain", mtf.Shape([model_dim]),
                            initializer=tf.ones_initializer(),
                            dtype=context.variable_dtype)
  peak = mtf.reduce_max(mtf.abs(x), reduced_dim=model_dim)
  return x / (peak + epsilon) * gain
'''

GIN = '''# Max normalization in place of layer norm (a modification of your
# own).
include 'models/baseline.gin'

transformer.LayerStack.sublayers_per_layer = [
    @mtf_mods.sublayer_max_norm,
    @transformer.sublayer_call_layer,
    @transformer.sublayer_dropout,
    @transformer.sublayer_residual,
]
transformer.LayerStack.sublayers_final = [
    @mtf_mods.sublayer_max_norm,
    @transformer.sublayer_dropout,
]
'''

VARIANT_LINE = ('VARIANTS = (Variant("%s", None, FAMILY, "x / max|x| before '
                'each block.", no_reference="not in the study\'s release"),)'
                '\n' % NAME)


def _ignore_caches(directory, names):
  del directory
  return [name for name in names if name == "__pycache__"]


def _follow_recipe(site):
  """Copies the package to `site`/mtf_mods and adds the variant there."""
  package = os.path.join(site, "mtf_mods")
  for source, target in (
      (os.path.dirname(mtf_mods.__file__), package),
      (paths.gin_dir(), os.path.join(package, "gin")),
      (os.path.dirname(mtf_mods.tasks.__file__),
       os.path.join(package, "tasks"))):
    shutil.copytree(source, target, ignore=_ignore_caches,
                    dirs_exist_ok=True)
  # 1. The layer, imported by its package so gin and the layer tests see it.
  sublayers = os.path.join(package, "layers", "sublayers")
  with open(os.path.join(sublayers, NAME + ".py"), "w") as f:
    f.write(SUBLAYER)
  with open(os.path.join(sublayers, "__init__.py"), "a") as f:
    f.write("from mtf_mods.layers.sublayers import %s\n" % NAME)
  # 2. The gin file.
  with open(os.path.join(package, "gin", "models", NAME + ".gin"), "w") as f:
    f.write(GIN)
  # 3. One Variant line, with no Table 1 row.
  own = os.path.join(package, "variants", "own.py")
  with open(own) as f:
    text = f.read()
  assert text.count("VARIANTS = ()\n") == 1
  with open(own, "w") as f:
    f.write(text.replace("VARIANTS = ()\n", VARIANT_LINE))
  return package


@pytest.fixture(scope="module")
def site(tmp_path_factory):
  return str(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def package(site):
  return _follow_recipe(site)


def test_variants_lists_the_new_variant_without_paper_columns(site, package):
  del package
  env = dict(os.environ, PYTHONPATH=site)
  result = subprocess.run(
      [sys.executable, "-m", "mtf_mods.cli", "variants", "--scale", "tiny",
       "--variants=rms_norm,%s" % NAME],
      capture_output=True, text=True, env=env, cwd=site, timeout=600)
  assert result.returncode == 0, result.stderr[-3000:]
  rows = {line.split("\t")[0]: line.split("\t")
          for line in result.stdout.splitlines()[1:]}
  assert list(rows) == ["rms_norm", NAME]
  (_, table1_row, params, paper_params, _, paper_params_ratio, flops,
   flops_ratio, paper_ops, paper_ops_ratio, _) = rows[NAME]
  assert table1_row == paper_params == paper_params_ratio == ""
  assert paper_ops == paper_ops_ratio == ""
  # One d_model gain per normalization, as RMS norm's scale.
  assert int(params) == int(rows["rms_norm"][2])
  assert float(flops) > 0 and float(flops_ratio) > 0


def test_the_release_of_a_variant_without_one_is_refused(site, package):
  """A study of the release names the variant and its no_reference; a
  launch says the same, and neither writes anything."""
  del package
  env = dict(os.environ, PYTHONPATH=site)
  for command in (["study", "--dry_run", "--variants=%s" % NAME,
                   "--implementations=release"],
                  ["train", "--variant=%s" % NAME, "--scale=tiny",
                   "--model_dir=%s" % os.path.join(site, "never"),
                   "--implementation=release"]):
    result = subprocess.run(
        [sys.executable, "-m", "mtf_mods.cli"] + command,
        capture_output=True, text=True,
        env=env, cwd=site, timeout=600)
    assert result.returncode == 2, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith(
        "variant %s has no release implementation: not in the study's "
        "release" % NAME), lines
  assert not os.path.exists(os.path.join(site, "never"))


def _own_entries(package):
  """The copy's own.py entries, loaded beside the installed registry."""
  spec = importlib.util.spec_from_file_location(
      "copied_own_variants", os.path.join(package, "variants", "own.py"))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.VARIANTS


def test_the_registry_and_the_report_serve_the_new_variant(
    package, monkeypatch, tmp_path):
  entries = _own_entries(package)
  monkeypatch.setattr(variants, "VARIANTS", variants.VARIANTS + entries)
  variant = variants.get(NAME)
  assert not variant.in_table1 and variant.family == "own"
  assert variant.reference_gin_file is None
  assert os.path.exists(os.path.join(package, "gin", variant.gin_file))
  own_records = [
      records.Record(variants.BASELINE, "pretrain", 0, "ok",
                           {"early_loss": 3.0, "params": 6.6e6}),
      records.Record(NAME, "pretrain", 0, "ok",
                           {"early_loss": 2.75, "params": 6.5e6})]
  columns = report.columns(())
  by_variant = report.collect(own_records, columns)
  lines = report.markdown(by_variant, columns).splitlines()
  assert lines[-1].startswith("| %s | kit | 6.5M (-100K) |" % NAME)
  assert "(-0.250)" in lines[-1]
  path = tmp_path / "report.csv"
  report.write_csv(str(path), {"kit": by_variant}, columns)
  with open(path) as f:
    rows = [r for r in csv.DictReader(f) if r["variant"] == NAME]
  assert rows and all(r["table1_row"] == r["paper"] == "" for r in rows)
