"""The built-in properties at their exact boundaries, their independence from the components'
helpers, and the explorer's coverage report and state limit (issue 19).

The boundaries come from the Kubernetes sources the properties restate: the node lifecycle
controller marks a node Unknown only when ``now`` is *after* probeTimestamp + grace
(tryUpdateNodeHealth), and the taint eviction controller fires a deletion at the time it
scheduled (startTime + minTolerationTime, processPodOnNode / TimedWorkerQueue).
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterator

import attrs
import pytest

from kmodel import properties as props
from kmodel.components import deployment, scheduler, tainteviction
from kmodel.engines.base import ALWAYS, HOLDS, INCONCLUSIVE, Property, Transition
from kmodel.engines.explore import explore
from kmodel.settings import Settings
from kmodel.state import (
    COND_TRUE,
    COND_UNKNOWN,
    LABEL_HOSTNAME,
    NO_EXECUTE,
    NO_SCHEDULE,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    Cluster,
    ControllerMemory,
    Deployment,
    Node,
    NodeHealth,
    Pod,
    PodTemplate,
    ReplicaSet,
    Taint,
    Toleration,
    labels_of,
)

EVICTION = props.BUILTINS["eviction-after-timeout"]
STAY_PUT = props.BUILTINS["bound-pods-stay-put"]
NO_UNREADY = props.BUILTINS["no-schedule-to-unready-node"]
OVER = props.BUILTINS["no-over-replication"]
CONVERGENCE = props.BUILTINS["replica-convergence"]

S = Settings()
TOLERATIONS = (
    Toleration(key=TAINT_NOT_READY, operator="Exists", effect=NO_EXECUTE, toleration_seconds=300),
    Toleration(key=TAINT_UNREACHABLE, operator="Exists", effect=NO_EXECUTE, toleration_seconds=300),
)


def _node(name: str, **kw: object) -> Node:
    return Node(name=name, labels=labels_of({LABEL_HOSTNAME: name}), **kw)  # type: ignore[arg-type]


def lost_node_cluster(now: int, taint_added: int = 100, scheduled: int | None = None) -> Cluster:
    """Node w went silent at t=50 (heartbeat and Lease), the controller saw it last then, marked
    it Unknown after the 50 s grace and tainted it unreachable:NoExecute at ``taint_added``; pod
    p on w tolerates that taint for 300 s. Node ok keeps the zone Normal."""
    w = _node(
        "w",
        ready=COND_UNKNOWN,
        ready_reason="NodeStatusUnknown",
        last_heartbeat=50,
        lease_renew_time=50,
        taints=(
            Taint(key=TAINT_UNREACHABLE, effect=NO_SCHEDULE),
            Taint(key=TAINT_UNREACHABLE, effect=NO_EXECUTE, time_added=taint_added),
        ),
    )
    ok = _node("ok", last_heartbeat=now, lease_renew_time=now)
    memory = ControllerMemory(
        node_health=(
            NodeHealth("ok", now, now, COND_TRUE, now),
            NodeHealth("w", 50, 50, COND_UNKNOWN, 50),
        ),
        zone_states=(("", "Normal"),),
        scheduled_evictions=(("p", scheduled),) if scheduled is not None else (),
    )
    pod = Pod(name="p", node_name="w", phase="Running", tolerations=TOLERATIONS)
    return Cluster(settings=S, now=now, nodes=(ok, w), pods=(pod,), memory=memory)


def evicted(c: Cluster, now: int) -> Cluster:
    """What a taint eviction step at ``now`` leaves: DisruptionTarget, a graceful DELETE, and the
    scheduled deletion gone from the controller's memory."""
    c = attrs.evolve(c, now=now)
    pod = c.pod("p")
    assert pod is not None
    c = c.with_pod(attrs.evolve(pod, disruption_target=True, deletion_timestamp=now))
    return c.with_memory(scheduled_evictions=())


# --- eviction-after-timeout at its boundaries ------------------------------------------------------------


def test_the_deadline_is_heartbeat_plus_grace_plus_toleration() -> None:
    """Last sign of life 50 + nodeMonitorGracePeriod 50 = 100, the taint added at 100, so the pod
    is due at 100 + 300 = 400; a taint added later (110) moves it to 410; a deletion the
    controller already scheduled is due when scheduled."""
    assert [(d.pod, d.due) for d in props.eviction_deadlines(lost_node_cluster(200))] == [("p", 400)]
    assert [d.due for d in props.eviction_deadlines(lost_node_cluster(200, taint_added=110))] == [410]
    assert [d.due for d in props.eviction_deadlines(lost_node_cluster(200, scheduled=405))] == [405]


