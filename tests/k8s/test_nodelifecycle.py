"""Node lifecycle controller, translated from
pkg/controller/nodelifecycle/node_lifecycle_controller_test.go.

One ``nodelifecycle.step`` at time t is one ``monitorNodeHealth`` pass followed by the NoExecute
and NoSchedule tainting passes. The Go tests' constants are kmodel's 1.37 defaults
(nodeMonitorGracePeriod 50 s, nodeStartupGracePeriod 60 s, nodeMonitorPeriod 5 s, unhealthy zone
threshold 0.55). Their ``fakeNow`` is t=0 unless said otherwise, and a node "created long ago"
was created at t=0 while the controller first looks at it much later. Where the Go tests use a
tainting rate of 100000 nodes/s, kmodel's token bucket still gives one node per zone per second,
so such a test takes one extra pass a second later.
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import kubelet, nodelifecycle
from kmodel.components.nodelifecycle import FULL, NORMAL, PARTIAL
from kmodel.settings import Settings
from kmodel.state import (
    COND_FALSE,
    COND_TRUE,
    COND_UNKNOWN,
    LABEL_REGION,
    LABEL_REGION_DEPRECATED,
    LABEL_ZONE,
    LABEL_ZONE_DEPRECATED,
    NO_EXECUTE,
    NO_SCHEDULE,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    Cluster,
    ControllerMemory,
    Node,
    labels_of,
)
from kmodel.transition import Event
from tests.k8s.conftest import (
    NO_CONDITION,
    apply,
    at,
    case,
    mkcluster,
    mknode,
    mkpod,
    no_execute,
    node_of,
    pod_of,
    replace_node,
)

HOUR = 3600
# The Go tests' testRateLimiterQPS (100000 nodes/s): kmodel's bucket then refills every second.
FAST = Settings(node_eviction_rate=100000.0, secondary_node_eviction_rate=100000.0)


def monitor(c: Cluster, now: int) -> tuple[Cluster, tuple[Event, ...]]:
    return apply(nodelifecycle.step, at(c, now))


def zone_states(c: Cluster) -> dict[str, str]:
    return dict(c.memory.zone_states)


def no_schedule_keys(node: Node) -> set[str]:
    return {t.key for t in node.taints if t.effect == NO_SCHEDULE}


# --- TestMonitorNodeHealth: zone states ------------------------------------------------------

# updatedNodeStatuses of the Go test
HEALTHY = (COND_TRUE, HOUR)  # healthyNodeNewStatus: Ready, heartbeat at fakeNow + 1h
UNHEALTHY = (COND_UNKNOWN, 0)  # unhealthyNodeNewStatus: Unknown, heartbeat at fakeNow
NO_STATUS = (NO_CONDITION, None)  # no conditions at all

MONITOR_NODE_HEALTH_CASES = [
    case(
        "No Disruption: Node created recently without failure domain labels (happens only at cluster startup)",
        [("node0", None, COND_TRUE, 0)],
        [HEALTHY],
        {"": NORMAL},
        {"": NORMAL},
    ),
    case(
        "No Disruption: Initially both zones down, one comes back",
        [("node0", "zone1", COND_UNKNOWN, 0), ("node1", "zone2", COND_UNKNOWN, 0)],
        [UNHEALTHY, HEALTHY],
        {"zone1": FULL, "zone2": FULL},
        {"zone1": FULL, "zone2": NORMAL},
    ),
    case(
        "Partial Disruption: Nodes created recently without status conditions (happens only at cluster startup)",
        [(f"node{i}", "zone1", NO_CONDITION, None) for i in range(4)],
        [UNHEALTHY, UNHEALTHY, UNHEALTHY, HEALTHY],
        {"zone1": FULL},
        {"zone1": PARTIAL},
    ),
    case(
        "Partial Disruption: one Node failed leading to the number of healthy Nodes to exceed the configured threshold",
        [("node0", "zone1", COND_UNKNOWN, 0), ("node1", "zone1", COND_UNKNOWN, 0)]
        + [(f"node{i}", "zone1", COND_TRUE, 0) for i in (2, 3, 4)],
        [UNHEALTHY, UNHEALTHY, UNHEALTHY, HEALTHY, HEALTHY],
        {"zone1": NORMAL},
        {"zone1": PARTIAL},
    ),
    case(
        "Full Disruption: the zone has less than 2 Nodes down, the last healthy Node has failed",
        [("node0", "zone1", COND_UNKNOWN, 0), ("node1", "zone1", COND_UNKNOWN, 0), ("node2", "zone1", COND_TRUE, 0)],
        [UNHEALTHY, UNHEALTHY, UNHEALTHY],
        {"zone1": NORMAL},
        {"zone1": FULL},
    ),
    case(
        "Full Disruption: all the Nodes in one zone are down",
        [("node0", "zone1", COND_UNKNOWN, 0), ("node1", "zone2", COND_TRUE, 0)],
        [UNHEALTHY, HEALTHY],
        {"zone1": FULL, "zone2": NORMAL},
        {"zone1": FULL, "zone2": NORMAL},
    ),
    case(
        "Full Disruption: all the Nodes in both the zones are down",
        [("node0", "zone1", COND_UNKNOWN, 0), ("node1", "zone2", COND_UNKNOWN, 0)],
        [UNHEALTHY, UNHEALTHY],
        {"zone1": FULL, "zone2": FULL},
        {"zone1": FULL, "zone2": FULL},
    ),
    case(
        "Full Disruption: Ready condition removed from the Node",
        [("node0", "zone1", COND_TRUE, 0)],
        [NO_STATUS],
        {"zone1": NORMAL},
        {"zone1": FULL},
    ),
]


@pytest.mark.parametrize(("name", "nodes", "updates", "initial", "following"), MONITOR_NODE_HEALTH_CASES)
def test_monitor_node_health_zone_states(
    name: str,
    nodes: list[tuple[str, str | None, str, int | None]],
    updates: list[tuple[str, int | None]],
    initial: dict[str, str],
    following: dict[str, str],
) -> None:
    """node_lifecycle_controller_test.go TestMonitorNodeHealth, table cases named by ``name``:
    the zone states after a pass at fakeNow, and after the nodes post the updated statuses and
    a pass an hour later. Zones are keyed by the topology zone label ("" without one)."""
    c = mkcluster(*(mknode(n, zone=z, ready=r, heartbeat=h) for n, z, r, h in nodes))
    c, _ = monitor(c, 0)
    assert zone_states(c) == initial
    for (n, *_), (ready, heartbeat) in zip(nodes, updates, strict=True):
        c = replace_node(c, n, ready=ready, last_heartbeat=heartbeat)
    c, _ = monitor(c, HOUR)
    assert zone_states(c) == following


def test_monitor_node_health_excluded_node_does_not_count() -> None:
    """node_lifecycle_controller_test.go TestMonitorNodeHealth, case "Full Disruption: the only
    available Node has the node.kubernetes.io/exclude-disruption label": a node carrying that
    label is left out of its zone's state (isNodeExcludedFromDisruptionChecks), so the zone whose
    only other node is down is fully disrupted, before and after the status updates."""
    master = mknode("node-master", zone="zone1", labels={"node.kubernetes.io/exclude-disruption": ""})
    c = mkcluster(mknode("node0", zone="zone1", ready=COND_UNKNOWN), master)
    c, _ = monitor(c, 0)
    assert zone_states(c) == {"zone1": FULL}
    c = replace_node(c, "node0", ready=COND_UNKNOWN, last_heartbeat=0)
    c = replace_node(c, "node-master", ready=COND_TRUE, last_heartbeat=HOUR)
    c, _ = monitor(c, HOUR)
    assert zone_states(c) == {"zone1": FULL}


# --- TestMonitorNodeHealthUpdateStatus / ...WithLease / ...MarkPodsNotReady -------------------


def test_update_status_node_created_long_ago_without_status() -> None:
    """node_lifecycle_controller_test.go TestMonitorNodeHealthUpdateStatus, case "Node created long
    time ago, without status": the startup grace period counts from the node's creation (t=0 here),
    so the first pass, an hour later, posts Ready=Unknown with reason NodeStatusNeverUpdated. The
    pod on it is not touched (expectedPodStatusUpdate false: the node was never Ready)."""
    c = mkcluster(mknode("node0", ready=NO_CONDITION, heartbeat=None), pods=[mkpod("pod0", "node0")])
    c, events = monitor(c, HOUR)
    node = node_of(c, "node0")
    assert (node.ready, node.ready_reason) == (COND_UNKNOWN, "NodeStatusNeverUpdated")
    assert pod_of(c, "pod0").ready
    assert not [e for e in events if e.reason == "NodeNotReady"]


def test_update_status_node_created_recently_without_status() -> None:
    """node_lifecycle_controller_test.go TestMonitorNodeHealthUpdateStatus (and
    TestMonitorNodeHealthUpdateNodeAndPodStatusWithLease, TestMonitorNodeHealthMarkPodsNotReady),
    case "Node created recently, without status": within the startup grace period the
    controller changes nothing."""
    c = mkcluster(mknode("node0", ready=NO_CONDITION, heartbeat=None), pods=[mkpod("pod0", "node0")])
    c, events = monitor(c, 0)
    assert node_of(c, "node0").ready == NO_CONDITION
    assert pod_of(c, "pod0").ready
    # only the RegisteredNode event of a node the controller sees for the first time
    # (TestNodeEventGeneration)
    assert [e.reason for e in events] == ["RegisteredNode"]


@pytest.mark.parametrize(
    ("name", "later"),
    [
        case("TestMonitorNodeHealthUpdateStatus: exceeds grace period", HOUR),
        case("TestMonitorNodeHealthUpdateNodeAndPodStatusWithLease: Node lease is also expired", HOUR),
        case("TestMonitorNodeHealthMarkPodsNotReady: exceeds grace period", 60),
    ],
)
def test_status_not_updated_for_longer_than_grace_period(name: str, later: int) -> None:
    """node_lifecycle_controller_test.go, case "Node created long time ago, with status updated by
    kubelet exceeds grace period" of the test named in ``name`` (the lease variant with the Lease
    not renewed either; kmodel has no Lease yet): Ready=True was posted at fakeNow and not since;
    ``later`` seconds on, past the 50 s grace period, the controller posts Ready=Unknown
    (reason NodeStatusUnknown) and marks the pod on the node not ready."""
    c = mkcluster(mknode("node0", heartbeat=0), pods=[mkpod("pod0", "node0")])
    c, _ = monitor(c, 0)
    assert node_of(c, "node0").ready == COND_TRUE
    c, events = monitor(c, later)
    node = node_of(c, "node0")
    assert (node.ready, node.ready_reason) == (COND_UNKNOWN, "NodeStatusUnknown")
    assert not pod_of(c, "pod0").ready
    assert ("NodeNotReady", "node/node0") in {(e.reason, e.object) for e in events}


@pytest.mark.parametrize(
    ("name", "second_heartbeat"),
    [
        case("TestMonitorNodeHealthUpdateStatus: Node created long time ago, with status updated recently", 0),
        case(
            "TestMonitorNodeHealthUpdateNodeAndPodStatusWithLease: Node created long time ago, "
            "with status updated by kubelet recently. Node lease is expired.",
            HOUR,
        ),
    ],
)
def test_status_updated_recently(name: str, second_heartbeat: int) -> None:
    """node_lifecycle_controller_test.go, the case named in ``name``: the kubelet's Ready=True
    heartbeat is recent at every pass, so nothing changes (with the Lease left stale in the
    lease variant: the status heartbeat alone keeps the node healthy)."""
    c = mkcluster(mknode("node0", heartbeat=0), pods=[mkpod("pod0", "node0")])
    c, _ = monitor(c, 0)
    c = replace_node(c, "node0", last_heartbeat=second_heartbeat)
    c, events = monitor(c, second_heartbeat)
    assert node_of(c, "node0").ready == COND_TRUE
    assert pod_of(c, "pod0").ready
    assert not [e for e in events if e.reason == "NodeNotReady"]


LEASE_CASES = [
    # (case, ready at both passes, heartbeat at both passes, lease at pass 1, lease at pass 2, expected)
    case(
        "Node created long time ago, without status. Node lease is renewed recently.",
        NO_CONDITION,
        None,
        HOUR,
        2 * HOUR,
        (NO_CONDITION, ""),
    ),
    case(
        "Node created long time ago, without status. Node lease is expired.",
        NO_CONDITION,
        None,
        HOUR,
        HOUR,
        (COND_UNKNOWN, "NodeStatusNeverUpdated"),
    ),
    case(
        "Node created long time ago, with status updated by kubelet exceeds grace period. Node lease is renewed.",
        COND_TRUE,
        HOUR,
        HOUR,
        2 * HOUR,
        (COND_TRUE, "KubeletReady"),
    ),
]


@pytest.mark.parametrize(("name", "ready", "heartbeat", "lease1", "lease2", "expected"), LEASE_CASES)
def test_monitor_node_health_with_lease(
    name: str, ready: str, heartbeat: int | None, lease1: int, lease2: int, expected: tuple[str, str]
) -> None:
    """node_lifecycle_controller_test.go TestMonitorNodeHealthUpdateNodeAndPodStatusWithLease,
    table cases named by ``name``: the node (created at t=0) is seen at fakeNow (t=1h) and an hour
    later. A renewed Lease (spec.renewTime) refreshes the controller's probe time like a new status
    heartbeat does, so the node is left alone; without a renewal it turns Unknown. The pod on it
    is never marked not ready (expectedPodStatusUpdate false in all three cases)."""
    node = mknode("node0", ready=ready, heartbeat=heartbeat, lease_renew_time=lease1)
    c = mkcluster(node, pods=[mkpod("pod0", "node0")])
    c, _ = monitor(c, HOUR)
    assert node_of(c, "node0").ready == ready
    c = replace_node(c, "node0", lease_renew_time=lease2)
    c, _ = monitor(c, 2 * HOUR)
    node = node_of(c, "node0")
    assert (node.ready, node.ready_reason) == expected
    assert pod_of(c, "pod0").ready


# --- NoExecute and NoSchedule taints ----------------------------------------------------------


def test_apply_no_execute_taints() -> None:
    """node_lifecycle_controller_test.go TestApplyNoExecuteTaints, first part: node0 is Unknown and
    node2 Ready=False, both with heartbeats long before fakeNow; node1 is healthy. node0 gets the
    unreachable NoExecute taint and node2 the not-ready one. When node2 posts Ready=True again it
    is left with no taints at all."""
    t = 10 * HOUR
    c = mkcluster(
        mknode("node0", zone="zone1", ready=COND_UNKNOWN, heartbeat=0),
        mknode("node1", zone="zone1", heartbeat=t),
        mknode("node2", zone="zone1", ready=COND_FALSE, heartbeat=0),
        mknode("node3", zone="zone1", heartbeat=t - HOUR),
        pods=[mkpod("pod0", "node0")],
        settings=FAST,
    )
    c, _ = monitor(c, t)
    c, _ = monitor(c, t + 1)
    assert node_of(c, "node0").has_taint(TAINT_UNREACHABLE, NO_EXECUTE)
    assert node_of(c, "node2").has_taint(TAINT_NOT_READY, NO_EXECUTE)
    c = replace_node(c, "node2", ready=COND_TRUE, last_heartbeat=t + 600)
    c, _ = monitor(c, t + 2)
    assert node_of(c, "node2").taints == ()


def test_apply_no_execute_taints_ready_condition_gone_before_tainting() -> None:
    """node_lifecycle_controller_test.go TestApplyNoExecuteTaints, node3: it turns Ready=False and
    is queued for the not-ready NoExecute taint, but its Ready condition disappears before the
    rate-limited tainter takes it (here: the zone's token is not back yet), so it gets no taint
    (doNoExecuteTaintingPass finds no Ready condition) and ends with no taints at all."""
    t = 10 * HOUR
    c = mkcluster(
        mknode("node0", zone="zone1", ready=COND_UNKNOWN, heartbeat=0),
        mknode("node1", zone="zone1", heartbeat=t),
        mknode("node3", zone="zone1", heartbeat=t),
    )
    c, _ = monitor(c, t)  # node0 takes the zone's token
    assert node_of(c, "node0").has_taint(TAINT_UNREACHABLE, NO_EXECUTE)
    c = replace_node(c, "node3", ready=COND_FALSE, last_heartbeat=t + 5)
    c = replace_node(c, "node1", last_heartbeat=t + 5)
    c, _ = monitor(c, t + 5)
    assert not node_of(c, "node3").has_taint(TAINT_NOT_READY, NO_EXECUTE)
    c = replace_node(c, "node3", ready=NO_CONDITION, last_heartbeat=None)
    c, _ = monitor(c, t + 10)
    assert node_of(c, "node3").taints == ()


def test_swap_unreachable_not_ready_taints() -> None:
    """node_lifecycle_controller_test.go TestSwapUnreachableNotReadyTaints: node0 (Unknown) gets the
    unreachable NoExecute taint; when it then posts Ready=False the taint is swapped at once for
    the not-ready one, without waiting for the rate-limited queue."""
    t = 10 * HOUR
    c = mkcluster(
        mknode("node0", zone="zone1", ready=COND_UNKNOWN, heartbeat=0),
        mknode("node1", zone="zone1", heartbeat=t),
        pods=[mkpod("pod0", "node0")],
        settings=FAST,
    )
    c, _ = monitor(c, t)
    assert node_of(c, "node0").has_taint(TAINT_UNREACHABLE, NO_EXECUTE)
    c = replace_node(c, "node0", ready=COND_FALSE, last_heartbeat=t + 540)
    c = replace_node(c, "node1", last_heartbeat=t + 600)
    c, _ = monitor(c, t)
    node0 = node_of(c, "node0")
    assert node0.has_taint(TAINT_NOT_READY, NO_EXECUTE)
    assert not node0.has_taint(TAINT_UNREACHABLE, NO_EXECUTE)


def test_taints_node_by_condition() -> None:
    """node_lifecycle_controller_test.go TestTaintsNodeByCondition, cases "Ready is false" then
    "Ready is unknown" (applied in turn to the same node, as the Go test does): the NoSchedule
    taints mirror the Ready condition, exactly one of not-ready or unreachable."""
    c = mkcluster(mknode("node0", zone="zone1", heartbeat=0), pods=[mkpod("pod0", "node0")])
    c = replace_node(c, "node0", ready=COND_FALSE)
    c, _ = monitor(c, 0)
    assert no_schedule_keys(node_of(c, "node0")) == {TAINT_NOT_READY}
    c = replace_node(c, "node0", ready=COND_UNKNOWN)
    c, _ = monitor(c, 5)
    assert no_schedule_keys(node_of(c, "node0")) == {TAINT_UNREACHABLE}


# --- events, restart, pods ---------------------------------------------------------------------


def test_node_event_generation() -> None:
    """node_lifecycle_controller_test.go TestNodeEventGeneration: the first pass over a node the
    controller has not seen yet (here Unknown, heartbeat long ago) records exactly one event,
    reason RegisteredNode, whose message RecordNodeEvent (pkg/controller/util/node) formats as
    "Node <name> event: Registered Node <name> in Controller" (monitorNodeHealth), and no
    NodeNotReady: the node was not Ready when first observed. (The Go test runs monitorNodeHealth
    alone; kmodel's step also runs the tainting passes, whose TaintAdded/TaintRemoved records are
    kmodel's own and left out here.)"""
    c = mkcluster(mknode("node0", ready=COND_UNKNOWN, heartbeat=0), pods=[mkpod("pod0", "node0")])
    _, events = monitor(c, 400 * 24 * HOUR)
    monitor_events = [e for e in events if e.reason not in ("TaintAdded", "TaintRemoved")]
    assert [(e.reason, e.object, e.message) for e in monitor_events] == [
        ("RegisteredNode", "node/node0", "Node node0 event: Registered Node node0 in Controller")
    ]


def test_restarted_controller_untaints_then_requeues_unreachable_nodes() -> None:
    """node_lifecycle_controller.go monitorNodeHealth (the code path of TestNodeEventGeneration):
    every node the controller has not seen yet - after a controller-manager restart, all of them -
    goes through markNodeAsReachable, which removes its unreachable/not-ready NoExecute taints;
    processTaintBaseEviction then queues it again and the zone's rate-limited tainter re-adds the
    taint one node per token. With two unreachable nodes in a healthy zone, the first is re-tainted
    at once (with a new timeAdded) and the second stays untainted until the zone's next token."""
    t = 10 * HOUR
    old = no_execute(TAINT_UNREACHABLE, time_added=0)
    c = mkcluster(
        mknode("a", zone="z", heartbeat=t),
        mknode("b", zone="z", ready=COND_UNKNOWN, heartbeat=0, taints=(old,)),
        mknode("c", zone="z", ready=COND_UNKNOWN, heartbeat=0, taints=(old,)),
        memory=ControllerMemory(),
    )
    c, _ = monitor(c, t)
    b_taints = [x for x in node_of(c, "b").taints if x.key == TAINT_UNREACHABLE and x.effect == NO_EXECUTE]
    assert [x.time_added for x in b_taints] == [t]
    assert not node_of(c, "c").has_taint(TAINT_UNREACHABLE, NO_EXECUTE)


@pytest.mark.xfail(strict=True, reason="needs the node lifecycle controller's pod handler (processPod)")
def test_process_pod_marks_pod_not_ready_on_not_ready_node() -> None:
    """node_lifecycle_controller_test.go TestProcessPodMarkPodNotReady, case "Pod marked as NotReady
    when the scheduled node is not ready": once the controller has seen the node Ready=False, a
    Ready pod newly bound to it is marked not ready (processPod -> MarkPodsNotReady)."""
    c = mkcluster(mknode("node0", ready=COND_FALSE, heartbeat=0))
    c, _ = monitor(c, 0)
    c = c.with_pod(mkpod("pod0", "node0"))
    c, _ = monitor(c, 5)
    assert not pod_of(c, "pod0").ready


def test_process_pod_leaves_pod_on_ready_node() -> None:
    """node_lifecycle_controller_test.go TestProcessPodMarkPodNotReady, case "Do not mark pod as
    NotReady when the scheduled node is ready"."""
    c = mkcluster(mknode("node0", heartbeat=0))
    c, _ = monitor(c, 0)
    c = c.with_pod(mkpod("pod0", "node0"))
    c, _ = monitor(c, 5)
    assert pod_of(c, "pod0").ready


# --- the kubelet's side: pkg/kubelet/nodestatus/setters_test.go TestReadyCondition -------------


def kubelet_sync(c: Cluster, node: str, now: int) -> tuple[Cluster, tuple[Event, ...]]:
    return apply(lambda x: kubelet.step(x, node), at(c, now))


@pytest.mark.parametrize(
    ("name", "before", "expected_events"),
    [
        case("transition to ready", COND_FALSE, [("NodeReady", "node/node0")]),
        case("ready, no transition", COND_TRUE, []),
    ],
)
def test_kubelet_ready_condition(name: str, before: str, expected_events: list[tuple[str, str]]) -> None:
    """pkg/kubelet/nodestatus/setters_test.go TestReadyCondition, cases named by ``name``: a healthy
    kubelet's Ready condition is True (reason KubeletReady) and it records NodeReady only on the
    transition. (kubelet_node_status.go posts a changed status at once; kmodel leaves out the
    re-post of an unchanged one every nodeStatusReportFrequency, see kmodel.components.kubelet.)"""
    c = mkcluster(mknode("node0", ready=before, heartbeat=0))
    c, events = kubelet_sync(c, "node0", 10)
    node = node_of(c, "node0")
    assert (node.ready, node.ready_reason) == (COND_TRUE, "KubeletReady")
    assert node.last_heartbeat == (0 if before == COND_TRUE else 10)
    assert [(e.reason, e.object) for e in events] == expected_events


@pytest.mark.parametrize(
    ("name", "before", "expected_events"),
    [
        case("transition to not ready", COND_TRUE, [("NodeNotReady", "node/node0")]),
        case("not ready, no transition", COND_FALSE, []),
    ],
)
def test_kubelet_ready_condition_runtime_down(name: str, before: str, expected_events: list[tuple[str, str]]) -> None:
    """pkg/kubelet/nodestatus/setters_test.go TestReadyCondition, cases named by ``name``: with
    runtime errors the kubelet posts Ready=False, reason KubeletNotReady (makeReadyCondition(false,
    ...)), and records NodeNotReady only on the transition."""
    node = attrs.evolve(mknode("node0", ready=before, heartbeat=0), runtime_ready=False)
    c, events = kubelet_sync(mkcluster(node), "node0", 10)
    after = node_of(c, "node0")
    assert (after.ready, after.ready_reason) == (COND_FALSE, "KubeletNotReady")
    assert [(e.reason, e.object) for e in events] == expected_events


# --- GetZoneKey: staging/src/k8s.io/component-helpers/node/topology/helpers_test.go ------------
# Test_GetZoneKey. Kubernetes joins region and zone with ":\x00:"; kmodel shows "REGION:ZONE"
# (a label value holds no ":", so it is as unique) and the zone alone when there is no region.

ZONE_KEY_CASES = [
    case("has no zone or region keys", {}, ""),
    case(
        "has beta zone and region keys",
        {LABEL_ZONE_DEPRECATED: "zone1", LABEL_REGION_DEPRECATED: "region1"},
        "region1:zone1",
    ),
    case("has GA zone and region keys", {LABEL_ZONE: "zone1", LABEL_REGION: "region1"}, "region1:zone1"),
    case(
        "has both beta and GA zone and region keys",
        {
            LABEL_ZONE: "zone1",
            LABEL_REGION: "region1",
            LABEL_ZONE_DEPRECATED: "zone1",
            LABEL_REGION_DEPRECATED: "region1",
        },
        "region1:zone1",
    ),
    case(
        "has both beta and GA zone and region keys, beta labels take precedent",
        {
            LABEL_ZONE: "zone1",
            LABEL_REGION: "region1",
            LABEL_ZONE_DEPRECATED: "zone2",
            LABEL_REGION_DEPRECATED: "region2",
        },
        "region2:zone2",
    ),
]


@pytest.mark.parametrize(("name", "labels", "zone"), ZONE_KEY_CASES)
def test_get_zone_key(name: str, labels: dict[str, str], zone: str) -> None:
    """component-helpers/node/topology/helpers_test.go Test_GetZoneKey, case ``name``."""
    assert Node(name="n", labels=labels_of(labels)).zone == zone


# --- TestMonitorNodeHealthEvictPodsWithDisruption ----------------------------------------------
# Each node carries the region and zone under both the GA and the beta keys, as in the Go test.
# "Eviction takes place" is, in taint-based eviction, node0 (the node of pod0) getting the
# unreachable:NoExecute taint; the Go test's evictionTimeout is for the removed legacy mode.
# The Go test makes the partial-disruption rate testRateLimiterQPS (enterPartialDisruptionFunc);
# kmodel gets the same with a large-cluster threshold below the zone's size.


def _zoned(name: str, region: str, zone: str, ready: str, **labels: str) -> Node:
    both = {LABEL_REGION: region, LABEL_ZONE: zone, LABEL_REGION_DEPRECATED: region, LABEL_ZONE_DEPRECATED: zone}
    return mknode(name, ready=ready, heartbeat=0, labels={**both, **labels})


_EXCLUDE = {"node.kubernetes.io/exclude-disruption": ""}

EVICT_WITH_DISRUPTION_CASES = [
    case(
        "Network Disruption: Only zone is down - eviction shouldn't take place.",
        [("node0", "region1", "zone1", COND_UNKNOWN, {}), ("node1", "region1", "zone1", COND_UNKNOWN, {})],
        [UNHEALTHY, UNHEALTHY],
        {"region1:zone1": FULL},
        {"region1:zone1": FULL},
        False,
    ),
    case(
        "Network Disruption: Both zones down - eviction shouldn't take place.",
        [("node0", "region1", "zone1", COND_UNKNOWN, {}), ("node1", "region2", "zone2", COND_UNKNOWN, {})],
        [UNHEALTHY, UNHEALTHY],
        {"region1:zone1": FULL, "region2:zone2": FULL},
        {"region1:zone1": FULL, "region2:zone2": FULL},
        False,
    ),
    case(
        "Network Disruption: One zone is down - eviction should take place.",
        [("node0", "region1", "zone1", COND_UNKNOWN, {}), ("node1", "region1", "zone2", COND_TRUE, {})],
        [UNHEALTHY, HEALTHY],
        {"region1:zone1": FULL, "region1:zone2": NORMAL},
        {"region1:zone1": FULL, "region1:zone2": NORMAL},
        True,
    ),
    case(
        # the Go case's healthy "node-master" is left out of the zone (today by the
        # exclude-disruption label, isNodeExcludedFromDisruptionChecks), so the only zone is down
        "NetworkDisruption: eviction should stop, only -master Node is healthy",
        [("node0", "region1", "zone1", COND_UNKNOWN, {}), ("node-master", "region1", "zone1", COND_TRUE, _EXCLUDE)],
        [UNHEALTHY, HEALTHY],
        {"region1:zone1": FULL},
        {"region1:zone1": FULL},
        False,
    ),
    case(
        "Initially both zones down, one comes back - eviction should take place",
        [("node0", "region1", "zone1", COND_UNKNOWN, {}), ("node1", "region1", "zone2", COND_UNKNOWN, {})],
        [UNHEALTHY, HEALTHY],
        {"region1:zone1": FULL, "region1:zone2": FULL},
        {"region1:zone1": FULL, "region1:zone2": NORMAL},
        True,
    ),
    case(
        "Zone is partially disrupted - eviction should take place.",
        [(f"node{i}", "region1", "zone1", COND_UNKNOWN, {}) for i in range(3)]
        + [(f"node{i}", "region1", "zone1", COND_TRUE, {}) for i in (3, 4)],
        [UNHEALTHY, UNHEALTHY, UNHEALTHY, HEALTHY, HEALTHY],
        {"region1:zone1": PARTIAL},
        {"region1:zone1": PARTIAL},
        True,
    ),
]


@pytest.mark.parametrize(("name", "nodes", "updates", "initial", "following", "evicts"), EVICT_WITH_DISRUPTION_CASES)
def test_monitor_node_health_evict_pods_with_disruption(
    name: str,
    nodes: list[tuple[str, str, str, str, dict[str, str]]],
    updates: list[tuple[str, int | None]],
    initial: dict[str, str],
    following: dict[str, str],
    evicts: bool,
) -> None:
    """node_lifecycle_controller_test.go TestMonitorNodeHealthEvictPodsWithDisruption, case
    ``name``: the zone states after a pass at fakeNow and after the status updates an hour
    later (timeToPass), then whether pod0's node is tainted for eviction."""
    settings = attrs.evolve(FAST, large_cluster_size_threshold=len(nodes) - 1)
    c = mkcluster(
        *(_zoned(n, r, z, ready, **extra) for n, r, z, ready, extra in nodes),
        pods=[mkpod("pod0", "node0")],
        settings=settings,
    )
    c, _ = monitor(c, 0)
    assert zone_states(c) == initial
    for (n, *_), (ready, heartbeat) in zip(nodes, updates, strict=True):
        c = replace_node(c, n, ready=ready, last_heartbeat=heartbeat)
    c, _ = monitor(c, HOUR)
    assert zone_states(c) == following
    for later in (1, 2):  # the token bucket's next token (see FAST)
        c, _ = monitor(c, HOUR + later)
    assert node_of(c, "node0").has_taint(TAINT_UNREACHABLE, NO_EXECUTE) is evicts


def test_evict_pods_with_disruption_without_the_safeguard() -> None:
    """The first two cases of TestMonitorNodeHealthEvictPodsWithDisruption ("Only zone is down",
    "Both zones down": no eviction) with kmodel's zoneDisruptionSafeguard off: what the
    controller did before Kubernetes 1.5 (kubernetes#28832), when a fully disrupted zone was
    evicted at the primary rate whatever the other zones did. Not a Go test case: the same
    inputs with the rule the Go cases exist to check switched off."""
    off = attrs.evolve(FAST, zone_disruption_safeguard=False)
    for second in ("zone1", "zone2"):
        c = mkcluster(
            _zoned("node0", "region1", "zone1", COND_UNKNOWN),
            _zoned("node1", "region1", second, COND_UNKNOWN),
            pods=[mkpod("pod0", "node0")],
            settings=off,
        )
        for t in (0, HOUR, HOUR + 1, HOUR + 2):
            c, _ = monitor(c, t)
        assert set(zone_states(c).values()) == {FULL}
        assert node_of(c, "node0").has_taint(TAINT_UNREACHABLE, NO_EXECUTE)
