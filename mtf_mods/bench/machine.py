"""What a bench ran on: CPU model, vector instructions, cores, library
versions and date."""
import datetime
import importlib.metadata
import os
import platform

LIBRARIES = ("tensorflow", "mesh-tensorflow", "torch", "transformers")

# The widest fp32 vector extensions first, by their /proc/cpuinfo flags.
VECTOR_EXTENSIONS = (("avx512f", "AVX-512"),
                     ("avx2", "AVX2"), ("avx", "AVX"), ("sse4_2", "SSE4.2"))
# Variables that keep oneDNN (TensorFlow's and PyTorch's), MKL (PyTorch's
# matmuls) or PyTorch's own kernels below the CPU's widest extension.
ISA_CAPS = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS",
            "ATEN_CPU_CAPABILITY")


def _cpuinfo_field(name, cpuinfo="/proc/cpuinfo"):
  try:
    with open(cpuinfo) as f:
      for line in f:
        if line.split(":", 1)[0].strip() == name:
          return line.split(":", 1)[1].strip()
  except OSError:
    pass
  return None


def cpu_model(cpuinfo="/proc/cpuinfo"):
  """The CPU's model name (from /proc/cpuinfo on Linux)."""
  return (_cpuinfo_field("model name", cpuinfo)
          or platform.processor() or platform.machine())


def vector_instructions(cpuinfo="/proc/cpuinfo", environ=os.environ):
  """The CPU's widest float vector extension and any variable that caps
  the kernels below it, e.g. "AVX-512, kernels capped: ONEDNN_MAX_CPU_ISA=
  AVX2": the extension sets a machine's matmul peak, and a capped run
  takes the kernels a CPU without the extension takes."""
  flags = set((_cpuinfo_field("flags", cpuinfo) or "").split())
  widest = next((name for flag, name in VECTOR_EXTENSIONS if flag in flags),
                "vector extensions unknown")
  caps = ["%s=%s" % (name, environ[name]) for name in ISA_CAPS
          if environ.get(name)]
  if caps:
    return "%s, kernels capped: %s" % (widest, " ".join(caps))
  return widest


def versions():
  found = []
  for name in LIBRARIES:
    try:
      found.append("%s %s" % (name, importlib.metadata.version(name)))
    except importlib.metadata.PackageNotFoundError:
      pass
  return ", ".join(found)


def today():
  return datetime.date.today().isoformat()
