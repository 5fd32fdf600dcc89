"""Built-in property `replica-convergence` on every shipped seed scenario, with both engines."""

from properties.seedruns import seed_tests

test_on_seed_timeline, test_on_seed_with_declared_faults = seed_tests("replica-convergence")
