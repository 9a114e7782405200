"""A mixture of experts shards over an `experts` mesh dimension: the same
losses and gradients on one device and with the experts split over 2
devices (mesh "experts:2", layout rule "experts:experts"), and the experts'
weights really split there. (The 2x2 batch/model mesh of mesh.py splits
the experts over the batch axis.)"""
import numpy as np

from mtf_mods.checks import mesh
from mtf_mods.checks.result import Result
from mtf_mods.layers import dimensions

STEPS = 2
EXPERTS_MESH = ("%s:2" % dimensions.EXPERTS,
                "%s:%s" % (dimensions.EXPERTS, dimensions.EXPERTS))
EXPERT_WEIGHTS = "MixtureOfExperts/w"


def same_with_experts_split(variant):
  single, split = mesh.on_one_device_and_mesh(variant, STEPS, EXPERTS_MESH,
                                              STEPS)
  experts = {name: shape for name, shape in single.slice_shapes.items()
             if EXPERT_WEIGHTS in name}
  whole = sorted(name for name in experts
                 if list(split.slice_shapes[name]) == list(experts[name]))
  losses = np.allclose(split.losses, single.losses, rtol=mesh.LOSS_RTOL,
                       atol=0.0)
  gradients = mesh.gradient_differences(single, split)
  reasons = []
  if not experts:
    reasons.append("no %s weights" % EXPERT_WEIGHTS)
  if whole:
    reasons.append("experts' weights whole on each device: %s"
                   % ", ".join(whole))
  if not losses:
    reasons.append("losses %s, one device %s" % (split.losses, single.losses))
  if gradients:
    reasons.append("gradients differ: %s" % "; ".join(gradients))
  if reasons:
    return Result(variant.name, "experts split", False, "; ".join(reasons))
  return Result(variant.name, "experts split", True, "%d experts' weights "
                "halved over %s; same losses and gradients" % (
                    len(experts), EXPERTS_MESH[0]))
