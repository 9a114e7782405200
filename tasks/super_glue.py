"""SuperGLUE as the paper fine-tunes on it (Narang et al. 2021, Sec. 4).

Every SuperGLUE task from TFDS super_glue/*:1.0.2 with t5's text
preprocessors, postprocessors and metrics (t5.data.glue_utils), tokenized
with the English vocabulary, named like the authors' tasks
(super_glue_<task>_v102_envocab):

  - boolq, cb, copa, multirc, record, rte, wic, and the diagnostics axb, axg
    (test split only, so never evaluated);
  - WSC in t5's "simple" form (super_glue/wsc.fixed): the model names the
    referent of the marked pronoun; training uses the correct referents only,
    evaluation scores whether the named referent matches the candidate;
  - DPR (definite_pronoun_resolution:1.1.0) in the same simple form, extra
    training data for WSC;
  - the mixture super_glue_v102_proportional_envocab, with t5's SuperGLUE
    weight mapping (rates = training-set sizes; WSC-eval, axb and axg 0).

`average_score(scores)` is the paper's "SuperGLUE average": t5's average
(eval_utils.compute_avg_glue): one score per task (the mean of its metrics,
e.g. CB = mean of F1 and accuracy), averaged over the eight tasks.
"""
import collections
import functools

import seqio
from t5.data import glue_utils
from t5.data import postprocessors as t5_postprocessors
from t5.data import preprocessors as t5_preprocessors
from t5.evaluation import eval_utils
from t5.evaluation import metrics as t5_metrics
import tensorflow_datasets as tfds

from mtf_mods.tasks import pipeline
from mtf_mods.tasks import real_vocabularies
from mtf_mods.tasks import tfds_sources

SUFFIX = "_envocab"
MIXTURE = "super_glue_v102_proportional_envocab"
VERSION = "1.0.2"
DPR = "dpr_v001_simple" + SUFFIX
WSC_TRAIN = "super_glue_wsc_v102_simple_train" + SUFFIX
WSC_EVAL = "super_glue_wsc_v102_simple_eval" + SUFFIX
ALL_SPLITS = ("train", "validation", "test")


def task_name(config_name: str) -> str:
  return f"super_glue_{config_name}_v102{SUFFIX}"


def _register_glue_tasks(vocabulary):
  for config in tfds.text.super_glue.SuperGlue.builder_configs.values():
    if "wsc" in config.name:
      continue  # replaced by the simple WSC tasks below
    preprocessors = [glue_utils.get_glue_text_preprocessor(config)]
    if config.name == "axb":
      preprocessors.insert(0, functools.partial(
          t5_preprocessors.rekey, key_map={
              "premise": "sentence1", "hypothesis": "sentence2",
              "label": "label", "idx": "idx"}))
    diagnostic = config.name in ("axb", "axg")
    pipeline.register_text_to_text_task(
        task_name(config.name),
        tfds_sources.PreparedTfdsSource(
            f"super_glue/{config.name}:{VERSION}",
            splits=("test",) if diagnostic else ALL_SPLITS),
        preprocessors, vocabulary,
        glue_utils.get_super_glue_metric(config.name),
        postprocess_fn=glue_utils.get_glue_postprocess_fn(config))


def _register_simple_pronoun_tasks(vocabulary):
  pipeline.register_text_to_text_task(
      DPR, tfds_sources.PreparedTfdsSource(
          "definite_pronoun_resolution:1.1.0", splits=("train", "test")),
      [t5_preprocessors.definite_pronoun_resolution_simple], vocabulary,
      [t5_metrics.accuracy])
  wsc = f"super_glue/wsc.fixed:{VERSION}"
  pipeline.register_text_to_text_task(
      WSC_TRAIN, tfds_sources.PreparedTfdsSource(wsc, splits=("train",)),
      [functools.partial(t5_preprocessors.wsc_simple,
                         correct_referent_only=True)], vocabulary, [])
  pipeline.register_text_to_text_task(
      WSC_EVAL, tfds_sources.PreparedTfdsSource(
          wsc, splits=("validation", "test")),
      [functools.partial(t5_preprocessors.wsc_simple,
                         correct_referent_only=False)], vocabulary,
      [t5_metrics.accuracy], postprocess_fn=t5_postprocessors.wsc_simple)


def register() -> None:
  vocabulary = real_vocabularies.english()
  _register_glue_tasks(vocabulary)
  _register_simple_pronoun_tasks(vocabulary)
  if MIXTURE in seqio.MixtureRegistry.names():
    seqio.MixtureRegistry.remove(MIXTURE)
  seqio.MixtureRegistry.add(MIXTURE, [
      (name + SUFFIX, rate)
      for name, rate in glue_utils.get_super_glue_weight_mapping().items()])


def metric_groups() -> dict[str, list[str]]:
  """{task group: ["<task>/<metric>", ...]} of t5's SuperGLUE average, with
  the kit's task names (t5's eval_utils.METRIC_NAMES groups)."""
  groups = collections.defaultdict(list)
  for tag, metric in eval_utils.METRIC_NAMES.items():
    if tag.startswith("super_glue_") and "average" not in tag:
      task, metric_name = tag.split("/")
      groups[metric.group].append(f"{task}{SUFFIX}/{metric_name}")
  return dict(groups)


def group_average(scores: dict[str, float],
                  groups: dict[str, list[str]]) -> float:
  """Mean over groups of the mean of each group's metrics.

  Args:
    scores: {"<task>/<metric>": value}; every metric of `groups` must be in it.
    groups: {group: ["<task>/<metric>", ...]}.
  """
  means = [sum(scores[tag] for tag in tags) / len(tags)
           for tags in groups.values()]
  return sum(means) / len(means)


def average_score(scores: dict[str, float]) -> float:
  """The SuperGLUE average of {"<task>/<metric>": value} (kit task names)."""
  return group_average(scores, metric_groups())
