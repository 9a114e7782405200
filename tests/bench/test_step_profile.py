"""`mtf-mods profile`: ops land in the categories of their role, and a
traced tiny step of the kit and of its peer has time in each category a
training step must have."""
import pytest

from mtf_mods.config import gin_files
from mtf_mods.config import protocol
from mtf_mods.config import scales
from mtf_mods import variants
from mtf_mods.bench import cpu_threads
from mtf_mods.bench import kit_step
from mtf_mods.bench import peer_config
from mtf_mods.bench import step_profile as sp
from mtf_mods.bench import torch_peer
from mtf_test_utils import call_cli

TINY = scales.get("tiny")
LAYER = "encoder/block_000/layer_000/"


@pytest.mark.parametrize("name,op_type,category", [
    (LAYER + "MultiHeadSelfAttention/q/einsum/parallel_0/einsum/Einsum",
     "Einsum", sp.MATMUL),
    (LAYER + "MultiHeadSelfAttention/softmax/exp/parallel_0/Exp", "Exp",
     sp.SOFTMAX),
    ("decoder/reduce_logsumexp/exp/parallel_0/Exp", "Exp", sp.SOFTMAX),
    (LAYER + "rsqrt/parallel_0/Rsqrt", "Rsqrt", sp.NORM),
    (LAYER + "add_1/parallel_0/AddV2", "AddV2", sp.NORM),
    (LAYER + "rsqrt/gradients/einsum/parallel_0/Mul", "Mul", sp.NORM),
    (LAYER + "layer_norm/gain/adafactor/square_1/parallel_0/Square",
     "Square", sp.OPTIMIZER),
    ("assign/parallel_0_12/AssignVariableOp", "AssignVariableOp",
     sp.OPTIMIZER),
    (LAYER + "MultiHeadSelfAttention/add_5/parallel_0/transpose",
     "Transpose", sp.LAYOUT),
    ("encoder/one_hot/parallel_0/one_hot", "OneHot", sp.LAYOUT),
    (LAYER + "FeedForward/wi/einsum/parallel_0/einsum/Einsum", "_MklEinsum",
     sp.MATMUL),
    ("decoder/einsum_4/parallel_0/MatMul", "_MklNativeFusedMatMul",
     sp.MATMUL),
    (LAYER + "FeedForward/relu/parallel_0/Relu", "Relu", sp.OTHER),
])
def test_kit_ops_by_role(name, op_type, category):
  assert sp.kit_category(name, op_type) == category


@pytest.mark.parametrize("name,ancestors,category", [
    ("aten::addmm", ["aten::linear"], sp.MATMUL),
    ("aten::mm", ["autograd::engine::evaluate_function: MmBackward0"],
     sp.MATMUL),
    ("aten::mul", [torch_peer.OPTIMIZER_SCOPE], sp.OPTIMIZER),
    ("aten::native_layer_norm", ["aten::layer_norm"], sp.NORM),
    ("aten::_softmax", ["aten::softmax"], sp.SOFTMAX),
    ("aten::copy_", ["aten::contiguous"], sp.LAYOUT),
    ("aten::relu", [], sp.OTHER),
])
def test_peer_ops_by_role(name, ancestors, category):
  assert sp.peer_category(name, ancestors) == category


def test_a_traced_tiny_step_of_the_kit_and_the_peer():
  files = gin_files.stage_gin_files(variants.get(variants.BASELINE), TINY,
                                    protocol.PRETRAIN_STAGE)
  threads = cpu_threads.one_op_at_a_time()  # as `mtf-mods profile`
  with kit_step.open_step(files, [], TINY.vocab_size,
                          cpu_threads.session_config(threads)) as kit:
    kit_profile = sp.profile_kit(kit, steps=1)
    with torch_peer.open_step(
        peer_config.peer_config(files, [], TINY.vocab_size), kit.batch,
        kit.lengths, threads) as peer:
      peer_profile = sp.profile_peer(peer, steps=1)
  for profile in (kit_profile, peer_profile):
    for category in (sp.MATMUL, sp.NORM, sp.SOFTMAX, sp.OPTIMIZER):
      assert profile.by_category.get(category, 0) > 0, (profile.side,
                                                        category)
    assert 0 < profile.total() < 2 * profile.traced_seconds + 0.05
  assert any("->" in shape for shape in kit_profile.matmuls)  # equations
  assert any(shape.startswith(("mm", "addmm", "bmm"))
             for shape in peer_profile.matmuls)
  text = sp.render("baseline", kit_profile, peer_profile)
  for category in sp.CATEGORIES:
    assert category in text


def test_profile_refuses_bad_flags():
  result = call_cli("profile", "--variants=nope")
  assert result.returncode == 2
  assert "unknown variant 'nope'" in result.stderr
  result = call_cli("profile", "--steps=0")
  assert result.returncode == 2
  assert "--steps must be at least 1, got 0" in result.stderr
