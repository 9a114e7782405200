"""Deterministic made-up names built from syllables.

The mini world (`world.py`) names every person, place, company, river,
currency and creature with a `NameMaker`, so no real-world data is involved and
a seed fully determines every name. Names are unique across one maker.
"""
import random

_ONSETS = ("b", "br", "d", "dr", "f", "g", "gr", "h", "k", "kr", "l", "m",
           "n", "p", "r", "s", "st", "t", "th", "v", "z", "sh", "ch", "j",
           "y", "w")
_VOWELS = ("a", "e", "i", "o", "u", "a", "e", "o", "ai", "ei", "ou", "ia")
_CODAS = ("", "", "", "n", "r", "l", "s", "m", "th", "k", "nd", "rn")


class NameMaker:
  """Makes unique lowercase syllable names from a `random.Random` stream."""

  def __init__(self, rng: random.Random):
    self._rng = rng
    self._used = set()

  def _syllable(self) -> str:
    rng = self._rng
    return rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)

  def make(self, min_syllables: int = 2, max_syllables: int = 3,
           suffixes: tuple[str, ...] = ("",)) -> str:
    """Returns a new lowercase name (3 to 10 letters) not returned before.

    Args:
      min_syllables: fewest syllables in the root.
      max_syllables: most syllables in the root.
      suffixes: one of these, chosen at random, ends the name.
    """
    while True:
      count = self._rng.randint(min_syllables, max_syllables)
      name = "".join(self._syllable() for _ in range(count))
      name += self._rng.choice(suffixes)
      if 3 <= len(name) <= 10 and name not in self._used:
        self._used.add(name)
        return name


def adjective_of(country: str) -> str:
  """The adjective (and language name) of a country name, e.g. Durnia -> Durnish.

  Args:
    country: a capitalised country name.
  """
  root = country.rstrip("aeiouy")
  ending = "ese" if country.endswith("a") else "ish"
  return (root or country) + ending


def plural_of(noun: str) -> str:
  """English plural of a made-up noun: vorlak -> vorlaks, brush -> brushes."""
  if noun.endswith(("s", "sh", "ch", "x", "z")):
    return noun + "es"
  return noun + "s"
