"""RemovePodsViolatingTopologySpreadConstraint, translated from kubernetes-sigs/descheduler
v0.36.0 pkg/framework/plugins/removepodsviolatingtopologyspreadconstraint/topologyspreadconstraint_test.go,
TestTopologySpreadConstraint. ``createTestPods`` makes ``pod-<n>`` (numbered across the lists, 100m,
owned by ReplicaSet ``replicaset-1``) with the list's labels, constraints, nodeSelector, affinity,
tolerations and deletion timestamp; ``getDefaultTopologyConstraints(s)`` is one DoNotSchedule
constraint (maxSkew s, topology key ``zone``, selector ``foo=bar``). The Go harness runs Balance
on the case's nodes with ``DefaultEvictorArgs{NodeFit: nodeFit}`` and the plugin's defaulted
arguments (constraints [DoNotSchedule], topologyBalanceNodeFit true), pods listed in name order,
and compares ``TotalEvicted()`` with ``expectedEvictedCount``.
"""

from __future__ import annotations

from typing import Any

import pytest

from kmodel.components.descheduler_plugins import removepodsviolatingtopologyspreadconstraint as plugin
from kmodel.deschedulertypes import DefaultEvictorArgs, PluginArgs
from kmodel.labels import IN, LabelSelector, Requirement
from kmodel.schedulingspec import (
    DO_NOT_SCHEDULE,
    NodeAffinity,
    NodeSelectorTerm,
    SchedulingSpec,
    TopologySpreadConstraint,
)
from kmodel.state import NO_SCHEDULE, Node, Pod, Taint
from tests.k8s.deschedulerkit import node, pod, run_plugin

FOO_BAR = {"foo": "bar"}


def constraint(max_skew: int) -> tuple[TopologySpreadConstraint, ...]:
    return (TopologySpreadConstraint(max_skew, "zone", DO_NOT_SCHEDULE, LabelSelector((("foo", "bar"),), ())),)


def zones(*names: str, taints: dict[str, tuple[Taint, ...]] | None = None) -> list[Node]:
    return [
        node(f"n{i + 1}", 2000, 3000, 10, labels={"zone": z}, taints=(taints or {}).get(z, ()))
        for i, z in enumerate(names)
    ]


def create_test_pods(*lists: dict[str, Any]) -> list[Pod]:
    """``createTestPods``."""
    out, n = [], 0
    for tp in lists:
        for _ in range(tp.get("count", 1)):
            spec = SchedulingSpec(topology_spread=tp.get("constraints", ()), node_affinity=tp.get("affinity"))
            out.append(
                pod(
                    f"pod-{n}",
                    100,
                    0,
                    tp["node"],
                    labels=tp.get("labels"),
                    node_selector=tp.get("node_selector"),
                    scheduling=spec,
                    terminating=tp.get("terminating", False),
                )
            )
            n += 1
    return out


FOO_AFFINITY = NodeAffinity(required=(NodeSelectorTerm(match_expressions=(Requirement("foo", IN, ("bar",)),)),))
TAINT = Taint(key="taint-test", value="test", effect=NO_SCHEDULE)

