"""The gin files of one launch: variant, scale, stage and what they add.

The one place the list is built: the launcher, the study's model sizes,
the listing and the bench all call it, so each measures the configuration
a launch trains.
"""
import os

from mtf_mods import paths


def stage_gin_files(variant, scale, stage, task=None):
  """The kit's gin files for a variant at a scale in a stage, in order.

  The variant's model, the scale's sizes, the stage, then where they exist
  the variant's optimizer for the stage (optimizers/<optimizer>/<stage>.gin),
  the scale's budget for the stage (budgets/<scale>/<stage>.gin) and the
  task's (budgets/<scale>/<stage>/<task>.gin).
  """
  files = [variant.gin_file, scale.gin_file, "stages/%s.gin" % stage]
  optional = ["optimizers/%s/%s.gin" % (variant.optimizer, stage),
              "budgets/%s/%s.gin" % (scale.name, stage),
              "budgets/%s/%s/%s.gin" % (scale.name, stage, task)]
  return files + [f for f in optional
                  if os.path.exists(os.path.join(paths.gin_dir(), f))]
