"""Node lifecycle controller behaviours no other test pinned down (issue 19): a zone exactly at
unhealthyZoneThreshold, a PartialDisruption zone of exactly largeClusterSizeThreshold nodes,
cordon end to end, one zone fully down while another is healthy, and the probe reset when the
cluster leaves total disruption with the kubelets back.

The rules come from pkg/controller/nodelifecycle/node_lifecycle_controller.go (ComputeZoneState,
ReducedQPSFunc, HealthyQPSFunc, setLimiterInZone, handleDisruption, doNoScheduleTaintingPass).
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from kmodel.components import nodelifecycle
from kmodel.components.nodelifecycle import FULL, NORMAL, PARTIAL, zone_state
from kmodel.components.nodelifecycle import LABEL_EXCLUDE_DISRUPTION as LABEL_EXCLUDE
from kmodel.settings import Settings
from kmodel.state import (
    COND_FALSE,
    COND_TRUE,
    COND_UNKNOWN,
    LABEL_HOSTNAME,
    LABEL_ZONE,
    NO_EXECUTE,
    NO_SCHEDULE,
    RUNNING,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    TAINT_UNSCHEDULABLE,
    Cluster,
    ControllerMemory,
    Node,
    NodeHealth,
    Pod,
    Taint,
    labels_of,
)
from tests.builders import first_event_time, run, workers_scenario

S = Settings()


# --- ComputeZoneState at the threshold ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("ready", "not_ready", "threshold", "expected"),
    [
        (3, 3, 0.5, PARTIAL),  # 3/6 = 0.5 >= 0.5
        (1, 3, 0.75, PARTIAL),  # 3/4 = 0.75 >= 0.75
        (2, 3, 0.6, PARTIAL),  # 3/5 = 0.6 >= 0.6 (also in Go's float32)
        (4, 3, 0.5, NORMAL),  # 3/7 < 0.5
        (0, 3, 0.5, FULL),  # no Ready node at all: FullDisruption before the ratio
        (2, 2, 0.5, NORMAL),  # 2/4 = 0.5, but at most 2 not ready is never partial
    ],
)
def test_zone_state_exactly_at_the_threshold(ready: int, not_ready: int, threshold: float, expected: str) -> None:
    """ComputeZoneState: ``notReadyNodes > 2 && notReady / (notReady + ready) >= unhealthyThreshold``
    is PartialDisruption; the comparison includes the threshold itself."""
    assert zone_state([COND_TRUE] * ready + [COND_UNKNOWN] * not_ready, threshold) == expected


def _node(name: str, zone: str, ready: str, heartbeat: int) -> Node:
    return Node(
        name=name,
        labels=labels_of({LABEL_HOSTNAME: name, LABEL_ZONE: zone}),
        ready=ready,
        ready_reason="KubeletReady" if ready == COND_TRUE else "NodeStatusUnknown",
        last_heartbeat=heartbeat,
        lease_renew_time=heartbeat,
    )


def _zone(n_ready: int, n_unknown: int, now: int = 200, zone: str = "z", **settings: object) -> Cluster:
    """A zone whose Unknown nodes went silent long ago and whose Ready nodes just renewed; the
    controller already knows every node (a record per node, so no RegisteredNode pass)."""
    nodes = [_node(f"{zone}-ok-{i:02d}", zone, COND_TRUE, now) for i in range(n_ready)]
    nodes += [_node(f"{zone}-lost-{i:02d}", zone, COND_UNKNOWN, 0) for i in range(n_unknown)]
    health = tuple(
        sorted(
            (NodeHealth(n.name, n.last_heartbeat or 0, n.last_heartbeat, n.ready, n.lease_renew_time) for n in nodes),
            key=lambda h: h.name,
        )
    )
    return Cluster(
        settings=Settings(**settings),  # type: ignore[arg-type]
        now=now,
        nodes=tuple(sorted(nodes, key=lambda n: n.name)),
        memory=ControllerMemory(node_health=health),
    )


def _no_execute_tainted(c: Cluster) -> list[str]:
    return [n.name for n in c.nodes if n.has_taint(TAINT_UNREACHABLE, NO_EXECUTE)]


def _renew(c: Cluster, now: int) -> Cluster:
    """The clock at ``now``, and every node whose name says it is healthy just renewed."""
    c = attrs.evolve(c, now=now)
    for n in c.nodes:
        if "-ok-" in n.name:
            c = c.with_node(attrs.evolve(n, last_heartbeat=now, lease_renew_time=now))
    return c


def _pass(c: Cluster) -> Cluster:
    (out,) = nodelifecycle.step(c)
    return out.state


def test_a_zone_exactly_at_the_threshold_stops_tainting() -> None:
    """Six nodes, three Unknown. With unhealthyZoneThreshold 0.5 the zone is PartialDisruption
    (3/6 >= 0.5); a zone of at most largeClusterSizeThreshold nodes then taints at rate 0
    (ReducedQPSFunc), so no NoExecute taint. With the default 0.55 it is Normal and the first
    lost node is tainted at once (the zone's token bucket starts full)."""
    at = _pass(_zone(3, 3, unhealthy_zone_threshold=0.5))
    assert dict(at.memory.zone_states) == {"z": PARTIAL}
    assert _no_execute_tainted(at) == []
    normal = _pass(_zone(3, 3))
    assert dict(normal.memory.zone_states) == {"z": NORMAL}
    assert _no_execute_tainted(normal) == ["z-lost-00"]


def test_a_partially_disrupted_zone_of_exactly_the_large_cluster_threshold_taints_nothing() -> None:
    """ReducedQPSFunc: ``nodeNum > largeClusterThreshold`` gets secondaryNodeEvictionRate, any
    smaller zone 0. 50 nodes (the default threshold) with 28 Unknown (0.56 >= 0.55) is partial and
    taints nothing; 51 nodes with 29 Unknown taints one node now and the next one only
    1 / 0.01 = 100 s later."""
    fifty = _pass(_zone(22, 28))
    assert dict(fifty.memory.zone_states) == {"z": PARTIAL}
    assert _no_execute_tainted(fifty) == []
    assert len(fifty.memory.taint_queue) == 28, "queued, waiting for a rate above 0"

    fifty_one = _pass(_zone(22, 29))
    assert dict(fifty_one.memory.zone_states) == {"z": PARTIAL}
    assert _no_execute_tainted(fifty_one) == ["z-lost-00"]
    assert dict(fifty_one.memory.zone_next_token) == {"z": 200 + 100}
    later = _pass(_renew(fifty_one, 295))
    assert _no_execute_tainted(later) == ["z-lost-00"]
    assert _no_execute_tainted(_pass(_renew(later, 300))) == ["z-lost-00", "z-lost-01"]


def test_one_zone_fully_down_while_another_is_healthy_is_tainted_at_the_normal_rate() -> None:
    """handleDisruption / setLimiterInZone: a FullDisruption zone uses HealthyQPSFunc (the normal
    0.1 nodes/s) as long as some zone is not fully disrupted; only when every zone is down does
    the controller stop evicting and lift the taints."""
    down = _zone(0, 2, zone="a")
    up = _zone(2, 0, zone="b")
    c = attrs.evolve(
        down,
        nodes=tuple(sorted(down.nodes + up.nodes, key=lambda n: n.name)),
        memory=ControllerMemory(
            node_health=tuple(sorted(down.memory.node_health + up.memory.node_health, key=lambda h: h.name))
        ),
    )
    first = _pass(c)
    assert dict(first.memory.zone_states) == {"a": FULL, "b": NORMAL}
    assert _no_execute_tainted(first) == ["a-lost-00"]
    # b's nodes keep renewing; the next token of zone a comes 10 s later
    assert _no_execute_tainted(_pass(_renew(first, 205))) == ["a-lost-00"]
    assert _no_execute_tainted(_pass(_renew(first, 210))) == ["a-lost-00", "a-lost-01"]
    # the same zone alone in the cluster: total disruption, nothing tainted
    alone = _pass(_zone(0, 2, zone="a"))
    assert dict(alone.memory.zone_states) == {"a": FULL}
    assert _no_execute_tainted(alone) == []


def test_one_zone_down_end_to_end(tmp_path: Path) -> None:
    """The same through the whole model: zone a loses both its nodes at 60 s, zone b stays up.
    Zone a is FullDisruption, b Normal, so a's nodes get the unreachable NoExecute taint 10 s
    apart and their pods are evicted 300 s after their taint."""
    zones = {"a1": "a", "a2": "a", "b1": "b", "b2": "b"}
    scen = workers_scenario(
        tmp_path, list(zones), ["60s stop node/a1", "60s stop node/a2"], zones=zones, replicas=4, until="10m"
    )
    sim = run(scen)
    t1 = first_event_time(sim, "TaintAdded", "node/a1", "unreachable:NoExecute")
    t2 = first_event_time(sim, "TaintAdded", "node/a2", "unreachable:NoExecute")
    assert t1 is not None and t2 is not None
    assert t2 - t1 == int(1 / S.node_eviction_rate)
    evictions = [e.t for e in sim.events if e.reason == "TaintManagerEviction" and "Marking" in e.message]
    assert evictions and min(evictions) == t1 + S.default_unreachable_toleration_seconds


# --- leaving total disruption ----------------------------------------------------------------------------


def test_leaving_total_disruption_resets_every_probe_timestamp() -> None:
    """handleDisruption, "Exiting master disruption mode": when some node is Ready again after
    every zone was fully disrupted, probeTimestamp (and readyTransitionTimestamp) of every node is
    set to now, so each node gets a whole grace period from now."""
    c = _zone(0, 2, now=300)
    c = c.with_memory(zone_states=(("z", FULL),))
    back = attrs.evolve(c.node("z-lost-00"), ready=COND_TRUE, last_heartbeat=300, lease_renew_time=300)
    after = _pass(c.with_node(back))  # type: ignore[arg-type]
    assert dict(after.memory.zone_states) == {"z": NORMAL}
    probes = {h.name: h.probe_time for h in after.memory.node_health}
    assert probes == {"z-lost-00": 300, "z-lost-01": 300}
    # without the way out of total disruption the silent node keeps its old probe time
    still_down = _pass(_zone(1, 2, now=300).with_memory(zone_states=(("z", NORMAL),)))
    assert {h.name: h.probe_time for h in still_down.memory.node_health}["z-lost-00"] == 0


def test_recovery_after_total_disruption_end_to_end(tmp_path: Path) -> None:
    """Both kubelets stop at 60 s: total disruption, no NoExecute taint, no eviction. The kubelet
    of a comes back at 5 m: a posts Ready, the controller leaves total disruption, and b (still
    silent) is then tainted unreachable:NoExecute and its pod evicted 300 s after that; a keeps
    its pods."""
    scen = workers_scenario(
        tmp_path, ["a", "b"], ["60s stop kubelet/a", "60s stop kubelet/b", "5m start kubelet/a"], until="15m"
    )
    sim = run(scen)
    t_b = first_event_time(sim, "TaintAdded", "node/b", "unreachable:NoExecute")
    assert t_b is not None and 300 <= t_b <= 300 + S.node_monitor_period + S.step
    assert first_event_time(sim, "TaintAdded", "node/a", "NoExecute") is None
    evicted = [e for e in sim.events if e.reason == "TaintManagerEviction" and "Marking" in e.message]
    assert evicted and min(e.t for e in evicted) == t_b + S.default_unreachable_toleration_seconds
    final = sim.final
    assert final is not None
    a = final.node("a")
    assert a is not None and a.ready == COND_TRUE and a.taints == ()


# --- cordon ------------------------------------------------------------------------------------------------


def test_cordon_end_to_end(tmp_path: Path) -> None:
    """kubectl cordon sets spec.unschedulable; doNoScheduleTaintingPass mirrors it as the taint
    node.kubernetes.io/unschedulable with effect NoSchedule (UnschedulableTaintTemplate), never
    NoExecute: the pods already on the node stay, new pods go elsewhere; uncordon lifts it."""
    scen = workers_scenario(
        tmp_path,
        ["a", "b"],
        ["60s cordon node/b", "90s scale deployment/web 4", "4m uncordon node/b", "5m scale deployment/web 6"],
        until="6m",
    )
    states: list[Cluster] = []
    sim = run_with_states(scen, states)
    t_cordon = first_event_time(sim, "TaintAdded", "node/b", f"{TAINT_UNSCHEDULABLE}:{NO_SCHEDULE}")
    assert t_cordon is not None and 60 <= t_cordon <= 60 + S.node_monitor_period
    assert first_event_time(sim, "TaintAdded", "node/b", "NoExecute") is None
    assert first_event_time(sim, "TaintManagerEviction") is None
    during = next(s for s in states if 120 <= s.now < 240)
    b = during.node("b")
    assert b is not None and b.unschedulable
    assert [(t.key, t.effect) for t in b.taints] == [(TAINT_UNSCHEDULABLE, NO_SCHEDULE)]
    on_b = sorted(p.name for p in during.pods if p.node_name == "b")
    assert len(on_b) == 1, "the pod already there stays"
    scaled = [p for p in during.pods if p.name not in {q.name for q in states[0].pods}]
    assert len(during.pods) == 4
    assert all(p.node_name == "a" for p in during.pods if p.created >= 90), "new pods avoid the cordoned node"
    assert scaled
    assert first_event_time(sim, "TaintRemoved", "node/b", f"{TAINT_UNSCHEDULABLE}:{NO_SCHEDULE}") is not None
    final = sim.final
    assert final is not None and final.node("b").taints == ()  # type: ignore[union-attr]
    assert sum(1 for p in final.pods if p.node_name == "b") > 1, "uncordoned: new pods may go to b again"


def run_with_states(scen: object, states: list[Cluster]) -> object:
    from kmodel.engines.simulate import simulate

    return simulate(scen, on_tick=states.append)  # type: ignore[arg-type]


def _never_posted(name: str, zone: str = "z") -> Node:
    """A node whose kubelet never posted status nor renewed a Lease (no Ready condition)."""
    return Node(
        name=name,
        labels=labels_of({LABEL_HOSTNAME: name, LABEL_ZONE: zone}),
        ready="",
        ready_reason="",
        last_heartbeat=None,
        lease_renew_time=None,
    )


def _with_health(c: Cluster, *records: NodeHealth) -> Cluster:
    return c.with_memory(node_health=tuple(sorted((*c.memory.node_health, *records), key=lambda h: h.name)))


def test_a_node_that_never_posted_status_is_tainted_unreachable() -> None:
    """tryUpdateNodeHealth observes a fake Ready=Unknown condition for a node without one, and
    processTaintBaseEviction maps Unknown to node.kubernetes.io/unreachable:NoExecute (never
    not-ready): past nodeStartupGracePeriod (60 s from creation) the node is tainted unreachable."""
    silent = _never_posted("z-new")
    c = _zone(2, 0, now=100)
    c = _with_health(c.with_node(silent), NodeHealth("z-new", 0, None, ""))
    after = _pass(c)
    node = after.node("z-new")
    assert node is not None and (node.ready, node.ready_reason) == (COND_UNKNOWN, "NodeStatusNeverUpdated")
    assert node.has_taint(TAINT_UNREACHABLE, NO_EXECUTE)
    assert not any(t.key == "node.kubernetes.io/not-ready" for t in node.taints)


# --- legacy --pod-eviction-timeout (Kubernetes 1.26 and before) -------------------------------------------

LEGACY = {"eviction_mode": "legacy", "kubernetes_version": "1.26"}


def _pod_on(node: str, name: str) -> Pod:
    return Pod(name=name, node_name=node, phase=RUNNING, ready=False, created=0)


def _legacy_zone(n_ready: int, n_unknown: int, now: int, since: int = 0) -> Cluster:
    """A legacy-mode zone with one pod per node; the controller has known the Unknown nodes to
    be not Ready since ``since``."""
    c = _zone(n_ready, n_unknown, now=now, **LEGACY)
    for n in c.nodes:
        c = c.with_pod(_pod_on(n.name, f"p-{n.name}"))
    lost = tuple((n.name, since) for n in c.nodes if n.ready != COND_TRUE)
    return c.with_memory(not_ready_since=lost)


def _deleted(c: Cluster) -> list[str]:
    return sorted(p.name for p in c.pods if p.deletion_timestamp is not None)


def test_legacy_eviction_waits_until_strictly_past_the_timeout() -> None:
    """processNoTaintBaseEviction (release-1.26): the pods of a node that is not Ready are evicted
    when ``decisionTimestamp.After(since.Add(podEvictionTimeout))`` -- strictly after, so
    exactly 300 s after ``since`` nothing happens. The eviction (doEvictionPass, DeletePods) marks the pods for
    deletion with the NodeControllerEviction event, and takes the zone's token (one node per
    1/evictionLimiterQPS = 10 s). A Ready node's pods are never touched and it has no eviction
    record (cancelPodEviction)."""
    at_timeout = _pass(_legacy_zone(2, 1, now=400, since=100))
    assert _deleted(at_timeout) == []
    assert dict(at_timeout.memory.not_ready_since) == {"z-lost-00": 100}
    past = _pass(_legacy_zone(2, 1, now=405, since=100))
    assert _deleted(past) == ["p-z-lost-00"]
    assert dict(past.memory.zone_next_token) == {"z": 405 + S.eviction_interval}  # type: ignore[operator]
    (outcome,) = nodelifecycle.step(_legacy_zone(2, 1, now=405, since=100))
    evictions = [e for e in outcome.events if e.reason == "NodeControllerEviction"]
    assert [(e.object, e.message) for e in evictions] == [
        ("pod/p-z-lost-00", "Marking for deletion Pod p-z-lost-00 from Node z-lost-00")
    ]
    # the pods already Terminating are not deleted again and take no token
    again = _pass(attrs.evolve(past, now=500).with_memory(zone_next_token=()))
    assert _deleted(again) == ["p-z-lost-00"]
    assert dict(again.memory.zone_next_token) == {}


def test_legacy_eviction_starts_the_clock_at_the_first_pass_that_sees_the_node_not_ready() -> None:
    """The eviction clock of a node starts when the controller first sees it not Ready, and a
    Ready node has none (cancelPodEviction when the condition is True again)."""
    c = _legacy_zone(2, 1, now=500)
    first = _pass(c.with_memory(not_ready_since=()))
    assert _deleted(first) == []
    assert dict(first.memory.not_ready_since) == {"z-lost-00": 500}
    back = attrs.evolve(c.node("z-lost-00"), ready=COND_TRUE, last_heartbeat=500, lease_renew_time=500)
    recovered = _pass(c.with_node(back))  # type: ignore[arg-type]
    assert _deleted(recovered) == []
    assert dict(recovered.memory.not_ready_since) == {}


def test_legacy_eviction_releases_one_node_per_token() -> None:
    """The zone's RateLimitedTimedQueue releases one node per 1/evictionLimiterQPS (10 s): with two
    nodes due at once, the first pass evicts the first node's pods only; a pass before the next
    token evicts nothing; the pass when it is due evicts the second node's pods."""
    c = _legacy_zone(3, 2, now=400)
    first = _pass(c)
    assert _deleted(first) == ["p-z-lost-00"]
    token = dict(first.memory.zone_next_token)["z"]
    assert token == 400 + S.eviction_interval  # type: ignore[operator]
    early = nodelifecycle.step(attrs.evolve(first, now=token - 1))
    assert all(_deleted(o.state) == ["p-z-lost-00"] for o in early)
    due = _pass(attrs.evolve(first, now=token))
    assert _deleted(due) == ["p-z-lost-00", "p-z-lost-01"]


def test_legacy_eviction_stops_in_total_disruption() -> None:
    """handleDisruption: when every zone is FullDisruption the pod evictors' rate is swapped to 0
    ("We stop all evictions"): nodes long past the timeout keep their pods."""
    after = _pass(_legacy_zone(0, 2, now=900))
    assert dict(after.memory.zone_states) == {"z": FULL}
    assert _deleted(after) == []


def test_legacy_eviction_of_a_node_left_out_of_the_zone_states() -> None:
    """A node labelled node.kubernetes.io/exclude-disruption is left out of the zone states, but its
    zone's evictor exists from the moment the node was added (addPodEvictorForNewZone, at the
    primary evictionLimiterQPS) and handleDisruption never changes it: the node's pods are
    evicted at the primary rate."""
    c = _legacy_zone(2, 0, now=400)
    odd = _node("x-lost", "x", COND_UNKNOWN, 0)
    odd = attrs.evolve(odd, labels=labels_of({LABEL_HOSTNAME: "x-lost", LABEL_ZONE: "x", LABEL_EXCLUDE: ""}))
    c = c.with_node(odd).with_pod(_pod_on("x-lost", "p-x-lost"))
    c = c.with_memory(
        node_health=tuple(
            sorted((*c.memory.node_health, NodeHealth("x-lost", 0, 0, COND_UNKNOWN, 0)), key=lambda h: h.name)
        ),
        not_ready_since=(("x-lost", 0),),
    )
    after = _pass(c)
    assert "x" not in dict(after.memory.zone_states)
    assert _deleted(after) == ["p-x-lost"]


# --- markNodeAsReachable, handleDisruption and the zone queues ---------------------------------------------


def _tainted(node: Node, key: str, since: int = 0) -> Node:
    return attrs.evolve(node, taints=(*node.taints, Taint(key=key, effect=NO_EXECUTE, time_added=since)))


def test_a_never_posted_node_carrying_not_ready_is_swapped_to_unreachable() -> None:
    """tryUpdateNodeHealth observes a fake Ready=Unknown condition for a node that never posted
    one, and processTaintBaseEviction's Unknown case swaps a not-ready:NoExecute taint for
    unreachable:NoExecute straight away (SwapNodeControllerTaint), without the queue."""
    silent = _never_posted("z-new")
    c = _zone(2, 0, now=100)
    c = _with_health(c.with_node(_tainted(silent, TAINT_NOT_READY)), NodeHealth("z-new", 0, None, ""))
    after = _pass(c.with_memory(zone_next_token=(("z", 10_000),)))  # no token: only a swap can taint it
    node = after.node("z-new")
    assert node is not None
    assert [(t.key, t.effect) for t in node.taints if t.effect == NO_EXECUTE] == [(TAINT_UNREACHABLE, NO_EXECUTE)]


def test_a_restarted_controller_lifts_both_no_execute_taints_and_queues_them_again() -> None:
    """After a controller-manager restart every node is new to the controller; for each,
    markNodeAsReachable removes not-ready:NoExecute and unreachable:NoExecute (and not the
    NoSchedule ones), and processTaintBaseEviction queues it for tainting again: the zone queue
    gives the taints back one node per token, so right after the restart the second node has no
    NoExecute taint and waits in the queue."""
    c = _zone(2, 2, now=300)
    down = [attrs.evolve(n, ready=COND_FALSE, ready_reason="KubeletNotReady") for n in c.nodes if "lost" in n.name]
    c = c.with_node(_tainted(down[0], TAINT_NOT_READY)).with_node(_tainted(down[1], TAINT_UNREACHABLE))
    c = c.with_memory(node_health=())  # the restart: no record of any node
    after = _pass(c)
    first, second = after.node("z-lost-00"), after.node("z-lost-01")
    assert first is not None and second is not None
    assert [(t.key, t.time_added) for t in first.taints if t.effect == NO_EXECUTE] == [(TAINT_NOT_READY, 300)]
    assert [t.key for t in second.taints if t.effect == NO_EXECUTE] == []
    assert [q[1] for q in after.memory.taint_queue] == ["z-lost-01"]
    assert (TAINT_NOT_READY, NO_SCHEDULE) in [(t.key, t.effect) for t in second.taints]


def test_entering_total_disruption_lifts_both_kinds_of_no_execute_taint() -> None:
    """handleDisruption, "Entering master disruption mode": markNodeAsReachable for every node,
    which removes node.kubernetes.io/not-ready:NoExecute and node.kubernetes.io/unreachable:NoExecute;
    the zone then evicts nothing."""
    c = _zone(0, 2, now=300)
    lost = [n for n in c.nodes if "lost" in n.name]
    not_ready = attrs.evolve(lost[0], ready=COND_FALSE, ready_reason="KubeletNotReady")
    c = c.with_node(_tainted(not_ready, TAINT_NOT_READY)).with_node(_tainted(lost[1], TAINT_UNREACHABLE))
    c = c.with_memory(zone_states=(("z", PARTIAL),))
    after = _pass(c)
    assert dict(after.memory.zone_states) == {"z": FULL}
    assert [n.name for n in after.nodes if any(t.effect == NO_EXECUTE for t in n.taints)] == []
    assert after.memory.taint_queue == ()


def test_one_fully_disrupted_zone_among_healthy_ones_resets_no_probe() -> None:
    """handleDisruption resets the probe timestamps only when leaving the state where *all* zones
    were fully disrupted (allWasFullyDisrupted). One zone that stays FullDisruption while another
    stays Normal is not that: the silent nodes keep their old probe times."""
    a = _zone(0, 2, now=300, zone="a")
    b = _zone(2, 0, now=300, zone="b")
    c = attrs.evolve(a, nodes=tuple(sorted((*a.nodes, *b.nodes), key=lambda n: n.name)))
    c = _with_health(c, *b.memory.node_health)
    c = c.with_memory(zone_states=(("a", FULL), ("b", NORMAL)))
    after = _pass(c)
    assert dict(after.memory.zone_states) == {"a": FULL, "b": NORMAL}
    probes = {h.name: h.probe_time for h in after.memory.node_health}
    assert probes["a-lost-00"] == 0 and probes["a-lost-01"] == 0


def test_a_zone_left_out_of_the_zone_states_taints_at_the_primary_rate() -> None:
    """A node labelled node.kubernetes.io/exclude-disruption counts in no zone state, but its zone's
    NoExecute tainter was created with the primary rate when the node was added
    (addPodEvictorForNewZone) and handleDisruption never changes it: the node is tainted
    unreachable:NoExecute from the queue like any other."""
    c = _zone(2, 0, now=400)
    odd = _node("x-lost", "x", COND_UNKNOWN, 0)
    odd = attrs.evolve(odd, labels=labels_of({LABEL_HOSTNAME: "x-lost", LABEL_ZONE: "x", LABEL_EXCLUDE: ""}))
    c = _with_health(c.with_node(odd), NodeHealth("x-lost", 0, 0, COND_UNKNOWN, 0))
    after = _pass(c)
    assert "x" not in dict(after.memory.zone_states)
    node = after.node("x-lost")
    assert node is not None and node.has_taint(TAINT_UNREACHABLE, NO_EXECUTE)


def test_a_node_already_tainted_is_not_queued_again() -> None:
    """The NoExecute tainter is a RateLimitedTimedQueue over a UniqueQueue: a node it tainted
    stays in the queue's set (RemoveFromQueue), so markNodeForTainting on every later pass adds
    nothing, and it takes no token. With one node still tainted from before and one new to taint,
    the free token goes to the new one."""
    c = _zone(2, 2, now=300)
    c = c.with_node(_tainted(c.node("z-lost-00"), TAINT_UNREACHABLE))  # type: ignore[arg-type]
    (outcome,) = nodelifecycle.step(c)
    assert outcome.state.node("z-lost-01").has_taint(TAINT_UNREACHABLE, NO_EXECUTE)  # type: ignore[union-attr]
    added = [e.object for e in outcome.events if e.reason == "TaintAdded" and "NoExecute" in e.message]
    assert added == ["node/z-lost-01"]
    assert outcome.state.memory.taint_queue == ()


def test_a_queued_node_waits_in_the_queue_once() -> None:
    """UniqueQueue.Add does nothing for a node already in the queue: a node queued at 100 that
    is still waiting for its zone's token keeps its one entry, with its first time."""
    c = _zone(2, 1, now=300)
    c = c.with_memory(taint_queue=(("z", "z-lost-00", 100),), zone_next_token=(("z", 10_000),))
    after = _pass(c)
    assert after.memory.taint_queue == (("z", "z-lost-00", 100),)
    assert not after.node("z-lost-00").has_taint(TAINT_UNREACHABLE, NO_EXECUTE)  # type: ignore[union-attr]


def test_a_node_ready_again_leaves_the_queue_and_loses_both_taints() -> None:
    """processTaintBaseEviction, Ready=True: markNodeAsReachable removes the unreachable and
    not-ready NoExecute taints (whatever NoSchedule taints the node has) and takes the node out
    of the zone's tainting queue (zoneNoExecuteTainter.Remove)."""
    c = _zone(3, 0, now=300)
    back = _tainted(_tainted(c.node("z-ok-00"), TAINT_UNREACHABLE), TAINT_NOT_READY)  # type: ignore[arg-type]
    queued = c.node("z-ok-01")
    c = c.with_node(back).with_memory(taint_queue=(("z", "z-ok-01", 100),), zone_next_token=(("z", 10_000),))
    assert queued is not None and not any(t.effect == NO_SCHEDULE for t in back.taints)
    after = _pass(c)
    assert after.node("z-ok-00").taints == ()  # type: ignore[union-attr]
    assert after.memory.taint_queue == ()
