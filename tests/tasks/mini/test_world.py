"""Tests of the seeded mini world."""
import pytest

from mtf_mods.tasks.mini import world as mini_world


def test_same_seed_gives_the_same_world():
  assert mini_world.make_world(3) == mini_world.make_world(3)


def test_another_seed_gives_another_world():
  first, second = mini_world.make_world(0), mini_world.make_world(1)
  assert [p.name for p in first.people] != [p.name for p in second.people]
  assert [c.name for c in first.cities] != [c.name for c in second.cities]


def test_sizes_follow_the_arguments():
  world = mini_world.make_world(0, num_countries=3, num_cities=7,
                                num_people=50, num_companies=4, num_species=5)
  assert (len(world.countries), len(world.cities), len(world.companies),
          len(world.species)) == (3, 7, 4, 5)
  assert len(world.people) >= 50
  with pytest.raises(ValueError, match="num_cities"):
    mini_world.make_world(0, num_countries=5, num_cities=4)


def test_names_are_unique_and_made_up_of_letters():
  world = mini_world.make_world(0)
  names = [e.name for group in (world.countries, world.cities, world.species,
                                world.companies, world.people) for e in group]
  assert len(names) == len(set(names))
  assert all(part.isalpha() for name in names for part in name.split())


def test_relations_point_to_existing_consistent_entities():
  world = mini_world.make_world(0)
  city_names = {c.name for c in world.cities}
  for country in world.countries:
    assert world.get(country.capital).country == country.name
  for person in world.people:
    assert {person.birthplace, person.home} <= city_names
    assert 18 <= person.age <= 80
    if person.employer:
      assert isinstance(world.get(person.employer), mini_world.Company)
    if person.mother:
      mother, father = world.get(person.mother), world.get(person.father)
      assert mother.female and not father.female
      assert mother.spouse == father.name and father.spouse == mother.name
      assert person.birth_year >= max(mother.birth_year, father.birth_year) + 20
      assert person in world.children_of(mother.name)
  for company in world.companies:
    founder = world.get(company.founder)
    assert founder.birth_year + 20 <= company.founded < mini_world.PRESENT_YEAR
    assert company.city in city_names
