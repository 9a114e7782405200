"""An XSum-style summarization task generated from the mini world.

Like an XSum example, a document is a short news article and its summary is
one sentence that the article does not contain: it combines facts spread over
the article. Each article is about one person of the world and one event
(a move, a new job, a prize, a new shop):

  summary: "<Name>, <a job> from <home city>, <event clause>."
  article: a hook sentence, the event told in two sentences, two or three
           background facts (job, home, birth) in random order, with later
           mentions as pronouns, and sometimes a filler sentence.

The hook comes first and never holds the whole summary, so the "lead
sentence" baseline (the first sentence as the summary) shares only a few
bigrams with it, as on XSum. Examples have XSum's feature names, "document"
and "summary".
"""
import random

from mtf_mods.tasks.mini import text
from mtf_mods.tasks.mini import world as mini_world

_SEASONS = ("spring", "summer", "autumn", "winter")
_FILLERS = (
    "The news spread quickly.",
    "Friends and neighbours were not surprised.",
    "Few people expected it.",
    "It was a busy week.",
    "More details are expected soon.",
)


def _event(world, p, rng):
  """(clause for the summary, hook, two sentences telling the event)."""
  kind = rng.choice(("move", "job", "prize", "shop") if p.instrument
                    else ("move", "job", "shop"))
  season = rng.choice(_SEASONS)
  if kind == "move":
    new = world.get(rng.choice([c.name for c in world.cities
                                if c.name != p.home]))
    return (f"has moved to {new.name}",
            rng.choice((f"After many years in {p.home}, {{S}} is leaving.",
                        f"{{S}} has sold {{P}} house in {p.home}.")),
            [f"This {season}, {{S}} settled in {new.name}, a city in "
             f"{new.country}.",
             f"{{S}} says the river {new.river} reminded {{O}} of home."])
  if kind == "job":
    company = world.get(rng.choice([c.name for c in world.companies
                                    if c.name != p.employer]))
    return (f"has joined {company.name}",
            rng.choice((f"{company.name} has a new worker.",
                        f"{{S}} starts a new job this {season}.")),
            [f"{{S}} will work for {company.name}, a maker of "
             f"{company.product}.",
             f"The company is based in {company.city}."])
  if kind == "prize":
    city = rng.choice(world.cities).name
    return (f"has won the {city} prize for the {p.instrument}",
            rng.choice((f"The {city} music prize was awarded this {season}.",
                        f"The judges in {city} have made their choice.")),
            [f"The judges gave the prize for the {p.instrument} to {{O}}.",
             f"{{S}} has played the {p.instrument} since childhood."])
  city = rng.choice(world.cities).name
  product = rng.choice(mini_world.PRODUCTS)
  return (f"has opened a {product} shop in {city}",
          rng.choice((f"A new shop has opened in {city}.",
                      f"Shoppers in {city} have a new place to go.")),
          [f"The shop sells {product} and is run by {{S}}.",
           f"{{S}} opened it in the {season}."])


def _background(p):
  return [f"{{S}} works as {text.article(p.profession)}.",
          f"{{S}} has lived in {p.home} for years.",
          f"{{S}} was born in {p.birthplace} in {p.birth_year}."]


def summary_example(world: mini_world.World, rng: random.Random) -> dict:
  """One {"document": article, "summary": one sentence}."""
  person = rng.choice(world.people)
  clause, hook, told = _event(world, person, rng)
  summary = text.sentence(f"{person.name}, {text.article(person.profession)} "
                          f"from {person.home}, {clause}")
  background = _background(person)
  rng.shuffle(background)
  body = told + background
  rng.shuffle(body)
  if rng.random() < 0.5:
    body.insert(rng.randint(0, len(body)), rng.choice(_FILLERS))
  pronouns = ("she", "her", "her") if person.female else ("he", "his", "him")
  mention = text.Mention(person.name, pronouns, (person.given,), rng)
  sentences = [s if "{" not in s else mention.render(s)
               for s in [hook] + body]
  return {"document": " ".join(sentences), "summary": summary}


def make_examples(world: mini_world.World, rng: random.Random,
                  count: int) -> list[dict]:
  return [summary_example(world, rng) for _ in range(count)]
