"""The units of work pytest-xdist runs (tests/xdist_scheduling.py)."""
from mtf_mods import variants
from xdist_scheduling import VariantScopeScheduling


def unit(nodeid):
  scheduler = VariantScopeScheduling.__new__(VariantScopeScheduling)
  return scheduler._split_scope(nodeid)  # pylint: disable=protected-access


def test_a_variants_tests_are_one_unit_per_variant():
  for name in variants.names():
    units = {unit("tests/model/test_mesh_run.py::%s[%s]" % (test, name))
             for test in ("test_tiny_model_trains", "test_same_losses")}
    assert units == {"tests/model/test_mesh_run.py[%s]" % name}
  assert len({unit("tests/model/test_mesh_run.py::test_x[%s]" % name)
              for name in variants.names()}) == len(variants.names())


def test_other_tests_are_one_unit_per_module():
  for nodeid in ["tests/test_study_applications.py::test_x[xsum]",
                 "tests/test_study_applications.py::test_y",
                 "tests/launch/test_launcher.py::test_z[scale-huge-tiny, cpu]",
                 "tests/model/test_model_graph.py::test_scales[%s]"
                 % variants.BASELINE.upper()]:
    assert unit(nodeid) == nodeid.partition("::")[0]
