"""A launch imports t5.models without PyTorch; t5's PyTorch model still
loads when it is used."""
import subprocess
import sys

from mtf_test_utils import REPO

PROBE = """
import sys
import mtf_mods.launch.launcher
print(sorted({"torch", "transformers"} & set(sys.modules)))
from t5.models import hf_model
print(hf_model.tokens_to_batches.__module__, "torch" in sys.modules)
"""


def test_a_launch_does_not_import_pytorch_until_t5s_model_is_used():
  result = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO,
                          capture_output=True, text=True, check=True)
  assert result.stdout.splitlines() == ["[]", "t5.models.hf_model True"]
