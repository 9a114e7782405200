"""Installable package for mtf-mods.

`tasks/` and `gin/` live at the top of the repository (see DESIGN.md) and are
installed under the `mtf_mods` namespace: `mtf_mods.tasks` (a package) and
`mtf_mods/gin/` (gin files only: `gin/` has no `__init__.py`, so it never
shadows the gin-config package when Python runs from the repository root).
Packages and gin files are found at any depth, so a new subpackage or gin
folder needs no edit here; tests/test_wheel.py checks the wheel against the
tree.
"""
import setuptools


def subpackages(package, directory):
  """`package` and every package below `directory`, named under `package`."""
  return [package] + ["%s.%s" % (package, name)
                      for name in setuptools.find_packages(directory)]


setuptools.setup(
    name="mtf-mods",
    version="0.1.0",
    description=("Transformer modifications of Narang et al. 2021 as Mesh "
                 "TensorFlow layers, with the paper's protocol."),
    python_requires=">=3.11,<3.12",
    packages=(subpackages("mtf_mods", "mtf_mods")
              + subpackages("mtf_mods.tasks", "tasks") + ["mtf_mods.gin"]),
    package_dir={
        "mtf_mods": "mtf_mods",
        "mtf_mods.tasks": "tasks",
        "mtf_mods.gin": "gin",
    },
    package_data={"mtf_mods": ["data/*.tsv"], "mtf_mods.gin": ["**/*.gin"]},
    # The exact, verified versions are in requirements/lock.txt; these ranges
    # document what the code needs and are not used to resolve (see docs/t5-and-gin.md).
    install_requires=[
        "tensorflow==2.12.1",
        "tensorflow-text==2.12.1",
        "mesh-tensorflow[transformer]==0.1.21",
        "t5==0.9.4",
        "seqio==0.0.20",
        "tensorflow-datasets==4.9.2",
        "gin-config==0.5.0",
        "sentencepiece==0.2.0",
        "ray==2.60.0",  # `mtf-mods study --cluster`: cells as Ray tasks
    ],
    entry_points={"console_scripts": ["mtf-mods = mtf_mods.cli:main"]},
)
