"""Built-in property `statefulset-replicas-ready` on every shipped seed scenario, with both engines
(the seeds have no StatefulSet, so it holds; the lost-node StatefulSet scenarios are checked in
tests/test_statefulset.py)."""

from properties.seedruns import seed_tests

test_on_seed_timeline, test_on_seed_with_declared_faults = seed_tests("statefulset-replicas-ready")
