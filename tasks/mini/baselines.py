"""Trivial baselines of the mini benchmark, scored with the tasks' own metrics.

  mini_boolq, mini_cb, mini_copa  majority class: the most frequent training
                                  label, predicted for every example
  mini_summarization              lead sentence: the article's first sentence
  mini_closed_book_qa             most frequent answer of the training split
  mini_translation                copy source: the English sentence itself

`baseline_scores(benchmark)` returns {"<task>/<metric>": value} in the form
the evaluation writes them (`eval/<task>/<metric>` TensorBoard tags), so the
same scoring (e.g. the SuperGLUE-style average) applies to both.
"""
import collections

import seqio
from t5.data import postprocessors as t5_postprocessors

from mtf_mods.tasks.mini import benchmark as mini_benchmark
from mtf_mods.tasks.mini import superglue as mini_superglue
from mtf_mods.tasks.mini import translation as mini_translation

NAMES = {
    "mini_boolq": "majority class", "mini_cb": "majority class",
    "mini_copa": "majority class",
    mini_benchmark.SUMMARIZATION: "lead sentence",
    mini_benchmark.QA: "most frequent answer",
    mini_benchmark.TRANSLATION: "copy source",
}


def lead_sentence(document: str) -> str:
  """The first sentence: up to and including the first full stop."""
  end = document.find(". ")
  return document if end < 0 else document[:end + 1]


def _predictions(task, train, validation):
  """(targets, predictions) of the task's baseline, as the metrics take them."""
  if task in mini_superglue.TASKS:
    majority = collections.Counter(e["label"] for e in train).most_common(1)
    return ([e["label"] for e in validation],
            [majority[0][0]] * len(validation))
  if task == mini_benchmark.SUMMARIZATION:
    return ([e["summary"] for e in validation],
            [lead_sentence(e["document"]) for e in validation])
  if task == mini_benchmark.QA:
    answer = collections.Counter(
        e["answers"][0] for e in train).most_common(1)[0][0]
    return ([e["answers"] for e in validation],
            [t5_postprocessors.qa(answer)] * len(validation))
  return ([e[mini_translation.TARGET_CODE] for e in validation],
          [e["en"] for e in validation])


def baseline_scores(benchmark: mini_benchmark.MiniBenchmark,
                    tasks=tuple(NAMES)) -> dict[str, float]:
  """{"<task>/<metric>": value} of each task's trivial baseline on the
  validation split, computed with the task's registered metric functions."""
  scores = {}
  for task in tasks:
    targets, predictions = _predictions(
        task, benchmark.examples(task, "train"),
        benchmark.examples(task, "validation"))
    for metric_fn in seqio.get_mixture_or_task(task).metric_fns:
      for name, value in metric_fn(targets, predictions).items():
        scores[f"{task}/{name}"] = float(value)
  return scores
