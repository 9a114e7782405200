"""The generated mini benchmark data: deterministic, well-formed, true to the
world, and split the way the paper's tasks are."""
import collections
import random

import pytest

from mtf_mods.tasks.mini import benchmark as mini_benchmark
from mtf_mods.tasks.mini import corpus as mini_corpus
from mtf_mods.tasks.mini import questions as mini_questions
from mtf_mods.tasks.mini import superglue as mini_superglue
from mtf_mods.tasks.mini import translation as mini_translation
from mtf_mods.tasks.mini import world as mini_world

SMALL = dict(train_examples=300, validation_examples=60)


@pytest.fixture(scope="module")
def world():
  return mini_world.make_world(0)


@pytest.fixture(scope="module")
def data():
  return mini_benchmark.MiniBenchmark(**SMALL).generate()


def test_generation_is_deterministic_and_files_are_identical(tmp_path,
                                                             monkeypatch):
  paths = []
  for name in ("a", "b"):
    monkeypatch.setenv("MTF_MODS_CACHE", str(tmp_path / name))
    paths.append(mini_benchmark.MiniBenchmark(**SMALL).path("mini_cb",
                                                            "train"))
  with open(paths[0], "rb") as a, open(paths[1], "rb") as b:
    assert a.read() == b.read()
  assert (mini_benchmark.MiniBenchmark(seed=1, **SMALL).generate()["mini_cb"]
          != mini_benchmark.MiniBenchmark(**SMALL).generate()["mini_cb"])


def test_every_task_has_both_splits_of_the_configured_size(data):
  assert set(data) == set(mini_benchmark.GENERATED_TASKS)
  for task, splits in data.items():
    if task == mini_benchmark.QA:
      continue  # sized by the world
    assert (len(splits["train"]), len(splits["validation"])) == (300, 60)
  assert data["mini_boolq"]["train"] != data["mini_boolq"]["validation"]


def test_sizes_come_from_the_environment(monkeypatch):
  monkeypatch.setenv(mini_benchmark.TRAIN_ENV, "12")
  monkeypatch.setenv(mini_benchmark.VALIDATION_ENV, "5")
  assert mini_benchmark.MiniBenchmark().sizes() == (12, 5)
  monkeypatch.setenv(mini_benchmark.TRAIN_ENV, "many")
  with pytest.raises(ValueError, match="MTF_MODS_MINI_BENCH_TRAIN must be"):
    mini_benchmark.MiniBenchmark().sizes()


@pytest.mark.parametrize("task", mini_superglue.TASKS)
def test_classification_examples_have_superglue_fields_and_all_labels(
    data, task):
  fields = {"mini_boolq": {"passage", "question"},
            "mini_cb": {"premise", "hypothesis"},
            "mini_copa": {"premise", "question", "choice1", "choice2"}}[task]
  examples = data[task]["train"]
  labels = collections.Counter(e["label"] for e in examples)
  assert set(labels) == set(range(len(mini_superglue.LABEL_NAMES[task])))
  for example in examples:
    assert set(example) == fields | {"label", "idx"}
    assert all(example[f].strip() for f in fields)
  majority = labels.most_common(1)[0][1] / len(examples)
  assert majority < 0.7  # the majority baseline leaves room to learn


def _person_asked(question, world):
  by_name = {p.name: p for p in world.people}
  return by_name[next(n for n in by_name if f" {n} " in f" {question} ")]


def test_boolq_answers_are_true_in_the_world(data, world):
  possessions = {"have a pet": "pet", "play an instrument": "instrument",
                 "work for a company": "employer"}
  kinds = collections.Counter()
  for example in data["mini_boolq"]["train"][:200]:
    question, passage = example["question"], example["passage"]
    person = _person_asked(question, world)
    assert passage.startswith(person.name)
    asked = [a for q, a in possessions.items() if question.endswith(q)]
    if asked:
      kinds["possession"] += 1
      has = getattr(person, asked[0]) is not None
      assert example["label"] == int(has)
      assert (" no " in passage) == (not has)
    elif question.startswith("does") and " live in " in question:
      kinds["home"] += 1
      assert question.endswith(" " + person.home) == bool(example["label"])
  assert kinds["possession"] > 50 and kinds["home"] > 5


