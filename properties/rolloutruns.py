"""Shared runs for the rollout properties: the small rolling update of tests/data/rollout-small.yaml
(no fault) and scenarios/rollout-node-failure.yaml (a worker off from 35s to 2m), each checked once
per engine with both rollout properties (the seeds start no rollout, so the rollout properties
hold there trivially and ``kmodel check`` leaves them out by default)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from kmodel.checkrun import CheckOptions, run_check
from kmodel.engines.base import Result
from properties.seedruns import _once_per_run

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = {
    "rollout-small": ROOT / "tests" / "data" / "rollout-small.yaml",
    "rollout-node-failure": ROOT / "scenarios" / "rollout-node-failure.yaml",
}
PROPERTIES = ("rollout-respects-max-unavailable", "rollout-completes")
ENGINES = ("explore", "hypothesis")
# the verdict each scenario promises (scenarios/rollout-node-failure.yaml's header); what is not
# listed must hold. rollout-completes on rollout-node-failure explores more than the cap allows
# (the state space of a three-node cluster over the whole outage): it must not be violated.
EXPECTED = {("rollout-node-failure", "rollout-respects-max-unavailable"): "violated"}
NOT_VIOLATED = {("rollout-node-failure", "rollout-completes")}


@cache
def rollout_results(scenario: str, engine: str) -> dict[str, Result]:
    """One run per scenario and engine for both property files, whichever xdist worker asks
    first (the others read its result)."""
    return _once_per_run(f"rollout-{scenario}-{engine}", lambda: _rollout_results(scenario, engine))


def _rollout_results(scenario: str, engine: str) -> dict[str, Result]:
    options = CheckOptions(engine=engine, seed=0, profile="ci", max_states=12_000)
    run = run_check(SCENARIOS[scenario], names=PROPERTIES, options=options)
    return {r.property: r for r in run.results}


def _runs() -> list[object]:
    """The explorer on every scenario; Hypothesis where a violation is expected (random runs
    cannot show that a property holds, and the explorer already covers those exhaustively)."""
    runs = [pytest.param(s, "explore", id=f"{s}-explore") for s in sorted(SCENARIOS)]
    runs += [pytest.param(s, "hypothesis", id=f"{s}-hypothesis") for s, _ in sorted(EXPECTED)]
    return runs


def rollout_test(prop: str):  # type: ignore[no-untyped-def]
    @pytest.mark.parametrize(("scenario", "engine"), _runs())
    def test_on_rollout_scenarios(scenario: str, engine: str) -> None:
        result = rollout_results(scenario, engine)[prop]
        if (scenario, prop) in NOT_VIOLATED:
            assert result.verdict != "violated", result.message
            return
        wanted = EXPECTED.get((scenario, prop), "holds")
        if engine == "hypothesis" and wanted == "holds":
            assert result.verdict in ("holds", "inconclusive"), result.message
            return
        assert result.verdict == wanted, (scenario, prop, engine, result.message)

    return test_on_rollout_scenarios
