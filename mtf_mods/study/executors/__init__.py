"""How a study's cells run, behind one interface.

An executor is made for a study (its configuration and the configuration's
id) and has one method, `run(cells, store, stream)`: it runs every cell
whose record is not "ok" yet, each after the cells it waits for, writes
one record per cell it ran (only the executor in the study's own process
writes records), and returns {"ok": n, "failed": n, "skipped": n}. A
failed cell records its error and the others go on.

- in_order.InOrder: one cell after another in this process's machine,
  with the study's ETA (the default; starts no Ray);
- ray_cluster.RayCluster: every cell a Ray task on a local or running Ray
  cluster, a downstream cell depending on its pre-training cell's task, as
  many at once as the cluster's resources allow.
Both run a cell the same way (cell_run.py).
"""
