"""Built-in property `no-mass-eviction` on every shipped seed scenario (it holds: no seed has all
its zones down with the safeguard off), and on the regression scenarios of kubernetes#28832 with
both engines: scenarios/mass-eviction-partition.yaml (`zoneDisruptionSafeguard: false`) violates
it, scenarios/mass-eviction-partition-fixed.yaml holds. tests/test_partitions.py has the broken
node lifecycle controller without the safeguard that both engines catch."""

from __future__ import annotations

import pytest

from kmodel.checkrun import CheckOptions, run_check
from kmodel.engines.base import HOLDS, VIOLATED
from properties.seedruns import seed_tests
from tests.conftest import SCENARIOS

NAME = "no-mass-eviction"

test_on_seed_timeline, test_on_seed_with_declared_faults = seed_tests(NAME)


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
@pytest.mark.parametrize(
    ("scenario", "verdict"),
    [("mass-eviction-partition.yaml", VIOLATED), ("mass-eviction-partition-fixed.yaml", HOLDS)],
)
def test_on_the_regression_scenarios(engine: str, scenario: str, verdict: str) -> None:
    options = CheckOptions(engine=engine, seed=0, profile="ci", max_states=50_000)
    (r,) = run_check(SCENARIOS / scenario, [NAME], options=options).results
    assert r.verdict == verdict, r.message
