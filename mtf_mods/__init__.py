"""mtf-mods: Transformer modifications in Mesh TensorFlow (README.md, docs/).

Importing the package before TensorFlow turns on TensorFlow's oneDNN
kernels on every x86 CPU (TF_ENABLE_ONEDNN_OPTS=1, unless the variable is
set): TensorFlow 2.12 enables them by default only on CPUs with AVX512-VNNI,
AVX512-BF16 or AMX, and elsewhere (an AMD EPYC with AVX2, say) runs its
own Eigen matmuls, which took the cpu scale's training step 20% longer on
such a machine (docs/measurements/speed.md). Set TF_ENABLE_ONEDNN_OPTS=0 for
Eigen's kernels.

It also keeps t5's PyTorch model (and so torch and transformers) from
being imported with t5.models until it is used (t5_models_import.py), and
lets the old paths of the modules that moved into packages be imported
still (old_module_paths.py).
"""
import os

from mtf_mods import old_module_paths
from mtf_mods import t5_models_import

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
t5_models_import.defer_pytorch_model()
old_module_paths.install()
