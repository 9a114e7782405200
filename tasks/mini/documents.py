"""Renders one English-like document about the mini world.

A document is a few sentences about one topic (a person, family, city,
country, company or creature, a comparison of two entities, or a short story
with counting). Each fact has several paraphrases; mentions after the first
become pronouns or short names; true facts about other entities and generic
filler sentences are mixed in as distractors. Every factual sentence is true
in the world, so the world can later be asked questions whose answers the
corpus holds. `random_document` picks a kind and a subject and renders it.
"""
import random

from mtf_mods.tasks.mini import text
from mtf_mods.tasks.mini import world as mini_world

_FILLERS = (
    "Little else is known about those years.",
    "Records from that time are incomplete.",
    "Not everyone agrees on the details.",
    "The rest of the story is less certain.",
    "Such accounts are common in the region.",
    "This entry was last revised in the spring.",
    "Some of these facts come from old letters.",
    "More information may be added later.",
    "Visitors often ask about this.",
    "The local archive keeps a longer account.",
)
_SEASONS = ("spring", "summer", "autumn", "winter")
_ITEMS = (("apple", "apples"), ("pear", "pears"), ("loaf", "loaves"),
          ("book", "books"), ("letter", "letters"), ("candle", "candles"),
          ("egg", "eggs"), ("coin", "coins"), ("flower", "flowers"))


def _person_mention(person, rng):
  pronouns = ("she", "her", "her") if person.female else ("he", "his", "him")
  return text.Mention(person.name, pronouns, (person.given,), rng)


def _thing_mention(name, rng, *short_names):
  return text.Mention(name, ("it", "its", "it"), short_names, rng)


def _pick(rng, options, **fields):
  """One paraphrase of `options`, formatted with `fields`."""
  return text.sentence(rng.choice(options).format(**fields))


def _person_facts(world, p):
  """(templates, fields) for each fact about person `p`."""
  birth_city = world.get(p.birthplace)
  home_city = world.get(p.home)
  facts = [
      (("{S} was born in {year}.", "{S} was born in the year {year}.",
        "{S} is {age} years old.", "{S} turned {age} this year."),
       dict(year=p.birth_year, age=p.age)),
      (("{S} was born in {city}.", "{S} was born in {city}, {country}.",
        "{S} comes from {city}.", "{P} hometown is {city}.",
        "{S} grew up in {city}, a city in {country}."),
       dict(city=birth_city.name, country=birth_city.country)),
      (("{S} lives in {city}.", "{S} now lives in {city}.",
        "{S} lives in {city}, in {country}.", "{P} home is in {city}.",
        "{S} has a house in {city}, on the river {river}."),
       dict(city=home_city.name, country=home_city.country,
            river=home_city.river)),
      (("{S} is {job}.", "{S} works as {job}.", "By trade, {S} is {job}.",
        "{S} earns {P} living as {job}."),
       dict(job=text.article(p.profession))),
      (("{P} favourite colour is {colour}.",
        "{S} likes the colour {colour} best.",
        "Of all colours, {S} prefers {colour}."),
       dict(colour=p.colour)),
  ]
  if p.instrument:
    facts.append((("{S} plays the {instrument}.",
                   "{S} spends {P} free time playing the {instrument}.",
                   "{S} has played the {instrument} since childhood."),
                  dict(instrument=p.instrument)))
  if p.employer:
    company = world.get(p.employer)
    facts.append((("{S} works for {company}.", "{S} is employed by {company}.",
                   "{P} employer is {company}, a maker of {product}.",
                   "{S} has a job at {company} in {city}."),
                  dict(company=company.name, product=company.product,
                       city=company.city)))
  if p.pet:
    facts.append((("{S} keeps {pet} as a pet.",
                    "{S} has a pet {species} called {pet_name}.",
                    "{P} pet {species} is named {pet_name}."),
                   dict(pet=text.article(p.pet), species=p.pet,
                        pet_name=p.pet_name)))
  if p.mother:
    facts.append((("{P} parents are {father} and {mother}.",
                   "{S} is the {child} of {father} and {mother}.",
                   "{P} mother and father are {mother} and {father}."),
                  dict(father=p.father, mother=p.mother,
                       child="daughter" if p.female else "son")))
  if p.spouse:
    facts.append((("{S} is married to {spouse}.", "{P} {partner} is {spouse}.",
                   "{S} and {spouse} are married."),
                  dict(spouse=p.spouse,
                       partner="husband" if p.female else "wife")))
  children = world.children_of(p.name)
  if p.spouse:
    listed = text.join([c.given for c in children])
    facts.append(((("{S} has {n}.", "{S} has {n}: {names}.",
                    "{S} is the parent of {n}, {names}.")
                   if children else ("{S} has no children.",)),
                  dict(n=text.count(len(children), "child", "children"),
                       names=listed)))
  siblings = world.siblings_of(p)
  if siblings:
    facts.append(((("{S} has {n}: {names}.", "{P} {n} are {names}.")
                   if len(siblings) > 1 else
                   ("{S} has one sibling, {names}.",
                    "{P} only sibling is {names}.")),
                  dict(n=text.count(len(siblings), "sibling", "siblings"),
                       names=text.join([s.given for s in siblings]))))
  for company in world.companies:
    if company.founder == p.name:
      facts.append((("{S} founded {company} in {year}.",
                     "In {year}, {S} started {company}, which makes {product}."),
                    dict(company=company.name, year=company.founded,
                         product=company.product)))
  return facts


