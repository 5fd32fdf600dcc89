"""RemovePodsViolatingNodeAffinity, translated from kubernetes-sigs/descheduler v0.36.0
pkg/framework/plugins/removepodsviolatingnodeaffinity/node_affinity_test.go,
TestRemovePodsViolatingNodeAffinity. Each case puts ``podWithNodeAffinity`` (required or
preferred affinity for ``kubernetes.io/desiredNode=yes``, weight 10), ``pod1`` and ``pod2``
(owner of kind Pod, 100m each) on one node, runs Deschedule on the case's nodes with
``DefaultEvictorArgs{NodeFit: nodefit}`` and the case's limits, and compares ``TotalEvicted()``
with ``expectedEvictedPodCount``. Builders: tests/k8s/deschedulerkit.py.
"""

from __future__ import annotations

import pytest

from kmodel.components.descheduler_plugins import removepodsviolatingnodeaffinity as plugin
from kmodel.deschedulertypes import DefaultEvictorArgs, PluginArgs
from kmodel.labels import IN, Requirement
from kmodel.schedulingspec import NodeAffinity, NodeSelectorTerm, PreferredSchedulingTerm, SchedulingSpec
from kmodel.state import Node, Pod
from tests.k8s.deschedulerkit import NORMAL, node, pod, run_plugin

KEY, VALUE = "kubernetes.io/desiredNode", "yes"
REQ, PREF = plugin.REQUIRED, plugin.PREFERRED
INVALID = "requiredDuringSchedulingRequiredDuringExecution"
TERM = NodeSelectorTerm(match_expressions=(Requirement(KEY, IN, (VALUE,)),))


def pods_on(node_name: str, kind: str, terminating: bool = False) -> list[Pod]:
    """``addPodsToNode``."""
    if kind == REQ:
        aff = NodeAffinity(required=(TERM,))
    elif kind == PREF:
        aff = NodeAffinity(preferred=(PreferredSchedulingTerm(10, TERM),))
    else:
        aff = NodeAffinity()
    spec = SchedulingSpec(node_affinity=aff)
    return [
        pod("podWithNodeAffinity", 100, 0, node_name, owner=NORMAL, scheduling=spec, terminating=terminating),
        pod("pod1", 100, 0, node_name, owner=NORMAL, terminating=terminating),
        pod("pod2", 100, 0, node_name, owner=NORMAL, terminating=terminating),
    ]


def with_labels() -> Node:
    return node("nodeWithLabels", labels={KEY: VALUE})


def without_labels() -> Node:
    return node("nodeWithoutLabels")


def unschedulable_with_labels() -> Node:
    return node("unschedulableNodeWithLabels", labels={KEY: VALUE}, unschedulable=True)


