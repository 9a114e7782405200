"""The gin files of one launch: variant, scale, stage and what they add.

The one place the list is built: the launcher, the study's model sizes,
the listing and the bench all call it, so each measures the configuration
a launch trains.
"""
import os

from mtf_mods.config import paths

KIT = "kit"          # the kit's layers (gin/models/)
RELEASE = "release"  # the authors' release on mtf's layers (gin/reference/)
IMPLEMENTATIONS = (KIT, RELEASE)


class NoReleaseConfig(ValueError):
  """The variant has no released config to train (its no_reference says
  why)."""


def model_gin_file(variant, implementation=KIT):
  """The model of a variant in an implementation: the kit's layers
  (gin/models/<name>.gin) or the authors' release on mtf's own layers
  (gin/reference/<name>.gin)."""
  if implementation not in IMPLEMENTATIONS:
    raise ValueError("unknown implementation %r; valid: %s" % (
        implementation, ", ".join(IMPLEMENTATIONS)))
  if implementation == KIT:
    return variant.gin_file
  if variant.reference_gin_file is None:
    raise NoReleaseConfig("variant %s has no release implementation: %s"
                          % (variant.name, variant.no_reference))
  return variant.reference_gin_file


def optimizer_gin_file(variant, stage, implementation=KIT):
  """optimizers/<optimizer>/<stage>.gin; the release's own version of it
  (optimizers/<optimizer>/release/<stage>.gin) where the kit's binds a kit
  optimizer (the Weighted Transformer's)."""
  kit = "optimizers/%s/%s.gin" % (variant.optimizer, stage)
  if implementation == KIT:
    return kit
  release = "optimizers/%s/%s/%s.gin" % (variant.optimizer, RELEASE, stage)
  return release if _exists(release) else kit


def stage_gin_files(variant, scale, stage, task=None, implementation=KIT):
  """The gin files for a variant at a scale in a stage, in order.

  The variant's model in the implementation (`model_gin_file`), the
  scale's sizes, the stage, then where they exist the variant's optimizer
  for the stage (`optimizer_gin_file`), the scale's budget for the stage
  (budgets/<scale>/<stage>.gin) and the task's
  (budgets/<scale>/<stage>/<task>.gin).
  """
  files = [model_gin_file(variant, implementation), scale.gin_file,
           "stages/%s.gin" % stage]
  optional = [optimizer_gin_file(variant, stage, implementation),
              "budgets/%s/%s.gin" % (scale.name, stage),
              "budgets/%s/%s/%s.gin" % (scale.name, stage, task)]
  return files + [f for f in optional if _exists(f)]


def _exists(gin_file):
  return any(os.path.exists(os.path.join(directory, gin_file))
             for directory in paths.gin_search_path())
