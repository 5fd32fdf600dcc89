"""RemoveDuplicates, translated from kubernetes-sigs/descheduler v0.36.0
pkg/framework/plugins/removeduplicates/removeduplicates_test.go (TestFindDuplicatePods,
TestRemoveDuplicatesUniformly). The Go harness runs Balance on the case's nodes with
``DefaultEvictorArgs{NodeFit: nodefit}`` and compares ``TotalEvicted()`` with
``expectedEvictedPodCount``. Cases left out: those that need several namespaces, several owner
references per pod, or pods of one owner with different images (kmodel has one namespace, one
controller per pod, and one template per ReplicaSet). Builders: tests/k8s/deschedulerkit.py
(``buildTestNode``: 2000m, 3000 bytes, 10 pods; ``buildTestPodForNode``: 100m).
"""

from __future__ import annotations

import pytest

from kmodel.components.descheduler_plugins import removeduplicates
from kmodel.deschedulertypes import DefaultEvictorArgs, PluginArgs
from kmodel.state import NO_SCHEDULE, Node, Pod, Taint
from tests.k8s.deschedulerkit import DS, NORMAL, SYSTEM_CRITICAL, node, pod, run_plugin


def rs_pods(*names: str, node_name: str = "n1", **kw: object) -> list[Pod]:
    return [pod(n, 100, 0, node_name, **kw) for n in names]  # type: ignore[arg-type]


def evict(pods: list[Pod], nodes: list[Node], nodefit: bool = False, **args: object) -> int:
    return len(
        run_plugin(removeduplicates.run, PluginArgs(**args), nodes, pods, DefaultEvictorArgs(node_fit=nodefit))  # type: ignore[arg-type]
    )


def test_three_pods_same_replicaset() -> None:
    """TestFindDuplicatePods "Three pods in the `dev` Namespace, bound to same ReplicaSet. 1
    should be evicted.": 1."""
    assert evict(rs_pods("p1", "p2", "p3"), [node("n1"), node("n2")]) == 1


def test_replicaset_kind_excluded() -> None:
    """TestFindDuplicatePods "... but ReplicaSet kind is excluded. 0 should be evicted.": 0."""
    assert evict(rs_pods("p1", "p2", "p3"), [node("n1"), node("n2")], exclude_owner_kinds=("ReplicaSet",)) == 0


def test_protected_pods_are_not_evicted() -> None:
    """TestFindDuplicatePods "Pods are: part of DaemonSet, with local storage, mirror pod
    annotation, critical pod annotation - none should be evicted.": 0 (the DaemonSet pods, a
    bare pod for the mirror and local-storage ones, system-critical pods)."""
    pods = [*rs_pods("p4", "p5", owner=DS), pod("p6", 100, 0, "n1", owner=None), pod("p7", 100, 0, "n1", owner=None)]
    pods += rs_pods("p11", "p12", owner=NORMAL, priority=SYSTEM_CRITICAL)
    assert evict(pods, [node("n1"), node("n2")]) == 0


def test_only_other_node_has_a_taint_nodefit() -> None:
    """TestFindDuplicatePods "... Only node available has a taint, and nodeFit set to true. 0
    should be evicted.": 0."""
    gpu = node("n3", taints=(Taint(key="hardware", value="gpu", effect=NO_SCHEDULE),))
    assert evict(rs_pods("p1", "p2", "p3"), [node("n1"), gpu], nodefit=True) == 0


def test_only_other_node_has_wrong_label_nodefit() -> None:
    """TestFindDuplicatePods "... all with a nodeSelector. Only node available has an incorrect
    node label, and nodeFit set to true. 0 should be evicted.": 0."""
    pods = rs_pods("p15", "NOT1", "NOT2", node_selector={"datacenter": "west"})
    assert evict(pods, [node("n1"), node("n4", labels={"datacenter": "east"})], nodefit=True) == 0


def test_only_other_node_unschedulable_nodefit() -> None:
    """TestFindDuplicatePods "... Only node available is not schedulable, and nodeFit set to
    true. 0 should be evicted.": 0."""
    assert evict(rs_pods("p1", "p2", "p3"), [node("n1"), node("n5", unschedulable=True)], nodefit=True) == 0


@pytest.mark.parametrize(
    "other, cpu, want",
    [("CPU-eater", 150, 0), ("CPU-saver", 100, 1)],
    ids=["does not have enough CPU", "has enough CPU"],
)
def test_only_other_node_cpu_nodefit(other: str, cpu: int, want: int) -> None:
    """TestFindDuplicatePods "... Only node available does not have enough CPU, and nodeFit set
    to true. 0 should be evicted." and "... has enough CPU ... 1 should be evicted.": n6 has
    200m and runs a pod of 150m (or 100m)."""
    pods = [*rs_pods("p1", "p2", "p3"), pod(other, cpu, 150, "n6", owner=None)]
    assert evict(pods, [node("n1"), node("n6", 200, 200, 10)], nodefit=True) == want


def _nine() -> list[Pod]:
    return (
        rs_pods("p1", "p2", "p3", "p4", "p5")
        + rs_pods("p6", "p7", "p8", node_name="n2")
        + rs_pods("p9", node_name="n3")
    )


def test_evict_pods_uniformly() -> None:
    """TestRemoveDuplicatesUniformly "Evict pods uniformly": 2."""
    assert evict(_nine(), [node("n1"), node("n2"), node("n3")]) == 2


def test_evict_pods_uniformly_with_one_node_left_out() -> None:
    """TestRemoveDuplicatesUniformly "Evict pods uniformly with one node left out": 1."""
    assert evict(_nine(), [node("n1"), node("n2")]) == 1
