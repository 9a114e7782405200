"""The registry of LayerStack sublayers and of their numpy equations.

Every sublayer of this package is registered here with the same equation in
numpy: a function of the input and of the sublayer's weights by variable
name (the last part of the name, e.g. "scale"). The tests check every
registered sublayer against its equation, so a new one is checked with no
edit to the tests. To add one:

    @registry.register(numpy_reference=lambda x, w: x / w["scale"])
    @gin.configurable(module="mtf_mods")
    def sublayer_my_norm(x, layer_stack, context):
      ...  # the same equation on mtf.Tensors; cite it in a docstring
"""
SUBLAYERS = {}          # function name -> sublayer function
NUMPY_REFERENCES = {}   # function name -> f(x, {variable name: value})


def register(numpy_reference):
  """Registers the decorated sublayer with its numpy reference."""
  def decorator(sublayer):
    SUBLAYERS[sublayer.__name__] = sublayer
    NUMPY_REFERENCES[sublayer.__name__] = numpy_reference
    return sublayer
  return decorator
