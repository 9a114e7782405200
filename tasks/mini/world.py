"""A small synthetic world: seeded entities with attributes and relations.

`make_world(seed)` builds countries, cities, rivers, companies, creature
species and families of people, all named with made-up syllable names
(`names.py`). Everything is drawn from one `random.Random(seed)` stream in
a fixed order, so a seed fully determines the world (no global random state,
no `hash()`).

The world is the single source of truth for everything the kit generates from
it: the pretraining corpus (`corpus.py`) renders its facts into English
text, and later tasks (classification, summarisation, closed-book QA,
translation) can ask the same world questions whose answers the corpus holds.
Entities refer to each other by their unique names.
"""
import dataclasses
import random

from mtf_mods.tasks.mini import names as mini_names

PRESENT_YEAR = 2000

PROFESSIONS = (
    "baker", "teacher", "doctor", "farmer", "carpenter", "painter", "sailor",
    "miner", "weaver", "engineer", "nurse", "lawyer", "musician", "potter",
    "tailor", "fisher", "builder", "librarian", "chemist", "merchant",
    "pilot", "cook", "poet", "gardener", "blacksmith", "architect", "judge",
    "clerk", "shepherd", "jeweller")
COLOURS = ("red", "blue", "green", "yellow", "orange", "purple", "white",
           "black", "grey", "brown", "pink", "silver", "golden")
PRODUCTS = ("bread", "cheese", "paper", "glass", "rope", "boats", "shoes",
            "clocks", "bicycles", "lamps", "soap", "tea", "wine", "furniture",
            "maps", "bells", "tools", "cloth", "salt", "honey")
INSTRUMENTS = ("violin", "flute", "drum", "harp", "piano", "horn", "guitar",
               "cello")
CLIMATES = ("mild", "cold", "hot", "wet", "dry", "windy")
REGIONS = ("north", "south", "east", "west", "centre")
HABITATS = ("in forests", "in deserts", "in marshes", "in the mountains",
            "on grasslands", "along rivers", "on the coast", "in caves")
DIETS = ("insects", "seeds", "fish", "berries", "leaves", "small birds",
         "roots", "fruit")
# (noun, verb) so that "Its fur is red" and "Its scales are red" agree.
COVERINGS = (("fur", "is"), ("scales", "are"), ("feathers", "are"),
             ("shell", "is"))
SIZES = ("tiny", "small", "medium-sized", "large", "huge")


@dataclasses.dataclass(frozen=True)
class Country:
  name: str
  adjective: str  # also the name of its language: "Durnese"
  region: str  # one of REGIONS
  capital: str  # a City name
  currency: str  # a made-up lowercase noun, e.g. "tal"


@dataclasses.dataclass(frozen=True)
class City:
  name: str
  country: str
  founded: int
  population: int
  river: str
  known_for: str  # one of PRODUCTS
  climate: str  # one of CLIMATES


@dataclasses.dataclass(frozen=True)
class Species:
  name: str  # lowercase singular, e.g. "vorlak"
  plural: str
  colour: str
  legs: int
  covering: tuple[str, str]  # one of COVERINGS
  habitat: str  # one of HABITATS
  diet: str  # one of DIETS
  size: str  # one of SIZES
  lifespan: int  # years
  home_country: str


@dataclasses.dataclass(frozen=True)
class Company:
  name: str
  product: str  # one of PRODUCTS
  founded: int
  founder: str  # a Person name
  city: str  # headquarters
  employees: int


@dataclasses.dataclass(frozen=True)
class Person:
  given: str
  family: str
  female: bool
  birth_year: int
  birthplace: str
  home: str
  profession: str
  colour: str  # favourite colour
  instrument: str | None
  employer: str | None  # a Company name
  pet: str | None  # a Species name
  pet_name: str | None
  mother: str | None  # Person names
  father: str | None
  spouse: str | None

  @property
  def name(self) -> str:
    return f"{self.given} {self.family}"

  @property
  def age(self) -> int:
    return PRESENT_YEAR - self.birth_year


@dataclasses.dataclass(frozen=True)
class World:
  """Every entity of one seeded world, with lookups by name."""
  seed: int
  countries: tuple[Country, ...]
  cities: tuple[City, ...]
  species: tuple[Species, ...]
  companies: tuple[Company, ...]
  people: tuple[Person, ...]

  def __post_init__(self):
    index = {}
    for group in (self.countries, self.cities, self.species, self.companies,
                  self.people):
      for entity in group:
        index[entity.name] = entity
    object.__setattr__(self, "_index", index)

  def get(self, name: str):
    """The entity (of any kind) with this name."""
    return self._index[name]

  def cities_in(self, country: str) -> list[City]:
    return [c for c in self.cities if c.country == country]

  def children_of(self, person: str) -> list[Person]:
    """Children, eldest first."""
    return [p for p in self.people if person in (p.mother, p.father)]

  def siblings_of(self, person: Person) -> list[Person]:
    if person.mother is None:
      return []
    return [p for p in self.children_of(person.mother) if p != person]

  def employees_of(self, company: str) -> list[Person]:
    return [p for p in self.people if p.employer == company]

  def born_in(self, city: str) -> list[Person]:
    return [p for p in self.people if p.birthplace == city]

  def companies_in(self, city: str) -> list[Company]:
    return [c for c in self.companies if c.city == city]


def _capitalised(name: str) -> str:
  return name[:1].upper() + name[1:]


def _make_countries(names, num_countries):
  """Country names, adjectives, regions and currencies (capitals set later)."""
  countries, adjectives = [], set()
  while len(countries) < num_countries:
    name = _capitalised(names.make(2, 2, ("ia", "ar", "en", "os", "and")))
    adjective = mini_names.adjective_of(name)
    if adjective in adjectives:
      continue
    adjectives.add(adjective)
    countries.append(dict(name=name, adjective=adjective,
                          region=REGIONS[len(countries) % len(REGIONS)],
                          currency=names.make(1, 1)))
  return countries


