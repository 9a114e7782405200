"""Launching a run: `mtf-mods train` and the runner of launches.

launcher.py is `mtf-mods train` on top of t5_mesh_transformer, with
input_checks.py (the mesh and sizes checked before training),
input_autograph.py (input pipelines traced without AutoGraph),
model_dir_guard.py (no resuming from another model's checkpoint),
launch_report.py (what a launch measured, printed at its end, and its
TensorBoard hyperparameters) and plugins.py (a user's variants outside
the kit); launches.py runs launches in their own processes for the study,
the mini benchmark and the demo. It may import files/, config/, model/,
training/, flags/, layers/, variants/ and tasks/; plugins.py raises a
PluginError for a bad plugin, which the commands turn into one line.
"""
