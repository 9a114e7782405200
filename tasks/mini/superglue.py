"""Three SuperGLUE-style tasks generated from the mini world.

Each example has the feature names of its TFDS SuperGLUE counterpart, so t5's
`glue` text preprocessor formats it, and t5's postprocessors and metrics score
it, exactly as for the real benchmark (`super_glue.py`).

Like the real tasks, each mixes examples a surface cue decides with examples
that need the passage read closely: a small model that has learnt the cues is
clearly above the majority class, and the rest of the way measures more.

  mini_boolq (BoolQ): a passage of facts about a person and a yes/no
    question; label 1 ("True") for 60% of the examples, as BoolQ's majority
    class is about 62%. Half the questions ask whether the person has a pet,
    plays an instrument or works for a company, which the passage states or
    denies ("She has no pet."); half ask whether one attribute has a given
    value, which must be compared with the passage (birthplace and home are
    both cities, so the relation matters, not only the value).
  mini_cb (CommitmentBank): a premise of facts about a city and a hypothesis
    about one of its attributes: entailment, contradiction or neutral, about
    45/40/15%. As in CommitmentBank, half the premises embed the hypothesis
    under a frame that commits to it ("Everyone knows that ..."), denies it
    ("Nobody believes that ...") or neither ("Some travellers say that ...");
    in the other half the premise states facts and the hypothesis is
    entailment (stated, same value), contradiction (stated, another value) or
    neutral (not stated).
  mini_copa (COPA): a premise, "cause" or "effect", and two alternatives, one
    plausible: professions and what their people do every day (learnt from
    the training examples), and pets and what their species eats (stated only
    in the pretraining corpus). In half the examples the wrong alternative
    is another profession or diet; in the other half it denies the premise's
    situation ("He has no work.", "She has no pet."). Balanced labels.

`make_examples(task, world, rng, count)` returns `count` examples; the split
is decided by the caller's random stream.
"""
import random
import typing

from mtf_mods.tasks.mini import text
from mtf_mods.tasks.mini import world as mini_world

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
def _person_attributes(world, p, possessions=True):
  cities = [c.name for c in world.cities]
  attributes = [
      ("{S} lives in {v}.", "does {n} live in {v}", p.home, cities),
      ("{S} was born in {v}.", "was {n} born in {v}", p.birthplace, cities),
      ("{S} works as {a}.", "is {n} {a}", p.profession,
       mini_world.PROFESSIONS),
      ("{P} favourite colour is {v}.", "is the favourite colour of {n} {v}",
       p.colour, mini_world.COLOURS),
  ]
  if p.instrument and possessions:
    attributes.append(("{S} plays the {v}.", "does {n} play the {v}",
                       p.instrument, mini_world.INSTRUMENTS))
  if p.employer and possessions:
    attributes.append(("{S} works for {v}.", "does {n} work for {v}",
                       p.employer, [c.name for c in world.companies]))
  return attributes


def _fill(template, value, name=""):
  return template.replace("{v}", value).replace(
      "{a}", text.article(value)).replace("{n}", name)


def _keeps_pet(species, pet_name):
  """The sentence that a subject {S} keeps a pet of `species`."""
  return "{S} keeps %s called %s." % (text.article(species), pet_name)


class Possession(typing.NamedTuple):
  """What a person may have or lack, for mini_boolq."""
  question: str
  attribute: str  # the Person field, None when the person lacks it
  has: typing.Callable  # person -> the statement that the person has it
  lacks: str


POSSESSIONS = (
    Possession("does {n} have a pet", "pet",
               lambda p: _keeps_pet(p.pet, p.pet_name), "{S} has no pet."),
    Possession("does {n} play an instrument", "instrument",
               lambda p: "{S} plays the %s." % p.instrument,
               "{S} plays no instrument."),
    Possession("does {n} work for a company", "employer",
               lambda p: "{S} works for %s." % p.employer,
               "{S} works for no company."),
)


def _possessions_answering(person, label):
  """The possessions whose question has answer `label` for `person`."""
  return [p for p in POSSESSIONS
          if (getattr(person, p.attribute) is not None) == bool(label)]


def _value_question(world, person, label, rng):
  """(stated sentences, question): is an attribute's value the one asked?"""
  attributes = _person_attributes(world, person)
  rng.shuffle(attributes)
  stated = attributes[:rng.randint(2, 3)]
  _, question, value, options = rng.choice(stated)
  asked = value if label else _other(rng, options, value)
  return [_fill(s, v) for s, _, v, _ in stated], _fill(question, asked,
                                                        person.name)


def _possession_question(world, person, label, rng):
  """(stated sentences, question): does the person have a pet, ...?"""
  possession = rng.choice(_possessions_answering(person, label))
  others = _person_attributes(world, person, possessions=False)
  rng.shuffle(others)
  sentences = [_fill(s, v) for s, _, v, _ in others[:rng.randint(1, 2)]]
  sentences.insert(rng.randint(0, len(sentences)),
                   possession.has(person) if label else possession.lacks)
  return sentences, possession.question.replace("{n}", person.name)


