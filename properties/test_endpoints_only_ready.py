"""Built-in property `endpoints-only-ready` on every shipped seed scenario (it holds: the
endpoints controller writes only ready pods), on scenarios/readiness-probe-failure.yaml (pods
Running but not yet ready, a readiness probe failing and passing again: holds with both
engines), and against the endpoints controller of the mutation suite that ignores readiness
(benchmarks/mutant_components.py endpoints_ignoring_readiness): both engines find it."""

from __future__ import annotations

import pytest

from benchmarks import mutant_components as mc
from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.scenario import load
from properties.scenarioruns import check_with
from properties.seedruns import seed_tests
from tests.conftest import SCENARIOS

NAME = "endpoints-only-ready"
PROBES = SCENARIOS / "readiness-probe-failure.yaml"
BROKEN = {"endpoints": mc.endpoints_ignoring_readiness}

test_on_seed_timeline, test_on_seed_with_declared_faults = seed_tests(NAME)


def _check(engine: str, replace: dict | None) -> object:
    scen = load(PROBES)
    prop = props.to_property(props.BUILTINS[NAME], scen.settings)
    model = KubeModel(scen, faults=(), replace=replace, settle=False)
    return check_with(engine, model, prop), prop


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
def test_holds_on_the_probe_scenario(engine: str) -> None:
    r, _ = _check(engine, None)
    assert r.verdict == HOLDS, r.message


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
def test_an_endpoints_controller_ignoring_readiness_is_caught(engine: str) -> None:
    r, prop = _check(engine, BROKEN)
    assert r.verdict == VIOLATED and r.trace is not None, r.message
    last = r.trace.steps[-1]
    assert last.actor == "endpoints"
    text = prop.explain(r.trace.steps[-2].state, last.state)
    assert "as a ready endpoint" in text and "not ready" in text