def _make_cities(rng, names, countries, num_cities):
  rivers = [_capitalised(names.make(1, 2)) for _ in range(max(4, num_cities // 3))]
  cities = []
  for i in range(num_cities):
    country = countries[i % len(countries)]["name"]
    cities.append(City(
        name=_capitalised(names.make(1, 2, ("", "", "vik", "dor", "holm", "ara",
                                            "esh", "burg"))),
        country=country,
        founded=rng.randint(800, 1850),
        population=rng.choice((1, 2, 5, 10, 20, 50)) * rng.randint(1000, 9999),
        river=rng.choice(rivers),
        known_for=rng.choice(PRODUCTS),
        climate=rng.choice(CLIMATES)))
  return cities


def _make_species(rng, names, countries, num_species):
  species = []
  for _ in range(num_species):
    name = names.make(2, 2)
    species.append(Species(
        name=name, plural=mini_names.plural_of(name),
        colour=rng.choice(COLOURS), legs=rng.choice((0, 2, 4, 4, 6, 8)),
        covering=rng.choice(COVERINGS), habitat=rng.choice(HABITATS),
        diet=rng.choice(DIETS), size=rng.choice(SIZES),
        lifespan=rng.randint(2, 60),
        home_country=rng.choice(countries).name))
  return species


def _make_person(rng, names, species, *, family, female, birth_year,
                 birthplace, home, mother=None, father=None, spouse=None):
  has_pet = rng.random() < 0.4
  return Person(
      given=_capitalised(names.make(1, 2, ("", "", "a", "o", "in", "el"))),
      family=family, female=female, birth_year=birth_year,
      birthplace=birthplace, home=home, profession=rng.choice(PROFESSIONS),
      colour=rng.choice(COLOURS),
      instrument=rng.choice(INSTRUMENTS) if rng.random() < 0.5 else None,
      employer=None,
      pet=rng.choice(species).name if has_pet else None,
      pet_name=_capitalised(names.make(1, 1)) if has_pet else None,
      mother=mother, father=father, spouse=spouse)


def _make_family(rng, names, cities, species):
  """Two married parents and their 0-4 grown-up children, eldest first."""
  family = _capitalised(names.make(2, 2, ("", "", "son", "ov", "ani", "er")))
  home = rng.choice(cities).name
  common = dict(family=family, home=home)
  parents = []
  for female in (False, True):
    parents.append(_make_person(
        rng, names, species, female=female,
        birth_year=rng.randint(1925, 1955),
        birthplace=rng.choice(cities).name, **common))
  father, mother = parents
  father = dataclasses.replace(father, spouse=mother.name)
  mother = dataclasses.replace(mother, spouse=father.name)
  members = [father, mother]
  year = max(father.birth_year, mother.birth_year) + rng.randint(20, 30)
  for _ in range(rng.choice((0, 1, 2, 2, 3, 3, 4))):
    if year > PRESENT_YEAR - 20:
      break
    members.append(_make_person(
        rng, names, species, female=rng.random() < 0.5,
        birth_year=year, birthplace=home, family=family,
        home=home if rng.random() < 0.5 else rng.choice(cities).name,
        mother=mother.name, father=father.name))
    year += rng.randint(1, 6)
  return members


def _make_companies(rng, names, cities, people, num_companies):
  """Companies with founders, and their employees among `people`."""
  companies = []
  adults = [p for p in people if p.birth_year <= 1960]
  for _ in range(num_companies):
    founder = rng.choice(adults)
    companies.append(Company(
        name=_capitalised(names.make(2, 2)) + " " + rng.choice(
            ("Works", "and Sons", "Company", "Guild", "House", "Brothers")),
        product=rng.choice(PRODUCTS),
        founded=rng.randint(founder.birth_year + 20,
                            min(founder.birth_year + 45, PRESENT_YEAR - 1)),
        founder=founder.name, city=rng.choice(cities).name,
        employees=rng.choice((10, 20, 50, 100)) * rng.randint(2, 40)))
  employed = [
      dataclasses.replace(p, employer=rng.choice(companies).name)
      if rng.random() < 0.5 else p
      for p in people]
  return companies, employed


def make_world(seed: int = 0, num_countries: int = 8, num_cities: int = 48,
               num_people: int = 1200, num_companies: int = 60,
               num_species: int = 40) -> World:
  """Builds the world for `seed`; identical arguments give an identical world.

  Args:
    seed: seed of the world's single random stream.
    num_countries: number of countries.
    num_cities: number of cities, spread evenly over the countries (at least
      one per country).
    num_people: people are made in families until there are at least this
      many.
    num_companies: number of companies, founded by people of the world.
    num_species: number of creature species.
  """
  if num_cities < num_countries:
    raise ValueError(f"num_cities ({num_cities}) must be at least num_countries "
                     f"({num_countries})")
  rng = random.Random(seed)
  names = mini_names.NameMaker(rng)
  countries = _make_countries(names, num_countries)
  cities = _make_cities(rng, names, countries, num_cities)
  countries = tuple(
      Country(capital=cities[i].name, **c) for i, c in enumerate(countries))
  species = _make_species(rng, names, countries, num_species)
  people = []
  while len(people) < num_people:
    people.extend(_make_family(rng, names, cities, species))
  companies, people = _make_companies(rng, names, cities, people, num_companies)
  return World(seed=seed, countries=countries, cities=tuple(cities),
               species=tuple(species), companies=tuple(companies),
               people=tuple(people))
