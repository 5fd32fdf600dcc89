"""The broken-component suite again, this time with the Hypothesis engine: every deliberately
broken component of tests/broken.py is caught by random runs too, each counterexample replays
as a run of the model, and the correct component passes the same run settings.

(The explorer's side, with shortest traces, is in tests/test_properties.py.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from kmodel import model
from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.scenario import Scenario, load
from kmodel.state import Cluster
from tests import broken
from tests.conftest import DATA, SCENARIOS

Replace = Callable[[Scenario], dict[str, model.StepFn]]


def fixed(name: str, fn: model.StepFn) -> Replace:
    return lambda _scen: {name: fn}


def kubelets(scen: Scenario) -> dict[str, model.StepFn]:
    return broken.per_kubelet(scen.initial_state(), broken.kubelet_never_finishing_deletions)


CASES = [
    # (broken component, scenario, extra events, drop timeline, faults, property it breaks)
    ("scheduler ignoring taints", DATA / "props-two-workers.yaml", (), False, (("powerOffNode", 1),),
     fixed("scheduler", broken.scheduler_ignoring_taints), "no-schedule-to-unready-node"),
    ("scheduler rebinding", DATA / "props-two-workers.yaml", (), False, (("powerOffNode", 1),),
     fixed("scheduler", broken.scheduler_rebinding_from_unready_nodes), "bound-pods-stay-put"),
    ("replicaset one too many", SCENARIOS / "seed-scaling.yaml", (), True, (("deletePod", 1),),
     fixed("replicaset", broken.replicaset_one_too_many), "no-over-replication"),
    ("taint eviction ignoring tolerationSeconds", DATA / "props-two-workers.yaml", (), False,
     (("powerOffNode", 1),), fixed("tainteviction", broken.tainteviction_ignoring_toleration),
     "eviction-after-timeout"),
    ("taint eviction never evicting", DATA / "props-two-workers.yaml", (), False, (("powerOffNode", 1),),
     fixed("tainteviction", broken.tainteviction_never_evicting), "eviction-after-timeout"),
    ("replicaset counting Terminating pods", DATA / "props-two-workers.yaml", ("20s stop node/worker-2",), False,
     (), fixed("replicaset", broken.replicaset_counting_terminating), "replica-convergence"),
    ("kubelet never finishing deletions", DATA / "props-one-worker.yaml", (), False, (("deletePod", 1),),
     kubelets, "replica-convergence"),
]


def _scenario(path: Path, events: tuple[str, ...], drop_timeline: bool) -> Scenario:
    scen = load(path, list(events)) if events else load(path)
    return attrs.evolve(scen, timeline=()) if drop_timeline else scen


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hypothesis_finds_the_broken_component(case: tuple) -> None:  # type: ignore[type-arg]
    _, path, events, drop, faults, replace, name = case
    scen = _scenario(path, events, drop)
    prop = props.to_property(props.BUILTINS[name], scen.settings)
    bad = KubeModel(scen, faults=faults, replace=replace(scen))
    r = hypothesis_engine.check(bad, prop, seed=0, profile="ci", max_examples=60)
    assert r.verdict == VIOLATED, (name, r.message, r.stats)
    assert r.trace is not None and r.trace.steps[0].actor == "init"
    # the counterexample is a real run: each step is an enabled transition of the broken model
    for before, after in zip(r.trace.steps, r.trace.steps[1:], strict=False):
        nxt = [t.state for t in bad.transitions(before.state) if (t.actor, t.label) == (after.actor, after.label)]
        if after.actor == "adversary":  # eventually: the faults stop
            nxt = [bad.stop_faults(before.state)]
        assert after.state in nxt, (after.actor, after.label)
    # and it breaks the property where the engine says it does
    last: Cluster = r.trace.last.cluster
    if prop.predicate is not None and prop.kind == "always":
        assert not prop.predicate(last)


@pytest.mark.parametrize("case", CASES[:3], ids=[c[0] for c in CASES[:3]])
def test_the_correct_component_passes_the_same_runs(case: tuple) -> None:  # type: ignore[type-arg]
    _, path, events, drop, faults, _replace, name = case
    scen = _scenario(path, events, drop)
    prop = props.to_property(props.BUILTINS[name], scen.settings)
    r = hypothesis_engine.check(KubeModel(scen, faults=faults), prop, seed=0, profile="ci", max_examples=60)
    assert r.verdict == HOLDS, r.message