W = "nodeWithoutLabels"
CASES = [
    (
        "Invalid Affinity type, should not evict any pods",
        INVALID,
        pods_on(W, INVALID),
        [without_labels(), with_labels()],
        {},
        False,
        0,
    ),
    (
        "Pod is correctly scheduled on node, no eviction expected [required affinity]",
        REQ,
        pods_on("nodeWithLabels", REQ),
        [with_labels()],
        {},
        False,
        0,
    ),
    (
        "Pod is correctly scheduled on node, no eviction expected [preferred affinity]",
        PREF,
        pods_on("nodeWithLabels", PREF),
        [with_labels()],
        {},
        False,
        0,
    ),
    (
        "Pod is scheduled on node without matching labels, another schedulable node available, should be evicted",
        REQ,
        pods_on(W, REQ),
        [without_labels(), with_labels()],
        {},
        False,
        1,
    ),
    (
        "Pod is scheduled on node without matching labels, another schedulable node available with better fit, should be evicted",  # noqa: E501 (the Go case name, verbatim)
        PREF,
        pods_on(W, PREF),
        [without_labels(), with_labels()],
        {},
        False,
        1,
    ),
    (
        "... maxPodsToEvictPerNode set to 1, should be evicted [required affinity]",
        REQ,
        pods_on(W, REQ),
        [without_labels(), with_labels()],
        {"max_per_node": 1},
        False,
        1,
    ),
    (
        "... maxPodsToEvictPerNode set to 1, should be evicted [preferred affinity]",
        PREF,
        pods_on(W, PREF),
        [without_labels(), with_labels()],
        {"max_per_node": 1},
        False,
        1,
    ),
    (
        "... maxPodsToEvictPerNode set to 0, should be not evicted [required affinity]",
        REQ,
        pods_on(W, REQ),
        [without_labels(), with_labels()],
        {"max_per_node": 0},
        False,
        0,
    ),
    (
        "... maxPodsToEvictPerNode set to 0, should be not evicted [preferred affinity]",
        PREF,
        pods_on(W, PREF),
        [without_labels(), with_labels()],
        {"max_per_node": 0},
        False,
        0,
    ),
    (
        "... maxPodsToEvictPerNode set to 1, no pod evicted since pod terminating [required affinity]",
        REQ,
        pods_on(W, REQ, True),
        [without_labels(), with_labels()],
        {"max_per_node": 1},
        False,
        0,
    ),
    (
        "... maxPodsToEvictPerNode set to 1, no pod evicted since pod terminating [preferred affinity]",
        PREF,
        pods_on(W, PREF, True),
        [without_labels(), with_labels()],
        {"max_per_node": 1},
        False,
        0,
    ),
    (
        "... maxNoOfPodsToEvictPerNamespace set to 1, should be evicted [required affinity]",
        REQ,
        pods_on(W, REQ),
        [without_labels(), with_labels()],
        {"max_per_namespace": 1},
        False,
        1,
    ),
    (
        "... maxNoOfPodsToEvictTotal set to 0, should not be evicted [required affinity]",
        REQ,
        pods_on(W, REQ),
        [without_labels(), with_labels()],
        {"max_per_namespace": 1, "max_total": 0},
        False,
        0,
    ),
    (
        "... maxNoOfPodsToEvictPerNamespace set to 1, should be evicted [preferred affinity]",
        PREF,
        pods_on(W, PREF),
        [without_labels(), with_labels()],
        {"max_per_namespace": 1},
        False,
        1,
    ),
    (
        "... maxNoOfPodsToEvictPerNamespace set to 0, should not be evicted [required affinity]",
        REQ,
        pods_on(W, REQ),
        [without_labels(), with_labels()],
        {"max_per_namespace": 0},
        False,
        0,
    ),
    (
        "... maxNoOfPodsToEvictPerNamespace set to 0, should not be evicted [preferred affinity]",
        PREF,
        pods_on(W, PREF),
        [without_labels(), with_labels()],
        {"max_per_namespace": 0},
        False,
        0,
    ),
    (
        "... maxNoOfPodsToEvictPerNamespace set to 1, no pod evicted since pod terminting [required affinity]",
        REQ,
        pods_on(W, REQ, True),
        [without_labels(), with_labels()],
        {"max_per_namespace": 1},
        False,
        0,
    ),
    (
        "Pod is scheduled on node without matching labels, but no node where pod fits is available, should not evict [required affinity]",  # noqa: E501 (the Go case name, verbatim)
        REQ,
        pods_on(W, REQ),
        [without_labels(), unschedulable_with_labels()],
        {},
        True,
        0,
    ),
    (
        "Pod is scheduled on node without matching labels, but no node where pod fits is available, should not evict [preferred affinity]",  # noqa: E501 (the Go case name, verbatim)
        PREF,
        pods_on(W, PREF),
        [without_labels(), unschedulable_with_labels()],
        {},
        True,
        0,
    ),
    (
        "Pod is scheduled on node without matching labels, and unschedulable node where pod could fit is available, should not evict [required affinity]",  # noqa: E501 (the Go case name, verbatim)
        REQ,
        pods_on(W, REQ),
        [with_labels(), unschedulable_with_labels()],
        {"max_per_node": 1},
        True,
        0,
    ),
    (
        "Pod is scheduled on node without matching labels, and unschedulable node where pod could fit is available, should not evict [preferred affinity]",  # noqa: E501 (the Go case name, verbatim)
        PREF,
        pods_on(W, PREF),
        [with_labels(), unschedulable_with_labels()],
        {"max_per_node": 1},
        True,
        0,
    ),
]


@pytest.mark.parametrize("name, kind, pods, nodes, limits, nodefit, want", CASES, ids=[c[0] for c in CASES])
def test_remove_pods_violating_node_affinity(
    name: str, kind: str, pods: list[Pod], nodes: list[Node], limits: dict[str, int], nodefit: bool, want: int
) -> None:
    """TestRemovePodsViolatingNodeAffinity: each case's expectedEvictedPodCount ("..." stands
    for "Pod is scheduled on node without matching labels, another schedulable node
    available")."""
    args = PluginArgs(node_affinity_type=(kind,))
    evicted = run_plugin(plugin.run, args, nodes, pods, DefaultEvictorArgs(node_fit=nodefit), **limits)
    assert len(evicted) == want
