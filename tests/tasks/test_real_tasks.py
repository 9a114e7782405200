"""The paper's real tasks, read offline through the real TFDS loading path.

Every dataset is really prepared, from examples written here, in a temporary
TFDS data directory (`prepare`), so `tfds.builder` finds the files and
`as_dataset` decodes them: nothing is mocked or downloaded. The vocabularies
point at a small local SentencePiece model through MTF_MODS_EN_VOCAB and
MTF_MODS_WMT_VOCAB.
"""
import os

import pandas as pd
import pytest
import seqio
from t5.data import glue_utils
from t5.evaluation import eval_utils
from t5.models import mesh_transformer
import tensorflow_datasets as tfds

import mtf_mods.tasks  # noqa: F401  (registers the tasks)
from mtf_mods.tasks import c4
from mtf_mods.tasks import real_vocabularies
from mtf_mods.tasks import super_glue
from mtf_mods.tasks import tfds_sources
from mtf_mods.tasks import vocabularies
from mtf_mods.tasks import web_questions
from mtf_mods.tasks import wmt
from mtf_mods.tasks import xsum
from mtf_test_utils import run_cli

LENGTHS = {"inputs": 64, "targets": 16}
WEBQ_TRAIN = web_questions.TRAIN_EXAMPLES + 3

SENTENCE = "Bob asked Tom if he can lend some money."
C4 = {"text": "The quick brown fox jumps over the lazy dog. " * 8, "url": "u",
      "content-type": "text/plain", "content-length": "9", "timestamp": "t"}
SUPER_GLUE = {
    "boolq": {"question": "is the sky blue", "passage": "The sky is blue.",
              "idx": 0, "label": 1},
    "cb": {"premise": "It rained.", "hypothesis": "It was wet.", "idx": 0,
           "label": 0},
    "copa": {"premise": "It rained.", "choice1": "The grass got wet.",
             "choice2": "The sun shone.", "question": "effect", "idx": 0,
             "label": 0},
    "multirc": {"paragraph": "Ann has a cat.", "question": "what has Ann",
                "answer": "a cat", "idx": {"paragraph": 0, "question": 0,
                                           "answer": 0}, "label": 1},
    "record": {"passage": "Ann met Bob in Paris.",
               "query": "@placeholder met Bob", "entities": ["Ann", "Paris"],
               "answers": ["Ann"], "idx": {"passage": 0, "query": 0}},
    "rte": {"premise": "It rained.", "hypothesis": "It was wet.", "idx": 0,
            "label": 0},
    "wic": {"sentence1": "A bank of the river.", "sentence2": "A bank loan.",
            "word": "bank", "start1": 2, "end1": 6, "start2": 2, "end2": 6,
            "idx": 0, "label": 0},
    "axb": {"sentence1": "It rained.", "sentence2": "It was wet.", "idx": 0,
            "label": 0},
    "axg": {"premise": "It rained.", "hypothesis": "It was wet.", "idx": 0,
            "label": 0},
    "wsc.fixed": {"text": SENTENCE, "span1_index": 2, "span1_text": "Tom",
                  "span2_index": 4, "span2_text": "he", "idx": 0, "label": 1},
}
# What t5's text preprocessor puts first, per SuperGLUE task.
PREFIXES = {"boolq": "boolq ", "cb": "cb ", "copa": "copa ",
            "multirc": "multirc ", "record": "record query: ", "rte": "rte ",
            "wic": "wic ", "axb": "rte ", "axg": "rte "}


# Versions the installed TFDS cannot generate, read from prepared files only:
# their features are those of this version of the same dataset.
_FEATURES_FROM = {"c4/en:3.0.1": "c4/en:3.1.0"}


def prepare(data_dir, tfds_name, splits):
  """Prepares `tfds_name` in data_dir with {split: [example dict, ...]},
  with the dataset's own features (TFDS `store_as_tfds_dataset`)."""
  builder = tfds.builder(_FEATURES_FROM.get(tfds_name, tfds_name))
  features = builder.info.features
  name, version = tfds_name.split(":")
  name, _, config = name.partition("/")
  tfds.dataset_builders.store_as_tfds_dataset(
      name=name, version=version, config=config or None, features=features,
      data_dir=str(data_dir),
      split_datasets={split: list(enumerate(examples))
                      for split, examples in splits.items()})


