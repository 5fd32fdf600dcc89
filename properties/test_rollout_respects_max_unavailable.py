"""Built-in property `rollout-respects-max-unavailable` on the rollout scenarios, with both engines:
it holds on a rollout with no fault and is violated by the node failure of
scenarios/rollout-node-failure.yaml."""

from properties.rolloutruns import rollout_test

test_on_rollout_scenarios = rollout_test("rollout-respects-max-unavailable")
