"""The model graph and its sizes, built and run without t5's launcher.

model_graph.py builds a variant's training graph to count its parameters
and FLOPs and to fingerprint its configuration; model_parts.py says what a
configured model is made of; lowering.py is the one way to lower an mtf
graph onto a mesh of CPU devices; mesh_run.py trains a configured model
directly on such a mesh (the harness of the variants' tests). It may
import layers/, config/ and training/ (lowering orders a step's writes
after its reads, training/ordered_updates.py); nothing it imports
imports it.
"""