def boolq_example(world, rng):
  label = 1 if rng.random() < 0.6 else 0
  if rng.random() < 0.5:
    person = rng.choice(world.people)
    sentences, question = _value_question(world, person, label, rng)
  else:
    person = rng.choice([p for p in world.people
                         if _possessions_answering(p, label)])
    sentences, question = _possession_question(world, person, label, rng)
  mention = text.Mention(person.name, _pronouns(person), (person.given,), rng)
  return {"passage": " ".join(mention.render(s) for s in sentences),
          "question": question, "label": label}


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


# CommitmentBank-style frames around a clause, by the label they give it.
FRAMES = {
    0: ("everyone knows that", "the records show that", "it is certain that"),
    1: ("nobody believes that", "it is untrue that", "the records deny that"),
    2: ("some travellers say that", "it is possible that",
        "a rumour has it that"),
}


def _cb_label(rng):
  roll = rng.random()
  return 0 if roll < 0.45 else 1 if roll < 0.85 else 2


def _stated_hypothesis(attributes, label, rng):
  """(stated attributes, hypothesis) for a premise of plain facts."""
  count = rng.randint(1, 3)
  stated, unstated = attributes[:count], attributes[count:]
  if label == 2:
    statement, value, options = rng.choice(unstated)
    if rng.random() < 0.5:
      value = _other(rng, options, value)
  else:
    statement, value, options = rng.choice(stated)
    if label == 1:
      value = _other(rng, options, value)
  return stated, _fill(statement, value)


def _framed_hypothesis(attributes, label, rng):
  """(premise sentences, hypothesis): the hypothesis under a frame of `label`.

  Committed claims are true in the world and denied claims false; a neutral
  frame may carry either.
  """
  (statement, value, options), others = attributes[0], attributes[1:]
  if label == 1 or (label == 2 and rng.random() < 0.5):
    value = _other(rng, options, value)
  hypothesis = _fill(statement, value)
  sentences = [_fill(s, v) for s, v, _ in others[:rng.randint(0, 2)]]
  sentences.insert(rng.randint(0, len(sentences)),
                   "%s %s" % (rng.choice(FRAMES[label]), hypothesis))
  return sentences, hypothesis


def cb_example(world, rng):
  city = rng.choice(world.cities)
  attributes = _city_attributes(world, city)
  rng.shuffle(attributes)
  label = _cb_label(rng)
  if rng.random() < 0.5:
    stated, hypothesis = _stated_hypothesis(attributes, label, rng)
    sentences = [_fill(s, v) for s, v, _ in stated]
  else:
    sentences, hypothesis = _framed_hypothesis(attributes, label, rng)
  mention = text.Mention(city.name, ("it", "its", "it"), ("the city",), rng)
  return {"premise": " ".join(mention.render(s) for s in sentences),
          "label": label,
          "hypothesis": text.sentence(hypothesis.replace("{S}", city.name))}


def _choices(rng, right, wrong):
  """(choice1, choice2, label) with the right one at a random position."""
  label = rng.randint(0, 1)
  return (wrong, right, 1) if label else (right, wrong, 0)


# Wrong alternatives that deny the premise's situation, by topic.
DENIALS = {"job": "{S} has no work.", "pet": "{S} has no pet."}


def _copa_job(person, other, rng):
  """(premise, question, right, wrong) about a profession; {S} = subject.

  The wrong alternative is about the profession `other`, or denies that the
  person works if `other` is None.
  """
  def is_a(job):
    return "{S} is %s." % text.article(job)

  def does(job):
    return "{S} %s every day." % ACTIVITIES[job]
  job = person.profession
  if rng.random() < 0.5:
    wrong = does(other) if other else DENIALS["job"]
    return is_a(job), "effect", does(job), wrong
  wrong = is_a(other) if other else DENIALS["job"]
  return does(job), "cause", is_a(job), wrong


def _copa_pet(person, species, other, rng):
  """(premise, question, right, wrong) about a pet; {S} = subject.

  The wrong alternative is about the species `other`, or denies that the
  person has a pet if `other` is None.
  """
  def buys(diet):
    return "{S} buys %s for %s." % (diet, person.pet_name)

  def keeps(name):
    return _keeps_pet(name, person.pet_name)
  if rng.random() < 0.5:
    wrong = buys(other.diet) if other else DENIALS["pet"]
    return keeps(species.name), "effect", buys(species.diet), wrong
  wrong = keeps(other.name) if other else DENIALS["pet"]
  return buys(species.diet), "cause", keeps(species.name), wrong


def copa_example(world, rng):
  """A premise about a person and two alternatives about "he" or "she"."""
  deny = rng.random() < 0.5
  if rng.random() < 0.5:
    person = rng.choice(world.people)
    other = None if deny else _other(rng, mini_world.PROFESSIONS,
                                     person.profession)
    parts = _copa_job(person, other, rng)
  else:
    person = rng.choice([p for p in world.people if p.pet])
    species = world.get(person.pet)
    other = None if deny else rng.choice(
        [s for s in world.species if s.diet != species.diet])
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
