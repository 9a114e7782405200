"""English surface helpers for rendering the mini world: numbers, articles,
lists, sentence case, and mentions that turn into pronouns after first use."""
import random
import re

_SMALL_NUMBERS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
    "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
    "sixteen", "seventeen", "eighteen", "nineteen", "twenty")
_PLACEHOLDER = re.compile(r"\{(S|P|O)\}")


def number_word(n: int) -> str:
  """Numbers up to twenty as words, larger ones as digits."""
  return _SMALL_NUMBERS[n] if 0 <= n < len(_SMALL_NUMBERS) else str(n)


def count(n: int, singular: str, plural: str) -> str:
  """A count in words: 'no children', 'one child', 'three children'."""
  if n == 0:
    return f"no {plural}"
  return f"{number_word(n)} {singular if n == 1 else plural}"


def article(noun_phrase: str) -> str:
  """The noun phrase with its indefinite article: 'a baker', 'an engineer'."""
  return ("an " if noun_phrase[0] in "aeiou" else "a ") + noun_phrase


def join(items: list[str]) -> str:
  """A list in prose: 'A', 'A and B', 'A, B and C'."""
  if len(items) <= 1:
    return "".join(items)
  return ", ".join(items[:-1]) + " and " + items[-1]


def big_number(n: int, rng: random.Random) -> str:
  """A large count written as 45200 or 45,200, chosen at random."""
  return f"{n:,}" if rng.random() < 0.5 else str(n)


def sentence(text: str) -> str:
  """Capitalises the first letter and ends with a full stop."""
  text = text[:1].upper() + text[1:]
  return text if text.endswith((".", "!", "?")) else text + "."


class Mention:
  """How one entity is referred to across the sentences of a document.

  The first mention uses the full name; later sentences use a pronoun or a
  shorter name at random. Within a sentence only the first placeholder among
  {S} (subject), {P} (possessive) and {O} (object) gets the chosen form, the
  others are pronouns, so "{S} spends {P} free time ..." never repeats a name.
  """

  def __init__(self, full: str, pronouns: tuple[str, str, str],
               short_names: tuple[str, ...], rng: random.Random):
    """Args:
      full: the full name, used first.
      pronouns: subject, possessive and object pronouns ("she", "her", "her").
      short_names: other names for later mentions ("Talima", "the city").
      rng: the document's random stream.
    """
    self._full = full
    self._pronouns = pronouns
    self._short_names = short_names
    self._rng = rng
    self._used = False

  def _name(self) -> str:
    if not self._used:
      self._used = True
      return self._full
    roll = self._rng.random()
    if roll < 0.65 or not self._short_names:
      return ""  # pronoun
    if roll < 0.9:
      return self._rng.choice(self._short_names)
    return self._full

  def render(self, template: str, **fields) -> str:
    """Fills {S}, {P}, {O} and `fields` in `template`; returns a sentence."""
    name = self._name()
    slots = {}
    for i, match in enumerate(_PLACEHOLDER.finditer(template)):
      kind = match.group(1)
      pronoun = self._pronouns["SPO".index(kind)]
      if i == 0 and name:
        slots.setdefault(kind, name + "'s" if kind == "P" else name)
      slots.setdefault(kind, pronoun)
    return sentence(template.format(**slots, **fields))
