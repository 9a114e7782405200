"""WebQuestions, closed-book (Narang et al. 2021, Sec. 4; Roberts et al. 2020).

  web_questions_open_envocab       train = TFDS train[:3417], validation =
                                   train[3417:] (about 10%, the split of ORQA
                                   and of the authors' task), test = test
  web_questions_open_test_envocab  train = all of train, validation = test

The input is "wq question: <question>" alone (`closed_book_qa.py`); the
target is the first answer, and predictions are scored with t5's `qa`
postprocessor and SQuAD exact match against all answers ("em", the paper's
"accuracy"; "f1" too).
"""
from t5.data import postprocessors as t5_postprocessors
from t5.evaluation import metrics as t5_metrics

from mtf_mods.tasks import closed_book_qa
from mtf_mods.tasks import pipeline
from mtf_mods.tasks import real_vocabularies
from mtf_mods.tasks import tfds_sources

TASK_NAME = "web_questions_open_envocab"
TEST_TASK_NAME = "web_questions_open_test_envocab"
TRAIN_EXAMPLES = 3417
SPLITS = {
    TASK_NAME: {"train": f"train[:{TRAIN_EXAMPLES}]",
                "validation": f"train[{TRAIN_EXAMPLES}:]", "test": "test"},
    TEST_TASK_NAME: {"train": "train", "validation": "test"},
}


def register() -> None:
  vocabulary = real_vocabularies.english()
  for name, splits in SPLITS.items():
    pipeline.register_text_to_text_task(
        name,
        tfds_sources.PreparedTfdsSource("web_questions:1.0.0", splits=splits),
        [closed_book_qa.web_questions_open], vocabulary, [t5_metrics.squad],
        postprocess_fn=t5_postprocessors.qa)
