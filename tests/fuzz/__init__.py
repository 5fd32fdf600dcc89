"""Hostile and odd input for the kmodel command line (issue 18): a harness that runs one
command in-process within bounds of time and memory, Hypothesis strategies for scenario files,
invariants, traces and flags, the checked-in corpus of known-hostile inputs
(``tests/data/hostile``), and ``measure.py``, which runs them all and prints the counts."""
