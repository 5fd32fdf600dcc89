"""Built-in property `at-most-one-pod-per-ordinal` on the shipped StatefulSet scenario, with both engines.

The seeds have no StatefulSet (the property is not checked by default there: it would hold
trivially), so this file runs it on scenarios/statefulset-lost-node.yaml, where a member's
worker is powered off and the member is force-deleted at 10m. A force delete of a member on a
partitioned machine that is still on breaks it: tests/test_statefulset.py shows the explorer
finding that, and both engines catching a StatefulSet controller that does it by itself."""

from __future__ import annotations

import pytest

from kmodel.checkrun import CheckOptions, choose_properties, run_check
from kmodel.engines.base import HOLDS
from kmodel.scenario import load
from tests.conftest import SCENARIOS

NAME = "at-most-one-pod-per-ordinal"


@pytest.mark.parametrize(
    "engine",
    [
        "explore",
        "hypothesis",
    ],
)
def test_holds_on_the_shipped_statefulset_scenario(engine: str) -> None:
    options = CheckOptions(engine=engine, seed=0, profile="ci", max_states=400_000)
    run = run_check(SCENARIOS / "statefulset-lost-node.yaml", [NAME], options=options)
    (r,) = run.results
    assert r.verdict == HOLDS, r.message


def test_checked_by_default_only_where_there_are_statefulsets() -> None:
    with_sets = {p.name for p in choose_properties(load(SCENARIOS / "statefulset-lost-node.yaml"))}
    without = {p.name for p in choose_properties(load(SCENARIOS / "seed-node-failure.yaml"))}
    assert NAME in with_sets and NAME not in without
