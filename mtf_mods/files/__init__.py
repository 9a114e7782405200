"""The kit's files: how it writes one and how it reads a model_dir.

atomic_files.py writes every result, record, report and cache file whole
or not at all; model_dir_reader.py is the one reader of what training and
evaluation leave in a model_dir (checkpoints, steps, event files). The
bottom layer: it imports no other package of the kit, and every other
package (and tasks/) may import it.
"""