def test_cb_labels_follow_the_premise(data, world):
  cities = {c.name: c for c in world.cities}
  framed = collections.Counter()
  for example in data["mini_cb"]["train"][:300]:
    premise, hypothesis = example["premise"], example["hypothesis"]
    city = cities[hypothesis.split(" ")[0]]
    frames = [(label, frame) for label, frames in mini_superglue.FRAMES.items()
              for frame in frames if frame in premise.lower()]
    true = hypothesis in {
        f"{city.name} is a city in {city.country}.",
        f"{city.name} lies on the river {city.river}.",
        f"{city.name} is known for its {city.known_for}.",
        f"{city.name} has a {city.climate} climate.",
        f"{city.name} was founded in {city.founded}."}
    if frames:
      [(label, frame)] = frames
      framed[label] += 1
      assert example["label"] == label
      if label != 2:  # committed claims are true, denied ones false
        assert true == (label == 0)
    elif " is a city in " in hypothesis:
      stated = " is a city in " in premise
      assert example["label"] == ((0 if true else 1) if stated else 2)
    elif example["label"] != 2:
      assert true == (example["label"] == 0)
  assert set(framed) == {0, 1, 2}


def test_copa_right_choice_is_the_plausible_one(data, world):
  denials = {d.replace("{S} ", "") for d in mini_superglue.DENIALS.values()}
  denied = 0
  for example in data["mini_copa"]["train"][:200]:
    right = example["choice%d" % (example["label"] + 1)]
    wrong = example["choice%d" % (2 - example["label"])]
    assert right.split(" ", 1)[1] not in denials
    denied += wrong.split(" ", 1)[1] in denials
    for job, activity in mini_superglue.ACTIVITIES.items():
      if example["premise"].endswith(f" {activity} every day."):
        assert right.endswith(f" {job}.")
        assert not wrong.endswith(f" {job}.")
  assert 60 < denied < 140  # about half the wrong alternatives are denials


def test_summaries_are_one_sentence_absent_from_the_article(data, world):
  people = {p.name: p for p in world.people}
  for example in data[mini_benchmark.SUMMARIZATION]["train"][:200]:
    document, summary = example["document"], example["summary"]
    name = summary.split(",")[0]
    person = people[name]
    assert summary not in document and summary.count(". ") == 0
    assert summary.startswith(f"{name}, ") and f" from {person.home}, " in summary
    assert person.profession in document and person.home in document
    assert not document.startswith(summary.split(",")[0] + ",")


def _entity_of_question(world, question):
  for group, entities in (("cities", world.cities),
                          ("countries", world.countries),
                          ("companies", world.companies),
                          ("species", world.species),
                          ("people", world.people)):
    for entity in entities:
      for template, answer in mini_questions.RELATIONS[group]:
        if template.format(e=entity.name) == question:
          return entity, answer(entity)
  raise AssertionError(question)


def test_qa_is_split_by_entity_and_answers_are_true(data, world):
  splits = data[mini_benchmark.QA]
  assert len(splits["validation"]) > 100 and len(splits["train"]) > 400
  train_entities = set()
  for example in splits["train"]:
    entity, answer = _entity_of_question(world, example["question"])
    assert example["answers"] == [answer]
    train_entities.add(entity.name)
  for example in splits["validation"]:
    entity, answer = _entity_of_question(world, example["question"])
    assert example["answers"] == [answer]
    assert entity.name not in train_entities


def test_qa_validation_answers_are_in_the_pretraining_corpus(tmp_path, data,
                                                             world):
  """Each held-out fact is stated in the corpus: its entity and answer occur
  in the same document (checked on a 10,000-document corpus)."""
  files = mini_corpus.write_corpus(str(tmp_path), 10000, 10, seed=0)
  with open(files["train"]) as f:
    documents = f.read().splitlines()
  found = 0
  validation = data[mini_benchmark.QA]["validation"]
  for example in validation:
    entity, answer = _entity_of_question(world, example["question"])
    found += any(entity.name in d and answer in d for d in documents)
  assert found >= 0.9 * len(validation)


def test_translation_follows_the_target_grammar(world):
  lexicon = mini_translation.make_lexicon(0)
  assert lexicon == mini_translation.make_lexicon(0)
  rng = random.Random(0)
  for _ in range(300):
    clause = mini_translation.random_clause(world, rng)
    english = mini_translation.english(clause)
    target = mini_translation.target(clause, lexicon)
    words = target[:-1].split(" ")
    assert words[-1].startswith(lexicon[clause.verb])  # verb last (SOV)
    assert (mini_translation.NEGATION in words) == (" not " in english)
    assert (mini_translation.OBJECT in words) == (clause.obj is not None)
    for name in (clause.subject.name, getattr(clause.place, "name", "")):
      if name:
        assert name in english and name in target
    if clause.obj:  # noun [ru] [adjective] [ta] ko: adjectives follow
      before = words[:words.index(mini_translation.OBJECT)][-4:]
      noun = before.index(lexicon[clause.obj.noun])
      if clause.obj.adjective:
        assert lexicon[clause.obj.adjective] in before[noun + 1:]
