"""RemovePodsViolatingInterPodAntiAffinity, translated from kubernetes-sigs/descheduler v0.36.0
pkg/framework/plugins/removepodsviolatinginterpodantiaffinity/pod_antiaffinity_test.go,
TestPodAntiAffinity. The Go harness runs Deschedule on the case's nodes with
``DefaultEvictorArgs{NodeFit: nodeFit}`` and the case's limits and compares ``TotalEvicted()`` with
``expectedEvictedPodCount``. ``SetPodAntiAffinity(pod, k, v)``: a required term selecting ``k In
(v)`` with topology key ``region``; n1 has ``region=main-region``. Builders:
tests/k8s/deschedulerkit.py (``buildTestNode``: 2000m, 3000 bytes, 10 pods; ``buildTestPod``: 100m).
"""

from __future__ import annotations

import pytest

from kmodel.components.descheduler_plugins import removepodsviolatinginterpodantiaffinity as plugin
from kmodel.deschedulertypes import DefaultEvictorArgs, PluginArgs
from kmodel.labels import IN, LabelSelector, Requirement
from kmodel.schedulingspec import PodAffinity, PodAffinityTerm, SchedulingSpec
from kmodel.state import Node, Pod
from tests.k8s.deschedulerkit import NORMAL, SYSTEM_CRITICAL, node, pod, run_plugin

MAIN = {"region": "main-region"}


def anti(key: str, value: str) -> SchedulingSpec:
    term = PodAffinityTerm("region", LabelSelector((), (Requirement(key, IN, (value,)),)))
    return SchedulingSpec(pod_anti_affinity=PodAffinity(required=(term,)))


def with_anti(name: str, node_name: str = "n1", **kw: object) -> Pod:
    """``buildTestPodWithAntiAffinityForNode1``."""
    return pod(name, 100, 0, node_name, owner=NORMAL, scheduling=anti("foo", "bar"), **kw)  # type: ignore[arg-type]


def p2() -> Pod:
    return pod("p2", 100, 0, "n1", owner=NORMAL, labels={"foo": "bar"})


def non_evictable() -> Pod:
    return pod("non-evict", 100, 0, "n1", owner=None, priority=SYSTEM_CRITICAL, labels={"foo": "bar"})


def n1() -> Node:
    return node("n1", labels=MAIN)


def four() -> list[Pod]:
    return [with_anti("p1"), p2(), with_anti("p3"), with_anti("p4")]


def p8() -> Pod:
    return pod("p8", 100, 0, "n1", owner=None, node_selector={"datacenter": "west"})


CASES = [
    ("Maximum pods to evict - 0", four(), [n1()], {}, False, 3),
    ("Maximum pods to evict - 3", four(), [n1()], {"max_per_node": 3}, False, 3),
    ("Maximum pods to evict (maxPodsToEvictPerNamespace=3) - 3", four(), [n1()], {"max_per_namespace": 3}, False, 3),
    (
        "Maximum pods to evict (maxNoOfPodsToEvictTotal)",
        four(),
        [n1()],
        {"max_per_namespace": 3, "max_total": 1},
        False,
        1,
    ),
    (
        "Evict only 1 pod after sorting",
        [
            pod("p5", 100, 0, "n1", owner=NORMAL, labels={"foo": "bar"}, scheduling=anti("foo1", "bar1"), priority=100),
            pod("p6", 100, 0, "n1", owner=NORMAL, labels={"foo": "bar"}, scheduling=anti("foo1", "bar1"), priority=50),
            pod("p7", 100, 0, "n1", owner=NORMAL, labels={"foo1": "bar1"}, scheduling=anti("foo", "bar"), priority=0),
        ],
        [n1()],
        {},
        False,
        1,
    ),
    (
        "Evicts pod that conflicts with critical pod (but does not evict critical pod)",
        [with_anti("p1"), non_evictable()],
        [n1()],
        {"max_per_node": 1},
        False,
        1,
    ),
    (
        "Won't evict pods because node selectors don't match available nodes",
        [p8(), non_evictable()],
        [n1(), node("n2", labels={"datacenter": "east"})],
        {"max_per_node": 1},
        True,
        0,
    ),
    (
        "Won't evict pods because only other node is not schedulable",
        [p8(), non_evictable()],
        [n1(), node("n3", unschedulable=True)],
        {"max_per_node": 1},
        True,
        0,
    ),
    (
        "No pod to evicted since all pod terminating",
        [with_anti("p9", terminating=True), with_anti("p10", terminating=True)],
        [n1()],
        {},
        False,
        0,
    ),
    (
        "Won't evict pods because only other node doesn't have enough resources",
        four(),
        [n1(), node("n4", 2, 2, 1)],
        {"max_per_node": 3},
        True,
        0,
    ),
    (
        "Evict pod violating anti-affinity among different node (all pods have anti-affinity)",
        [with_anti("p1"), pod("p11", 100, 0, "n5", owner=NORMAL, labels={"foo": "bar"})],
        [n1(), node("n5", 200, 3000, 10, labels=MAIN)],
        {},
        False,
        1,
    ),
]


@pytest.mark.parametrize("name, pods, nodes, limits, nodefit, want", CASES, ids=[c[0] for c in CASES])
def test_pod_anti_affinity(
    name: str, pods: list[Pod], nodes: list[Node], limits: dict[str, int], nodefit: bool, want: int
) -> None:
    """TestPodAntiAffinity: each case's expectedEvictedPodCount."""
    evicted = run_plugin(plugin.run, PluginArgs(), nodes, pods, DefaultEvictorArgs(node_fit=nodefit), **limits)
    assert len(evicted) == want


def test_evict_only_1_pod_after_sorting_evicts_the_lowest_priority() -> None:
    """TestPodAntiAffinity "Evict only 1 pod after sorting": the pod evicted is p7, the lowest
    priority one (``SortPodsBasedOnPriorityLowToHigh``); p5 and p6 no longer conflict once it is
    gone (``removePodFromNamespaceMap``)."""
    pods = CASES[4][1]
    assert run_plugin(plugin.run, PluginArgs(), [n1()], pods) == ["p7"]
