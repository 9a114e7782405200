"""What a launch is configured from: gin, scales, sizes and the protocol.

paths.py (where the kit's and a plugin's gin files are), gin_config.py
(parsing gin as t5_mesh_transformer does), gin_files.py (the one list of
gin files of a launch, and the implementations' names), scales.py (the
named scales), sizing.py (sizes relative to the scale, as gin
configurables), protocol.py (the paper's protocol as data: stages,
applications, metrics), checkpoint_selection.py (the best validation
checkpoint, the paper's rule) and paper.py (Table 1, from data/). It may
import files/ and tasks/ (the SuperGLUE metric groups), nothing above.
"""
