"""The paper's Table 1 (Narang et al. 2021), as shipped in data/.

Rows are keyed by the paper's model name (the `model` column).
"""
import csv
import functools
import importlib.resources

NUMERIC_COLUMNS = ("Step/s", "Early loss mean", "Early loss std",
                   "Final loss", "SGLUE", "XSum", "WebQ", "WMT EnDe")
_UNITS = {"M": 1e6, "T": 1e12}


def parse_quantity(text):
  """'223M' -> 223e6, '11.1T' -> 11.1e12."""
  return float(text[:-1]) * _UNITS[text[-1]]


@functools.lru_cache(maxsize=None)
def table1():
  """{model name: row dict}; Params and Ops parsed to floats."""
  path = importlib.resources.files("mtf_mods") / "data" / "paper_table1.tsv"
  with path.open() as f:
    rows = list(csv.DictReader(f, delimiter="\t"))
  table = {}
  for row in rows:
    parsed = dict(row)
    parsed["Params"] = parse_quantity(row["Params"])
    parsed["Ops"] = parse_quantity(row["Ops"])
    for column in NUMERIC_COLUMNS:
      parsed[column] = float(row[column])
    table[row["model"]] = parsed
  return table
