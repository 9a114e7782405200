"""seqio tasks of mtf-mods (imported as `mtf_mods.tasks`).

Importing this package registers, without generating or reading anything:
  - the embedded offline pretraining task `mini_span_corruption`
    (`mini/pretraining.py`) and its downstream mini benchmark
    (`mini/benchmark.py`): mini_superglue
    (mixture of mini_boolq, mini_cb, mini_copa), mini_summarization,
    mini_closed_book_qa, mini_translation;
  - the paper's real tasks on prepared TFDS data: c4_v231_span_corruption and
    c4_v301_span_corruption (`c4.py`), the SuperGLUE tasks and the mixture
    super_glue_v102_proportional_envocab (`super_glue.py`), xsum_v110
    (`xsum.py`), web_questions_open_envocab (`web_questions.py`) and
    wmt_t2t_ende_v003_vocab_37000 (`wmt.py`).
`register_text_files_task` registers span corruption on the user's own text
files. Pass `--module_import=mtf_mods.tasks` to t5's `t5_mesh_transformer` to
make the tasks available there.
"""
from mtf_mods.tasks import c4
from mtf_mods.tasks import super_glue
from mtf_mods.tasks import web_questions
from mtf_mods.tasks import wmt
from mtf_mods.tasks import xsum
from mtf_mods.tasks.mini import benchmark as mini_benchmark
from mtf_mods.tasks.mini import pretraining
from mtf_mods.tasks.mini.pretraining import mini_vocabulary
from mtf_mods.tasks.text_files import register_text_files_task
from mtf_mods.tasks.tfds_sources import check_prepared
from mtf_mods.tasks.tfds_sources import DatasetNotPrepared

TASK_NAMES = (pretraining.TASK_NAME,)

pretraining.register_mini_task()
mini_benchmark.register()
c4.register()
super_glue.register()
xsum.register()
web_questions.register()
wmt.register()

__all__ = ["TASK_NAMES", "DatasetNotPrepared", "check_prepared",
           "mini_vocabulary", "register_text_files_task"]
