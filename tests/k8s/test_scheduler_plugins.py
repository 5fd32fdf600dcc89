"""kube-scheduler filter and score plugins, translated from the plugin tests under
pkg/scheduler/framework/plugins/ and from pkg/scheduler/framework/types_test.go.

``scheduler.filter_reasons`` runs kmodel's filters in the default order and returns the failing
plugin's reasons (empty: the pod fits); ``scheduler.resolvable_by_preemption`` is False exactly
for an ``UnschedulableAndUnresolvable`` status. Score plugins are compared through the weighted
``scheduler.scores`` where the other plugins score every node alike, and through kmodel's
per-plugin score functions for NodeResourcesFit (LeastAllocated) and BalancedAllocation.
Resources are in millicores and bytes, as the Go tests' quantities are.
"""

from __future__ import annotations

from typing import Any

import pytest

from kmodel.components import scheduler
from kmodel.state import (
    NO_SCHEDULE,
    PREFER_NO_SCHEDULE,
    TAINT_UNSCHEDULABLE,
    Node,
    Pod,
    Resources,
    Taint,
    Toleration,
    labels_of,
)
from tests.k8s.conftest import case, mkcluster, mknode, mkpod

UNTOLERATED = "node(s) had untolerated taint(s)"  # tainttoleration ErrReasonNotMatch since 1.34
UNSCHEDULABLE = "node(s) were unschedulable"  # nodeunschedulable ErrReasonUnschedulable
AFFINITY = "node(s) didn't match Pod's node affinity/selector"  # nodeaffinity ErrReasonPod


def pending(name: str = "pod1", **kw: Any) -> Pod:
    return Pod(name=name, **kw)


def filter_node(pod: Pod, node: Node, *existing: Pod) -> list[str]:
    c = mkcluster(node, pods=existing)
    return scheduler.filter_reasons(c, pod, node)


def taint(key: str, value: str, effect: str) -> Taint:
    return Taint(key=key, value=value, effect=effect)


def tol(key: str = "", value: str = "", effect: str = "", operator: str = "Equal") -> Toleration:
    return Toleration(key=key, operator=operator, value=value, effect=effect)


# --- tainttoleration: TestTaintTolerationFilter -------------------------------------------------

DEDICATED_USER1 = taint("dedicated", "user1", NO_SCHEDULE)
FOO_BAR = taint("foo", "bar", NO_SCHEDULE)


@pytest.mark.parametrize(
    ("name", "tolerations", "taints", "reasons"),
    [
        case(
            "A pod having no tolerations can't be scheduled onto a node with nonempty taints",
            (),
            (DEDICATED_USER1,),
            [UNTOLERATED],
        ),
        case(
            "A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule",
            (tol("dedicated", "user1", NO_SCHEDULE, operator=""),),
            (DEDICATED_USER1,),
            [],
        ),
        case(
            "A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
            (tol("dedicated", "user2", NO_SCHEDULE),),
            (DEDICATED_USER1,),
            [UNTOLERATED],
        ),
        case(
            "A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the "
            "taints on the node",
            (tol("foo", effect=NO_SCHEDULE, operator="Exists"),),
            (FOO_BAR,),
            [],
        ),
        case(
            "A pod has multiple tolerations, node has multiple taints, all the taints are tolerated, pod can be "
            "scheduled onto the node",
            (tol("dedicated", "user2", NO_SCHEDULE), tol("foo", effect=NO_SCHEDULE, operator="Exists")),
            (taint("dedicated", "user2", NO_SCHEDULE), FOO_BAR),
            [],
        ),
        case(
            "A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect "
            "doesn't match, can't be scheduled onto the node",
            (tol("foo", "bar", PREFER_NO_SCHEDULE),),
            (FOO_BAR,),
            [UNTOLERATED],
        ),
        case(
            "The pod has a toleration that keys and values match the taint on the node, the effect of toleration "
            "is empty, and the effect of taint is NoSchedule. Pod can be scheduled onto the node",
            (tol("foo", "bar"),),
            (FOO_BAR,),
            [],
        ),
        case(
            "The pod has a toleration that key and value don't match the taint on the node, but the effect of "
            "taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
            (tol("dedicated", "user2", NO_SCHEDULE),),
            (taint("dedicated", "user1", PREFER_NO_SCHEDULE),),
            [],
        ),
        case(
            "The pod has no toleration, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled "
            "onto the node",
            (),
            (taint("dedicated", "user1", PREFER_NO_SCHEDULE),),
            [],
        ),
    ],
)
def test_taint_toleration_filter(
    name: str, tolerations: tuple[Toleration, ...], taints: tuple[Taint, ...], reasons: list[str]
) -> None:
    """taint_toleration_test.go TestTaintTolerationFilter, table cases named by ``name``: a failure
    is UnschedulableAndUnresolvable with the 1.34+ reason "node(s) had untolerated taint(s)"."""
    pod = pending(tolerations=tolerations)
    node = mknode("nodeA", taints=taints)
    got = filter_node(pod, node)
    assert got == reasons
    if reasons:
        assert not scheduler.resolvable_by_preemption(pod, node, got)


