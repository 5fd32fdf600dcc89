"""LowNodeUtilization, translated from kubernetes-sigs/descheduler v0.36.0
pkg/framework/plugins/nodeutilization/lownodeutilization_test.go, TestLowNodeUtilization (the
requests-based cases; the metrics and Prometheus ones need actual usage, which kmodel does not
model). The Go harness runs the plugin with ``DefaultEvictorArgs{NodeFit: true}`` on every node
of the case and compares ``podEvictor.TotalEvicted()`` with ``expectedPodsEvicted``; so do these.
See tests/k8s/deschedulerkit.py for how the Go builders translate.
"""

from __future__ import annotations

import pytest

from kmodel.components.descheduler_plugins import lownodeutilization
from kmodel.deschedulertypes import DefaultEvictorArgs, Namespaces, PluginArgs
from kmodel.labels import IN, Requirement
from kmodel.schedulingspec import NodeAffinity, NodeSelectorTerm, SchedulingSpec
from kmodel.state import Node, Pod
from tests.k8s.deschedulerkit import DS, NORMAL, SYSTEM_CRITICAL, node, pod, run_plugin

CPU_PODS_30_50 = {"thresholds": (("cpu", 30.0), ("pods", 30.0)), "target_thresholds": (("cpu", 50.0), ("pods", 50.0))}
NODE_FIT = DefaultEvictorArgs(node_fit=True)
HIGH, LOW = 10000, 0  # the test file's highPriority / lowPriority


def three_nodes() -> list[Node]:
    return [node("n1", 4000, 3000, 9), node("n2", 4000, 3000, 10), node("n3", 4000, 3000, 10, unschedulable=True)]


def usual_pods(**overrides: Pod) -> list[Pod]:
    """p1..p5 ReplicaSet pods on n1, p6 a DaemonSet pod, p7 a mirror pod with local storage (a
    bare pod here), p8 a system-critical pod, p9 a ReplicaSet pod on n2; each requests 400m."""
    pods = {f"p{i}": pod(f"p{i}", 400, 0, "n1") for i in range(1, 6)}
    pods["p6"] = pod("p6", 400, 0, "n1", owner=DS)
    pods["p7"] = pod("p7", 400, 0, "n1", owner=None)
    pods["p8"] = pod("p8", 400, 0, "n1", owner=NORMAL, priority=SYSTEM_CRITICAL)
    pods["p9"] = pod("p9", 400, 0, "n2")
    pods.update(overrides)
    return list(pods.values())


def evict(args: PluginArgs, nodes: list[Node], pods: list[Pod]) -> list[str]:
    return run_plugin(lownodeutilization.run, args, nodes, pods, NODE_FIT)


def test_no_evictable_pods() -> None:
    """TestLowNodeUtilization "no evictable pods": expectedPodsEvicted 0."""
    pods = [pod(f"p{i}", 400, 0, "n1", owner=DS) for i in range(1, 5)]
    pods += [pod("p5", 400, 0, "n1", owner=None), pod("p6", 400, 0, "n1", owner=None, priority=SYSTEM_CRITICAL)]
    pods += [pod("p9", 400, 0, "n2")]
    assert evict(PluginArgs(**CPU_PODS_30_50), three_nodes(), pods) == []


def test_without_priorities() -> None:
    """TestLowNodeUtilization "without priorities": expectedPodsEvicted 4."""
    assert len(evict(PluginArgs(**CPU_PODS_30_50), three_nodes(), usual_pods())) == 4


def test_without_priorities_but_excluding_namespaces() -> None:
    """TestLowNodeUtilization "without priorities, but excluding namespaces": p1..p5 live in an
    excluded namespace (here: default is excluded): expectedPodsEvicted 0."""
    args = PluginArgs(namespaces=Namespaces(exclude=("default",)), **CPU_PODS_30_50)
    assert evict(args, three_nodes(), usual_pods()) == []


def test_without_priorities_stop_when_cpu_capacity_is_depleted() -> None:
    """TestLowNodeUtilization "without priorities stop when cpu capacity is depleted":
    expectedPodsEvicted 4 (the room on n2 runs out: 2000m target minus 400m used)."""
    assert len(evict(PluginArgs(**CPU_PODS_30_50), three_nodes(), usual_pods())) == 4