def _distractor(world, rng):
  """A filler sentence or a true fact about some other entity."""
  roll = rng.random()
  if roll < 0.4:
    return rng.choice(_FILLERS)
  if roll < 0.6:
    city = rng.choice(world.cities)
    return _pick(rng, ("{city} lies on the river {river}.",
                       "{city} was founded in {year}.",
                       "{city} is known for its {product}."),
                 city=city.name, river=city.river, year=city.founded,
                 product=city.known_for)
  if roll < 0.8:
    other = rng.choice(world.people)
    return _pick(rng, ("{name} is {job} in {city}.",
                       "{name} was born in {year}."),
                 name=other.name, job=text.article(other.profession),
                 city=other.home, year=other.birth_year)
  species = rng.choice(world.species)
  return _pick(rng, ("The {name} eats {diet}.",
                     "{plural} live {habitat}."),
               name=species.name, plural=species.plural, diet=species.diet,
               habitat=species.habitat)


def _with_distractors(world, sentences, rng, max_count=2):
  """Adds 0..max_count distractors and returns the document.

  A filler goes anywhere after the first sentence; a fact about another entity
  goes at the end, so that it never captures a later pronoun.
  """
  sentences = list(sentences)
  tail = []
  for _ in range(rng.randint(0, max_count)):
    distractor = _distractor(world, rng)
    if distractor in _FILLERS:
      sentences.insert(rng.randint(1, len(sentences)), distractor)
    else:
      tail.append(distractor)
  return " ".join(sentences + tail)


def _thing_document(world, mention, facts, rng):
  """The first of `facts` ((templates, fields) pairs), then 2 or more of the
  others in random order, each rendered about `mention`, with distractors."""
  first, rest = facts[0], facts[1:]
  rng.shuffle(rest)
  facts = [first] + rest[:rng.randint(2, len(rest))]
  sentences = [mention.render(rng.choice(t), **f) for t, f in facts]
  return _with_distractors(world, sentences, rng)


def biography(world, p, rng):
  mention = _person_mention(p, rng)
  facts = _person_facts(world, p)
  rng.shuffle(facts)
  facts = facts[:rng.randint(3, len(facts))]
  sentences = [mention.render(rng.choice(templates), **fields)
               for templates, fields in facts]
  return _with_distractors(world, sentences, rng)


def family(world, p, rng):
  """The family of parent `p` (a person with a spouse)."""
  father = p if not p.female else world.get(p.spouse)
  mother = world.get(father.spouse)
  children = world.children_of(father.name)
  sentences = [_pick(rng, ("The {family} family lives in {city}.",
                           "The {family} family comes from {city}.",
                           "This is the story of the {family} family of {city}."),
                     family=p.family, city=father.home),
               _pick(rng, ("{father} and {mother} are married.",
                           "{father} is married to {mother}.",
                           "{mother} and {father} married young."),
                     father=father.name, mother=mother.name)]
  names = text.join([c.given for c in children])
  n = text.count(len(children), "child", "children")
  sentences.append(_pick(rng, ("They have {n}.", "They have {n}: {names}.",
                               "The couple have {n}, {names}.")
                         if children else ("They have no children.",),
                         n=n, names=names))
  for i, child in enumerate(children):
    role = ("eldest" if i == 0 else "youngest" if i == len(children) - 1
            else "next")
    if len(children) == 1:
      role = "only child"
    sentences.append(_pick(
        rng, ("{name}, the {role}, is {job} in {city}.",
              "The {role}, {name}, was born in {year}.",
              "{name}, the {role}, works as {job}."),
        name=child.given, role=role, job=text.article(child.profession),
        city=child.home, year=child.birth_year))
  return _with_distractors(world, sentences, rng, max_count=1)