# --- tainttoleration: TestTaintTolerationScore --------------------------------------------------

CPU_ARM = taint("cpu-type", "arm64", PREFER_NO_SCHEDULE)
DISK_SSD = taint("disk-type", "ssd", PREFER_NO_SCHEDULE)


@pytest.mark.parametrize(
    ("name", "tolerations", "node_taints", "expected"),
    [
        case(
            "node with taints tolerated by the pod, gets a higher score than those node with intolerable taints",
            (tol("foo", "bar", PREFER_NO_SCHEDULE),),
            {"nodeA": (taint("foo", "bar", PREFER_NO_SCHEDULE),), "nodeB": (taint("foo", "blah", PREFER_NO_SCHEDULE),)},
            {"nodeA": 100, "nodeB": 0},
        ),
        case(
            "the nodes that all of their taints are tolerated by the pod, get the same score, no matter how many "
            "tolerable taints a node has",
            (tol("cpu-type", "arm64", PREFER_NO_SCHEDULE), tol("disk-type", "ssd", PREFER_NO_SCHEDULE)),
            {"nodeA": (), "nodeB": (CPU_ARM,), "nodeC": (CPU_ARM, DISK_SSD)},
            {"nodeA": 100, "nodeB": 100, "nodeC": 100},
        ),
        case(
            "the more intolerable taints a node has, the lower score it gets.",
            (tol("foo", "bar", PREFER_NO_SCHEDULE),),
            {"nodeA": (), "nodeB": (CPU_ARM,), "nodeC": (CPU_ARM, DISK_SSD)},
            {"nodeA": 100, "nodeB": 50, "nodeC": 0},
        ),
        case(
            "only taints and tolerations that have effect PreferNoSchedule are checked by taints-tolerations "
            "priority function",
            (tol("cpu-type", "arm64", NO_SCHEDULE), tol("disk-type", "ssd", NO_SCHEDULE)),
            {"nodeA": (), "nodeB": (taint("cpu-type", "arm64", NO_SCHEDULE),), "nodeC": (CPU_ARM, DISK_SSD)},
            {"nodeA": 100, "nodeB": 100, "nodeC": 0},
        ),
        case(
            "Default behaviour No taints and tolerations, lands on node with no taints",
            (),
            {"nodeA": (), "nodeB": (CPU_ARM,)},
            {"nodeA": 100, "nodeB": 0},
        ),
    ],
)
def test_taint_toleration_score(
    name: str, tolerations: tuple[Toleration, ...], node_taints: dict[str, tuple[Taint, ...]], expected: dict[str, int]
) -> None:
    """taint_toleration_test.go TestTaintTolerationScore, table cases named by ``name``: the
    normalised TaintToleration score of each node. The nodes are alike in every other respect and
    the pod requests nothing, so kmodel's weighted total differs between two nodes by exactly
    the TaintToleration weight (3) times the difference of their TaintToleration scores."""
    pod = pending(tolerations=tolerations)
    nodes = [mknode(n, taints=t) for n, t in node_taints.items()]
    totals = scheduler.scores(mkcluster(*nodes), pod, nodes)
    first = nodes[0].name
    assert {n: totals[n] - totals[first] for n in totals} == {
        n: scheduler.WEIGHT_TAINT_TOLERATION * (expected[n] - expected[first]) for n in expected
    }


