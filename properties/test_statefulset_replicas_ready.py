"""Built-in property `statefulset-replicas-ready` on the shipped StatefulSet scenario, with both engines.

The seeds have no StatefulSet (the property is not checked by default there: it would hold
trivially), so this file runs it on scenarios/statefulset-lost-node.yaml, where a member's
worker is powered off and the member is force-deleted at 10m. Without the force delete
(scenarios/statefulset-lost-node-unattended.yaml) it is violated: tests/test_statefulset.py."""

from __future__ import annotations

import pytest

from properties.scenarioruns import scenario_tests

NAME = "statefulset-replicas-ready"

test_holds_on_the_shipped_statefulset_scenario, test_checked_by_default_only_where_there_are_statefulsets = (
    scenario_tests(
        NAME,
        "statefulset-lost-node.yaml",
        engines=[pytest.param("explore", marks=pytest.mark.thorough), "hypothesis"],  # explore: about 53,000 states
    )
)
