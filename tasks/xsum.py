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

import seqio
from t5.data import preprocessors as t5_preprocessors
from t5.evaluation import metrics as t5_metrics

from mtf_mods.tasks import real_vocabularies
from mtf_mods.tasks import tfds_sources

TASK_NAME = "xsum_v110"


def register() -> None:
  vocabulary = real_vocabularies.english()
  if TASK_NAME in seqio.TaskRegistry.names():
    seqio.TaskRegistry.remove(TASK_NAME)
  seqio.TaskRegistry.add(
      TASK_NAME,
      source=tfds_sources.PreparedTfdsSource(
          "xsum:1.1.0", splits=("train", "validation", "test"),
          preparation="download the BBC articles "
          "(see the TFDS xsum page), then tfds build xsum:1.1.0 "
          "--manual_dir=ARTICLES --data_dir=DIR"),
      preprocessors=[
          functools.partial(t5_preprocessors.summarize,
                            article_key="document", summary_key="summary"),
          seqio.preprocessors.tokenize,
          seqio.CacheDatasetPlaceholder(),
          seqio.preprocessors.append_eos_after_trim,
      ],
      output_features={
          "inputs": seqio.Feature(vocabulary=vocabulary, add_eos=True),
          "targets": seqio.Feature(vocabulary=vocabulary, add_eos=True)},
      metric_fns=[t5_metrics.rouge])
