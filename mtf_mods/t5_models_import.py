"""t5's models package without importing PyTorch.

`t5.models` (which every launch imports, for t5's mesh_transformer_main)
imports `t5.models.hf_model` for its HfPyTorchModel, and that module
imports torch and transformers: seconds of every process's start that
mtf-mods never uses (the bench's PyTorch peer imports torch itself).
`defer_pytorch_model`, called before t5.models is first imported, puts a
placeholder in the module's place whose HfPyTorchModel, or any other name
asked of it, imports the real module on first use.
"""
import importlib
import sys
import types

PYTORCH_MODULE = "t5.models.hf_model"


def _real_module():
  if isinstance(sys.modules.get(PYTORCH_MODULE), _Deferred):
    del sys.modules[PYTORCH_MODULE]
  return importlib.import_module(PYTORCH_MODULE)


class _Deferred(types.ModuleType):
  """t5.models.hf_model until one of its names is used."""

  def __getattr__(self, name):
    if name.startswith("__"):  # what the import system asks of a module
      raise AttributeError(name)
    return getattr(_real_module(), name)


def _pytorch_model(*args, **kwargs):
  return _real_module().HfPyTorchModel(*args, **kwargs)


def defer_pytorch_model():
  """Defers t5.models.hf_model, unless t5.models is already imported."""
  if "t5.models" in sys.modules or PYTORCH_MODULE in sys.modules:
    return
  placeholder = _Deferred(PYTORCH_MODULE, _Deferred.__doc__)
  placeholder.HfPyTorchModel = _pytorch_model
  sys.modules[PYTORCH_MODULE] = placeholder
