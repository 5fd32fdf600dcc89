"""Built-in property `spread-within-max-skew` on every shipped seed scenario, with both engines
(the seeds use no DoNotSchedule spread constraint, so it holds; the spread scenarios are checked in
tests/test_properties.py)."""

from properties.seedruns import seed_tests

test_on_seed_timeline, test_on_seed_with_declared_faults = seed_tests("spread-within-max-skew")
