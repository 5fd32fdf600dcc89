"""DefaultEvictor, translated from kubernetes-sigs/descheduler v0.36.0
pkg/framework/plugins/defaultevictor/defaultevictor_test.go: TestDefaultEvictorPreEvictionFilter
(the nodeFit check: does the pod on node1 fit one of the other nodes) and TestDefaultEvictorFilter
(the protections). Each case's ``result`` is the expectation. Cases left out need what kmodel
does not model: annotations (the evict and no-eviction annotations, mirror pods), PVCs,
namespace selectors, PodDisruptionBudgets, ResourceClaims, minReplicas and minPodAge.
Builders: tests/k8s/deschedulerkit.py (``buildTestNode``: 2000m, 3000 bytes, 10 pods;
``buildTestPod``: 100m).
"""

from __future__ import annotations

import pytest

from kmodel.components.descheduler_plugins import defaultevictor
from kmodel.deschedulertypes import DefaultEvictorArgs
from kmodel.settings import Settings
from kmodel.state import FAILED, NO_SCHEDULE, Cluster, Node, Pod, Taint, Toleration
from tests.k8s.deschedulerkit import DS, NORMAL, RS, SYSTEM_CRITICAL, node, pod

GPU = Taint(key="hardware", value="gpu", effect=NO_SCHEDULE)
EAST = {"datacenter": "east"}


def cluster_of(nodes: list[Node], pods: list[Pod]) -> Cluster:
    c = Cluster(settings=Settings(), nodes=tuple(sorted([node("node1"), *nodes], key=lambda n: n.name)))
    for p in pods:
        c = c.with_pod(p)
    return c


PRE_EVICTION = [
    (
        "Pod with no tolerations running on normal node, all other nodes tainted",
        pod("p1", 100, 0, "node1", owner=NORMAL),
        [node("node2", taints=(GPU,)), node("node3", taints=(GPU,))],
        [],
        True,
        False,
    ),
    (
        "Pod with correct tolerations running on normal node, all other nodes tainted",
        pod(
            "p1",
            100,
            0,
            "node1",
            owner=NORMAL,
            tolerations=(Toleration(key="hardware", value="gpu", effect=NO_SCHEDULE),),
        ),
        [node("node2", taints=(GPU,)), node("node3", taints=(GPU,))],
        [],
        True,
        True,
    ),
    (
        "Pod with incorrect node selector",
        pod("p1", 100, 0, "node1", owner=NORMAL, node_selector={"datacenter": "fail"}),
        [node("node2", labels=EAST), node("node3", labels=EAST)],
        [],
        True,
        False,
    ),
    (
        "Pod with correct node selector",
        pod("p1", 100, 0, "node1", owner=NORMAL, node_selector=EAST),
        [node("node2", labels=EAST), node("node3", labels=EAST)],
        [],
        True,
        True,
    ),
    (
        "Pod with correct node selector, but only available node doesn't have enough CPU",
        pod("p1", 12, 8, "node1", owner=NORMAL, node_selector=EAST),
        [node("node2-TEST", 10, 16, 10, labels=EAST), node("node3-TEST", 10, 16, 10, labels=EAST)],
        [],
        True,
        False,
    ),
    (
        "Pod with correct node selector, and one node has enough memory",
        pod("p1", 12, 8, "node1", owner=NORMAL, node_selector=EAST),
        [node("node2", 100, 16, 10, labels=EAST), node("node3", 100, 20, 10, labels=EAST)],
        [
            pod("node2-pod-10GB-mem", 20, 10, "node2", owner=None),
            pod("node3-pod-10GB-mem", 20, 10, "node3", owner=None),
        ],
        True,
        True,
    ),
    (
        "Pod with correct node selector, but both nodes don't have enough memory",
        pod("p1", 12, 8, "node1", owner=NORMAL, node_selector=EAST),
        [node("node2", 100, 16, 10, labels=EAST), node("node3", 100, 16, 10, labels=EAST)],
        [
            pod("node2-pod-10GB-mem", 10, 10, "node2", owner=None),
            pod("node3-pod-10GB-mem", 10, 10, "node3", owner=None),
        ],
        True,
        False,
    ),
    (
        "Pod with incorrect node selector, but nodefit false, should still be evicted",
        pod("p1", 100, 0, "node1", owner=NORMAL, node_selector={"datacenter": "fail"}),
        [node("node2", labels=EAST), node("node3", labels=EAST)],
        [],
        False,
        True,
    ),
]


