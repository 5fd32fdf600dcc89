"""The explorer's eventually search reuses a state's transitions for its healed twin.

Calm (kmodel.engines.explore) expands each state twice once the timeline is over: before faults
stop, and after (its "faults stop" successor). Where no fault is injected the two have the same
cluster, and KubeModel.healed_twin hands the first expansion's component steps to the second.
These tests compare that with computing the twin's transitions afresh.
"""

from __future__ import annotations

import random

import pytest

from kmodel.checkmodel import KubeModel
from kmodel.engines import explore as explore_mod
from kmodel.engines.base import EVENTUALLY
from kmodel.engines.explore import Calm, explore
from kmodel.properties import BUILTINS, to_property
from kmodel.scenario import load
from tests.conftest import DATA


def _walk_states(model: KubeModel, steps: int, seed: int) -> list:
    rng = random.Random(seed)
    state = next(iter(model.init_states()))
    seen = [state]
    for _ in range(steps):
        ts = list(model.transitions(state))
        if not ts:
            break
        state = rng.choice(ts).state
        seen.append(state)
    return seen


@pytest.mark.parametrize("name", ["props-two-workers.yaml", "props-one-worker.yaml"])
def test_the_twin_has_the_transitions_computed_afresh(name: str) -> None:
    model = KubeModel(load(DATA / name), faults=(("powerOffNode", 1), ("deletePod", 1)))
    compared = refused = 0
    for seed in range(4):
        for state in _walk_states(model, 120, seed):
            healed = model.stop_faults(state)
            if healed is None:
                continue
            steps = list(model.transitions(state))
            twin = model.healed_twin(state, healed, steps)
            if twin is None:
                assert state.injected  # only a state with a fault to undo has no twin
                refused += 1
                continue
            afresh = [t for t in model.transitions(healed) if not t.fault]
            assert [(t.actor, t.label, t.state) for t in twin] == [(t.actor, t.label, t.state) for t in afresh]
            assert [model.fingerprint(t.state) for t in twin] == [model.fingerprint(t.state) for t in afresh]
            compared += 1
    assert compared > 50 and refused > 0


# (killPod takes the same twin path as deletePod: with -m thorough)
@pytest.mark.parametrize("fault", ["deletePod", pytest.param("killPod", marks=pytest.mark.thorough)])
def test_a_search_with_twins_is_the_search_without(fault: str, monkeypatch: pytest.MonkeyPatch) -> None:
    scen = load(DATA / "props-two-workers.yaml")
    model = KubeModel(scen, faults=((fault, 1),))
    prop = to_property(BUILTINS["replica-convergence"], scen.settings)
    assert prop.kind == EVENTUALLY
    with_twins = explore(model, prop)
    monkeypatch.setattr(Calm, "__init__", _without_twins)
    without = explore(model, prop)
    assert (with_twins.verdict, with_twins.stats.states, with_twins.stats.transitions, with_twins.stats.depth) == (
        without.verdict,
        without.stats.states,
        without.stats.transitions,
        without.stats.depth,
    )


def _without_twins(self: Calm, model: object) -> None:
    self.model = model  # type: ignore[assignment]
    self.twin = None
    self.twins = {}


def test_the_waiting_twins_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(explore_mod, "TWINS", 3)
    scen = load(DATA / "props-two-workers.yaml")
    model = KubeModel(scen, faults=(("powerOffNode", 1),))
    calm = Calm(model)
    state = next(iter(calm.init_states()))
    frontier = [state]
    for _ in range(30):
        frontier = [t.state for s in frontier for t in calm.transitions(s) if not t.state[1]][:20]
        assert len(calm.twins) <= 3
