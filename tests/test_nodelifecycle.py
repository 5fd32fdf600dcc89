"""NodeLifecycleController: grace period, taints, zone states, rate limits, restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmodel.components import nodelifecycle
from kmodel.components.nodelifecycle import FULL, NORMAL, PARTIAL, zone_state
from kmodel.settings import Settings
from tests.builders import first_event_time, run, workers_scenario

S = Settings()


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        (["True", "True", "True"], NORMAL),
        (["True", "Unknown"], NORMAL),  # 1 of 2 not ready, but not more than 2
        (["True", "Unknown", "Unknown"], NORMAL),  # 2 not ready is never partial
        (["True", "Unknown", "Unknown", "False"], PARTIAL),  # 3 of 4 >= 0.55
        (["True"] * 3 + ["Unknown"] * 3, NORMAL),  # 3 of 6 = 0.5 < 0.55
        (["True"] * 2 + ["Unknown"] * 3, PARTIAL),  # 3 of 5 = 0.6
        (["Unknown"], FULL),
        (["False", "Unknown"], FULL),
    ],
)
def test_compute_zone_state(conditions: list[str], expected: str) -> None:
    assert zone_state(conditions, 0.55) == expected


def test_unknown_after_grace_and_taints(tmp_path: Path) -> None:
    scen = workers_scenario(tmp_path, ["a", "b", "c"], ["60s stop node/c"])
    sim = run(scen)
    t_unknown = first_event_time(sim, "NodeNotReady", "node/c")
    assert t_unknown is not None
    # last heartbeat is in [50, 60]; Unknown strictly after +grace, within a monitor period + tick
    assert 50 + S.node_monitor_grace_period < t_unknown <= 60 + S.node_monitor_grace_period + S.node_monitor_period
    t_noschedule = first_event_time(sim, "TaintAdded", "node/c", "unreachable:NoSchedule")
    t_noexecute = first_event_time(sim, "TaintAdded", "node/c", "unreachable:NoExecute")
    assert t_noschedule == t_unknown, "NoSchedule taint follows the condition at once"
    assert t_noexecute is not None and t_unknown <= t_noexecute <= t_unknown + S.node_monitor_period
    final = sim.final
    assert final is not None
    c = final.node("c")
    assert c is not None and c.ready == "Unknown" and c.ready_reason == "NodeStatusUnknown"


def test_noexecute_taints_are_rate_limited_per_zone(tmp_path: Path) -> None:
    """Two nodes of a healthy zone die together: 0.1 nodes/s means 10 s between their taints."""
    names = ["a", "b", "c", "d", "e", "f"]
    scen = workers_scenario(tmp_path, names, ["60s stop node/e", "60s stop node/f"])
    sim = run(scen)
    te = first_event_time(sim, "TaintAdded", "node/e", "NoExecute")
    tf = first_event_time(sim, "TaintAdded", "node/f", "NoExecute")
    assert te is not None and tf is not None
    assert abs(te - tf) >= 10


def test_separate_zones_have_separate_buckets(tmp_path: Path) -> None:
    names = ["a1", "a2", "a3", "b1", "b2", "b3"]
    zones = {n: n[0] for n in names}
    scen = workers_scenario(tmp_path, names, ["60s stop node/a3", "60s stop node/b3"], zones=zones)
    sim = run(scen)
    ta = first_event_time(sim, "TaintAdded", "node/a3", "NoExecute")
    tb = first_event_time(sim, "TaintAdded", "node/b3", "NoExecute")
    assert ta is not None and ta == tb


def test_partial_disruption_in_small_zone_stops_eviction(tmp_path: Path) -> None:
    """3 of 5 nodes down: PartialDisruption; a zone of <= 50 nodes then evicts at rate 0."""
    names = ["a", "b", "c", "d", "e"]
    scen = workers_scenario(tmp_path, names, ["60s stop node/c", "60s stop node/d", "60s stop node/e"], replicas=5)
    sim = run(scen)
    assert first_event_time(sim, "NodeNotReady", "node/c") is not None
    assert first_event_time(sim, "TaintAdded", contains="NoExecute") is None
    assert first_event_time(sim, "TaintManagerEviction") is None


def test_all_zones_fully_disrupted_stops_eviction_and_recovery_resets_probes(tmp_path: Path) -> None:
    """Every node of the only zone is down: the controller assumes it is cut off itself and
    removes the NoExecute taints; when nodes return every node gets a fresh grace period."""
    scen = workers_scenario(
        tmp_path,
        ["a", "b"],
        ["60s stop kubelet/a", "60s stop kubelet/b"],
        replicas=2,
    )
    sim = run(scen)
    assert first_event_time(sim, "NodeNotReady", "node/a") is not None
    assert first_event_time(sim, "TaintAdded", contains="NoExecute") is None
    assert first_event_time(sim, "TaintManagerEviction") is None


def test_restarted_controller_manager_gives_a_fresh_grace_period(tmp_path: Path) -> None:
    """The kubelet of c stops at 0s (last heartbeat 0s); the controller-manager is down from 30s
    to 200s. Though c has been silent for 200 s, it turns Unknown only a grace period after the
    controller-manager came back ("Missing timestamp for Node ... Assuming now")."""
    scen = workers_scenario(
        tmp_path,
        ["a", "b", "c"],
        ["0s stop kubelet/c", "30s stop controller-manager", "200s start controller-manager"],
    )
    sim = run(scen)
    t_unknown = first_event_time(sim, "NodeNotReady", "node/c")
    assert t_unknown is not None
    assert 200 + S.node_monitor_grace_period < t_unknown <= 200 + S.node_monitor_grace_period + S.node_monitor_period


def test_node_back_removes_taints_and_cancels_eviction(tmp_path: Path) -> None:
    scen = workers_scenario(tmp_path, ["a", "b", "c"], ["60s stop node/c", "4m start node/c"])
    sim = run(scen)
    assert first_event_time(sim, "TaintAdded", "node/c", "NoExecute") is not None
    assert first_event_time(sim, "TaintRemoved", "node/c", "NoExecute") is not None
    assert first_event_time(sim, "TaintManagerEviction") is None
    final = sim.final
    assert final is not None
    node = final.node("c")
    assert node is not None and node.ready == "True" and node.taints == ()


def test_kubelet_reporting_not_ready_gets_not_ready_taints(tmp_path: Path) -> None:
    """Only a kubelet reports Ready=False; the controller maps it to not-ready taints."""
    import attrs

    from tests.builders import cluster, node

    c = cluster(node("a"), node("b", ready="False", ready_reason="KubeletNotReady"))
    outs = nodelifecycle.step(c)
    assert len(outs) == 1
    b = outs[0].state.node("b")
    assert b is not None
    assert b.has_taint("node.kubernetes.io/not-ready", "NoSchedule")
    # the NoExecute taint comes from the rate-limited queue (first pass: queued, taken at once)
    assert b.has_taint("node.kubernetes.io/not-ready", "NoExecute")
    # the not-ready and unreachable NoExecute taints are swapped, never both
    later = attrs.evolve(outs[0].state, now=100)
    later = later.with_node(attrs.evolve(later.node("b"), ready="Unknown"))  # type: ignore[arg-type]
    # a keeps heartbeating (else both nodes are down: FullDisruption, and no taints at all)
    later = later.with_node(attrs.evolve(later.node("a"), last_heartbeat=100))  # type: ignore[arg-type]
    b2 = nodelifecycle.step(later)[0].state.node("b")
    assert b2 is not None
    assert b2.has_taint("node.kubernetes.io/unreachable", "NoExecute")
    assert not b2.has_taint("node.kubernetes.io/not-ready", "NoExecute")


def test_controller_manager_down_takes_no_step() -> None:
    import attrs

    from tests.builders import cluster, node

    c = cluster(node("a", ready="False"))
    c = attrs.evolve(c, control_plane=attrs.evolve(c.control_plane, controller_manager=False))
    assert nodelifecycle.step(c) == []


def test_runtime_down_not_ready_taints_eviction_and_swap_to_unreachable(tmp_path: Path) -> None:
    """The container runtime of c stops at 60s: its kubelet keeps renewing its Lease and posts
    Ready=False (KubeletNotReady), so the node lifecycle controller puts not-ready taints on it
    (NoSchedule at once, NoExecute through the rate-limited queue) and marks its pods not ready;
    the taint eviction controller schedules their deletion for the taint + 300s. At 120s the
    machine is powered off: after the grace period the node goes Unknown and the not-ready
    NoExecute taint is swapped for the unreachable one at once (processTaintBaseEviction), and the
    deletion scheduled earlier is kept (processPodOnNode keeps an existing schedule)."""
    scen = workers_scenario(tmp_path, ["a", "b", "c"], ["60s stop runtime/c", "120s stop node/c"], replicas=3)
    sim = run(scen)
    t_not_ready = first_event_time(sim, "NodeNotReady", "node/c", "NodeNotReady")
    assert t_not_ready == 60, "the kubelet posts the change at its next sync"
    t_noexecute = first_event_time(sim, "TaintAdded", "node/c", "not-ready:NoExecute")
    assert t_noexecute is not None and 60 <= t_noexecute <= 60 + S.node_monitor_period
    # powered off at 120s (before its kubelet's sync then), its last Lease renewal at 110s:
    # Unknown after 160s, and in that same pass the NoExecute taint is swapped, not queued
    t_unknown = first_event_time(sim, "TaintAdded", "node/c", "unreachable:NoSchedule")
    assert t_unknown is not None and 160 < t_unknown <= 160 + S.node_monitor_period
    final = sim.final
    assert final is not None and final.node("c").has_taint("node.kubernetes.io/unreachable", "NoExecute")  # type: ignore[union-attr]
    assert not final.node("c").has_taint("node.kubernetes.io/not-ready", "NoExecute")  # type: ignore[union-attr]
    evicted = [e.t for e in sim.events if e.reason == "TaintManagerEviction" and "Marking for deletion" in e.message]
    assert evicted and min(evicted) == t_noexecute + 300  # scheduled under not-ready, kept after the swap


def test_applied_node_gets_the_startup_grace_period_from_its_creation(tmp_path: Path) -> None:
    """A Node applied at 60s whose kubelet never starts (the machine is off) has no Ready
    condition; the node lifecycle controller waits nodeStartupGracePeriod (60s) counted from its
    creation, then writes Ready=Unknown with reason NodeStatusNeverUpdated
    (node_lifecycle_controller.go tryUpdateNodeHealth), and taints it unreachable."""
    (tmp_path / "late.yaml").write_text("apiVersion: v1\nkind: Node\nmetadata: {name: late}\n")
    scen = workers_scenario(tmp_path, ["a", "b"], ["60s apply late.yaml", "60s stop node/late"])
    sim = run(scen)
    t_unknown = first_event_time(sim, "TaintAdded", "node/late", "unreachable:NoSchedule")
    assert t_unknown is not None and 120 < t_unknown <= 120 + S.node_monitor_period
    assert first_event_time(sim, "RegisteredNode", "node/late") == 60
    final = sim.final
    assert final is not None
    late = final.node("late")
    assert late is not None and (late.ready, late.ready_reason, late.last_heartbeat) == (
        "Unknown",
        "NodeStatusNeverUpdated",
        60,
    )
