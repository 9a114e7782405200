"""The authors' released configs (gin/reference/), rebuilt on mesh tensorflow
0.1.21's own layers: one for every registered variant that has no reason not
to, with the kit's parameter count, and no kit layer in it."""
import os
import re

import pytest

from mtf_mods.config import gin_config
from mtf_mods.model import model_parts
from mtf_mods.config import paths
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.variants import variant as variant_lib

from model_sizes import KIT
from model_sizes import RELEASE
from model_sizes import parameters_at

REFERENCE_DIR = os.path.join(paths.gin_dir(), variant_lib.REFERENCE_DIR)
# gin/reference/parts/: blocks the variants' files share, no variant's own.
SHARED_PARTS = "parts"
# gin/reference/as_published/<variant>.gin: the release's published defects
# back where they build, added after a release launch's files.
AS_PUBLISHED = "as_published"
WITH_REFERENCE = [v.name for v in variants.VARIANTS if v.reference_gin_file]
# Parts are listed at the cpu scale (6+6 layers, d_model 192, d_ff 768, 6
# heads), where every size ratio of Table 1 is exact. Parameter counts are
# compared at paper scale, the release's own: some of its structures exist
# only there (the experts' blocks of 4 layers need a multiple of 4).
SCALE = scales.get("cpu")


def _parts(gin_file):
  return model_parts.of_config([gin_file, SCALE.gin_file], SCALE.vocab_size)


@pytest.mark.parametrize("name", variants.names())
def test_a_reference_config_exists_unless_the_registry_says_why_not(name):
  variant = variants.get(name)
  own_file = os.path.join(REFERENCE_DIR, name + ".gin")
  if variant.no_reference:
    assert variant.reference_gin_file is None
    assert not os.path.exists(own_file), "no_reference, yet %s exists" % (
        own_file)
  else:
    assert os.path.isfile(
        os.path.join(paths.gin_dir(), variant.reference_gin_file)), (
            "%s has no %s: add it, or say why in its no_reference"
            % (name, variant.reference_gin_file))


def test_every_reference_config_belongs_to_a_registered_variant():
  entries = set(os.listdir(REFERENCE_DIR)) - {SHARED_PARTS, AS_PUBLISHED}
  assert entries == {name + ".gin" for name in WITH_REFERENCE}
  assert os.path.isdir(os.path.join(REFERENCE_DIR, SHARED_PARTS))
  as_published = os.listdir(os.path.join(REFERENCE_DIR, AS_PUBLISHED))
  assert as_published and set(as_published) <= {
      name + ".gin" for name in WITH_REFERENCE}


@pytest.mark.parametrize("name", ["mixture_of_experts", "switch_transformer"])
def test_the_decoders_capacity_factor_is_fixed_and_as_published_selectable(
    name):
  """The release bound the decoder's experts' capacity under "deccoder/",
  which never applies: fixed, the decoder takes the encoder's factor; as
  published, mtf's defaults (1.25 in training, 2.0 in evaluation)."""
  variant = variants.get(name)
  as_published = "%s/%s/%s.gin" % (variant_lib.REFERENCE_DIR, AS_PUBLISHED,
                                   name)
  factors = {}
  for label, extra in (("fixed", []), ("as published", [as_published])):
    with gin_config.parsed([variant.reference_gin_file, SCALE.gin_file]
                           + extra):
      factors[label] = [gin_config.query("%s/moe.MoE1D.capacity_factor_%s"
                                         % (stack, mode))
                        for stack in ("encoder", "decoder")
                        for mode in ("train", "eval")]
  encoder = factors["fixed"][0]
  assert encoder == {"mixture_of_experts": 2.0, "switch_transformer": 1.2}[
      name]
  assert factors["fixed"] == [encoder] * 4
  assert factors["as published"] == [encoder, encoder, 1.25, 2.0]


@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_reference_has_the_kits_parameter_count(name):
  variant = variants.get(name)
  assert parameters_at("paper", variant, RELEASE) == (
      parameters_at("paper", variant, KIT, variant.release_as_run))


@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_reference_is_built_from_mesh_tensorflow_alone(name):
  """Its layers, sublayers, stacks and embedding all come from mtf."""
  modules = _parts(variants.get(name).reference_gin_file).modules()
  assert modules and not {
      m for m in modules if not m.startswith("mesh_tensorflow.")}


@pytest.mark.parametrize("name", variants.names())
def test_the_kits_model_is_built_from_mtf_mods_layers(name):
  layers = _parts(variants.get(name).gin_file).layers
  assert layers and not {
      layer for layer in layers if not layer.__module__.startswith(
          "mtf_mods.")}


ABOUT_THE_RELEASE = [
    v.name for v in variants.VARIANTS
    if v.reference_gin_file and "released" in v.params_note]


@pytest.mark.parametrize("name", ABOUT_THE_RELEASE)
def test_a_params_note_on_the_release_holds_at_paper_scale(name):
  """A params_note that gives the released config's count (depth_24: 223M
  where Table 1 prints 224M) is right for the reference and for the kit as
  the release ran."""
  variant = variants.get(name)
  [count] = re.findall(r"\d{1,3}(?:,\d{3})+", variant.params_note)
  count = int(count.replace(",", ""))
  assert parameters_at("paper", variant, RELEASE) == count
  assert parameters_at("paper", variant, KIT, variant.release_as_run) == count
