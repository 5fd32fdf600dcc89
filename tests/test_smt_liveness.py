"""replica-convergence in Z3 (kmodel.smt.liveness): the calm product and the goal.

1. Agreement: on states of random walks of the explorer's calm product
   (:class:`kmodel.engines.explore.Calm` over the workload model), every named action of a
   ``calm`` slice, the ``adversary`` ("faults stop") included, admits exactly the Python
   successors, and the Z3 form of replica-convergence evaluates as the Python property does.
2. Sharpness: a "faults stop" that forgets to undo a fault, and a goal that forgets the pods
   waiting on unreachable nodes, are both caught.
3. Bounded liveness: the real components hold up to a depth; the deliberately broken
   components caught by replica-convergence (tests/broken.py) are found with traces replayed on
   the Python product, at the explorer's shortest depth.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmodel.checkmodel import CheckState
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import Calm, explore
from kmodel.properties import BUILTINS, to_property
from kmodel.scenario import load
from kmodel.smt import bmc, liveness
from kmodel.smt.nodehealth import Enumerator, SliceError, successor_differences
from kmodel.smt.workload import WorkloadModel, WorkloadSlice
from tests import broken
from tests.conftest import DATA
from tests.test_smt_workload import _first_disagreement

CONFIGS: dict[str, tuple[Any, tuple[tuple[str, int], ...]]] = {
    "one-worker": (
        DATA / "props-one-worker.yaml",
        (("deletePod", 1), ("stopKubelet", 1), ("stopRuntime", 1), ("stopComponent", 1)),
    ),
    "two-workers": (DATA / "props-two-workers.yaml", (("powerOffNode", 1), ("partitionNode", 1), ("killPod", 1))),
}


class Case:
    def __init__(self, sl: WorkloadSlice) -> None:
        self.slice = sl
        self.calm = Calm(sl.model)
        self.enumerator = Enumerator(sl, "compact")

    def inside(self, state: CheckState) -> bool:
        try:
            self.slice.project(state)
        except SliceError as e:
            if "new pods" in str(e) or "pod slots" in str(e):
                return False
            raise
        return True

    def problems(self, state: CheckState, calm: bool) -> list[str] | None:
        sl = self.slice
        if not all(self.inside(t.state[0]) for t in self.calm.transitions((state, calm))):
            return None
        values = sl.project(state, calm)
        out = successor_differences(sl, sl.python_calm_successors(state, calm), self.enumerator.successors(values), "")
        z3_goal = liveness.convergence(sl, values)
        py_goal = BUILTINS["replica-convergence"].fn(state.cluster)
        if z3_goal != py_goal:
            out.append(f"replica-convergence: Z3 {z3_goal}, Python {py_goal}")
        return out


@cache
def case(config: str) -> Case:
    path, faults = CONFIGS[config]
    return Case(WorkloadSlice(WorkloadModel(load(path), faults=faults), pod_slots=2, calm=True))


def _walk(c: Case, data: st.DataObject, steps_max: int) -> list[str]:
    state: tuple[CheckState, bool] = (c.slice.init_state, False)
    steps = data.draw(st.integers(0, steps_max), label="steps")
    for i in range(steps + 1):
        problems = c.problems(*state)
        if problems is None:
            break
        if problems:
            return [f"step {i} (t={state[0].cluster.now}s, calm={state[1]}): {p}" for p in problems]
        ts = list(c.calm.transitions(state))
        if not ts:
            break
        # the adversary's faults first (about one step in five), then mostly components
        faulty = [t for t in ts if t.fault]
        pool = faulty if faulty and data.draw(st.integers(0, 4)) == 0 else [t for t in ts if not t.fault] or ts
        state = pool[data.draw(st.integers(0, len(pool) - 1))].state
        if not c.inside(state[0]):
            break
    return []


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_calm_product_and_the_goal_agree_with_python(data: st.DataObject) -> None:
    c = case(data.draw(st.sampled_from(sorted(CONFIGS)), label="config"))
    problems = _walk(c, data, steps_max=120)
    assert not problems, "\n".join(problems)


@pytest.mark.thorough
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_calm_product_and_the_goal_agree_thorough(data: st.DataObject) -> None:
    c = case(data.draw(st.sampled_from(sorted(CONFIGS)), label="config"))
    problems = _walk(c, data, steps_max=300)
    assert not problems, "\n".join(problems)


def _after(c: Case, state: tuple[CheckState, bool], label: str) -> tuple[CheckState, bool]:
    for t in c.calm.transitions(state):
        if t.label == label:
            return t.state
    raise AssertionError(f"no transition {label!r} at t={state[0].cluster.now}s")


def test_a_faults_stop_that_forgets_to_undo_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    path, faults = CONFIGS["two-workers"]
    sl = WorkloadSlice(WorkloadModel(load(path), faults=faults), pod_slots=2, calm=True)
    c = Case(sl)
    off = _after(c, (sl.init_state, False), "power off worker-1")
    assert c.problems(*off) == []
    monkeypatch.setattr(sl, "_undo", lambda kind, name: lambda cur, nx: True)
    forgetful = Case(sl)
    problems = forgetful.problems(*off)
    assert problems and any("adversary" in p for p in problems), problems


def test_a_goal_that_ignores_stopped_containers_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    c = case("two-workers")
    pod = next(p for p in c.slice.init_state.cluster.pods if p.node_name == "worker-1")
    killed = _after(c, (c.slice.init_state, False), f"kill containers of {pod.name}")
    assert not BUILTINS["replica-convergence"].fn(killed[0].cluster)  # a pod short, room on the nodes
    assert c.problems(*killed) == []
    real_pk = liveness.pk
    monkeypatch.setattr(liveness, "pk", lambda p, f: real_pk(p, "ready" if f == "running" else f))
    assert c.problems(*killed) == ["replica-convergence: Z3 True, Python False"]


# --- bounded liveness: the broken components caught by replica-convergence --------------------------


def _kubelet_case(broken_kubelet: bool) -> WorkloadSlice:
    """props-one-worker: one pod deleted by the checker; a kubelet that never finishes the
    deletion keeps the pod's room, so its replacement never fits."""
    scen = load(DATA / "props-one-worker.yaml")
    replace = broken.per_kubelet(scen.initial_state(), broken.kubelet_never_finishing_deletions)
    model = WorkloadModel(scen, faults=(("deletePod", 1),), replace=replace if broken_kubelet else None)
    return WorkloadSlice(model, calm=True, kubelet_keeps_deleted=broken_kubelet)


