"""The embedded offline pretraining task `mini_span_corruption`.

The corpus is rendered from the seeded mini world (`corpus.py`) and its
SentencePiece vocabulary (VOCAB_SIZE pieces + 100 sentinels) is trained on the
training split; both are generated on first use (the first dataset or
vocabulary access), not at registration, below `cache.cache_dir()`:

  <cache>/mini/v<CORPUS_VERSION>-seed<S>-train<N>-validation<M>/{train,validation}.txt
  <cache>/mini/v<CORPUS_VERSION>-seed<S>-train<N>-validation<M>-spm<V>-ids-by-frequency/spm.model

The default task takes its corpus size from these environment variables,
else from the module constants. They are read whenever the corpus or the
vocabulary is looked up, not at import, so they may be set (or changed, as
tests do) after the task is registered:

  MTF_MODS_MINI_TRAIN_DOCS       training documents (NUM_TRAIN_DOCS)
  MTF_MODS_MINI_VALIDATION_DOCS  validation documents (NUM_VALIDATION_DOCS)

At the default size the training text is about 24 MB (about 5.9 million
tokens); making it and its vocabulary takes about 10 s on one CPU core.

`register_mini_task` registers the task again with explicit sizes, seed or
vocabulary size.
"""
import dataclasses
import os
from typing import Optional

import seqio

from mtf_mods.tasks import cache
from mtf_mods.tasks import pipeline
from mtf_mods.tasks import vocabularies
from mtf_mods.tasks.mini import corpus as mini_corpus

TASK_NAME = "mini_span_corruption"
VOCAB_SIZE = 2000
NUM_TRAIN_DOCS = 100_000
NUM_VALIDATION_DOCS = 2_000
SEED = 0
TRAIN_DOCS_ENV = "MTF_MODS_MINI_TRAIN_DOCS"
VALIDATION_DOCS_ENV = "MTF_MODS_MINI_VALIDATION_DOCS"


def count_from_env(variable: str, default: int) -> int:
  """The positive integer in environment variable `variable`, else default."""
  value = os.environ.get(variable)
  if value is None or value == "":
    return default
  if not value.isdigit() or int(value) < 1:
    raise ValueError(f"{variable} must be a positive integer, got {value!r}")
  return int(value)


@dataclasses.dataclass(frozen=True)
class MiniCorpus:
  """The mini corpus and its vocabulary, generated into the cache on first use.

  A size left as None is read from its environment variable at use time,
  falling back to the module constant.
  """
  seed: int = SEED
  vocab_size: int = VOCAB_SIZE
  num_train_docs: Optional[int] = None
  num_validation_docs: Optional[int] = None

  def sizes(self) -> tuple[int, int]:
    """(training documents, validation documents)."""
    return (self.num_train_docs
            or count_from_env(TRAIN_DOCS_ENV, NUM_TRAIN_DOCS),
            self.num_validation_docs
            or count_from_env(VALIDATION_DOCS_ENV, NUM_VALIDATION_DOCS))

  def key(self) -> str:
    """The corpus's cache key, naming every parameter it is made from."""
    train, validation = self.sizes()
    return (f"mini/v{mini_corpus.CORPUS_VERSION}-seed{self.seed}"
            f"-train{train}-validation{validation}")

  def files(self) -> dict[str, str]:
    """{"train": path, "validation": path}, generating the corpus if needed."""
    train, validation = self.sizes()
    directory = cache.cached_directory(
        self.key(), lambda d: mini_corpus.write_corpus(d, train, validation,
                                                       self.seed))
    return {split: os.path.join(directory, f"{split}.txt")
            for split in ("train", "validation")}

  def vocabulary_model(self) -> str:
    """Path of the SentencePiece model, training it on the corpus if needed."""
    train_file = self.files()["train"]
    directory = cache.cached_directory(
        f"{self.key()}-spm{self.vocab_size}-{vocabularies.ID_ORDER}",
        lambda d: vocabularies.train_sentencepiece(
            [train_file], os.path.join(d, "spm"), self.vocab_size))
    return os.path.join(directory, "spm.model")


@dataclasses.dataclass(frozen=True)
class _VocabularyModel:
  """The vocabulary's locate_model: picklable, and equal for equal corpora."""
  corpus: MiniCorpus

  def __call__(self) -> str:
    return self.corpus.vocabulary_model()


def register_mini_task(name: str = TASK_NAME, seed: int = SEED,
                       vocab_size: int = VOCAB_SIZE,
                       num_train_docs: Optional[int] = None,
                       num_validation_docs: Optional[int] = None) -> seqio.Task:
  """Registers (or replaces) a span-corruption task on the mini corpus.

  Nothing is generated here. Sizes left as None come from the environment
  variables at first use, else from NUM_TRAIN_DOCS / NUM_VALIDATION_DOCS.
  """
  corpus = MiniCorpus(seed, vocab_size, num_train_docs, num_validation_docs)
  vocabulary = vocabularies.LazySentencePieceVocabulary(_VocabularyModel(corpus))
  source = pipeline.TextLineFiles(
      lambda split: [corpus.files()[split]], splits=("train", "validation"),
      description=f"the generated mini corpus ({name})")
  return pipeline.register_span_corruption_task(name, source, vocabulary)


def mini_vocabulary(name: str = TASK_NAME) -> seqio.Vocabulary:
  """The vocabulary of the registered mini task (nothing is loaded yet)."""
  return seqio.get_mixture_or_task(name).output_features["targets"].vocabulary
