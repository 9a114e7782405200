"""The offline mini benchmark: counterparts of the paper's four downstream
applications, generated from the same seeded world as the pretraining corpus.

  mini_superglue        mixture of mini_boolq, mini_cb, mini_copa
                        (`superglue.py`), rates proportional to size
  mini_summarization    XSum-style, ROUGE (`summaries.py`)
  mini_closed_book_qa   WebQuestions-style, SQuAD exact match; answers only
                        in the pretraining corpus (`questions.py`)
  mini_translation      WMT-style, English into a synthetic language, BLEU;
                        trained from scratch with its own vocabulary
                        (`translation.py`)

The first three share the pretraining vocabulary
(`pretraining.mini_vocabulary`), because they fine-tune the pretrained
model; the translation task gets a SentencePiece vocabulary trained on its
own training text, as WMT gets its own. Preprocessors, postprocessors and
metrics are t5's, as for the real tasks.

Data is written on first use, as JSON lines, below `cache.cache_dir()`:

  <cache>/mini_bench/v<VERSION>-seed<S>-train<N>-validation<M>/<task>/{train,validation}.jsonl

N and M are the examples per split of each generated task (the QA task's
size is fixed by the world); they come from MTF_MODS_MINI_BENCH_TRAIN and
MTF_MODS_MINI_BENCH_VALIDATION when set, read at use time, else from
TRAIN_EXAMPLES and VALIDATION_EXAMPLES. Everything is deterministic.
"""
import dataclasses
import functools
import json
import os
import random
from typing import Optional

import seqio
from t5.data import postprocessors as t5_postprocessors
from t5.data import preprocessors as t5_preprocessors
from t5.evaluation import metrics as t5_metrics
import tensorflow as tf

from mtf_mods.tasks import cache
from mtf_mods.tasks import closed_book_qa
from mtf_mods.tasks import pipeline
from mtf_mods.tasks import vocabularies
from mtf_mods.tasks.mini import pretraining
from mtf_mods.tasks.mini import questions as mini_questions
from mtf_mods.tasks.mini import summaries as mini_summaries
from mtf_mods.tasks.mini import superglue as mini_superglue
from mtf_mods.tasks.mini import translation as mini_translation
from mtf_mods.tasks.mini import world as mini_world

VERSION = 3
SEED = 0
TRAIN_EXAMPLES = 5000
VALIDATION_EXAMPLES = 200
TRAIN_ENV = "MTF_MODS_MINI_BENCH_TRAIN"
VALIDATION_ENV = "MTF_MODS_MINI_BENCH_VALIDATION"
TRANSLATION_VOCAB_SIZE = 2000
SPLITS = ("train", "validation")

SUPERGLUE = "mini_superglue"
SUMMARIZATION = "mini_summarization"
QA = "mini_closed_book_qa"
TRANSLATION = "mini_translation"
GENERATED_TASKS = mini_superglue.TASKS + (SUMMARIZATION, QA, TRANSLATION)
QA_PREFIX = "question: "


def _write_jsonl(path, examples):
  with open(path, "w", encoding="utf-8", newline="\n") as f:
    for example in examples:
      f.write(json.dumps(example, sort_keys=True) + "\n")


def read_jsonl(path: str) -> list[dict]:
  with open(path, encoding="utf-8") as f:
    return [json.loads(line) for line in f]


@dataclasses.dataclass(frozen=True)
class MiniBenchmark:
  """The generated downstream data of one seed, written on first use.

  A size left as None is read from its environment variable at use time.
  """
  seed: int = SEED
  train_examples: Optional[int] = None
  validation_examples: Optional[int] = None

  def sizes(self) -> tuple[int, int]:
    """(examples per training split, examples per validation split)."""
    return (self.train_examples or pretraining.count_from_env(TRAIN_ENV, TRAIN_EXAMPLES),
            self.validation_examples
            or pretraining.count_from_env(VALIDATION_ENV, VALIDATION_EXAMPLES))

  def key(self) -> str:
    train, validation = self.sizes()
    return (f"mini_bench/v{VERSION}-seed{self.seed}-train{train}"
            f"-validation{validation}")

  def _stream(self, task, split):
    return random.Random(f"mtf_mods.study.mini_bench/{VERSION}/{self.seed}/{task}/"
                         f"{split}")

  def generate(self) -> dict[str, dict[str, list[dict]]]:
    """{task: {split: examples}} for every task of GENERATED_TASKS."""
    counts = dict(zip(SPLITS, self.sizes()))
    world = mini_world.make_world(self.seed)
    lexicon = mini_translation.make_lexicon(self.seed)
    data = {}
    for task in mini_superglue.TASKS:
      data[task] = {split: mini_superglue.make_examples(
          task, world, self._stream(task, split), counts[split])
                    for split in SPLITS}
    data[SUMMARIZATION] = {split: mini_summaries.make_examples(
        world, self._stream(SUMMARIZATION, split), counts[split])
                           for split in SPLITS}
    data[QA] = mini_questions.make_splits(world, self.seed,
                                          self._stream(QA, "split"))
    data[TRANSLATION] = {split: mini_translation.make_examples(
        world, lexicon, self._stream(TRANSLATION, split), counts[split])
                         for split in SPLITS}
    return data

  def _write(self, directory):
    for task, splits in self.generate().items():
      os.makedirs(os.path.join(directory, task))
      for split, examples in splits.items():
        _write_jsonl(os.path.join(directory, task, f"{split}.jsonl"),
                     examples)

  def path(self, task: str, split: str) -> str:
    """The JSON-lines file of a task's split, generating all data if needed."""
    directory = cache.cached_directory(self.key(), self._write)
    return os.path.join(directory, task, f"{split}.jsonl")

  def examples(self, task: str, split: str) -> list[dict]:
    return read_jsonl(self.path(task, split))

  def translation_vocabulary_model(self) -> str:
    """SentencePiece model trained on the translation task's training
    inputs (with their prefix) and targets."""
    prefix = translation_prefix(self.seed)

    def build(directory):
      text_file = os.path.join(directory, "text.txt")
      with open(text_file, "w", encoding="utf-8") as f:
        for example in self.examples(TRANSLATION, "train"):
          f.write(prefix + example["en"] + "\n")
          f.write(example[mini_translation.TARGET_CODE] + "\n")
      vocabularies.train_sentencepiece([text_file],
                                       os.path.join(directory, "spm"),
                                       TRANSLATION_VOCAB_SIZE)
    directory = cache.cached_directory(
        f"{self.key()}-translation-spm{TRANSLATION_VOCAB_SIZE}"
        f"-{vocabularies.ID_ORDER}", build)
    return os.path.join(directory, "spm.model")