def _vocabulary_text():
  lines = [SENTENCE, C4["text"], "translate English to German: Hello.",
           "Hallo. summarize: wq question: * ? @ 0123456789 _-,;:'"]
  for example in SUPER_GLUE.values():
    lines += [str(v) for v in example.values()]
  lines += ["%s %s %s" % (k, k.upper(), k.title()) for k in PREFIXES]
  return "\n".join(lines * 3)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
  """A TFDS data dir with every real dataset, and local vocabularies."""
  root = tmp_path_factory.mktemp("real")
  data_dir = root / "tfds"
  for version in ("2.3.1", "3.0.1"):
    prepare(data_dir, "c4/en:" + version,
                          {"train": [C4], "validation": [C4]})
  for config, example in SUPER_GLUE.items():
    splits = (("test",) if config in ("axb", "axg") else
              ("train", "validation", "test"))
    prepare(data_dir, "super_glue/%s:1.0.2" % config,
                          {s: [example] for s in splits})
  prepare(
      data_dir, "definite_pronoun_resolution:1.1.0",
      {s: [{"sentence": SENTENCE, "pronoun": "he",
            "candidates": ["Bob", "Tom"], "label": 1}]
       for s in ("train", "test")})
  prepare(
      data_dir, "xsum:1.1.0",
      {s: [{"document": "The sky is blue today.", "summary": "Blue sky."}]
       for s in ("train", "validation", "test")})
  prepare(
      data_dir, "web_questions:1.0.0",
      {"train": [{"question": "what is q%d?" % i, "url": "u",
                  "answers": ["a%d" % i, "other %d" % i]}
                 for i in range(WEBQ_TRAIN)],
       "test": [{"question": "what is t?", "url": "u", "answers": ["t"]}]})
  prepare(
      data_dir, wmt.TFDS_NAME,
      {s: [{"en": "Hello.", "de": "Hallo."}] * 3
       for s in ("train", "validation", "test")})
  text = root / "vocabulary.txt"
  text.write_text(_vocabulary_text())
  model = vocabularies.train_sentencepiece([str(text)], str(root / "spm"),
                                           300)
  with pytest.MonkeyPatch.context() as patch:
    patch.setenv(real_vocabularies.EN_VOCAB_ENV, model)
    patch.setenv(real_vocabularies.WMT_VOCAB_ENV, model)
    seqio.set_tfds_data_dir_override(str(data_dir))
    yield data_dir
    seqio.set_tfds_data_dir_override(None)


def _examples(task, split="validation", lengths=LENGTHS):
  dataset = seqio.get_mixture_or_task(task).get_dataset(
      lengths, split=split, shuffle=False)
  return list(tfds.as_numpy(dataset))


@pytest.mark.parametrize("config", sorted(PREFIXES))
def test_superglue_tasks_use_t5s_preprocessing(prepared, config):
  split = "test" if config in ("axb", "axg") else "validation"
  [example] = _examples(super_glue.task_name(config), split)[:1]
  assert example["inputs_pretokenized"].decode().startswith(PREFIXES[config])
  assert example["inputs"][-1] == 1  # EOS
  task = seqio.get_mixture_or_task(super_glue.task_name(config))
  assert task.metric_fns == glue_utils.get_super_glue_metric(config)


def test_wsc_and_dpr_use_the_simple_referent_format(prepared):
  [dpr] = _examples(super_glue.DPR, "test")
  assert dpr["inputs_pretokenized"] == (
      b"wsc: Bob asked Tom if *he* can lend some money.")
  assert dpr["targets_pretokenized"] == b"Tom"
  [train] = _examples(super_glue.WSC_TRAIN, "train")
  assert train["inputs_pretokenized"].startswith(b"wsc: ")
  assert b"*he*" in train["inputs_pretokenized"]
  assert train["targets_pretokenized"] == b"Tom"
  assert seqio.get_mixture_or_task(super_glue.WSC_TRAIN).splits == ("train",)