def test_with_priorities() -> None:
    """TestLowNodeUtilization "with priorities": expectedPodsEvicted 4, the low-priority p5
    first."""
    pods = usual_pods(
        **{f"p{i}": pod(f"p{i}", 400, 0, "n1", priority=HIGH) for i in range(1, 5)},
        p5=pod("p5", 400, 0, "n1", priority=LOW),
        p6=pod("p6", 400, 0, "n1", owner=DS, priority=HIGH),
        p7=pod("p7", 400, 0, "n1", owner=None, priority=LOW),
    )
    evicted = evict(PluginArgs(**CPU_PODS_30_50), three_nodes(), pods)
    assert len(evicted) == 4
    assert evicted[0] == "p5"


def test_without_priorities_evicting_best_effort_pods_only() -> None:
    """TestLowNodeUtilization "without priorities evicting best-effort pods only":
    expectedPodsEvicted 4 (p1, p2, p4, p5 are BestEffort and go before the Burstable p3)."""
    be = {f"p{i}": pod(f"p{i}", 400, 0, "n1", best_effort=True) for i in (1, 2, 4, 5)}
    evicted = evict(PluginArgs(**CPU_PODS_30_50), three_nodes(), usual_pods(**be))
    assert sorted(evicted) == ["p1", "p2", "p4", "p5"]


def test_without_priorities_but_only_other_node_is_unschedulable() -> None:
    """TestLowNodeUtilization "without priorities, but only other node is unschedulable":
    expectedPodsEvicted 0 (a cordoned node is never underutilized)."""
    nodes = [node("n1", 4000, 3000, 9), node("n2", 4000, 3000, 10, unschedulable=True)]
    pods = [p for p in usual_pods() if p.name != "p9"]
    assert evict(PluginArgs(**CPU_PODS_30_50), nodes, pods) == []


def _other_node_east() -> list[Node]:
    return [node("n1", 4000, 3000, 9), node("n2", 4000, 3000, 10, labels={"datacenter": "east"})]


def test_other_node_does_not_match_node_selector_of_p4_p5() -> None:
    """TestLowNodeUtilization "without priorities, but only other node doesn't match pod node
    selector for p4 and p5": expectedPodsEvicted 3."""
    west = {"datacenter": "west"}
    pods = usual_pods(
        p4=pod("p4", 400, 0, "n1", owner=None, node_selector=west),
        p5=pod("p5", 400, 0, "n1", owner=None, node_selector=west),
    )
    assert len(evict(PluginArgs(**CPU_PODS_30_50), _other_node_east(), pods)) == 3


def test_other_node_does_not_match_node_affinity_of_p4_p5() -> None:
    """TestLowNodeUtilization "without priorities, but only other node doesn't match pod node
    affinity for p4 and p5": expectedPodsEvicted 3 (p9 requests nothing)."""
    west = NodeAffinity(required=(NodeSelectorTerm(match_expressions=(Requirement("datacenter", IN, ("west",)),)),))
    spec = SchedulingSpec(node_affinity=west)
    pods = usual_pods(
        p4=pod("p4", 400, 0, "n1", owner=None, scheduling=spec),
        p5=pod("p5", 400, 0, "n1", owner=None, scheduling=spec),
        p9=pod("p9", 0, 0, "n2"),
    )
    assert len(evict(PluginArgs(**CPU_PODS_30_50), _other_node_east(), pods)) == 3


def test_deviation_thresholds() -> None:
    """TestLowNodeUtilization "deviation thresholds": thresholds and targets of 5% around the
    average; expectedPodsEvicted 2."""
    args = PluginArgs(
        thresholds=(("cpu", 5.0), ("pods", 5.0)),
        target_thresholds=(("cpu", 5.0), ("pods", 5.0)),
        use_deviation_thresholds=True,
    )
    assert len(evict(args, three_nodes(), usual_pods())) == 2


def test_without_priorities_with_node_eviction_limit() -> None:
    """TestLowNodeUtilization "without priorities with node eviction limit": evictionLimits.node
    2; expectedPodsEvicted 2."""
    args = PluginArgs(node_eviction_limit=2, **CPU_PODS_30_50)
    assert len(evict(args, three_nodes(), usual_pods())) == 2


@pytest.mark.parametrize("limit, want", [(1, 1), (3, 3)])
def test_policy_per_node_limit(limit: int, want: int) -> None:
    """pkg/descheduler/evictions/evictions.go EvictPod: maxNoOfPodsToEvictPerNode ends a node's
    evictions (EvictionNodeLimitError), here on the "without priorities" case."""
    evicted = run_plugin(
        lownodeutilization.run, PluginArgs(**CPU_PODS_30_50), three_nodes(), usual_pods(), NODE_FIT, max_per_node=limit
    )
    assert len(evicted) == want
