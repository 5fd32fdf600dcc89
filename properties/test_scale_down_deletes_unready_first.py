"""Built-in property `scale-down-deletes-unready-first` on every shipped seed scenario (it
holds: seed-scaling's 5 -> 2 deletes by the real ranking), on tests/data/requests-one-worker.yaml
scaled to 2 (the second pod cannot fit: Pending) and back to 1 (the real controller deletes the
Pending pod: holds), and against the ReplicaSet controller of the mutation suite with the ranking
upside down (benchmarks/mutant_components.py replicaset_reversed_deletion_ranking), which
deletes the Running pod instead: both engines find it."""

from __future__ import annotations

import pytest

from benchmarks import mutant_components as mc
from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.scenario import load
from properties.scenarioruns import check_with
from properties.seedruns import seed_tests
from tests.conftest import DATA

NAME = "scale-down-deletes-unready-first"
EVENTS = ["20s scale deployment/web 2", "40s scale deployment/web 1"]
BROKEN = {"replicaset": mc.replicaset_reversed_deletion_ranking}

test_on_seed_timeline, test_on_seed_with_declared_faults = seed_tests(NAME)


def _check(engine: str, replace: dict | None) -> object:
    scen = load(DATA / "requests-one-worker.yaml", EVENTS)
    prop = props.to_property(props.BUILTINS[NAME], scen.settings)
    model = KubeModel(scen, faults=(), replace=replace)
    return check_with(engine, model, prop), prop


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
def test_holds_when_the_pending_pod_goes_first(engine: str) -> None:
    r, _ = _check(engine, None)
    assert r.verdict == HOLDS, r.message


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
def test_a_reversed_deletion_ranking_is_caught(engine: str) -> None:
    r, prop = _check(engine, BROKEN)
    assert r.verdict == VIOLATED and r.trace is not None, r.message
    last = r.trace.steps[-1]
    assert last.actor == "replicaset"
    text = prop.explain(r.trace.steps[-2].state, last.state)
    assert "scaled down" in text and "Pending, not ready, no node" in text
