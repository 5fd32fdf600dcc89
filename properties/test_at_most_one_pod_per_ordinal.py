"""Built-in property `at-most-one-pod-per-ordinal` on every shipped seed scenario, with both engines
(the seeds have no StatefulSet, so it holds; the StatefulSet scenarios, with and without a force
delete on a partitioned node, are checked in tests/test_statefulset.py)."""

from properties.seedruns import seed_tests

test_on_seed_timeline, test_on_seed_with_declared_faults = seed_tests("at-most-one-pod-per-ordinal")
