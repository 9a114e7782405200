"""The README's summary of the kit's own Table 1 study, quoted from its
committed report.

The README states what the kit's Table 1 says by quoting the "What it
says" section (study/summary.py) of the study's report.md, between two
markers. Nothing in that block is typed by hand: the report is written by
`mtf-mods report` from the committed records, this module copies its
section into the README, and tests/listings/test_readme_summary.py holds
the two equal.

Regenerate the block, after `mtf-mods report --workdir=STUDY`, with
`python -m mtf_mods.listings.readme_summary`.
"""
import os
import sys

from mtf_mods.study import summary

README = "README.md"
STUDY = "results/table1_cpu_early150_3seeds"
BEGIN = ("<!-- quoted from %s/report.md by python -m "
         "mtf_mods.listings.readme_summary; do not edit -->" % STUDY)
END = "<!-- end of the quoted summary -->"


def quoted(report_markdown):
  """The README's block for a report.md: the markers around its items."""
  section = summary.section(report_markdown)
  if section is None:
    raise ValueError("%s/report.md has no %r section; regenerate it with "
                     "mtf-mods report --workdir=%s"
                     % (STUDY, summary.TITLE, STUDY))
  items = [line for line in section.splitlines() if line.startswith("- ")]
  return "\n".join([BEGIN] + items + [END])


def block_in(readme):
  """The README's block as it stands, markers included; None if absent."""
  if BEGIN not in readme or END not in readme:
    return None
  start = readme.index(BEGIN)
  return readme[start:readme.index(END, start) + len(END)]


def rewrite(root):
  """Replaces the README's block under `root` with the report's."""
  readme_path = os.path.join(root, README)
  with open(readme_path) as f:
    readme = f.read()
  with open(os.path.join(root, STUDY, "report.md")) as f:
    block = quoted(f.read())
  current = block_in(readme)
  if current is None:
    raise ValueError("%s has no block between %r and %r"
                     % (README, BEGIN, END))
  with open(readme_path, "w") as f:
    f.write(readme.replace(current, block))


if __name__ == "__main__":
  rewrite(sys.argv[1] if len(sys.argv) > 1 else os.getcwd())
