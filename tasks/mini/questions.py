"""A closed-book QA task (WebQuestions-style) about facts of the mini world.

Questions ask for one fact of an entity the pretraining corpus writes about
often: every city, country, company and species, and the most popular people
(the corpus picks document subjects by popularity, `mini_corpus.popularity`).
The split is by entity: the questions about a seeded quarter of the entities
of each group are the validation split, the rest train. A validation fact is
therefore never seen in fine-tuning; the only place it is written down is the
pretraining corpus, as for WebQuestions answered closed-book after
pretraining on C4. Examples have the TFDS web_questions feature names:
{"question": lowercase question, "answers": [answer]}. Questions have no
question mark, a character the pretraining corpus (and so its vocabulary)
never contains.

The questions are the set of all (entity, relation) pairs, so the task's
size is fixed by the world, not chosen.
"""
import random

from mtf_mods.tasks.mini import corpus as mini_corpus
from mtf_mods.tasks.mini import world as mini_world

VALIDATION_FRACTION = 0.25
POPULAR_PEOPLE = 100

# group -> [(question template, answer)]; {e} is the entity's name.
RELATIONS = {
    "cities": [
        ("which country is {e} in", lambda c: c.country),
        ("which river flows through {e}", lambda c: c.river),
        ("what is {e} known for", lambda c: c.known_for),
    ],
    "countries": [
        ("what is the capital of {e}", lambda c: c.capital),
        ("what language do people speak in {e}", lambda c: c.adjective),
        ("what is the currency of {e}", lambda c: c.currency),
    ],
    "companies": [
        ("what does {e} make", lambda c: c.product),
        ("where is {e} based", lambda c: c.city),
        ("who founded {e}", lambda c: c.founder),
    ],
    "species": [
        ("what does the {e} eat", lambda s: s.diet),
        ("where does the {e} come from", lambda s: s.home_country),
        ("what colour is the {e}", lambda s: s.colour),
    ],
    "people": [
        ("where was {e} born", lambda p: p.birthplace),
        ("what is the job of {e}", lambda p: p.profession),
        ("where does {e} live", lambda p: p.home),
    ],
}


def popular_people(world: mini_world.World, seed: int,
                   count: int = POPULAR_PEOPLE) -> list[mini_world.Person]:
  """The `count` people the corpus of `seed` writes about most."""
  cumulative = mini_corpus.popularity(world, seed)["people"]
  weights = [b - a for a, b in zip([0.0] + cumulative[:-1], cumulative)]
  ranked = sorted(range(len(world.people)), key=lambda i: -weights[i])
  return [world.people[i] for i in ranked[:count]]


def _entities(world, seed):
  return {"cities": list(world.cities), "countries": list(world.countries),
          "companies": list(world.companies), "species": list(world.species),
          "people": popular_people(world, seed)}


def make_splits(world: mini_world.World, seed: int,
                rng: random.Random) -> dict[str, list[dict]]:
  """{"train": [...], "validation": [...]}: every question, split by entity.

  Args:
    world: the mini world.
    seed: the corpus seed (which people are popular).
    rng: decides which entities are held out and the order of the examples.
  """
  splits = {"train": [], "validation": []}
  for group, entities in _entities(world, seed).items():
    entities = sorted(entities, key=lambda e: e.name)
    rng.shuffle(entities)
    held_out = max(1, round(VALIDATION_FRACTION * len(entities)))
    for i, entity in enumerate(entities):
      split = "validation" if i < held_out else "train"
      for template, answer in RELATIONS[group]:
        splits[split].append({"question": template.format(e=entity.name),
                              "answers": [answer(entity)]})
  for examples in splits.values():
    rng.shuffle(examples)
  return splits
