"""Tests of the mini corpus: determinism, splits, and that it tells the truth."""
import re

from mtf_mods.tasks.mini import corpus as mini_corpus
from mtf_mods.tasks.mini import world as mini_world


def _write(directory, train=300, validation=60, seed=0):
  directory.mkdir(parents=True)
  return mini_corpus.write_corpus(str(directory), train, validation, seed)


def _read(path):
  with open(path, "rb") as f:
    return f.read()


def test_identical_arguments_give_byte_identical_files(tmp_path):
  first, second = _write(tmp_path / "a"), _write(tmp_path / "b")
  for split in ("train", "validation"):
    assert _read(first[split]) == _read(second[split])


def test_another_seed_gives_another_corpus(tmp_path):
  first, second = _write(tmp_path / "a"), _write(tmp_path / "b", seed=1)
  assert _read(first["train"]) != _read(second["train"])


def test_training_text_does_not_depend_on_the_validation_size(tmp_path):
  first = _write(tmp_path / "a", validation=10)
  second = _write(tmp_path / "b", validation=50)
  assert _read(first["train"]) == _read(second["train"])


def test_splits_are_nonempty_lines_without_overlap(tmp_path):
  paths = _write(tmp_path / "a")
  train = _read(paths["train"]).decode("utf-8").split("\n")
  validation = _read(paths["validation"]).decode("utf-8").split("\n")
  assert train.pop() == "" and validation.pop() == ""  # files end with \n
  assert (len(train), len(validation)) == (300, 60)
  assert all(len(doc.split(". ")) >= 2 for doc in train + validation)
  assert not set(train) & set(validation)


def test_stated_facts_are_true_in_the_world(tmp_path):
  paths = _write(tmp_path / "a", train=1000)
  text = _read(paths["train"]).decode("utf-8")
  world = mini_world.make_world(0)
  births = re.findall(r"([A-Z][a-z]+ [A-Z][a-z]+) was born in (\d{4})\.", text)
  rivers = re.findall(r"\b(?!It )([A-Z][a-z]+) lies on the river ([A-Z][a-z]+)\.",
                      text)
  assert len(births) > 50 and len(rivers) > 20
  for name, year in births:
    assert world.get(name).birth_year == int(year)
  for city, river in rivers:
    assert world.get(city).river == river
