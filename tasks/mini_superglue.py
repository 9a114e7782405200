"""Three SuperGLUE-style tasks generated from the mini world.

Each example has the feature names of its TFDS SuperGLUE counterpart, so t5's
`glue` text preprocessor formats it, and t5's postprocessors and metrics score
it, exactly as for the real benchmark (`super_glue.py`):

  mini_boolq (BoolQ): a passage of two or three facts about a person and a
    yes/no question about one of them; label 1 ("True") for 60% of the examples, as
    BoolQ's majority class is about 62%. Birthplace and home are both cities,
    so the question's relation matters, not only its value.
  mini_cb (CommitmentBank): a premise of one to three facts about a city and
    a hypothesis about one of its attributes: entailment (stated, same value), contradiction (stated,
    another value) or neutral (not stated), about 45/40/15%.
  mini_copa (COPA): a premise, "cause" or "effect", and two alternatives, one
    plausible: professions and what their people do every day (learnt from
    the training examples), and pets and what their species eats (stated only
    in the pretraining corpus). Balanced labels.

`make_examples(task, world, rng, count)` returns `count` examples; the split
is decided by the caller's random stream.
"""
import random

from mtf_mods.tasks import mini_text as text
from mtf_mods.tasks import mini_world

TASKS = ("mini_boolq", "mini_cb", "mini_copa")
# Label names by class id, as TFDS super_glue/{boolq,cb,copa} define them.
LABEL_NAMES = {
    "mini_boolq": ("False", "True"),
    "mini_cb": ("entailment", "contradiction", "neutral"),
    "mini_copa": ("choice1", "choice2"),
}
# The benchmark name t5's glue preprocessor puts first in the inputs.
BENCHMARK_NAMES = {"mini_boolq": "boolq", "mini_cb": "cb",
                   "mini_copa": "copa"}

# What people of each profession do every day (mini_copa).
ACTIVITIES = {
    "baker": "bakes bread", "teacher": "teaches children",
    "doctor": "treats the sick", "farmer": "feeds the cows",
    "carpenter": "makes tables", "painter": "paints pictures",
    "sailor": "sails a ship", "miner": "digs for coal",
    "weaver": "weaves cloth", "engineer": "designs bridges",
    "nurse": "cares for patients", "lawyer": "argues in court",
    "musician": "plays in a band", "potter": "shapes clay",
    "tailor": "sews coats", "fisher": "catches fish",
    "builder": "lays bricks", "librarian": "sorts books",
    "chemist": "mixes medicines", "merchant": "sells goods",
    "pilot": "flies a plane", "cook": "cooks meals", "poet": "writes poems",
    "gardener": "waters the flowers", "blacksmith": "forges iron",
    "architect": "draws houses", "judge": "hears cases",
    "clerk": "files papers", "shepherd": "watches the sheep",
    "jeweller": "sets stones in rings",
}


def _other(rng, options, value):
  """A random element of `options` other than `value`."""
  return rng.choice([o for o in options if o != value])


def _pronouns(person):
  return ("she", "her", "her") if person.female else ("he", "his", "him")


# Person attributes for mini_boolq: (statement, question, value, options).
def _person_attributes(world, p):
  cities = [c.name for c in world.cities]
  attributes = [
      ("{S} lives in {v}.", "does {n} live in {v}", p.home, cities),
      ("{S} was born in {v}.", "was {n} born in {v}", p.birthplace, cities),
      ("{S} works as {a}.", "is {n} {a}", p.profession,
       mini_world.PROFESSIONS),
      ("{P} favourite colour is {v}.", "is the favourite colour of {n} {v}",
       p.colour, mini_world.COLOURS),
  ]
  if p.instrument:
    attributes.append(("{S} plays the {v}.", "does {n} play the {v}",
                       p.instrument, mini_world.INSTRUMENTS))
  if p.employer:
    attributes.append(("{S} works for {v}.", "does {n} work for {v}",
                       p.employer, [c.name for c in world.companies]))
  return attributes


def _fill(template, value, name=""):
  return template.replace("{v}", value).replace(
      "{a}", text.article(value)).replace("{n}", name)


