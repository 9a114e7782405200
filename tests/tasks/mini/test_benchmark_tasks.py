"""The registered mini benchmark tasks, down to t5's eval datasets, and their
trivial baselines."""
import numpy as np
import pytest
import seqio
from t5.models import mesh_transformer
import tensorflow_datasets as tfds

import mtf_mods.tasks  # noqa: F401  (registers the tasks)
from mtf_mods.tasks.mini import baselines as mini_baselines
from mtf_mods.tasks.mini import benchmark as mini_benchmark

LENGTHS = {"inputs": 128, "targets": 32}


@pytest.fixture(scope="module")
def bench(small_mini):
  """The registered tasks on 200 / 40 examples per task, in a private cache."""
  with pytest.MonkeyPatch.context() as patch:
    patch.setenv(mini_benchmark.TRAIN_ENV, "200")
    patch.setenv(mini_benchmark.VALIDATION_ENV, "40")
    yield mini_benchmark.MiniBenchmark()


def _first(task, split="validation"):
  dataset = seqio.get_mixture_or_task(task).get_dataset(
      LENGTHS, split=split, shuffle=False)
  return next(iter(tfds.as_numpy(dataset)))


@pytest.mark.parametrize("task,prefix,targets", [
    ("mini_boolq", b"boolq passage: ", {b"True", b"False"}),
    ("mini_cb", b"cb hypothesis: ",
     {b"entailment", b"contradiction", b"neutral"}),
    ("mini_copa", b"copa choice1: ", {b"choice1", b"choice2"}),
])
def test_superglue_tasks_are_formatted_by_t5s_glue_preprocessor(
    bench, task, prefix, targets):
  example = _first(task)
  assert example["inputs_pretokenized"].startswith(prefix)
  assert example["targets_pretokenized"] in targets
  assert example["inputs"][-1] == 1 and example["targets"][-1] == 1


def test_mixture_holds_the_three_tasks_in_equal_proportion(bench):
  mixture = seqio.get_mixture_or_task(mini_benchmark.SUPERGLUE)
  assert sorted(t.name for t in mixture.tasks) == [
      "mini_boolq", "mini_cb", "mini_copa"]
  assert len({mixture.get_rate(t) for t in mixture.tasks}) == 1


def test_summarization_qa_and_translation_formats(bench):
  summary = _first(mini_benchmark.SUMMARIZATION)
  assert summary["inputs_pretokenized"].startswith(b"summarize: ")
  qa = _first(mini_benchmark.QA)
  assert qa["inputs_pretokenized"].startswith(b"question: ")
  assert qa["targets_pretokenized"] == qa["answers"][0]
  translation = _first(mini_benchmark.TRANSLATION)
  assert translation["inputs_pretokenized"].startswith(b"translate English to ")


def test_translation_has_its_own_vocabulary_without_unknown_pieces(bench):
  task = seqio.get_mixture_or_task(mini_benchmark.TRANSLATION)
  vocabulary = task.output_features["targets"].vocabulary
  assert vocabulary != mtf_mods.tasks.mini_vocabulary()
  example = _first(mini_benchmark.TRANSLATION, "train")
  unk = vocabulary.tokenizer.unk_id()
  assert unk not in example["inputs"] and unk not in example["targets"]


def test_qa_eval_dataset_keeps_every_answer_for_the_metric(bench):
  [evaluation] = mesh_transformer.mesh_eval_dataset_fn(
      mini_benchmark.QA, LENGTHS, "validation")
  example = next(iter(tfds.as_numpy(evaluation.dataset_fn())))
  answers = evaluation.postprocess_fn(b"", example=example, is_target=True)
  assert answers == [a.decode() for a in example["answers"]]
  [metric] = evaluation.metric_fns
  assert metric([answers], [answers[0]])["em"] == 100


def test_trivial_baselines(bench):
  scores = mini_baselines.baseline_scores(bench)
  validation = bench.examples("mini_boolq", "validation")
  true_share = 100 * np.mean([e["label"] for e in validation])
  assert scores["mini_boolq/accuracy"] in (true_share, 100 - true_share)
  assert 35 <= scores["mini_copa/accuracy"] <= 65
  assert 0 < scores["mini_summarization/rouge2"] < 30
  assert scores["mini_closed_book_qa/em"] < 10
  assert scores["mini_translation/bleu"] < 5
  assert mini_baselines.lead_sentence("One. Two. Three.") == "One."
