"""What a bench ran on: CPU model, cores, library versions and date."""
import datetime
import importlib.metadata
import platform

LIBRARIES = ("tensorflow", "mesh-tensorflow", "torch", "transformers")


def cpu_model():
  """The CPU's model name (from /proc/cpuinfo on Linux)."""
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("model name"):
          return line.split(":", 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or platform.machine()


def versions():
  found = []
  for name in LIBRARIES:
    try:
      found.append("%s %s" % (name, importlib.metadata.version(name)))
    except importlib.metadata.PackageNotFoundError:
      pass
  return ", ".join(found)


def today():
  return datetime.date.today().isoformat()
