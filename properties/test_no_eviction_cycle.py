"""Built-in property `no-eviction-cycle` with both engines on the shipped descheduler scenarios:
violated on scenarios/descheduler-cycle.yaml (LowNodeUtilization evicting a pod that only its own
node can take), holding on scenarios/descheduler-cycle-fixed.yaml (nodeFit: true). The broken
descheduler (tests/broken.py descheduler_ignoring_node_fit) is caught in tests/test_descheduler.py.
The property is checked by default only on scenarios with a descheduler, so not on the seeds."""

from __future__ import annotations

import pytest

from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.scenario import load
from tests.conftest import SCENARIOS

CASES = [("descheduler-cycle.yaml", VIOLATED), ("descheduler-cycle-fixed.yaml", HOLDS)]


@pytest.mark.parametrize("scenario, verdict", CASES)
def test_explorer(scenario: str, verdict: str) -> None:
    scen = load(SCENARIOS / scenario)
    prop = props.to_property(props.BUILTINS["no-eviction-cycle"], scen.settings)
    assert explore(KubeModel(scen, faults=()), prop, max_states=20_000).verdict == verdict


@pytest.mark.parametrize("scenario, verdict", CASES)
def test_hypothesis(scenario: str, verdict: str) -> None:
    scen = load(SCENARIOS / scenario)
    prop = props.to_property(props.BUILTINS["no-eviction-cycle"], scen.settings)
    r = hypothesis_engine.check(KubeModel(scen, faults=()), prop, seed=0, profile="ci", max_examples=20)
    assert r.verdict == verdict, r.message
