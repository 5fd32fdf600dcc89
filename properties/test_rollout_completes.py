"""Built-in property `rollout-completes` on the rollout scenarios, with both engines: the rollouts
finish within rollout_bound(settings) once faults stop."""

from properties.rolloutruns import rollout_test

test_on_rollout_scenarios = rollout_test("rollout-completes")
