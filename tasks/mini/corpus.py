"""Writes the mini pretraining corpus: documents rendered from the mini world.

`write_corpus(directory, num_train_docs, num_validation_docs, seed)` builds
`mini_world.make_world(seed)` and renders documents (`documents.py`) one
per line into `train.txt` and `validation.txt`. Train and validation documents
come from two separate random streams over the same world, and a validation
document identical to a training one is skipped, so the validation split holds
held-out renderings of the same facts. The output is byte-identical for
identical arguments. Bump `CORPUS_VERSION` whenever the rendered text changes,
so cached corpora of an older version are not reused.
"""
import hashlib
import itertools
import os
import random

from mtf_mods.tasks.mini import documents as mini_documents
from mtf_mods.tasks.mini import world as mini_world

CORPUS_VERSION = 1


def _stream(seed: int, name: str) -> random.Random:
  """An independent, seeded random stream (string seeds hash with SHA-512)."""
  return random.Random(f"mtf_mods.mini/{CORPUS_VERSION}/{seed}/{name}")


def _popularity(world, rng) -> dict[str, list[float]]:
  """Zipf-like cumulative weights: a random few entities dominate each group."""
  popularity = {}
  for group in mini_documents.POPULARITY_GROUPS:
    size = len(getattr(world, group))
    ranks = list(range(size))
    rng.shuffle(ranks)
    popularity[group] = list(
        itertools.accumulate(1.0 / (rank + 10) for rank in ranks))
  return popularity


def popularity(world, seed: int = 0) -> dict[str, list[float]]:
  """The cumulative subject weights `write_corpus(..., seed)` draws with: for
  each of mini_documents.POPULARITY_GROUPS, one value per entity in world
  order (differences of consecutive values are the entities' weights)."""
  return _popularity(world, _stream(seed, "popularity"))


def _digest(document: str) -> bytes:
  return hashlib.sha1(document.encode("utf-8")).digest()


def _documents(world, popularity, rng, exclude=frozenset()):
  """Endless documents from `rng`, skipping those whose digest is in `exclude`."""
  while True:
    document = mini_documents.random_document(world, rng, popularity)
    if _digest(document) not in exclude:
      yield document


def _write_lines(path, lines):
  with open(path, "w", encoding="utf-8", newline="\n") as f:
    for line in lines:
      f.write(line + "\n")


def write_corpus(directory: str, num_train_docs: int, num_validation_docs: int,
                 seed: int = 0) -> dict[str, str]:
  """Writes train.txt and validation.txt (one document per line) into directory.

  Args:
    directory: an existing directory.
    num_train_docs: number of training documents.
    num_validation_docs: number of validation documents, none of which is
      identical to a training document.
    seed: seeds the world and the rendering.

  Returns:
    {"train": path of train.txt, "validation": path of validation.txt}.
  """
  world = mini_world.make_world(seed)
  weights = popularity(world, seed)
  paths = {split: os.path.join(directory, f"{split}.txt")
           for split in ("train", "validation")}
  seen = set()

  def remember(document):
    seen.add(_digest(document))
    return document

  _write_lines(paths["train"], (remember(d) for d in itertools.islice(
      _documents(world, weights, _stream(seed, "train")), num_train_docs)))
  _write_lines(paths["validation"], itertools.islice(
      _documents(world, weights, _stream(seed, "validation"), seen),
      num_validation_docs))
  return paths