# --- nodeunschedulable: TestNodeUnschedulable ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "tolerations", "unschedulable", "reasons"),
    [
        case("Does not schedule pod to unschedulable node (node.Spec.Unschedulable==true)", (), True, [UNSCHEDULABLE]),
        case("Schedule pod to normal node", (), False, []),
        case(
            "Schedule pod with toleration to unschedulable node (node.Spec.Unschedulable==true)",
            (tol(TAINT_UNSCHEDULABLE, effect=NO_SCHEDULE, operator=""),),
            True,
            [],
        ),
    ],
)
def test_node_unschedulable(
    name: str, tolerations: tuple[Toleration, ...], unschedulable: bool, reasons: list[str]
) -> None:
    """node_unschedulable_test.go TestNodeUnschedulable, table cases named by ``name``: a cordoned
    node fails with UnschedulableAndUnresolvable "node(s) were unschedulable" unless the pod
    tolerates node.kubernetes.io/unschedulable:NoSchedule."""
    pod = pending(tolerations=tolerations)
    node = mknode("node1", unschedulable=unschedulable)
    got = filter_node(pod, node)
    assert got == reasons
    if reasons:
        assert not scheduler.resolvable_by_preemption(pod, node, got)


# --- nodeaffinity: TestNodeAffinity (nodeSelector cases) -----------------------------------------


@pytest.mark.parametrize(
    ("name", "selector", "node_labels", "reasons"),
    [
        case("missing labels", {"foo": "bar"}, {}, [AFFINITY]),
        case("same labels", {"foo": "bar"}, {"foo": "bar"}, []),
        case("node labels are superset", {"foo": "bar"}, {"foo": "bar", "baz": "blah"}, []),
        case("node labels are subset", {"foo": "bar", "baz": "blah"}, {"foo": "bar"}, [AFFINITY]),
    ],
)
def test_node_affinity_node_selector(
    name: str, selector: dict[str, str], node_labels: dict[str, str], reasons: list[str]
) -> None:
    """node_affinity_test.go TestNodeAffinity, the nodeSelector cases named by ``name``: failing
    nodes are UnschedulableAndUnresolvable with ErrReasonPod."""
    pod = pending(node_selector=labels_of(selector))
    node = mknode("node1", labels=node_labels)
    got = filter_node(pod, node)
    assert got == reasons
    if reasons:
        assert not scheduler.resolvable_by_preemption(pod, node, got)


# --- noderesources: TestEnoughRequests / TestNotEnoughRequests -----------------------------------


def fit_node(pods: int) -> Node:
    """makeAllocatableResources(10, 20, pods, ...): 10 millicores, 20 bytes."""
    return mknode("node1", capacity=Resources(cpu=10, memory=20, pods=pods))


@pytest.mark.parametrize(
    ("name", "requests", "used", "reasons"),
    [
        case("no resources requested always fits", Resources(), Resources(cpu=10, memory=20), []),
        case(
            "too many resources fails",
            Resources(cpu=1, memory=1),
            Resources(cpu=10, memory=20),
            ["Insufficient cpu", "Insufficient memory"],
        ),
        case("both resources fit", Resources(cpu=1, memory=1), Resources(cpu=5, memory=5), []),
        case("one resource memory fits", Resources(cpu=2, memory=1), Resources(cpu=9, memory=5), ["Insufficient cpu"]),
        case("one resource cpu fits", Resources(cpu=1, memory=2), Resources(cpu=5, memory=19), ["Insufficient memory"]),
        case("equal edge case", Resources(cpu=5, memory=1), Resources(cpu=5, memory=19), []),
    ],
)
def test_enough_requests(name: str, requests: Resources, used: Resources, reasons: list[str]) -> None:
    """fit_test.go TestEnoughRequests, table cases named by ``name`` (the node runs one pod using
    ``used``; capacity 10m CPU, 20 bytes, 32 pods). A failure is Unschedulable, i.e. preemption
    could help."""
    pod = pending(requests=requests)
    node = fit_node(32)
    got = filter_node(pod, node, mkpod("existing", "node1", requests=used))
    assert got == reasons
    if reasons:
        assert scheduler.resolvable_by_preemption(pod, node, got)


@pytest.mark.parametrize(
    ("name", "requests", "used"),
    [
        case(
            "even without specified resources, predicate fails when there's no space for additional pod",
            Resources(),
            Resources(cpu=10, memory=20),
        ),
        case(
            "even if both resources fit, predicate fails when there's no space for additional pod",
            Resources(cpu=1, memory=1),
            Resources(cpu=5, memory=5),
        ),
        case(
            "even for equal edge case, predicate fails when there's no space for additional pod",
            Resources(cpu=5, memory=1),
            Resources(cpu=5, memory=19),
        ),
    ],
)
def test_not_enough_requests(name: str, requests: Resources, used: Resources) -> None:
    """fit_test.go TestNotEnoughRequests, table cases named by ``name``: the node allows one pod
    and already runs one, so the only reason is "Too many pods" (Unschedulable)."""
    pod = pending(requests=requests)
    node = fit_node(1)
    got = filter_node(pod, node, mkpod("existing", "node1", requests=used))
    assert got == ["Too many pods"]
    assert scheduler.resolvable_by_preemption(pod, node, got)


