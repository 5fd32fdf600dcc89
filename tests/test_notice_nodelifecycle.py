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
from kmodel.settings import Settings
from kmodel.state import (
    COND_TRUE,
    COND_UNKNOWN,
    LABEL_HOSTNAME,
    LABEL_ZONE,
    NO_EXECUTE,
    NO_SCHEDULE,
    TAINT_UNREACHABLE,
    TAINT_UNSCHEDULABLE,
    Cluster,
    ControllerMemory,
    Node,
    NodeHealth,
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


def test_a_node_that_never_posted_status_is_tainted_unreachable() -> None:
    """tryUpdateNodeHealth observes a fake Ready=Unknown condition for a node without one, and
    processTaintBaseEviction maps Unknown to node.kubernetes.io/unreachable:NoExecute (never
    not-ready): past nodeStartupGracePeriod (60 s from creation) the node is tainted unreachable."""
    silent = Node(
        name="z-new",
        labels=labels_of({LABEL_HOSTNAME: "z-new", LABEL_ZONE: "z"}),
        ready="",
        ready_reason="",
        last_heartbeat=None,
        lease_renew_time=None,
    )
    c = _zone(2, 0, now=100)
    c = c.with_node(silent).with_memory(
        node_health=tuple(sorted((*c.memory.node_health, NodeHealth("z-new", 0, None, "")), key=lambda h: h.name))
    )
    after = _pass(c)
    node = after.node("z-new")
    assert node is not None and (node.ready, node.ready_reason) == (COND_UNKNOWN, "NodeStatusNeverUpdated")
    assert node.has_taint(TAINT_UNREACHABLE, NO_EXECUTE)
    assert not any(t.key == "node.kubernetes.io/not-ready" for t in node.taints)
