"""A WMT-style translation task: English into a synthetic language of the world.

The target language is the language of the mini world's first country (e.g.
"Yekaimosish"). Its words are seeded syllable words (`mini_names.NameMaker`),
and its grammar differs from English:

  - word order subject - place - object - negation - verb (SOV), where English
    is subject - negation - verb - object - place (SVO);
  - adjectives follow their noun; a plural noun is followed by "ru"; a
    definite noun phrase ends with the particle "ta";
  - the object phrase is marked by the particle "ko"; places take
    postpositions: "da" (in), "pe" (near), "mi" (with);
  - verbs take a tense suffix, "a" (present) or "o" (past), then "n" when the
    subject is plural; negation is the particle "na" before the verb;
  - names of people and cities are kept as they are.

  English: The painters do not sell the famous clocks in Chand.
  Target:  jeis ru ta Chand da ranvair ru dal ta ko na panniathan.

Every English sentence is generated from a small phrase-structure grammar
over the world's people and cities, and translated by rendering the same
parse in the target grammar, so the mapping is deterministic and learnable.
Examples are {"en": sentence, "<code>": translation} with the target code
`TARGET_CODE`. Copying the source keeps only the names, which is the
"copy source" baseline.
"""
import dataclasses
import random

from mtf_mods.tasks.mini import names as mini_names
from mtf_mods.tasks.mini import text
from mtf_mods.tasks.mini import world as mini_world

TARGET_CODE = "xx"

_ANIMATE = ("baker", "teacher", "doctor", "farmer", "sailor", "child",
            "friend", "neighbour", "dog", "cat", "horse", "bird", "merchant",
            "painter", "cook", "pilot", "tailor", "poet")
_THINGS = ("book", "letter", "lamp", "bell", "clock", "boat", "basket",
           "apple", "house", "garden", "bridge", "map", "shoe", "key", "coin",
           "candle")
_PLURALS = {"child": "children", "shoe": "shoes"}
_ADJECTIVES = ("old", "young", "small", "big", "happy", "tired", "kind",
               "quiet", "famous", "new", "red", "blue", "green", "white")
# base form -> (third person singular, past)
_TRANSITIVE = {
    "see": ("sees", "saw"), "find": ("finds", "found"),
    "buy": ("buys", "bought"), "sell": ("sells", "sold"),
    "carry": ("carries", "carried"), "paint": ("paints", "painted"),
    "build": ("builds", "built"), "clean": ("cleans", "cleaned"),
    "bring": ("brings", "brought"), "want": ("wants", "wanted"),
    "like": ("likes", "liked"), "watch": ("watches", "watched"),
}
_INTRANSITIVE = {
    "sleep": ("sleeps", "slept"), "sing": ("sings", "sang"),
    "work": ("works", "worked"), "wait": ("waits", "waited"),
    "walk": ("walks", "walked"), "laugh": ("laughs", "laughed"),
}
_PREPOSITIONS = {"in": "da", "near": "pe", "with": "mi"}
DEFINITE, OBJECT, NEGATION, PLURAL = "ta", "ko", "na", "ru"
TENSE_SUFFIX = {"present": "a", "past": "o"}


@dataclasses.dataclass(frozen=True)
class NounPhrase:
  """A name, or a noun with optional adjective, article and number."""
  name: str = ""
  noun: str = ""
  adjective: str = ""
  definite: bool = True
  plural: bool = False


@dataclasses.dataclass(frozen=True)
class Clause:
  subject: NounPhrase
  verb: str
  tense: str  # "present" or "past"
  negated: bool
  obj: NounPhrase | None
  preposition: str = ""
  place: NounPhrase | None = None


def make_lexicon(seed: int) -> dict[str, str]:
  """English word -> target word (1 or 2 syllables), seeded."""
  maker = mini_names.NameMaker(random.Random(f"mtf_mods.mini/lexicon/{seed}"))
  words = (_ANIMATE + _THINGS + _ADJECTIVES + tuple(_TRANSITIVE)
           + tuple(_INTRANSITIVE))
  return {word: maker.make(1, 2) for word in words}


