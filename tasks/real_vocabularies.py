"""The vocabularies of the real tasks, with configurable model paths.

  english(): the T5 English vocabulary the paper's transfer-learning runs use,
    32,000 SentencePiece pieces plus 100 sentinels. Model file from
    $MTF_MODS_EN_VOCAB, default gs://t5-data/vocabs/cc_en.32000/sentencepiece.model
    (public; reading it needs network access to Google Cloud Storage, so
    offline users copy it and set the variable).
  wmt(): the WMT'14 En-De vocabulary, 37,000 pieces plus 100 sentinels. The
    authors' file (gs://t5-data/vocabs/wmt_ende.37000) was never published,
    so the kit trains one on the WMT training text (`wmt.train_vocabulary`,
    `mtf-mods wmt-vocab`), by default into <cache>/wmt_t2t_de-en/spm37000/;
    $MTF_MODS_WMT_VOCAB points at another model file.

Paths are read whenever the vocabulary is used, not at import, so the
variables may be set after the tasks are registered. A missing local file is
a one-line `VocabularyNotFound` error saying how to get one.
"""
import dataclasses
import os

import seqio
import tensorflow as tf

from mtf_mods.tasks import cache
from mtf_mods.tasks import vocabularies

EN_VOCAB_ENV = "MTF_MODS_EN_VOCAB"
EN_VOCAB_DEFAULT = "gs://t5-data/vocabs/cc_en.32000/sentencepiece.model"
WMT_VOCAB_ENV = "MTF_MODS_WMT_VOCAB"
WMT_VOCAB_SIZE = 37000
WMT_VOCAB_KEY = f"wmt_t2t_de-en/spm{WMT_VOCAB_SIZE}"


class VocabularyNotFound(ValueError):
  """A configured vocabulary model file does not exist."""


def default_wmt_model() -> str:
  """Where `mtf-mods wmt-vocab` writes the WMT model by default."""
  return os.path.join(cache.cache_dir(), WMT_VOCAB_KEY, "spm.model")


@dataclasses.dataclass(frozen=True)
class ConfiguredModel:
  """locate_model of a LazySentencePieceVocabulary: $env, else a default."""
  env: str
  kind: str  # "english" or "wmt"

  def __call__(self) -> str:
    default = EN_VOCAB_DEFAULT if self.kind == "english" else default_wmt_model()
    path = os.environ.get(self.env) or default
    if "://" not in path and not tf.io.gfile.exists(path):
      how = (f"copy {EN_VOCAB_DEFAULT} there" if self.kind == "english" else
             "train it with `mtf-mods wmt-vocab` (reads the prepared "
             "wmt_t2t_translate/de-en training text)")
      raise VocabularyNotFound(
          f"no {self.kind} vocabulary model at {path}: {how}, or set "
          f"{self.env} to a SentencePiece model file")
    return path


def english() -> seqio.Vocabulary:
  return vocabularies.LazySentencePieceVocabulary(
      ConfiguredModel(EN_VOCAB_ENV, "english"))


def wmt() -> seqio.Vocabulary:
  return vocabularies.LazySentencePieceVocabulary(
      ConfiguredModel(WMT_VOCAB_ENV, "wmt"))
