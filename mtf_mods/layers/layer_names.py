"""The names `transformer.make_layer_stack` gives the layers it makes.

With mtf's default `block_scope = True`, the n-th layer of block b is named
"block_<bbb>/<name>", <name> being the one given in the layer list or
"layer_<nnn>"; the name is the layer's variable scope in its stack.
"""
import re

_BLOCK_NAME = re.compile(r"^block_(\d+)/(.+)$")


def block_and_name(layer):
  """(block number, name within the block) of a `make_layer_stack` layer.

  Raises:
    ValueError: a layer not named with make_layer_stack's block scopes.
  """
  match = _BLOCK_NAME.match(layer.name or "")
  if not match:
    raise ValueError(
        "make_layer_stack's block_scope = True names \"block_NNN/<name>\" "
        "are needed; got layer name %r" % layer.name)
  return int(match.group(1)), match.group(2)
