"""XSum as the paper fine-tunes on it (Narang et al. 2021, Sec. 4).

`xsum_v110`: TFDS xsum:1.1.0, "summarize: <document>" -> summary with t5's
`summarize` preprocessor, the English vocabulary, and t5's ROUGE metric; the
paper reports ROUGE-2 ("rouge2"). The paper's sequence lengths (2048 input,
178 target tokens; 512 inputs for models with absolute positions) are in the
fine-tuning budget files, gin/budgets/paper/finetune/xsum_v110.gin.

TFDS builds xsum from the BBC articles, which must be downloaded by hand
into a manual directory first (see the TFDS xsum page).
"""
import functools

from t5.data import preprocessors as t5_preprocessors
from t5.evaluation import metrics as t5_metrics

from mtf_mods.tasks import pipeline
from mtf_mods.tasks import real_vocabularies
from mtf_mods.tasks import tfds_sources

TASK_NAME = "xsum_v110"


def register() -> None:
  pipeline.register_text_to_text_task(
      TASK_NAME,
      tfds_sources.PreparedTfdsSource(
          "xsum:1.1.0", splits=("train", "validation", "test"),
          preparation="download the BBC articles "
          "(see the TFDS xsum page), then tfds build xsum:1.1.0 "
          "--manual_dir=ARTICLES --data_dir=DIR"),
      [functools.partial(t5_preprocessors.summarize,
                         article_key="document", summary_key="summary")],
      real_vocabularies.english(), [t5_metrics.rouge])
