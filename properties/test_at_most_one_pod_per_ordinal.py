"""Built-in property `at-most-one-pod-per-ordinal` on the shipped StatefulSet scenario, with both engines.

The seeds have no StatefulSet (the property is not checked by default there: it would hold
trivially), so this file runs it on scenarios/statefulset-lost-node.yaml, where a member's
worker is powered off and the member is force-deleted at 10m. A force delete of a member on a
partitioned machine that is still on breaks it: tests/test_statefulset.py shows the explorer
finding that, and both engines catching a StatefulSet controller that does it by itself."""

from __future__ import annotations

from properties.scenarioruns import scenario_tests

NAME = "at-most-one-pod-per-ordinal"

test_holds_on_the_shipped_statefulset_scenario, test_checked_by_default_only_where_there_are_statefulsets = (
    scenario_tests(NAME, "statefulset-lost-node.yaml", engines=["explore", "hypothesis"])
)
