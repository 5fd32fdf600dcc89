"""RemovePodsViolatingNodeTaints, translated from kubernetes-sigs/descheduler v0.36.0
pkg/framework/plugins/removepodsviolatingnodetaints/node_taint_test.go,
TestDeletePodsViolatingNodeTaints. The Go harness runs Deschedule on the case's nodes with the
case's DefaultEvictor arguments and limits and compares ``TotalEvicted()`` with
``expectedEvictedPodCount``.

The Go helpers to know: ``createNoScheduleTaint(key, value, i)`` ignores key and value and always
makes ``testTaint<i>=test<i>`` (so ``withTestingTaint1`` and ``withBothTaints1`` carry that
taint too); ``addTolerationToPod`` replaces the pod's tolerations (operator empty: Equal).
``withLocalStorageVolume`` is ``local_storage=True``.
Builders: tests/k8s/deschedulerkit.py (``buildTestNode``: 2000m, 3000 bytes, 10 pods;
``buildTestPod``: 100m; ``buildTestPodWithNormalOwnerRef``: an owner of kind Pod).
"""

from __future__ import annotations

import pytest

from kmodel.components.descheduler_plugins import removepodsviolatingnodetaints
from kmodel.deschedulertypes import DefaultEvictorArgs, PluginArgs
from kmodel.state import NO_SCHEDULE, PREFER_NO_SCHEDULE, Node, Pod, Taint, Toleration
from tests.k8s.deschedulerkit import DS, NORMAL, SYSTEM_CRITICAL, node, pod, run_plugin

TAINT1 = Taint(key="testTaint1", value="test1", effect=NO_SCHEDULE)
PREFER1 = Taint(key="testTaint1", value="test1", effect=PREFER_NO_SCHEDULE)


def tol(key: str, value: str, effect: str = NO_SCHEDULE) -> tuple[Toleration, ...]:
    return (Toleration(key=key, value=value, effect=effect),)


TEST1 = tol("testTaint1", "test1")
TESTX1 = tol("testTaintX1", "testX1")


def p(name: str, node_name: str, **kw: object) -> Pod:
    """``buildTestPodWithNormalOwnerRef``."""
    kw.setdefault("owner", NORMAL)
    return pod(name, 100, 0, node_name, **kw)  # type: ignore[arg-type]


def n(name: str, *taints: Taint, **kw: object) -> Node:
    return node(name, taints=taints, **kw)  # type: ignore[arg-type]


def critical(name: str, node_name: str) -> Pod:
    return p(name, node_name, priority=SYSTEM_CRITICAL)


def storage(name: str, node_name: str) -> Pod:
    """``buildTestPodWithNormalOwnerRef(name, node, withLocalStorageVolume)``."""
    return p(name, node_name, local_storage=True)


def mirror(name: str, node_name: str) -> Pod:
    return p(name, node_name, owner=None)  # kmodel has no mirror pods: a bare pod, kept alike


