"""One descheduling loop (``runDeschedulerLoop``: reset the PodEvictor's counters, run the
profiles), translated from kubernetes-sigs/descheduler v0.36.0 pkg/descheduler/descheduler_test.go:
TestTaintsUpdated, TestDuplicate, TestPodEvictorReset ("real mode") and TestDeschedulingLimits
(without EvictionsInBackground, which kmodel does not model). The Go tests' policies are
``removePodsViolatingNodeTaintsPolicy`` and ``removeDuplicatesPolicy``: one profile with that
plugin and a DefaultEvictor with default arguments. Builders: tests/k8s/deschedulerkit.py.
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import descheduler
from kmodel.components.descheduler_plugins.framework import Handle
from kmodel.deschedulertypes import DefaultEvictorArgs, DeschedulerPolicy, DeschedulerState, PluginArgs, Profile
from kmodel.settings import Settings
from kmodel.state import NO_SCHEDULE, Cluster, Node, Pod, Taint
from tests.k8s.deschedulerkit import node, pod

TAINT = Taint(key="key", value="value", effect=NO_SCHEDULE)  # taintNodeNoSchedule


def policy(plugin: str, point: str, **limits: int) -> DeschedulerPolicy:
    deschedule, balance = ((plugin,), ()) if point == "deschedule" else ((), (plugin,))
    profile = Profile("Profile", DefaultEvictorArgs(), deschedule, balance, ((plugin, PluginArgs()),))
    return DeschedulerPolicy(
        (profile,),
        max_per_node=limits.get("node"),
        max_per_namespace=limits.get("namespace"),
        max_total=limits.get("total"),
    )


def cluster(p: DeschedulerPolicy, nodes: list[Node], pods: list[Pod]) -> Cluster:
    c = Cluster(settings=Settings(), nodes=tuple(nodes), descheduler=DeschedulerState(p))
    for x in pods:
        c = c.with_pod(x)
    return c


def run(c: Cluster) -> Handle:
    return descheduler.run(c)[1]


TAINTS = policy("RemovePodsViolatingNodeTaints", "deschedule")


def test_taints_updated() -> None:
    """TestTaintsUpdated: nothing is evicted before n1 is tainted; after the taint, one run
    evicts the pod (len(evictedPods) == 1)."""
    p1 = pod("pod_1_n1", 200, 0, "n1")
    before = cluster(TAINTS, [node("n1"), node("n2")], [p1])
    assert run(before).evicted == []
    tainted = attrs.evolve(before, nodes=(node("n1", taints=(TAINT,)), node("n2")))
    assert [p.name for p, _ in run(tainted).evicted] == ["pod_1_n1"]


def test_duplicate() -> None:
    """TestDuplicate: three pods of one ReplicaSet on n1 of two nodes; the run evicts some
    (len(evictedPods) != 0)."""
    c = cluster(
        policy("RemoveDuplicates", "balance"), [node("n1"), node("n2")], [pod(f"p{i}", 100, 0, "n1") for i in (1, 2, 3)]
    )
    assert run(c).evicted


def test_pod_evictor_reset_real_mode() -> None:
    """TestPodEvictorReset "real mode": two loops over the same pods on a tainted n1 (the fake
    clientset does not delete an evicted pod, so the second loop sees them again); each loop's
    TotalEvicted is 2, the evictions add up to 4: the counters are reset at every loop."""
    c = cluster(TAINTS, [node("n1", taints=(TAINT,)), node("n2")], [pod("p1", 100, 0, "n1"), pod("p2", 100, 0, "n1")])
    totals = [run(c).total for _ in range(2)]
    assert totals == [2, 2] and sum(totals) == 4


@pytest.mark.parametrize(
    "limit", ["node", "namespace", "total"], ids=["limits per node", "limits per namespace", "limits per cycle"]
)
def test_descheduling_limits(limit: str) -> None:
    """TestDeschedulingLimits: five pods on the tainted n1, a limit of 4 of the given kind: no
    loop evicts more than 4 (here exactly 4: kmodel has no evictions in background)."""
    p = policy("RemovePodsViolatingNodeTaints", "deschedule", **{limit: 4})
    c = cluster(p, [node("n1", taints=(TAINT,)), node("n2")], [pod(f"p{i}", 100, 0, "n1") for i in range(1, 6)])
    assert run(c).total == 4
