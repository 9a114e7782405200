"""The bench's machine row: the CPU's model and widest vector extension,
and the variables that cap the kernels below it."""
import pytest

from mtf_mods.bench import machine

XEON = """processor\t: 0
model name\t: Intel(R) Xeon(R) Platinum
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512bw amx_tile
"""
EPYC_AVX2 = """processor\t: 0
model name\t: AMD EPYC
flags\t\t: fpu sse4_2 avx avx2 fma
"""


@pytest.fixture
def cpuinfo(tmp_path):
  def write(text):
    path = tmp_path / "cpuinfo"
    path.write_text(text)
    return str(path)
  return write


def test_the_model_name_is_read_from_cpuinfo(cpuinfo):
  assert machine.cpu_model(cpuinfo(XEON)) == "Intel(R) Xeon(R) Platinum"


@pytest.mark.parametrize("text, expected", [
    (XEON, "AVX-512"), (EPYC_AVX2, "AVX2"),
    ("flags\t: fpu sse4_2\n", "SSE4.2"),
    ("model name\t: unknown\n", "vector extensions unknown")])
def test_the_widest_fp32_vector_extension_is_named(cpuinfo, text, expected):
  assert machine.vector_instructions(cpuinfo(text), environ={}) == expected


def test_variables_capping_the_kernels_are_named_beside_it(cpuinfo):
  environ = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2",
             "DNNL_MAX_CPU_ISA": "", "HOME": "/root"}
  assert machine.vector_instructions(cpuinfo(XEON), environ) == (
      "AVX-512, kernels capped: ONEDNN_MAX_CPU_ISA=AVX2 "
      "ATEN_CPU_CAPABILITY=avx2")