def language_name(world: mini_world.World) -> str:
  """The target language's English name: the first country's language."""
  return world.countries[0].adjective


def _noun_phrase(rng, nouns, people):
  if people and rng.random() < 0.3:
    return NounPhrase(name=rng.choice(people).name)
  return NounPhrase(noun=rng.choice(nouns),
                    adjective=rng.choice(_ADJECTIVES)
                    if rng.random() < 0.5 else "",
                    definite=rng.random() < 0.6, plural=rng.random() < 0.3)


def random_clause(world: mini_world.World, rng: random.Random) -> Clause:
  transitive = rng.random() < 0.6
  verbs = _TRANSITIVE if transitive else _INTRANSITIVE
  place, preposition = None, ""
  if rng.random() < 0.5:
    preposition = rng.choice(tuple(_PREPOSITIONS))
    place = (NounPhrase(name=rng.choice(world.cities).name)
             if preposition == "in" else
             _noun_phrase(rng, _THINGS + _ANIMATE, None))
  return Clause(
      subject=_noun_phrase(rng, _ANIMATE, world.people),
      verb=rng.choice(sorted(verbs)), tense=rng.choice(("present", "past")),
      negated=rng.random() < 0.25,
      obj=_noun_phrase(rng, _THINGS, None) if transitive else None,
      preposition=preposition, place=place)


def _english_noun_phrase(np):
  if np.name:
    return np.name
  noun = _PLURALS.get(np.noun, np.noun + "s") if np.plural else np.noun
  words = " ".join(w for w in (np.adjective, noun) if w)
  if np.definite:
    return "the " + words
  return words if np.plural else text.article(words)


def _english_verb(clause):
  third, past = {**_TRANSITIVE, **_INTRANSITIVE}[clause.verb]
  singular = bool(clause.subject.name) or not clause.subject.plural
  if clause.negated:
    auxiliary = ("did" if clause.tense == "past"
                 else "does" if singular else "do")
    return f"{auxiliary} not {clause.verb}"
  if clause.tense == "past":
    return past
  return third if singular else clause.verb


def english(clause: Clause) -> str:
  words = [_english_noun_phrase(clause.subject), _english_verb(clause)]
  if clause.obj:
    words.append(_english_noun_phrase(clause.obj))
  if clause.place:
    words += [clause.preposition, _english_noun_phrase(clause.place)]
  return text.sentence(" ".join(words))


def _target_noun_phrase(np, lexicon):
  if np.name:
    return np.name
  words = [lexicon[np.noun]]
  if np.plural:
    words.append(PLURAL)
  if np.adjective:
    words.append(lexicon[np.adjective])
  if np.definite:
    words.append(DEFINITE)
  return " ".join(words)


def target(clause: Clause, lexicon: dict[str, str]) -> str:
  """The clause in the target language (lowercase but for names)."""
  words = [_target_noun_phrase(clause.subject, lexicon)]
  if clause.place:
    words += [_target_noun_phrase(clause.place, lexicon),
              _PREPOSITIONS[clause.preposition]]
  if clause.obj:
    words += [_target_noun_phrase(clause.obj, lexicon), OBJECT]
  if clause.negated:
    words.append(NEGATION)
  plural = not clause.subject.name and clause.subject.plural
  words.append(lexicon[clause.verb] + TENSE_SUFFIX[clause.tense]
               + ("n" if plural else ""))
  return " ".join(words) + "."


def make_examples(world: mini_world.World, lexicon: dict[str, str],
                  rng: random.Random, count: int) -> list[dict]:
  examples = []
  for _ in range(count):
    clause = random_clause(world, rng)
    examples.append({"en": english(clause),
                     TARGET_CODE: target(clause, lexicon)})
  return examples