def city(world, c, rng):
  mention = _thing_mention(c.name, rng, "the city")
  country = world.get(c.country)
  sentences = [mention.render(rng.choice(
      ("{S} is a city in {country}.", "{S} is a city in the {region} of {country}.",
       "{S} is a {adjective} city on the river {river}.")),
                              country=country.name, region=country.region,
                              adjective=country.adjective, river=c.river)]
  facts = [
      (("{S} was founded in {year}.", "{S} dates from {year}.",
        "{S} has stood since {year}."), dict(year=c.founded)),
      (("{S} has a population of {pop}.", "About {pop} people live there.",
        "{P} population is {pop}."), dict(pop=text.big_number(c.population, rng))),
      (("{S} is known for its {product}.", "{S} is famous for {product}.",
        "Many people there make {product}."), dict(product=c.known_for)),
      (("{P} climate is {climate}.", "{S} has a {climate} climate."),
       dict(climate=c.climate)),
      (("The river {river} flows through {O}.", "{S} lies on the river {river}."),
       dict(river=c.river)),
  ]
  if country.capital == c.name:
    facts.append((("{S} is the capital of {country}.",
                   "{S} is {country}'s capital city."),
                  dict(country=country.name)))
  natives = world.born_in(c.name)
  if natives:
    chosen = rng.sample(natives, min(len(natives), rng.randint(1, 3)))
    facts.append((("{P} notable natives include {names}.",
                   "{names} were born there." if len(chosen) > 1
                   else "{names} was born there."),
                  dict(names=text.join([p.name for p in chosen]))))
  companies = world.companies_in(c.name)
  if companies:
    company = rng.choice(companies)
    facts.append((("{company} has its headquarters there.",
                   "{S} is home to {company}, a maker of {product}."),
                  dict(company=company.name, product=company.product)))
  rng.shuffle(facts)
  facts = facts[:rng.randint(3, len(facts))]
  sentences += [mention.render(rng.choice(t), **f) for t, f in facts]
  return _with_distractors(world, sentences, rng)


def country(world, c, rng):
  cities = world.cities_in(c.name)
  largest = max(cities, key=lambda x: x.population)
  oldest = min(cities, key=lambda x: x.founded)
  fauna = [s for s in world.species if s.home_country == c.name]
  mention = _thing_mention(c.name, rng, "the country")
  facts = [
      (("{S} is a country in the {region}.",
        "{S} lies in the {region} of the continent."), dict(region=c.region)),
      (("{P} capital is {capital}.", "{P} capital city is {capital}."),
       dict(capital=c.capital)),
      (("People there speak {language}.", "{P} language is {language}."),
       dict(language=c.adjective)),
      (("{P} currency is the {currency}.",
        "People there pay with the {currency}."), dict(currency=c.currency)),
      (("{S} has {n} in this record: {names}.",
        "{P} cities are {names}."),
       dict(n=text.count(len(cities), "city", "cities"),
            names=text.join([x.name for x in cities]))),
      (("{P} largest city is {city}, with {pop} people.",
        "{P} largest city is {city}."),
       dict(city=largest.name, pop=text.big_number(largest.population, rng))),
      (("{P} oldest city is {city}, founded in {year}.",
        "{P} oldest city, {city}, was founded in {year}."),
       dict(city=oldest.name, year=oldest.founded)),
  ]
  if fauna:
    facts.append((("Creatures such as the {species} live there.",
                   "{S} is home to the {species}."),
                  dict(species=rng.choice(fauna).name)))
  return _thing_document(world, mention, facts, rng)