def test_mixture_has_t5s_superglue_weight_mapping(prepared):
  mixture = seqio.get_mixture_or_task(super_glue.MIXTURE)
  rates = {t.name: mixture.get_rate(t) for t in mixture.tasks}
  expected = {name + super_glue.SUFFIX: rate for name, rate in
              glue_utils.get_super_glue_weight_mapping().items()}
  assert rates == expected
  evaluated = mesh_transformer.mesh_eval_dataset_fn(
      super_glue.MIXTURE, LENGTHS, "validation")
  # DPR has no validation split, WSC is scored by its eval task, and the
  # diagnostics have only a test split.
  assert {e.name for e in evaluated} == {
      super_glue.task_name(c) for c in
      ("boolq", "cb", "copa", "multirc", "record", "rte", "wic")} | {
          super_glue.WSC_EVAL}


def test_superglue_average_is_t5s(prepared):
  groups = super_glue.metric_groups()
  assert len(groups) == 8  # BoolQ, CB, CoPA, MultiRC, ReCoRD, RTE, WiC, WSC
  tags = sorted(t for tags in groups.values() for t in tags)
  scores = {tag: float(10 + 7 * i % 83) for i, tag in enumerate(tags)}
  t5_names = {tag: eval_utils.METRIC_NAMES[tag.replace(super_glue.SUFFIX, "")]
              .name for tag in tags}
  frame = pd.DataFrame([{t5_names[t]: v for t, v in scores.items()}])
  expected = eval_utils.compute_avg_glue(frame)["Average SuperGLUE Score"][0]
  assert super_glue.average_score(scores) == pytest.approx(expected)


def test_xsum_is_summarized_and_scored_with_rouge2(prepared):
  [example] = _examples("xsum_v110")
  assert example["inputs_pretokenized"] == b"summarize: The sky is blue today."
  assert example["targets_pretokenized"] == b"Blue sky."
  [rouge] = seqio.get_mixture_or_task("xsum_v110").metric_fns
  assert rouge(["blue sky today"], ["blue sky today"])["rouge2"] == 100


def test_web_questions_split_and_closed_book_format(prepared):
  task = web_questions.TASK_NAME
  assert len(_examples(task, "train")) == web_questions.TRAIN_EXAMPLES
  validation = _examples(task)
  held_out = tfds.as_numpy(tfds.builder(
      "web_questions:1.0.0", data_dir=str(prepared)).as_dataset(
          split="train[%d:]" % web_questions.TRAIN_EXAMPLES))
  assert [e["inputs_pretokenized"] for e in validation] == [
      b"wq question: " + e["question"] for e in held_out]
  first = validation[0]
  number = first["inputs_pretokenized"].split(b"q")[-1][:-1]
  assert first["targets_pretokenized"] == b"a" + number
  assert list(first["answers"]) == [b"a" + number, b"other " + number]
  [evaluation] = mesh_transformer.mesh_eval_dataset_fn(task, LENGTHS,
                                                       "validation")
  example = next(iter(tfds.as_numpy(evaluation.dataset_fn())))
  targets = evaluation.postprocess_fn(b"", example=example, is_target=True)
  [squad] = evaluation.metric_fns
  assert squad([targets], ["other " + targets[0][1:]])["em"] == 100
  assert squad([targets], ["a" + targets[0]])["em"] == 0
  assert len(_examples(web_questions.TEST_TASK_NAME)) == 1


def test_wmt_translates_english_to_german_with_bleu(prepared):
  example = _examples(wmt.TASK_NAME)[0]
  assert example["inputs_pretokenized"] == (
      b"translate English to German: Hello.")
  assert example["targets_pretokenized"] == b"Hallo."
  [bleu] = seqio.get_mixture_or_task(wmt.TASK_NAME).metric_fns
  sentence = "Das ist ein Satz aus sieben Worten ."
  assert bleu([sentence], [sentence])["bleu"] == pytest.approx(100)


@pytest.mark.parametrize("task", ["c4_v231_span_corruption",
                                  "c4_v301_span_corruption"])
