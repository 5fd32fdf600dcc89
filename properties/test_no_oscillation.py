"""Built-in property `no-oscillation` on the shipped HPA scenarios, with both engines.

scenarios/hpa-oscillation.yaml (scale-down stabilization turned off, pods with a start-up load
spike) violates it; scenarios/hpa-oscillation-fixed.yaml (the default 5m window) holds, which the
explorer shows over the whole run in the thorough run (about 60,000 states) and Hypothesis on
random runs here. tests/test_hpa.py has the broken HPA (no scale-down stabilization) that both
engines catch on the fixed scenario, and the property's parameters."""

from __future__ import annotations

import pytest

from kmodel.checkrun import CheckOptions, choose_properties, run_check
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.scenario import load
from tests.conftest import SCENARIOS

NAME = "no-oscillation"


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
def test_violated_without_scale_down_stabilization(engine: str) -> None:
    options = CheckOptions(engine=engine, seed=0, profile="ci", max_states=100_000)
    (r,) = run_check(SCENARIOS / "hpa-oscillation.yaml", [NAME], options=options).results
    assert r.verdict == VIOLATED, r.message


@pytest.mark.parametrize(
    "engine",
    [
        pytest.param("explore", marks=pytest.mark.thorough),  # about 60,000 states
        "hypothesis",
    ],
)
def test_holds_with_the_default_window(engine: str) -> None:
    options = CheckOptions(engine=engine, seed=0, profile="ci", max_states=300_000)
    (r,) = run_check(SCENARIOS / "hpa-oscillation-fixed.yaml", [NAME], options=options).results
    assert r.verdict == HOLDS, r.message


def test_checked_by_default_only_where_there_are_hpas() -> None:
    with_hpa = {p.name for p in choose_properties(load(SCENARIOS / "hpa-oscillation.yaml"))}
    without = {p.name for p in choose_properties(load(SCENARIOS / "seed-node-failure.yaml"))}
    assert NAME in with_hpa and NAME not in without