CASES = [
    (
        "Pods not tolerating node taint should be evicted",
        [p("p1", "n1", tolerations=TEST1), p("p2", "n1"), p("p3", "n1", tolerations=TEST1)],
        [n("n1", TAINT1)],
        {},
        {},
        1,
    ),
    (
        "Pods with tolerations but not tolerating node taint should be evicted",
        [p("p1", "n1", tolerations=TEST1), p("p3", "n1", tolerations=TEST1), p("p4", "n1", tolerations=TESTX1)],
        [n("n1", TAINT1)],
        {},
        {},
        1,
    ),
    (
        "Only <maxNoOfPodsToEvictTotal> number of Pods not tolerating node taint should be evicted",
        [p("p1", "n1", tolerations=TEST1), p("p5", "n1"), p("p6", "n1")],
        [n("n1", TAINT1)],
        {},
        {"max_per_node": 2, "max_total": 1},
        1,
    ),
    (
        "Only <maxPodsToEvictPerNode> number of Pods not tolerating node taint should be evicted",
        [p("p1", "n1", tolerations=TEST1), p("p5", "n1"), p("p6", "n1")],
        [n("n1", TAINT1)],
        {},
        {"max_per_node": 1},
        1,
    ),
    (
        "Only <maxNoOfPodsToEvictPerNamespace> number of Pods not tolerating node taint should be evicted",
        [p("p1", "n1", tolerations=TEST1), p("p5", "n1"), p("p6", "n1")],
        [n("n1", TAINT1)],
        {},
        {"max_per_namespace": 1},
        1,
    ),
    (
        "Critical pods except storage pods not tolerating node taint should not be evicted",
        [critical("p7", "n2"), p("p8", "n2", owner=DS), storage("p9", "n2"), mirror("p10", "n2")],
        [n("n2", TAINT1)],
        {"evict_local_storage_pods": True},
        {},
        1,
    ),
    (
        "Critical and non critical pods, only non critical pods not tolerating node taint should be evicted",
        [critical("p7", "n2"), p("p8", "n2", owner=DS), mirror("p10", "n2"), p("p11", "n2")],
        [n("n2", TAINT1)],
        {},
        {},
        1,
    ),
    (
        "Critical and non critical pods, pods not tolerating node taint should be evicted even if they are critical",
        [p("p2", "n1"), critical("p7", "n2"), storage("p9", "n2"), mirror("p10", "n2")],
        [n("n1", TAINT1), n("n2", TAINT1)],
        {"evict_system_critical_pods": True},
        {},
        2,
    ),
    (
        "Pod p2 doesn't tolerate taint on it's node, but also doesn't tolerate taints on other nodes",
        [p("p1", "n1", tolerations=TEST1), p("p2", "n1"), p("p3", "n1", tolerations=TEST1)],
        [n("n1", TAINT1), n("n2", TAINT1)],
        {"node_fit": True},
        {},
        0,
    ),
    (
        "Pod p12 doesn't tolerate taint on it's node, but other nodes don't match it's selector",
        [
            p("p1", "n1", tolerations=TEST1),
            p("p3", "n1", tolerations=TEST1),
            p("p11", "n2", node_selector={"datacenter": "west"}),
        ],
        [n("n1", TAINT1), n("n3", labels={"datacenter": "east"})],
        {"node_fit": True},
        {},
        0,
    ),
    (
        "Pod p2 doesn't tolerate taint on it's node, but other nodes are unschedulable",
        [p("p1", "n1", tolerations=TEST1), p("p2", "n1"), p("p3", "n1", tolerations=TEST1)],
        [n("n1", TAINT1), n("n4", unschedulable=True)],
        {"node_fit": True},
        {},
        0,
    ),
    (
        "Pods not tolerating PreferNoSchedule node taint should not be evicted when not enabled",
        [p("p13", "n5", tolerations=tol("testTaint0", "test0", PREFER_NO_SCHEDULE))],
        [n("n5", PREFER1)],
        {},
        {},
        0,
    ),
    (
        "Pods not tolerating excluded node taints (by key) should not be evicted",
        [p("p2", "n1")],
        [n("n1", TAINT1)],
        {},
        {},
        0,
    ),
    (
        "Pods not tolerating excluded node taints (by key and value) should not be evicted",
        [p("p2", "n1")],
        [n("n1", TAINT1)],
        {},
        {},
        0,
    ),
    (
        "The excluded taint matches the key of node1's taint, but does not match the value",
        [p("p2", "n1")],
        [n("n1", TAINT1)],
        {},
        {},
        1,
    ),
    (
        "Critical and non critical pods, pods not tolerating node taint can't be evicted because the only available node does not have enough resources.",  # noqa: E501 (the Go case name, verbatim)
        [p("p2", "n1"), critical("p7", "n2"), storage("p9", "n2"), mirror("p10", "n2")],
        [n("n1", TAINT1), node("n6", 1, 1, 1, taints=(PREFER1,))],
        {"evict_system_critical_pods": True, "node_fit": True},
        {},
        0,
    ),
    (
        "Pods tolerating included taints should not get evicted even with other taints present",
        [p("p1", "n1", tolerations=TEST1)],
        [n("n7", TAINT1, TAINT1)],
        {},
        {},
        0,
    ),
    (
        "Pods not tolerating not included taints should not get evicted",
        [p("p1", "n1", tolerations=TEST1), p("p2", "n1"), p("p4", "n1", tolerations=TESTX1)],
        [n("n1", TAINT1)],
        {},
        {},
        0,
    ),
    (
        "Pods tolerating includedTaint should not get evicted. Pods not tolerating includedTaints should get evicted",
        [p("p1", "n1", tolerations=TEST1), p("p2", "n1"), p("p3", "n1", tolerations=TEST1)],
        [n("n1", TAINT1)],
        {},
        {},
        1,
    ),
    (
        "Pods not tolerating all taints are evicted when includedTaints is empty",
        [p("p14", "n7", tolerations=TEST1), p("p15", "n7", tolerations=tol("testingTaint1", "testing1"))],
        [n("n7", TAINT1, TAINT1)],
        {},
        {},
        1,
    ),
]
PLUGIN_ARGS = {
    "Pods not tolerating excluded node taints (by key) should not be evicted": PluginArgs(
        excluded_taints=("excludedTaint1", "testTaint1")
    ),
    "Pods not tolerating excluded node taints (by key and value) should not be evicted": PluginArgs(
        excluded_taints=("testTaint1=test1",)
    ),
    "The excluded taint matches the key of node1's taint, but does not match the value": PluginArgs(
        excluded_taints=("testTaint1=test2",)
    ),
    "Pods tolerating included taints should not get evicted even with other taints present": PluginArgs(
        included_taints=("testTaint1=test1",)
    ),
    "Pods not tolerating not included taints should not get evicted": PluginArgs(included_taints=("testTaint2=test2",)),
    "Pods tolerating includedTaint should not get evicted. Pods not tolerating includedTaints should get evicted": PluginArgs(  # noqa: E501 (the Go case name, verbatim)
        included_taints=("testTaint1=test1",)
    ),
}