CASES = [
    (
        "2 domains, sizes [2,1], maxSkew=1, move 0 pods",
        zones("zoneA", "zoneB"),
        create_test_pods(
            {"node": "n1", "labels": FOO_BAR, "constraints": constraint(1)},
            {"node": "n1", "labels": FOO_BAR},
            {"node": "n2", "labels": FOO_BAR},
        ),
        False,
        0,
    ),
    (
        "2 domains, sizes [3,1], maxSkew=1, move 1 pod to achieve [2,2]",
        zones("zoneA", "zoneB"),
        create_test_pods(
            {"node": "n1", "labels": FOO_BAR, "constraints": constraint(1)},
            {"count": 2, "node": "n1", "labels": FOO_BAR},
            {"node": "n2", "labels": FOO_BAR},
        ),
        False,
        1,
    ),
    (
        "2 domains, sizes [5,2], maxSkew=1, move 1 pod to achieve [4,3]",
        zones("zoneA", "zoneB"),
        create_test_pods(
            {"node": "n1", "labels": FOO_BAR, "constraints": constraint(1)},
            {"count": 4, "node": "n1", "labels": FOO_BAR},
            {"count": 2, "node": "n2", "labels": FOO_BAR},
        ),
        False,
        1,
    ),
    (
        "2 domains, sizes [4,0], maxSkew=1, move 2 pods to achieve [2,2]",
        zones("zoneA", "zoneB"),
        create_test_pods(
            {"node": "n1", "labels": FOO_BAR, "constraints": constraint(1)},
            {"count": 3, "node": "n1", "labels": FOO_BAR},
        ),
        False,
        2,
    ),
    (
        "2 domains, sizes [4,0], maxSkew=1, only move 1 pod since pods with nodeSelector and nodeAffinity aren't evicted",  # noqa: E501 (the Go case name, verbatim)
        zones("zoneA", "zoneB"),
        create_test_pods(
            {"node": "n1", "labels": FOO_BAR, "constraints": constraint(1), "node_selector": {"zone": "zoneA"}},
            {"node": "n1", "labels": FOO_BAR, "constraints": constraint(1), "node_selector": {"zone": "zoneA"}},
            {"node": "n1", "labels": FOO_BAR, "constraints": constraint(1), "affinity": FOO_AFFINITY},
            {"node": "n1", "labels": FOO_BAR, "constraints": constraint(1)},
        ),
        True,
        1,
    ),
    (
        "3 domains, sizes [0, 1, 100], maxSkew=1, move 66 pods to get [34, 33, 34]",
        zones("zoneA", "zoneB", "zoneC"),
        create_test_pods(
            {"node": "n2", "labels": FOO_BAR, "constraints": constraint(1)},
            {"count": 100, "node": "n3", "labels": FOO_BAR},
        ),
        False,
        66,
    ),
    (
        "4 domains, sizes [0, 1, 3, 5], should move 3 to get [2, 2, 3, 2]",
        zones("zoneA", "zoneB", "zoneC", "zoneD"),
        create_test_pods(
            {"node": "n2", "labels": FOO_BAR, "constraints": constraint(1)},
            {"count": 3, "node": "n3", "labels": FOO_BAR},
            {"count": 5, "node": "n4", "labels": FOO_BAR},
        ),
        False,
        3,
    ),
    (
        "2 domains size [2 6], maxSkew=2, should move 1 to get [3 5]",
        zones("zoneA", "zoneB"),
        create_test_pods(
            {"node": "n1", "labels": FOO_BAR, "constraints": constraint(2)},
            {"node": "n1", "labels": FOO_BAR},
            {"count": 6, "node": "n2", "labels": FOO_BAR},
        ),
        False,
        1,
    ),
    (
        "2 domains, sizes [2,0], maxSkew=1, move 0 pods since pod does not tolerate the tainted node",
        zones("zoneA", "zoneB", taints={"zoneB": (TAINT,)}),
        create_test_pods(
            {"node": "n1", "labels": FOO_BAR, "constraints": constraint(1)},
            {"node": "n1", "labels": FOO_BAR, "node_selector": {"zone": "zoneA"}},
        ),
        False,
        0,
    ),
    (
        "2 domains, sizes [4,2], maxSkew=1, 2 pods in termination; nothing should be moved",
        zones("zoneA", "zoneB"),
        create_test_pods(
            {"count": 2, "node": "n1", "labels": FOO_BAR, "constraints": constraint(1)},
            {"count": 2, "node": "n1", "labels": FOO_BAR, "constraints": constraint(1), "terminating": True},
            {"count": 2, "node": "n2", "labels": FOO_BAR, "constraints": constraint(1)},
        ),
        False,
        0,
    ),
]


@pytest.mark.parametrize("name, nodes, pods, nodefit, want", CASES, ids=[c[0] for c in CASES])
def test_topology_spread_constraint(name: str, nodes: list[Node], pods: list[Pod], nodefit: bool, want: int) -> None:
    """TestTopologySpreadConstraint: each case's expectedEvictedCount (the last case's
    ``labelSelector`` argument, which every pod matches, is left out: kmodel refuses label
    selectors in plugin arguments)."""
    evicted = run_plugin(plugin.run, PluginArgs(), nodes, pods, DefaultEvictorArgs(node_fit=nodefit))
    assert len(evicted) == want
