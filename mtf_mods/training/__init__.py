"""The training loop's hooks and the optimizers and schedules it runs.

loop.py wraps mesh_tensorflow's train_model (gin's
`@mtf_mods.train_with_progress`) with its hooks: progress, loss_guard.py
(a non-finite loss stops the run), reproducible_random.py (random draws
keyed by seed and step), ordered_updates.py (a step's writes wait for its
reads); checkpoint_plan.py (how many checkpoints a run keeps) and
finetuning.py (starting from a pre-trained checkpoint); the optimizers
and learning rates the variants bind in gin: adam.py,
branch_weight_schedule.py, schedules.py. It may import files/, config/
and layers/. Importing it loads loop.py, so that a gin file's
`import mtf_mods.training` registers train_with_progress as before.
"""
from mtf_mods.training import loop  # noqa: F401  pylint: disable=unused-import