@pytest.mark.parametrize("name, target, nodes, others, nodefit, result", PRE_EVICTION, ids=[c[0] for c in PRE_EVICTION])
def test_default_evictor_pre_eviction_filter(
    name: str, target: Pod, nodes: list[Node], others: list[Pod], nodefit: bool, result: bool
) -> None:
    """TestDefaultEvictorPreEvictionFilter: each case's result."""
    c = cluster_of(nodes, [target, *others])
    args = DefaultEvictorArgs(node_fit=nodefit)
    assert defaultevictor.pre_eviction_filter(args, c, list(c.nodes), target) is result


def _failed(p: Pod) -> Pod:
    import attrs

    return attrs.evolve(p, phase=FAILED)


FILTER = [
    ("Failed pod eviction with no ownerRefs", _failed(pod("bare_pod_failed", 100, 0, "node1", owner=None)), {}, False),
    (
        "Normal pod eviction with no ownerRefs and evictFailedBarePods enabled",
        pod("bare_pod", 100, 0, "node1", owner=None),
        {"evict_failed_bare_pods": True},
        False,
    ),
    (
        "Failed pod eviction with no ownerRefs (evictFailedBarePods)",
        _failed(pod("bare_pod_failed_but_can_be_evicted", 100, 0, "node1", owner=None)),
        {"evict_failed_bare_pods": True},
        True,
    ),
    ("Normal pod eviction with normal ownerRefs", pod("p1", 100, 0, "node1", owner=NORMAL), {}, True),
    ("Normal pod eviction with replicaSet ownerRefs", pod("p3", 100, 0, "node1", owner=RS), {}, True),
    (
        "Normal pod eviction with statefulSet ownerRefs",
        pod("p18", 100, 0, "node1", owner=("StatefulSet", "statefulset-1")),
        {},
        True,
    ),
    (
        "Pod not evicted because it is bound to a PV and evictLocalStoragePods = false",
        pod("p5", 100, 0, "node1", owner=NORMAL, local_storage=True),
        {},
        False,
    ),
    (
        "Pod is evicted because it is bound to a PV and evictLocalStoragePods = true",
        pod("p6", 100, 0, "node1", owner=NORMAL, local_storage=True),
        {"evict_local_storage_pods": True},
        True,
    ),
    ("Pod not evicted because it is part of a daemonSet", pod("p8", 100, 0, "node1", owner=DS), {}, False),
    (
        "Pod not evicted because it has system critical priority",
        pod("p12", 100, 0, "node1", owner=NORMAL, priority=SYSTEM_CRITICAL),
        {},
        False,
    ),
    (
        "Pod not evicted because it has a priority higher than the configured priority threshold",
        pod("p14", 100, 0, "node1", owner=NORMAL, priority=900),
        {"priority_threshold_value": 800},
        False,
    ),
    (
        "Pod is evicted because it has system critical priority, but evictSystemCriticalPods = true",
        pod("p16", 100, 0, "node1", owner=NORMAL, priority=SYSTEM_CRITICAL),
        {"evict_system_critical_pods": True},
        True,
    ),
    (
        "Pod is evicted because it has a priority higher than the configured priority threshold, but evictSystemCriticalPods = true",  # noqa: E501 (the Go case name, verbatim)
        pod("p18", 100, 0, "node1", owner=NORMAL, priority=900),
        {"evict_system_critical_pods": True, "priority_threshold_value": 800},
        True,
    ),
    (
        "Pod with no tolerations running on normal node, all other nodes tainted, no PreEvictionFilter, should ignore nodeFit",  # noqa: E501 (the Go case name, verbatim)
        pod("p1", 100, 0, "node1", owner=NORMAL),
        {"node_fit": True},
        True,
    ),
]


@pytest.mark.parametrize("name, target, args, result", FILTER, ids=[c[0] for c in FILTER])
def test_default_evictor_filter(name: str, target: Pod, args: dict[str, object], result: bool) -> None:
    """TestDefaultEvictorFilter: each case's result."""
    c = cluster_of([node("node2", taints=(GPU,))], [target])
    assert defaultevictor.filter(DefaultEvictorArgs(**args), c, target) is result  # type: ignore[arg-type]


def test_terminating_pods_are_never_considered() -> None:
    """defaultevictor.go Filter: ``IsPodTerminating`` ("pod is terminating") keeps a pod out
    whatever the arguments (the Go plugin tests' "no pod evicted since pod terminating" cases)."""
    target = pod("p1", 100, 0, "node1", owner=RS, terminating=True)
    assert (
        defaultevictor.filter(DefaultEvictorArgs(evict_system_critical_pods=True), cluster_of([], [target]), target)
        is False
    )