def company(world, c, rng):
  mention = _thing_mention(c.name, rng, "the company")
  employees = world.employees_of(c.name)
  facts = [
      (("{S} makes {product}.", "{S} is a company that makes {product}.",
        "{S} is a maker of {product}."), dict(product=c.product)),
      (("{S} was founded in {year} by {founder}.",
        "{founder} founded {O} in {year}.",
        "{S} was started by {founder} in {year}."),
       dict(year=c.founded, founder=c.founder)),
      (("{P} headquarters are in {city}.", "{S} is based in {city}."),
       dict(city=c.city)),
      (("{S} employs {n} people.", "{S} has {n} workers."),
       dict(n=text.big_number(c.employees, rng))),
  ]
  for person in rng.sample(employees, min(2, len(employees))):
    facts.append((("{name} works there as {job}.",
                   "One of {P} workers is {name}, {job}."),
                  dict(name=person.name, job=text.article(person.profession))))
  return _thing_document(world, mention, facts, rng)


def creature(world, s, rng):
  mention = _thing_mention("the " + s.name, rng, "the " + s.name)
  covering, verb = s.covering
  owners = [p for p in world.people if p.pet == s.name]
  facts = [
      (("{S} is {size} creature that lives {habitat}.",
        "{S} is {size} animal found {habitat}."),
       dict(size=text.article(s.size), habitat=s.habitat)),
      (("{S} has {legs}.", "A {name} has {legs}."),
       dict(legs=text.count(s.legs, "leg", "legs"), name=s.name)),
      (("{P} {covering} {verb} {colour}.", "{S} has {coloured}."),
       dict(covering=covering, verb=verb, colour=s.colour,
            coloured=(text.article(f"{s.colour} {covering}")
                      if covering == "shell" else f"{s.colour} {covering}"))),
      (("{S} eats {diet}.", "{plural} feed on {diet}."),
       dict(diet=s.diet, plural=s.plural.capitalize())),
      (("{S} can live for {years} years.", "A {name} lives for about {years} years."),
       dict(years=text.number_word(s.lifespan), name=s.name)),
      (("{S} comes from {country}.", "{plural} are native to {country}."),
       dict(country=s.home_country, plural=s.plural.capitalize())),
  ]
  if owners:
    owner = rng.choice(owners)
    facts.append((("{name} keeps one as a pet, called {pet_name}.",
                   "{name} has a pet {species} named {pet_name}."),
                  dict(name=owner.name, pet_name=owner.pet_name,
                       species=s.name)))
  return _thing_document(world, mention, facts, rng)


def comparison(world, pair, rng):
  """Two people, two cities or two species compared on true attributes."""
  a, b = pair
  if isinstance(a, mini_world.Person):
    older, younger = sorted(pair, key=lambda p: p.birth_year)
    gap = younger.birth_year - older.birth_year
    sentences = [
        _pick(rng, ("{a} was born in {ya} and {b} in {yb}.",
                    "{b} was born in {yb}, {a} in {ya}."),
              a=a.name, b=b.name, ya=a.birth_year, yb=b.birth_year),
        _pick(rng, ("So {older} is older than {younger}.",
                    "{younger} is younger than {older}.") if gap else
              ("So they are the same age.",),
              older=older.given, younger=younger.given),
        _pick(rng, ("{a} is {ja}, while {b} is {jb}.",
                    "By trade, {a} is {ja} and {b} is {jb}."),
              a=a.given, b=b.given, ja=text.article(a.profession),
              jb=text.article(b.profession)),
    ]
    if a.home == b.home:
      sentences.append(_pick(rng, ("Both of them live in {city}.",
                                   "They both live in {city}."), city=a.home))
  elif isinstance(a, mini_world.City):
    bigger, smaller = sorted(pair, key=lambda c: -c.population)
    older, newer = sorted(pair, key=lambda c: c.founded)
    sentences = [
        _pick(rng, ("{big} is larger than {small}.",
                    "{small} is smaller than {big}."),
              big=bigger.name, small=smaller.name),
        _pick(rng, ("{big} has {pb} people and {small} has {ps}.",),
              big=bigger.name, small=smaller.name,
              pb=text.big_number(bigger.population, rng),
              ps=text.big_number(smaller.population, rng)),
        _pick(rng, ("{old} is older than {new}: it was founded in {year}.",
                    "{new} was founded after {old}.") if older.founded !=
              newer.founded else ("Both were founded in {year}.",),
              old=older.name, new=newer.name, year=older.founded),
    ]
    if a.river == b.river:
      sentences.append(_pick(rng, ("Both lie on the river {river}.",),
                             river=a.river))
  else:
    longer, shorter = sorted(pair, key=lambda s: -s.lifespan)
    sentences = [
        _pick(rng, ("The {a} has {la} and the {b} has {lb}.",),
              a=a.name, b=b.name, la=text.count(a.legs, "leg", "legs"),
              lb=text.count(b.legs, "leg", "legs")),
        _pick(rng, ("{long} live longer than {short}.",
                    "A {long1} lives for {yl} years, a {short1} for {ys}.")
              if longer.lifespan != shorter.lifespan else
              ("Both live for about {yl} years.",),
              long=longer.plural.capitalize(), short=shorter.plural,
              long1=longer.name, short1=shorter.name,
              yl=text.number_word(longer.lifespan),
              ys=text.number_word(shorter.lifespan)),
        _pick(rng, ("The {a} is {ca} and the {b} is {cb}.",),
              a=a.name, b=b.name, ca=a.colour, cb=b.colour),
    ]
  return _with_distractors(world, sentences, rng, max_count=1)