def test_c4_versions_are_span_corrupted(prepared, task):
  [example] = _examples(task, lengths={"inputs": 32, "targets": 8})[:1]
  sentinel = seqio.get_mixture_or_task(task).output_features[
      "targets"].vocabulary.vocab_size - 1  # <extra_id_0>
  assert example["targets"][0] == sentinel and sentinel in example["inputs"]


@pytest.mark.parametrize("task,dataset", [
    ("xsum_v110", "xsum:1.1.0"),
    ("c4_v301_span_corruption", "c4/en:3.0.1"),
    (super_glue.MIXTURE, "definite_pronoun_resolution:1.1.0"),
])
def test_unprepared_data_is_a_one_line_error_saying_how_to_prepare(
    tmp_path, task, dataset):
  previous = seqio.utils._TFDS_DATA_DIR_OVERRIDE  # pylint: disable=protected-access
  # Registering anew: a source keeps the data dir it first looked in.
  seqio.set_tfds_data_dir_override(str(tmp_path))
  c4.register(), super_glue.register(), xsum.register()
  try:
    with pytest.raises(tfds_sources.DatasetNotPrepared) as error:
      seqio.get_mixture_or_task(task).get_dataset(LENGTHS, split="train")
  finally:
    seqio.set_tfds_data_dir_override(previous)
    c4.register(), super_glue.register(), xsum.register()
  message = str(error.value)
  assert "\n" not in message and dataset in message
  assert "tfds build" in message and "--t5_tfds_data_dir" in message


def test_launcher_refuses_an_unprepared_dataset(tmp_path, mini_env):
  result = run_cli("train", "--scale=tiny", "--stage=finetune",
                   "--task=xsum_v110", "--t5_tfds_data_dir=%s" % tmp_path,
                   "--pretrained_model_dir=%s" % tmp_path,
                   "--model_dir=%s" % (tmp_path / "m"), env=mini_env)
  assert result.returncode == 2
  lines = result.stderr.strip().splitlines()
  assert len(lines) == 1 and "xsum:1.1.0 is not prepared" in lines[0]
  assert "--manual_dir" in lines[0]


def test_missing_vocabulary_is_a_one_line_error(tmp_path, monkeypatch):
  monkeypatch.delenv(real_vocabularies.WMT_VOCAB_ENV, raising=False)
  monkeypatch.setenv("MTF_MODS_CACHE", str(tmp_path))
  with pytest.raises(real_vocabularies.VocabularyNotFound,
                     match="mtf-mods wmt-vocab"):
    real_vocabularies.wmt().vocab_size  # pylint: disable=expression-not-assigned
  monkeypatch.setenv(real_vocabularies.EN_VOCAB_ENV, str(tmp_path / "no"))
  with pytest.raises(real_vocabularies.VocabularyNotFound, match="cc_en"):
    real_vocabularies.english().vocab_size  # pylint: disable=expression-not-assigned
  monkeypatch.delenv(real_vocabularies.EN_VOCAB_ENV)
  assert real_vocabularies.ConfiguredModel(
      real_vocabularies.EN_VOCAB_ENV, "english")() == (
          real_vocabularies.EN_VOCAB_DEFAULT)


def test_wmt_vocab_command_trains_the_default_vocabulary(prepared, tmp_path,
                                                         mini_env,
                                                         monkeypatch):
  env = dict(mini_env, MTF_MODS_CACHE=str(tmp_path))
  result = run_cli("wmt-vocab", "--t5_tfds_data_dir=%s" % prepared, env=env)
  assert result.returncode == 0, result.stderr[-2000:]
  path = result.stdout.strip().splitlines()[-1]
  monkeypatch.setenv("MTF_MODS_CACHE", str(tmp_path))
  monkeypatch.delenv(real_vocabularies.WMT_VOCAB_ENV)
  assert path == real_vocabularies.default_wmt_model()
  assert os.path.exists(path)
  vocabulary = real_vocabularies.wmt()
  assert vocabulary.decode(vocabulary.encode("Hallo.")) == "Hallo."
