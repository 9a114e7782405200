"""Each model's size, measured once per process: one graph build per scale,
variant and implementation serves every test that asks (test_model_graph,
test_reference_configs)."""
import functools

from mtf_mods.model import model_graph
from mtf_mods.config import scales
from mtf_mods import variants
import mtf_mods.layers  # noqa: F401  (registers the layers with gin)

BASELINE = variants.get(variants.BASELINE)
# The kit's model (gin/models/) and the authors' released config on mtf's
# own layers (gin/reference/).
KIT, RELEASE = "kit", "release"


def size_at(scale_name, variant=BASELINE, implementation=KIT, params=()):
  """model_graph.ModelSize of `variant` at the scale, in the implementation,
  with the gin bindings `params` (a tuple)."""
  return _measured(scale_name, variant.name, implementation, params, True)


def parameters_at(scale_name, variant=BASELINE, implementation=KIT,
                  params=()):
  """The parameter count alone (no backward pass built)."""
  return _measured(scale_name, variant.name, implementation, params,
                   False).parameters


@functools.lru_cache(maxsize=None)
def _measured(scale_name, variant_name, implementation, params, flops):
  scale = scales.get(scale_name)
  variant = variants.get(variant_name)
  gin_file = {KIT: variant.gin_file,
              RELEASE: variant.reference_gin_file}[implementation]
  return model_graph.measure([gin_file, scale.gin_file], list(params),
                             scale.vocab_size, flops=flops)
