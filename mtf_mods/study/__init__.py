"""A study: the paper's protocol over variants, seeds and implementations.

What a study is made of, one module each:
- configuration.py: what the study is (scale, data, budgets, bindings,
  plugins), kept in <workdir>/study.json and checked by every run;
  budgets.py: its step budgets;
- cells.py: what runs: one cell per (implementation, variant, stage,
  seed), its launches of `mtf-mods train`, the cells it waits for, how its
  metrics are read;
- executors/: how the cells run, behind one interface: in order on this
  machine, or as Ray tasks on a cluster (cell_run.py runs one cell
  wherever it runs);
- records.py: what is kept, one record per cell, with provenance.py (the
  commit, machine and dates that produced it); storage.py: every file of
  the study through tf.io.gfile, so a workdir may be on gs:// or any
  shared filesystem; lock.py: one study per workdir;
- eta.py: the study's ETA;
- the report: table.py (Table 1 with intervals and verdicts), header.py
  (what it shows), plots.py, significance.py (Welch intervals, Holm's
  correction, verdicts);
- mini_bench.py: the mini benchmark, one variant through the protocol's
  applications on the embedded data against trivial baselines.
The `study`, `report` and `mini-bench` commands (mtf_mods/commands) put
them together. It may import files/, config/, training/ (the checkpoint
plan, the progress line's durations), model/, launch/, bench/ (the
machine a record names), variants/ and tasks/; none of them imports it.
"""
