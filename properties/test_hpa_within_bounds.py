"""Built-in property `hpa-within-bounds` on the shipped HPA scenarios, with both engines.

The seeds have no HorizontalPodAutoscaler (the property is not checked by default there: it
would hold trivially), so this file runs it on scenarios/hpa-reapply-reset-fixed.yaml (holds: the
manifest never has replicas) and scenarios/hpa-reapply-reset.yaml (violated: the re-apply drops
replicas and the apiserver defaults it to 1, below minReplicas 3)."""

from __future__ import annotations

import pytest

from kmodel.checkrun import CheckOptions, choose_properties, run_check
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.scenario import load
from tests.conftest import SCENARIOS

NAME = "hpa-within-bounds"


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
def test_holds_when_the_manifest_never_has_replicas(engine: str) -> None:
    options = CheckOptions(engine=engine, seed=0, profile="ci", max_states=100_000)
    (r,) = run_check(SCENARIOS / "hpa-reapply-reset-fixed.yaml", [NAME], options=options).results
    assert r.verdict == HOLDS, r.message


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
def test_violated_by_a_reapply_without_replicas(engine: str) -> None:
    options = CheckOptions(engine=engine, seed=0, profile="ci", max_states=100_000)
    (r,) = run_check(SCENARIOS / "hpa-reapply-reset.yaml", [NAME], options=options).results
    assert r.verdict == VIOLATED, r.message


def test_checked_by_default_only_where_there_are_hpas() -> None:
    with_hpa = {p.name for p in choose_properties(load(SCENARIOS / "hpa-reapply-reset.yaml"))}
    without = {p.name for p in choose_properties(load(SCENARIOS / "seed-node-failure.yaml"))}
    assert NAME in with_hpa and NAME not in without