# --- noderesources: scores -----------------------------------------------------------------------


def test_least_allocated_differently_sized_nodes() -> None:
    """least_allocated_test.go TestLeastAllocatedScoringStrategy, case "nothing scheduled,
    resources requested, differently sized nodes": a pod requesting 3000 CPUs and 5000 bytes
    scores 37 on a 4000-CPU node and 50 on a 6000-CPU node (both 10000 bytes)."""
    pod = pending(requests=Resources(cpu=3_000_000, memory=5000))
    node1 = mknode("node1", capacity=Resources(cpu=4_000_000, memory=10000, pods=110))
    node2 = mknode("node2", capacity=Resources(cpu=6_000_000, memory=10000, pods=110))
    usage = scheduler.node_usage(mkcluster(node1, node2))
    assert [scheduler._least_allocated(usage, pod, n) for n in (node1, node2)] == [37, 50]


CPU_AND_MEMORY = Resources(cpu=3000, memory=5000)  # 1000m+2000 bytes and 2000m+3000 bytes
CPU_ONLY = Resources(cpu=3000, memory=0)  # 1000m and 2000m, memory "0"


@pytest.mark.parametrize(
    ("name", "requests", "capacities", "existing", "expected"),
    [
        case(
            "nothing scheduled, resources requested, differently sized nodes",
            CPU_AND_MEMORY,
            {"node1": (4000, 10000), "node2": (6000, 10000)},
            {},
            {"node1": 87, "node2": 100},
        ),
        case(
            "resources requested, pods scheduled with resources",
            CPU_AND_MEMORY,
            {"node1": (10000, 20000), "node2": (10000, 20000)},
            {"node1": CPU_ONLY, "node2": CPU_AND_MEMORY},
            {"node1": 82, "node2": 95},
        ),
        case(
            "requested resources at node capacity",
            CPU_ONLY,
            {"node1": (6000, 10000), "node2": (6000, 10000)},
            {"node1": CPU_ONLY, "node2": CPU_AND_MEMORY},
            {"node1": 50, "node2": 75},
        ),
    ],
)
def test_balanced_allocation(
    name: str,
    requests: Resources,
    capacities: dict[str, tuple[int, int]],
    existing: dict[str, Resources],
    expected: dict[str, int],
) -> None:
    """balanced_allocation_test.go TestNodeResourcesBalancedAllocation, table cases named by
    ``name``: one minus the standard deviation of the CPU and memory fractions the node would
    have with the pod, on a 0-100 scale; existing pods count with their real requests."""
    nodes = [mknode(n, capacity=Resources(cpu=cpu, memory=mem, pods=110)) for n, (cpu, mem) in capacities.items()]
    pods = [mkpod(f"on-{n}", n, requests=r) for n, r in existing.items()]
    usage = scheduler.node_usage(mkcluster(*nodes, pods=pods))
    pod = pending(requests=requests)
    assert {n.name: scheduler._balanced_allocation(usage, pod, n) for n in nodes} == expected


# --- framework: TestFitError_Error --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reasons", "message"),
    [
        case(
            "nodes failed one Filter plugin with an empty PostFilterMsg",
            {f"node{i}": ["Node(s) failed Filter plugin FalseFilter-1"] for i in (1, 2, 3)},
            "0/3 nodes are available: 3 Node(s) failed Filter plugin FalseFilter-1.",
        ),
        case(
            "nodes failed two Filter plugins with an empty PostFilterMsg",
            {
                "node1": ["Node(s) failed Filter plugin FalseFilter-1"],
                "node2": ["Node(s) failed Filter plugin FalseFilter-1"],
                "node3": ["Node(s) failed Filter plugin FalseFilter-2"],
            },
            "0/3 nodes are available: 1 Node(s) failed Filter plugin FalseFilter-2, "
            "2 Node(s) failed Filter plugin FalseFilter-1.",
        ),
    ],
)
def test_fit_error_message(name: str, reasons: dict[str, list[str]], message: str) -> None:
    """pkg/scheduler/framework/types_test.go TestFitError_Error, table cases named by ``name``:
    "0/N nodes are available: " then each reason with its node count, the entries sorted as
    strings."""
    assert scheduler.failure_message(3, reasons) == message