def test_not_overdue_until_the_slack_after_the_deadline_has_passed() -> None:
    """Due 400, slack 2 x nodeMonitorPeriod + tick = 15: still fine at 415, overdue at 416."""
    slack = props.eviction_slack(S)
    assert slack == 15
    at = lost_node_cluster(400 + slack)
    assert EVICTION(lost_node_cluster(400 + slack - 1), at)
    late = lost_node_cluster(400 + slack + 1)
    assert not EVICTION(at, late)
    assert "due at t=400s" in EVICTION.explain(at, late)  # type: ignore[misc]


def test_an_eviction_exactly_when_due_is_not_early() -> None:
    before = lost_node_cluster(395, scheduled=400)
    assert EVICTION(before, evicted(before, 400))
    early = evicted(before, 399)
    assert not EVICTION(before, early)
    assert "too early: its deletion was scheduled for t=400s" in EVICTION.explain(before, early)  # type: ignore[misc]


def test_a_deletion_must_be_scheduled_for_now_plus_the_toleration() -> None:
    """processPodOnNode schedules the deletion for now + minTolerationTime: at 100 that is 400."""
    before = lost_node_cluster(100)
    for due, ok in ((400, True), (399, False), (401, False)):
        after = before.with_memory(scheduled_evictions=(("p", due),))
        assert EVICTION(before, after) is ok, due


def test_a_node_marked_unknown_exactly_at_heartbeat_plus_grace_is_early() -> None:
    """tryUpdateNodeHealth: ``nc.now().After(probeTimestamp.Add(gracePeriod))``, strictly after:
    with the last heartbeat at 50 and grace 50, Unknown at 100 is too early, at 101 it is not."""
    alive = _node("w", last_heartbeat=50, lease_renew_time=50)
    ok = _node("ok")
    for now, fine in ((100, False), (101, True)):
        before = Cluster(settings=S, now=now, nodes=(ok, alive))
        after = before.with_node(attrs.evolve(alive, ready=COND_UNKNOWN, ready_reason="NodeStatusUnknown"))
        assert EVICTION(before, after) is fine, now


# --- bound-pods-stay-put: never moved, never unset --------------------------------------------------------


def test_a_bound_pod_whose_node_name_is_cleared_breaks_bound_pods_stay_put() -> None:
    before = Cluster(settings=S, nodes=(_node("a"),), pods=(Pod(name="p", node_name="a"),))
    unset = before.with_pod(Pod(name="p", node_name=None))
    assert not STAY_PUT(before, unset)
    assert STAY_PUT.explain(before, unset) == "pod p moved from a to no node at t=0s"  # type: ignore[misc]
    moved = before.with_pod(Pod(name="p", node_name="b"))
    assert not STAY_PUT(before, moved)
    assert STAY_PUT(before, before.without_pod("p")), "a pod that is gone did not move"


# --- the properties judge by their own rules, not the components' helpers ---------------------------------


def test_no_schedule_to_unready_node_does_not_share_the_schedulers_taint_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scheduler whose untolerated_taint is broken (never finds a taint) must not also blind
    the property: it restates ToleratesTaint itself."""
    monkeypatch.setattr(scheduler, "untolerated_taint", lambda *a, **k: None)
    tainted = _node("t", taints=(Taint(key="dedicated", value="x", effect=NO_SCHEDULE),))
    before = Cluster(settings=S, nodes=(tainted,), pods=(Pod(name="p"),))
    after = before.with_pod(Pod(name="p", node_name="t"))
    assert not NO_UNREADY(before, after)
    assert "it had the taint dedicated=x:NoSchedule" in NO_UNREADY.explain(before, after)  # type: ignore[misc]
    tolerant = Pod(name="p", tolerations=(Toleration(key="dedicated", operator="Equal", value="x"),))
    assert NO_UNREADY(before.with_pod(tolerant), after.with_pod(attrs.evolve(tolerant, node_name="t")))


def test_no_over_replication_does_not_share_the_controllers_fenceposts(monkeypatch: pytest.MonkeyPatch) -> None:
    """maxSurge 25% of 4 replicas is ceil(1.0) = 1: the ReplicaSets may add up to 5, not 6, even
    when the controller's own fenceposts are broken."""
    monkeypatch.setattr(deployment, "fenceposts", lambda d: (100, 0))
    d = Deployment(name="web", replicas=4, selector=labels_of({"app": "web"}), template=PodTemplate())
    rs = ReplicaSet(name="web-a", replicas=4, selector=labels_of({"app": "web"}), template=PodTemplate(), owner="web")
    before = Cluster(settings=S, deployments=(d,), replicasets=(rs, attrs.evolve(rs, name="web-b", replicas=0)))
    for new, fine in ((1, True), (2, False)):
        after = before.with_replicaset(attrs.evolve(rs, name="web-b", replicas=new))
        assert OVER(before, after) is fine, new


