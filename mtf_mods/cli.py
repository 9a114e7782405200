"""The `mtf-mods` command: one subcommand per module of mtf_mods.commands."""
import importlib
import logging
import os
import pkgutil
import sys
import warnings

from mtf_mods import commands


def command_names():
  """{subcommand name: module name}, from the modules of mtf_mods.commands."""
  return {info.name.replace("_", "-"): info.name
          for info in pkgutil.iter_modules(commands.__path__)}


def fail(command, message):
  """Prints `mtf-mods COMMAND: MESSAGE` on stderr and exits with code 2."""
  print("mtf-mods %s: %s" % (command, message), file=sys.stderr)
  sys.exit(2)


def load_plugins(command, modules, gin_dirs):
  """mtf_mods.launch.plugins.load, exiting 2 with its one line."""
  from mtf_mods.launch import plugins  # pylint: disable=g-import-not-at-top
  try:
    return plugins.load(modules, gin_dirs)
  except plugins.PluginError as e:
    fail(command, e)


def get_or_fail(command, kind, name):
  """A registered variant or scale by name; exits 2 listing valid names."""
  from mtf_mods.config import scales  # pylint: disable=g-import-not-at-top
  from mtf_mods import variants  # pylint: disable=g-import-not-at-top
  registry = {"scale": scales, "variant": variants}[kind]
  try:
    return registry.get(name)
  except ValueError as e:
    fail(command, e)


def variant_names(command, text):
  """The registered names a `--variants` flag (comma-separated, or "all")
  asks for; exits 2 on an empty list or an unknown name."""
  from mtf_mods import variants  # pylint: disable=g-import-not-at-top
  if text.strip() == "all":
    return tuple(variants.names())
  names = tuple(name.strip() for name in text.split(",") if name.strip())
  if not names:
    fail(command, "--variants is empty; valid: all, %s"
         % ", ".join(variants.names()))
  for name in names:
    get_or_fail(command, "variant", name)
  return names


def version():
  """The kit's version, as installed (setup.py's)."""
  from mtf_mods.study import provenance  # pylint: disable=g-import-not-at-top
  return provenance.kit_version() or "unknown (not installed)"


def usage():
  lines = ["usage: mtf-mods COMMAND [flags]   (mtf-mods COMMAND --help: its "
           "flags; mtf-mods --version)", "", "commands:"]
  for name, module in sorted(command_names().items()):
    help_line = importlib.import_module("mtf_mods.commands." + module).HELP
    lines.append("  %-10s %s" % (name, help_line))
  return "\n".join(lines)


def quiet_tensorflow(argv):
  """Keeps TensorFlow's C++ and deprecation logs off the terminal."""
  warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
  if "--verbose" not in argv:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def main(argv=None):
  argv = list(sys.argv[1:] if argv is None else argv)
  names = command_names()
  if not argv or argv[0] in ("-h", "--help", "help"):
    print(usage())
    return
  if argv[0] == "--version":
    print("mtf-mods %s" % version())
    return
  command, rest = argv[0], argv[1:]
  if command not in names:
    fail(command, "unknown command; valid: %s" % ", ".join(sorted(names)))
  quiet_tensorflow(rest)
  from mtf_mods.files import atomic_files  # pylint: disable=g-import-not-at-top
  try:
    importlib.import_module("mtf_mods.commands." + names[command]).main(rest)
  except atomic_files.WriteFailed as e:  # a full disk, a read-only directory
    print("mtf-mods %s: %s" % (command, e), file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
  main()