def _replicaset_case(broken_rs: bool) -> WorkloadSlice:
    """props-one-replica: the timeline stops the node of the only pod and deletes the pod, which
    stays Terminating there; a ReplicaSet controller that counts Terminating pods never replaces
    it. (tests/broken.py's case waits for the eviction instead, which no Z3 fact can show to be
    final: the other worker's pod could in principle be evicted too.)"""
    scen = load(DATA / "props-one-replica.yaml", ["20s stop node/worker-1", "25s delete pod/web-*"])
    replace = {"replicaset": broken.replicaset_counting_terminating} if broken_rs else None
    model = WorkloadModel(scen, faults=(), replace=replace)
    return WorkloadSlice(model, calm=True, replicaset_counting_terminating=broken_rs)


CASES = {"kubelet-never-finishing-deletions": _kubelet_case, "replicaset-counting-terminating": _replicaset_case}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bmc_finds_the_broken_component_and_the_trace_replays(name: str) -> None:
    sl = CASES[name](True)
    found = bmc.check(sl, "replica-convergence", max_depth=12)
    assert found.verdict == VIOLATED, found.message
    assert found.trace is not None and "trace replayed on the Python model" in found.message
    prop = to_property(BUILTINS["replica-convergence"], sl.settings)
    assert liveness._misses(found.trace, prop)  # the explorer's monitor fails at its last step
    explored = explore(sl.model, prop)
    assert explored.verdict == VIOLATED and explored.trace is not None
    # the explorer's trace is a shortest one; BMC's is a run of the same model, maybe longer
    assert len(found.trace.steps) >= len(explored.trace.steps)
    assert any(step.actor == "adversary" for step in found.trace.steps)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_real_components_hold_up_to_the_depth(name: str) -> None:
    sl = CASES[name](False)
    r = bmc.check(sl, "replica-convergence", max_depth=8)
    assert r.verdict == HOLDS and r.stats.depth == 8, r.message
    assert explore(sl.model, to_property(BUILTINS["replica-convergence"], sl.settings)).verdict == HOLDS


def test_a_doomed_state_is_one_the_real_components_leave() -> None:
    """The same state, right after the checker deletes the pod and stops its faults: doomed
    with the kubelet that never finishes deletions, not with the real one."""
    values = {}
    for broken_kubelet in (True, False):
        sl = _kubelet_case(broken_kubelet)
        state = sl.init_state
        deleted = next(t for t in sl.model.transitions(state) if t.label.startswith("kubectl delete pod")).state
        values[broken_kubelet] = sl.project(deleted, True)
        assert liveness.doomed(sl, values[broken_kubelet]) is broken_kubelet
    assert values[True] == values[False]


# --- the broken variants are switches of the encoding --------------------------------------------------


def _with_deletes(replace: dict[str, Any] | None) -> WorkloadModel:
    faults = (("deletePod", 1), ("powerOffNode", 1))
    return WorkloadModel(load(DATA / "props-two-workers.yaml"), faults=faults, replace=replace)


def test_a_replicaset_counting_terminating_pods_disagrees_unless_the_encoding_does_too() -> None:
    model = _with_deletes({"replicaset": broken.replicaset_counting_terminating})
    found = _first_disagreement(WorkloadSlice(model, pod_slots=3))
    assert found is not None and "replicaset" in found, found
    assert _first_disagreement(WorkloadSlice(model, pod_slots=3, replicaset_counting_terminating=True)) is None


def test_a_kubelet_never_finishing_deletions_disagrees_unless_the_encoding_does_too() -> None:
    scen = load(DATA / "props-two-workers.yaml")
    model = _with_deletes(broken.per_kubelet(scen.initial_state(), broken.kubelet_never_finishing_deletions))
    found = _first_disagreement(WorkloadSlice(model, pod_slots=3))
    assert found is not None and "kubelet/" in found, found
    assert _first_disagreement(WorkloadSlice(model, pod_slots=3, kubelet_keeps_deleted=True)) is None