def test_replica_convergence_does_not_share_the_schedulers_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Deployment with room on a healthy node and no pod is short of its replicas; a scheduler
    whose filters wrongly reject every node must not excuse it."""
    monkeypatch.setattr(scheduler, "filter_reasons", lambda *a, **k: ["broken"])
    t = PodTemplate(labels=labels_of({"app": "web"}))
    d = Deployment(name="web", replicas=1, selector=labels_of({"app": "web"}), template=t)
    rs = ReplicaSet(name="web-a", replicas=1, selector=labels_of({"app": "web"}), template=t, owner="web")
    c = Cluster(settings=S, nodes=(_node("w"),), deployments=(d,), replicasets=(rs,))
    assert not CONVERGENCE(c)
    assert "0 of 1 owed pods" in CONVERGENCE.explain(c)  # type: ignore[misc]


def test_eviction_after_timeout_does_not_share_the_controllers_toleration_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tainteviction, "min_toleration_seconds", lambda *a, **k: 0)
    assert [d.due for d in props.eviction_deadlines(lost_node_cluster(200))] == [400]


# --- the explorer: coverage and the exact state limit --------------------------------------------------------


class Counters:
    """Counters a and b in 0..limit ('inc a', 'inc b', 'reset'); 'b' can be switched off."""

    def __init__(self, limit: int = 5, b: bool = True) -> None:
        self.limit, self.b = limit, b

    def init_states(self) -> Iterator[tuple[int, int]]:
        yield (0, 0)

    def transitions(self, s: tuple[int, int]) -> Iterator[Transition]:
        a, b = s
        if a < self.limit:
            yield Transition("a", "inc a", (a + 1, b))
        if self.b and b < self.limit:
            yield Transition("b/x", "inc b", (a, b + 1))
        yield Transition("reset", "reset", (0, 0))

    def fingerprint(self, s: tuple[int, int]) -> Hashable:
        return s

    def clock(self, s: tuple[int, int]) -> int:
        return s[0] + s[1]


TRUE = Property("true", ALWAYS, "", predicate=lambda s: True)


def test_never_fired_names_the_families_that_never_acted() -> None:
    """Coverage: actors are grouped by family (``b/x`` is family ``b``); a family asked for that
    no transition of the whole search belongs to is reported, the others are not."""
    r = explore(Counters(), TRUE, families=["a", "b", "reset", "scheduler"])
    assert r.verdict == HOLDS and r.stats.never_fired == ["scheduler"]
    r = explore(Counters(b=False), TRUE, families=["a", "b", "reset"])
    assert r.stats.never_fired == ["b"]
    assert explore(Counters(), TRUE).stats.never_fired == []


def test_max_states_stops_at_exactly_that_many_states() -> None:
    """Counters(5) has 6 x 6 = 36 states. A limit of 36 or more explores them all and holds; a
    smaller limit stops with exactly that many states visited, inconclusive. (The explorer used
    to visit one state past the limit, and to call a space of exactly the limit inconclusive.)"""
    for limit in (36, 37, 1000):
        whole = explore(Counters(), TRUE, max_states=limit)
        assert whole.verdict == HOLDS and whole.stats.states == 36 and whole.stats.limit == "", limit
    for limit in (1, 2, 10, 35):
        r = explore(Counters(), TRUE, max_states=limit)
        assert r.verdict == INCONCLUSIVE and r.stats.states == limit, limit
        assert r.stats.limit == f"max states {limit}" and r.message == f"stopped at {limit} states"


# --- the default run is reproducible ------------------------------------------------------------------------


def test_the_default_run_draws_the_same_examples_every_time() -> None:
    """conftest.py loads the derandomized profile unless the thorough tests are selected: the
    same examples each run, and no database replaying earlier failures in between."""
    from hypothesis import settings

    thorough = os.environ.get("KMODEL_HYPOTHESIS") == "thorough"
    assert settings.default.derandomize is not thorough
    assert (settings.default.database is None) is not thorough