@dataclasses.dataclass(frozen=True)
class JsonLinesSplits:
  """seqio dataset_fn: a task's generated examples as a tf.data.Dataset."""
  benchmark: MiniBenchmark
  task: str

  def __call__(self, split, shuffle_files, seed=None):
    del shuffle_files, seed  # one file per split; seqio shuffles examples
    examples = self.benchmark.examples(self.task, split)
    columns = {}
    for key in examples[0]:
      values = [example[key] for example in examples]
      columns[key] = (tf.ragged.constant(values, dtype=tf.string)
                      if isinstance(values[0], list) else tf.constant(values))
    return tf.data.Dataset.from_tensor_slices(columns)


@dataclasses.dataclass(frozen=True)
class _TranslationVocabularyModel:
  benchmark: MiniBenchmark

  def __call__(self) -> str:
    return self.benchmark.translation_vocabulary_model()


def translation_prefix(seed: int) -> str:
  """"translate English to <the world's first language>: "."""
  world = mini_world.make_world(seed, num_people=0, num_companies=0)
  return f"translate English to {mini_translation.language_name(world)}: "


@seqio.map_over_dataset
def translate(x, prefix):
  """{"en", TARGET_CODE} -> {"inputs": prefix + en, "targets": translation}."""
  return {"inputs": tf.strings.join([prefix, x["en"]]),
          "targets": x[mini_translation.TARGET_CODE]}


_SUPERGLUE_METRICS = {
    "mini_boolq": [t5_metrics.accuracy],
    "mini_cb": [t5_metrics.mean_multiclass_f1(num_classes=3),
                t5_metrics.accuracy],
    "mini_copa": [t5_metrics.accuracy],
}


def register(benchmark: MiniBenchmark = MiniBenchmark()) -> None:
  """Registers (or replaces) every mini downstream task and the mixture.

  Nothing is generated here; the data and the translation vocabulary are
  made when a dataset or vocabulary is first used.
  """
  def source(task):
    return seqio.FunctionDataSource(JsonLinesSplits(benchmark, task),
                                    splits=SPLITS)

  vocabulary = pretraining.mini_vocabulary()
  for task in mini_superglue.TASKS:
    labels = mini_superglue.LABEL_NAMES[task]
    pipeline.register_text_to_text_task(
        task, source(task),
        [functools.partial(
            t5_preprocessors.glue,
            benchmark_name=mini_superglue.BENCHMARK_NAMES[task],
            label_names=labels)],
        vocabulary, _SUPERGLUE_METRICS[task],
        postprocess_fn=functools.partial(
            t5_postprocessors.string_label_to_class_id,
            label_classes=labels))
  if SUPERGLUE in seqio.MixtureRegistry.names():
    seqio.MixtureRegistry.remove(SUPERGLUE)
  seqio.MixtureRegistry.add(SUPERGLUE, [(t, 1.0) for t in mini_superglue.TASKS])
  pipeline.register_text_to_text_task(
      SUMMARIZATION, source(SUMMARIZATION),
      [functools.partial(t5_preprocessors.summarize, article_key="document",
                         summary_key="summary")],
      vocabulary, [t5_metrics.rouge])
  pipeline.register_text_to_text_task(
      QA, source(QA),
      [functools.partial(closed_book_qa.closed_book_question,
                         prefix=QA_PREFIX)],
      vocabulary, [t5_metrics.squad], postprocess_fn=t5_postprocessors.qa)
  pipeline.register_text_to_text_task(
      TRANSLATION, source(TRANSLATION),
      [functools.partial(translate,
                         prefix=translation_prefix(benchmark.seed))],
      vocabularies.LazySentencePieceVocabulary(
          _TranslationVocabularyModel(benchmark)),
      [t5_metrics.bleu])
