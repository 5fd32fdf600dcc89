"""The rollout properties on a small rolling update (tests/data/rollout-small.yaml): both hold on
the correct model, and each engine finds a violation with the deliberately broken Deployment
controller of tests/broken.py it is for."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.model import StepFn
from kmodel.scenario import load
from tests import broken

SMALL = Path(__file__).parent / "data" / "rollout-small.yaml"
MAX_UNAVAILABLE = "rollout-respects-max-unavailable"
COMPLETES = "rollout-completes"
BROKEN: dict[str, StepFn] = {
    MAX_UNAVAILABLE: broken.deployment_ignoring_max_unavailable,
    COMPLETES: broken.deployment_never_scaling_old_down,
}


def _model(replace: StepFn | None) -> KubeModel:
    return KubeModel(load(SMALL), faults=(), replace={"deployment": replace} if replace else None)


@pytest.mark.parametrize("name", [MAX_UNAVAILABLE, COMPLETES])
def test_holds_on_the_correct_model(name: str) -> None:
    m = _model(None)
    prop = props.to_property(props.BUILTINS[name], m.scenario.settings)
    r = explore(m, prop, max_states=50_000)
    assert r.verdict == HOLDS, r.message


@pytest.mark.parametrize("name", [MAX_UNAVAILABLE, COMPLETES])
def test_the_explorer_finds_the_broken_controller(name: str) -> None:
    m = _model(BROKEN[name])
    prop = props.to_property(props.BUILTINS[name], m.scenario.settings)
    r = explore(m, prop, max_states=50_000)
    assert r.verdict == VIOLATED, r.message
    assert r.trace is not None
    if name == MAX_UNAVAILABLE:
        # the broken controller scales the old ReplicaSet 2 -> 0 when the rollout starts
        assert any("0" in s.label and "scale" in s.label for s in r.trace.steps if s.actor == "deployment")


@pytest.mark.parametrize("name", [MAX_UNAVAILABLE, COMPLETES])
def test_hypothesis_finds_the_broken_controller(name: str) -> None:
    m = _model(BROKEN[name])
    prop = props.to_property(props.BUILTINS[name], m.scenario.settings)
    r = hypothesis_engine.check(m, prop, seed=0, profile="ci", max_examples=60)
    assert r.verdict == VIOLATED, r.message


def test_the_rollout_bound_comes_from_the_settings() -> None:
    """rollout_bound = convergence_bound + 10 rounds of 6 ticks (5 s ticks: 60 + 300 s)."""
    s = load(SMALL).settings
    assert props.rollout_bound(s) == props.convergence_bound(s) + 10 * 6 * s.step
    assert props.to_property(props.BUILTINS[COMPLETES], s).bound == props.rollout_bound(s)
