"""seqio tasks of mtf-mods (imported as `mtf_mods.tasks`).

Importing this package registers `mini_span_corruption`, the embedded offline
pretraining task (see `mini.py`); nothing is generated until its data or
vocabulary is first used. `register_text_files_task` registers the same
pipeline on the user's own text files. Pass `--module_import=mtf_mods.tasks`
to t5's `t5_mesh_transformer` to make the tasks available there.
"""
from mtf_mods.tasks import mini
from mtf_mods.tasks.mini import mini_vocabulary
from mtf_mods.tasks.text_files import register_text_files_task

TASK_NAMES = (mini.TASK_NAME,)

mini.register_mini_task()

__all__ = ["TASK_NAMES", "mini_vocabulary", "register_text_files_task"]