def story(world, p, rng):
  """A short trip with counting: n items, k given away, n - k left."""
  mention = _person_mention(p, rng)
  destination = rng.choice([c for c in world.cities if c.name != p.home])
  singular, plural = rng.choice(_ITEMS)
  n = rng.randint(2, 12)
  k = rng.randint(1, n - 1)
  hosts = [q for q in world.people
           if q.home == destination.name and q.name != p.name]
  sentences = [mention.render(rng.choice((
      "One {season} morning, {S} left {home} for {city}.",
      "In the {season}, {S} travelled from {home} to {city}.")),
                              season=rng.choice(_SEASONS), home=p.home,
                              city=destination.name),
               mention.render(rng.choice((
                   "{S} carried {n} in a basket.",
                   "{S} took {n} along.")),
                              n=text.count(n, singular, plural)),
               mention.render(rng.choice((
                   "On the way, {S} gave {k} of them to a traveller and "
                   "arrived with {left}.",
                   "{S} gave away {k} on the road and kept {left}.")),
                              k=text.number_word(k),
                              left=text.number_word(n - k))]
  if hosts:
    host = rng.choice(hosts)
    sentences.append(mention.render(rng.choice((
        "In {city}, {S} visited {host}, {job}.",
        "{S} stayed with {host}, who lives in {city}.")),
                                    city=destination.name, host=host.name,
                                    job=text.article(host.profession)))
  sentences.append(mention.render(rng.choice((
      "{S} came home {days} later.", "After {days}, {S} went back to {home}.")),
                                  days=text.count(rng.randint(1, 9), "day",
                                                  "days"),
                                  home=p.home))
  return _with_distractors(world, sentences, rng, max_count=1)


def _family_head(world, person):
  """`person` if married, else their father (every child has parents)."""
  return person if person.spouse else world.get(person.father)


# kind: (renderer, share of documents, entity group the subject comes from).
# A comparison's subject is a pair from a group chosen at random.
_KINDS = {
    "biography": (biography, 0.30, "people"),
    "family": (family, 0.08, "people"),
    "city": (city, 0.14, "cities"),
    "country": (country, 0.04, "countries"),
    "company": (company, 0.10, "companies"),
    "creature": (creature, 0.08, "species"),
    "comparison": (comparison, 0.10, None),
    "story": (story, 0.16, "people"),
}
POPULARITY_GROUPS = ("people", "cities", "countries", "companies", "species")


def random_document(world: mini_world.World, rng: random.Random,
                    popularity: dict[str, list[float]]) -> str:
  """Renders one document of a random kind about a random subject.

  Args:
    world: the world to describe.
    rng: the random stream the document is drawn from.
    popularity: for each of POPULARITY_GROUPS, cumulative weights over that
      group's entities (in world order) used to pick subjects, so that some
      entities are written about far more often than others.
  """
  kinds = list(_KINDS)
  kind = rng.choices(kinds, weights=[_KINDS[k][1] for k in kinds])[0]
  render, _, group = _KINDS[kind]

  def pick(group):
    return rng.choices(getattr(world, group), cum_weights=popularity[group])[0]

  if kind == "comparison":
    group = rng.choice(("people", "cities", "species"))
    first, second = pick(group), pick(group)
    while second == first:
      second = pick(group)
    subject = (first, second)
  else:
    subject = pick(group)
    if kind == "family":
      subject = _family_head(world, subject)
  return render(world, subject, rng)
