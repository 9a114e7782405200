"""Writing a user's plugin (mtf_mods.launch.plugins) into a directory: a Python
package and a folder of gin files, outside the kit."""
import os
import textwrap


def write_plugin(directory, package, source, gin_models):
  """Writes `package/__init__.py` (`source`) and `gin/models/<name>.gin`
  for each {name: text} of `gin_models` under `directory`.

  Returns:
    (the folder to put on PYTHONPATH, the gin folder).
  """
  os.makedirs(os.path.join(directory, package))
  with open(os.path.join(directory, package, "__init__.py"), "w") as f:
    f.write(textwrap.dedent(source))
  gin_dir = os.path.join(directory, "gin")
  os.makedirs(os.path.join(gin_dir, "models"))
  for name, text in gin_models.items():
    with open(os.path.join(gin_dir, "models", name + ".gin"), "w") as f:
      f.write(textwrap.dedent(text))
  return str(directory), gin_dir