@pytest.mark.parametrize("name, pods, nodes, evictor, limits, want", CASES, ids=[c[0] for c in CASES])
def test_delete_pods_violating_node_taints(
    name: str, pods: list[Pod], nodes: list[Node], evictor: dict[str, bool], limits: dict[str, int], want: int
) -> None:
    """TestDeletePodsViolatingNodeTaints: each case's expectedEvictedPodCount."""
    args = PLUGIN_ARGS.get(name, PluginArgs())
    evicted = run_plugin(removepodsviolatingnodetaints.run, args, nodes, pods, DefaultEvictorArgs(**evictor), **limits)
    assert len(evicted) == want


def test_prefer_no_schedule_evicted_when_enabled() -> None:
    """TestDeletePodsViolatingNodeTaints "Pods not tolerating PreferNoSchedule node taint should
    be evicted when enabled": 1 (p13 tolerates testTaint0, not the node's testTaint1)."""
    pods = [p("p13", "n5", tolerations=tol("testTaint0", "test0", PREFER_NO_SCHEDULE))]
    args = PluginArgs(include_prefer_no_schedule=True)
    assert run_plugin(removepodsviolatingnodetaints.run, args, [n("n5", PREFER1)], pods) == ["p13"]


def test_critical_pods_not_tolerating_node_taint_should_not_be_evicted() -> None:
    """TestDeletePodsViolatingNodeTaints "Critical pods not tolerating node taint should not be
    evicted": 0 (p9's local-storage volume protects it)."""
    pods = [critical("p7", "n2"), p("p8", "n2", owner=DS), storage("p9", "n2"), mirror("p10", "n2")]
    assert run_plugin(removepodsviolatingnodetaints.run, PluginArgs(), [n("n2", TAINT1)], pods) == []
