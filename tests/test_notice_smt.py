"""Z3 behaviours the agreement walks and the liveness tests never reached (issue 19): a binding
onto a node that it fills exactly to its pod capacity, and a bounded-liveness violation found by
the direct BMC query rather than by the doomed-state search.
"""

from __future__ import annotations

from kmodel.checkmodel import CheckState
from kmodel.engines.base import VIOLATED
from kmodel.engines.explore import explore
from kmodel.properties import BUILTINS, to_property
from kmodel.scenario import load
from kmodel.smt import liveness
from kmodel.smt.workload import WorkloadModel, WorkloadSlice
from tests import broken
from tests.conftest import DATA
from tests.test_smt_workload import Case


def _next(model: WorkloadModel, state: CheckState) -> tuple[str, str, CheckState]:
    """The first transition that is not the checker's own fault (the components' fixed order)."""
    for t in model.transitions(state):
        if t.actor != "fault":
            return t.actor, t.label, t.state
    raise AssertionError(f"no component can act at t={state.cluster.now}s")


def test_binding_onto_a_node_exactly_at_its_pod_capacity_agrees() -> None:
    """props-one-worker: the worker has room for one pod (status.capacity.pods 1). The checker
    deletes the pod; its replacement waits while the Terminating pod still holds the slot
    (NodeResourcesFit: 1 + 1 > 1, "Too many pods"), and is bound once the kubelet has removed the
    old one (0 + 1 <= 1: the node is then exactly full). Every state of that walk, the scheduler's
    two decisions included, has the same successors in Z3 as in Python, in both forms."""
    model = WorkloadModel(load(DATA / "props-one-worker.yaml"), faults=(("deletePod", 1),))
    case = Case(WorkloadSlice(model, pod_slots=3))
    state = case.slice.init_state
    assert state.cluster.node("worker").capacity.pods == 1  # type: ignore[union-attr]
    state = next(t.state for t in model.transitions(state) if t.label.startswith("kubectl delete pod"))
    refused = bound = False
    for _ in range(200):
        problems = case.problems(state)
        assert problems == [], problems
        actor, label, after = _next(model, state)
        if actor == "scheduler" and label.startswith("cannot schedule"):
            assert "1 Too many pods" in label
            refused = True
        if actor == "scheduler" and label.startswith("bind "):
            assert label.endswith(" to worker")
            bound = True
            break
        state = after
    assert refused and bound, (refused, bound)


def _stuck_pod_case() -> WorkloadSlice:
    """tests/data/liveness-direct.yaml with a kubelet that never finishes a deletion and a
    ReplicaSet controller that counts Terminating pods: once the checker deletes the pod, nothing
    ever replaces it, though the worker has room."""
    scen = load(DATA / "liveness-direct.yaml")
    replace = broken.per_kubelet(scen.initial_state(), broken.kubelet_never_finishing_deletions)
    replace["replicaset"] = broken.replicaset_counting_terminating
    model = WorkloadModel(scen, faults=(("deletePod", 1),), replace=replace)
    return WorkloadSlice(model, calm=True, kubelet_keeps_deleted=True, replicaset_counting_terminating=True)


def test_a_direct_bounded_liveness_violation() -> None:
    """With the doomed-state search off, the BMC query itself finds the run in which the
    Deployment stays without its replica for more than the bound (60 s) after the faults stop:
    the deletion, the adversary's stop and 13 clock ticks, 18 actions, as the explorer's shortest
    counterexample. (The other liveness tests stop at depth 12, where only the doomed-state search
    can fire.) The trace replays on the Python model and the explorer's monitor fails at its end."""
    sl = _stuck_pod_case()
    prop = to_property(BUILTINS["replica-convergence"], sl.settings)
    assert prop.bound == 60
    r = liveness.check(sl, "replica-convergence", max_depth=18, doom_tries=0)
    assert r.verdict == VIOLATED, r.message
    assert "violated at depth 18 (shortest within the slice)" in r.message
    assert r.trace is not None and len(r.trace.steps) == 19
    assert liveness._misses(r.trace, prop)
    shortest = explore(sl.model, prop)
    assert shortest.verdict == VIOLATED and shortest.trace is not None and len(shortest.trace.steps) == 19