def boolq_example(world, rng):
  person = rng.choice(world.people)
  attributes = _person_attributes(world, person)
  rng.shuffle(attributes)
  stated = attributes[:rng.randint(2, 3)]
  _, question, value, options = rng.choice(stated)
  label = 1 if rng.random() < 0.6 else 0
  asked = value if label else _other(rng, options, value)
  mention = text.Mention(person.name, _pronouns(person), (person.given,), rng)
  sentences = [mention.render(_fill(s, v)) for s, _, v, _ in stated]
  return {"passage": " ".join(sentences),
          "question": _fill(question, asked, person.name), "label": label}


# City attributes for mini_cb: (statement, value, options).
def _city_attributes(world, city):
  return [
      ("{S} is a city in {v}.", city.country,
       [c.name for c in world.countries]),
      ("{S} lies on the river {v}.", city.river,
       sorted({c.river for c in world.cities})),
      ("{S} is known for its {v}.", city.known_for, mini_world.PRODUCTS),
      ("{S} has a {v} climate.", city.climate, mini_world.CLIMATES),
      ("{S} was founded in {v}.", str(city.founded),
       [str(year) for year in range(800, 1851)]),
  ]


def cb_example(world, rng):
  city = rng.choice(world.cities)
  attributes = _city_attributes(world, city)
  rng.shuffle(attributes)
  count = rng.randint(1, 3)
  stated, unstated = attributes[:count], attributes[count:]
  roll = rng.random()
  if roll < 0.45:
    label, (statement, value, _) = 0, rng.choice(stated)
  elif roll < 0.85:
    label, (statement, value, options) = 1, rng.choice(stated)
    value = _other(rng, options, value)
  else:
    label, (statement, value, options) = 2, rng.choice(unstated)
    if rng.random() < 0.5:
      value = _other(rng, options, value)
  mention = text.Mention(city.name, ("it", "its", "it"), ("the city",), rng)
  premise = " ".join(mention.render(_fill(s, v)) for s, v, _ in stated)
  return {"premise": premise, "label": label,
          "hypothesis": text.sentence(_fill(statement, value).replace(
              "{S}", city.name))}


def _choices(rng, right, wrong):
  """(choice1, choice2, label) with the right one at a random position."""
  label = rng.randint(0, 1)
  return (wrong, right, 1) if label else (right, wrong, 0)


def _copa_job(person, other, rng):
  """(premise, question, right, wrong) about a profession; {S} = subject."""
  def is_a(job):
    return "{S} is %s." % text.article(job)

  def does(job):
    return "{S} %s every day." % ACTIVITIES[job]
  job = person.profession
  if rng.random() < 0.5:
    return is_a(job), "effect", does(job), does(other)
  return does(job), "cause", is_a(job), is_a(other)


def _copa_pet(person, species, other, rng):
  """(premise, question, right, wrong) about a pet; {S} = subject."""
  def buys(diet):
    return "{S} buys %s for %s." % (diet, person.pet_name)

  def keeps(name):
    return "{S} keeps %s called %s." % (text.article(name), person.pet_name)
  if rng.random() < 0.5:
    return keeps(species.name), "effect", buys(species.diet), buys(other.diet)
  return buys(species.diet), "cause", keeps(species.name), keeps(other.name)


def copa_example(world, rng):
  """A premise about a person and two alternatives about "he" or "she"."""
  if rng.random() < 0.5:
    person = rng.choice(world.people)
    parts = _copa_job(person, _other(rng, mini_world.PROFESSIONS,
                                     person.profession), rng)
  else:
    person = rng.choice([p for p in world.people if p.pet])
    species = world.get(person.pet)
    other = rng.choice([s for s in world.species if s.diet != species.diet])
    parts = _copa_pet(person, species, other, rng)
  premise, question, right, wrong = parts
  pronoun = _pronouns(person)[0]
  choice1, choice2, label = _choices(
      rng, *[text.sentence(c.replace("{S}", pronoun)) for c in (right, wrong)])
  return {"premise": premise.replace("{S}", person.name), "question": question,
          "choice1": choice1, "choice2": choice2, "label": label}


_MAKERS = {"mini_boolq": boolq_example, "mini_cb": cb_example,
           "mini_copa": copa_example}


def make_examples(task: str, world: mini_world.World, rng: random.Random,
                  count: int) -> list[dict]:
  """`count` examples of `task` (one of TASKS), each with an "idx"."""
  return [dict(_MAKERS[task](world, rng), idx=i) for i in range(count)]
