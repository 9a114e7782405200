"""WMT'14 English-German as the paper trains it from scratch (Sec. 5).

`wmt_t2t_ende_v003_vocab_37000`: TFDS wmt_t2t_translate/de-en:1.0.0 (the
data and splits of Vaswani et al. 2017: newstest2013 for validation),
translating English into German with t5's `translate` preprocessor
("translate English to German: ..."), scored with t5's sacrebleu BLEU.

The paper used a 37,000-token vocabulary that was never published.
`train_vocabulary` trains a 37,000-piece BPE SentencePiece model (BPE, as the
paper says; plus the 100 sentinels every kit vocabulary has) on both sides
of the training text, into the path `real_vocabularies.wmt()` reads by
default. `mtf-mods wmt-vocab` runs it.
"""
import functools
import os

from t5.data import preprocessors as t5_preprocessors
from t5.evaluation import metrics as t5_metrics
import tensorflow_datasets as tfds

from mtf_mods.tasks import cache
from mtf_mods.tasks import pipeline
from mtf_mods.tasks import real_vocabularies
from mtf_mods.tasks import tfds_sources
from mtf_mods.tasks import vocabularies

TASK_NAME = "wmt_t2t_ende_v003_vocab_37000"
TFDS_NAME = "wmt_t2t_translate/de-en:1.0.0"


def source() -> tfds_sources.PreparedTfdsSource:
  return tfds_sources.PreparedTfdsSource(
      TFDS_NAME, splits=("train", "validation", "test"),
      preparation=f"tfds build {TFDS_NAME} --data_dir=DIR "
      "(downloads the WMT'14 corpora, several GB)")


def register() -> None:
  pipeline.register_text_to_text_task(
      TASK_NAME, source(),
      [functools.partial(t5_preprocessors.translate, source_language="en",
                         target_language="de")],
      real_vocabularies.wmt(), [t5_metrics.bleu])


def _write_training_text(path: str) -> int:
  """Writes every English and German training sentence, one per line."""
  lines = 0
  dataset = source().get_dataset("train", shuffle=False)
  with open(path, "w", encoding="utf-8") as f:
    for example in tfds.as_numpy(dataset):
      for language in ("en", "de"):
        sentence = example[language].decode("utf-8").replace("\n", " ")
        f.write(sentence + "\n")
        lines += 1
  return lines


def train_vocabulary(vocab_size: int = real_vocabularies.WMT_VOCAB_SIZE
                     ) -> str:
  """Trains the WMT vocabulary (or finds it trained); returns the model path.

  The model goes to <cache>/wmt_t2t_de-en/spm<vocab_size>/spm.model, the
  default of `real_vocabularies.wmt()` for 37,000 pieces. Needs the prepared
  TFDS wmt_t2t_translate/de-en data (DatasetNotPrepared otherwise).
  """
  def build(directory):
    text_file = os.path.join(directory, "train.txt")
    _write_training_text(text_file)
    vocabularies.train_sentencepiece([text_file],
                                     os.path.join(directory, "spm"),
                                     vocab_size)
    os.remove(text_file)

  source().check_prepared()
  directory = cache.cached_directory(f"wmt_t2t_de-en/spm{vocab_size}", build)
  return os.path.join(directory, "spm.model")
