"""DefaultPreemption, translated from pkg/scheduler/framework/plugins/defaultpreemption/
default_preemption_test.go (TestPostFilter, TestDryRunPreemption, TestSelectBestCandidate,
TestPodEligibleToPreemptOthers, TestPreempt).

The Go tests' resources: small = 100m cpu / 100 bytes, medium = 200m / 200, large = 300m / 300,
very large = 500m / 500; ``st.MakeNode().Capacity(res)`` adds room for 32 pods (``onePodRes``
sets the pod count to 1 and no cpu or memory). Priorities: neg -100, low 0, mid 100, high 1000,
very high 10000. ``StartTime(epochTimeN)`` (N nanoseconds after the epoch) is t=N seconds here:
only the order matters. Cases that need other plugins' fake filters, extenders or the
PodTopologySpread / InterPodAffinity filters are left to those plugins' tests; the PDB cases
are translated with a PodDisruptionBudget in the cluster (its status set as the Go case sets it).
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from kmodel.components import apiserver, scheduler
from kmodel.components.plugins import defaultpreemption as dp
from kmodel.components.plugins.framework import UNRESOLVABLE, UNSCHEDULABLE, Status
from kmodel.labels import LabelSelector
from kmodel.schedulingspec import PREEMPT_NEVER, SchedulingSpec
from kmodel.state import NO_SCHEDULE, Cluster, Node, Pod, PodDisruptionBudget, Resources, Taint
from tests.k8s.conftest import mkcluster, mknode

NEG, LOW, MID, HIGH, VERY_HIGH = -100, 0, 100, 1000, 10000
SMALL = Resources(cpu=100, memory=100)
MEDIUM = Resources(cpu=200, memory=200)
LARGE = Resources(cpu=300, memory=300)
VERY_LARGE = Resources(cpu=500, memory=500)
ONE_POD = Resources(pods=1)
NODE_RES = Resources(cpu=200, memory=400, pods=32)

GO = "default_preemption_test.go"


def pod(
    name: str,
    node: str | None = None,
    priority: int = LOW,
    req: Resources = Resources(),
    start: int | None = None,
    **kw: Any,
) -> Pod:
    """``st.MakePod().Name(name).Node(node).Priority(priority).Req(req).StartTime(start)``."""
    policy = kw.pop("policy", None)
    spec = SchedulingSpec(priority=priority, **({"preemption_policy": policy} if policy else {}))
    phase = "Running" if node else "Pending"
    return Pod(name=name, node_name=node, requests=req, scheduling=spec, start_time=start, phase=phase, **kw)


def node(name: str, capacity: Resources = VERY_LARGE) -> Node:
    if capacity.pods == 0:
        capacity = Resources(cpu=capacity.cpu, memory=capacity.memory, pods=32)
    return mknode(name, capacity=capacity)


def cluster(nodes: list[Node], pods: list[Pod], preemptor: Pod | None = None, now: int = 100) -> Cluster:
    return mkcluster(*nodes, pods=[*pods, *([preemptor] if preemptor else [])], now=now)


def candidates_of(c: Cluster, p: Pod) -> dict[str, list[str]]:
    """DryRunPreemption over every node, as the Go test runs it: node -> victim names (sorted)."""
    found, _ = dp.dry_run(c, p, [n.name for n in c.nodes], scheduler.fits)
    return {cand.node: sorted(v.name for v in cand.victims) for cand in found}


# --- TestPostFilter -----------------------------------------------------------------------------------


def unsched() -> Status:
    return Status("test", (), UNSCHEDULABLE)


def unresolvable() -> Status:
    return Status("test", (), UNRESOLVABLE)


POST_FILTER = [
    pytest.param(
        pod("p", priority=HIGH),
        [pod("p1", "node1")],
        [node("node1", ONE_POD)],
        {"node1": unsched()},
        "node1",
        "",
        id="TestPostFilter/pod with higher priority can be made schedulable",
    ),
    pytest.param(
        pod("p"),
        [pod("p1", "node1")],
        [node("node1", ONE_POD)],
        {"node1": unsched()},
        "",
        "0/1 nodes are available: 1 No preemption victims found for incoming pod.",
        id="TestPostFilter/pod with tied priority is still unschedulable",
    ),
    pytest.param(
        pod("p", priority=HIGH),
        [pod("p1", "node1")],
        [node("node1", ONE_POD)],
        {"node1": unresolvable()},
        "",
        "0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
        id="TestPostFilter/preemption should respect filteredNodesStatuses",
    ),
    pytest.param(
        pod("p", priority=MID),
        [pod("p1", "node1", HIGH), pod("p2", "node2", LOW)],
        [node("node1", ONE_POD), node("node2", ONE_POD)],
        {"node1": unsched(), "node2": unsched()},
        "node2",
        "",
        id="TestPostFilter/pod can be made schedulable on one node",
    ),
    pytest.param(
        pod("p", priority=HIGH, req=LARGE),
        [pod("p1", "node1"), pod("p2", "node2")],
        [node("node1", NODE_RES), node("node2", NODE_RES)],
        {"node1": unsched(), "node2": unsched()},
        "",
        "0/2 nodes are available: 2 Insufficient cpu.",
        id="TestPostFilter/no candidate nodes found, no enough resource after removing low priority pods",
    ),
    pytest.param(
        pod("p", priority=HIGH, req=LARGE),
        [pod("p1", "node1", HIGH), pod("p2", "node2"), pod("p3", "node3", HIGH)],
        [node("node1", ONE_POD), node("node2", NODE_RES), node("node3", ONE_POD)],
        {"node1": unsched(), "node2": unsched(), "node3": unsched()},
        "",
        "0/3 nodes are available: 1 Insufficient cpu, 2 No preemption victims found for incoming pod.",
        id="TestPostFilter/no candidate nodes found with mixed reasons, no lower priority pod and no enough CPU "
        "resource",
    ),
    pytest.param(
        pod("p", priority=HIGH, req=LARGE),
        [pod("p1", "node1"), pod("p2", "node2")],
        [node("node1", NODE_RES), node("node2", NODE_RES), node("node3", NODE_RES), node("node4", NODE_RES)],
        {"node1": unsched(), "node2": unsched(), "node4": unresolvable()},
        "",
        "0/4 nodes are available: 2 Insufficient cpu, 2 Preemption is not helpful for scheduling.",
        id="TestPostFilter/no candidate nodes found with mixed reason, 2 UnschedulableAndUnresolvable nodes and 2 "
        "nodes don't have enough CPU resource",
    ),
]


@pytest.mark.parametrize(("preemptor", "pods", "nodes", "statuses", "nominated", "message"), POST_FILTER)
def test_post_filter(
    preemptor: Pod, pods: list[Pod], nodes: list[Node], statuses: dict[str, Status], nominated: str, message: str
) -> None:
    """TestPostFilter: the nominated node on success, else ``preemption: <message>`` (kmodel's
    message is the part after the plugin's ``preemption: `` prefix) and the nomination cleared."""
    c = cluster(nodes, pods, preemptor)
    result = dp.post_filter(c, preemptor, statuses, scheduler.fits)
    if nominated:
        assert [cand.node for cand in result.candidates] == [nominated]
        assert result.message == ""
    else:
        assert result.candidates == ()
        assert result.message == message
        assert result.nominate == ""


# --- TestDryRunPreemption -------------------------------------------------------------------------------

DRY_RUN = [
    pytest.param(
        pod("p", priority=HIGH, req=LARGE),
        [pod("p1", "node1", MID, LARGE), pod("p2", "node2", MID, LARGE)],
        {"node1": ["p1"], "node2": ["p2"]},
        id="TestDryRunPreemption/a pod that fits on both nodes when lower priority pods are preempted",
    ),
    pytest.param(
        pod("p", priority=LOW, req=LARGE),
        [pod("p1", "node1", MID, LARGE), pod("p2", "node2", MID, LARGE)],
        {},
        id="TestDryRunPreemption/a pod that would fit on the nodes, but other pods running are higher priority, "
        "no preemption would happen",
    ),
    pytest.param(
        pod("p", priority=HIGH, req=LARGE),
        [pod("p1.1", "node1", LOW, SMALL), pod("p1.2", "node1", MID, LARGE), pod("p2", "node2", MID, LARGE)],
        {"node1": ["p1.2"], "node2": ["p2"]},
        id="TestDryRunPreemption/medium priority pod is preempted, but lower priority one stays as it is small",
    ),
    pytest.param(
        pod("p", priority=HIGH, req=LARGE),
        [
            pod("p1.1", "node1", MID, SMALL),
            pod("p1.2", "node1", LOW, SMALL),
            pod("p1.3", "node1", MID, MEDIUM),
            pod("p1.4", "node1", HIGH, SMALL),
            pod("p2", "node2", HIGH, LARGE),
        ],
        {"node1": ["p1.2", "p1.3"]},
        id="TestDryRunPreemption/mixed priority pods are preempted",
    ),
    pytest.param(
        pod("p", priority=HIGH, req=LARGE),
        [
            pod("p1.1", "node1", LOW, SMALL, start=5),
            pod("p1.2", "node1", LOW, SMALL, start=4),
            pod("p1.3", "node1", MID, MEDIUM, start=3),
            pod("p1.4", "node1", HIGH, SMALL, start=2),
            pod("p2", "node2", HIGH, LARGE, start=1),
        ],
        {"node1": ["p1.1", "p1.3"]},
        id="TestDryRunPreemption/mixed priority pods are preempted, pick later StartTime one when priorities are equal",
    ),
]


@pytest.mark.parametrize(("preemptor", "pods", "expected"), DRY_RUN)
def test_dry_run_preemption(preemptor: Pod, pods: list[Pod], expected: dict[str, list[str]]) -> None:
    """TestDryRunPreemption: the candidates (node -> victims) on two very-large nodes."""
    c = cluster([node("node1"), node("node2")], pods, preemptor)
    assert candidates_of(c, preemptor) == expected


def test_dry_run_all_five_nodes_are_candidates() -> None:
    """TestDryRunPreemption/"all nodes are possible candidates, but DefaultPreemptionArgs limits
    to 2": with the default args (minCandidateNodesAbsolute 100) every one of the five nodes is a
    candidate; the Go case narrows that to 2 with MinCandidateNodesPercentage 40, which kmodel
    does not configure (it always uses the default args)."""
    pods = [pod(f"p{i}", f"node{i}", MID, LARGE) for i in range(1, 6)]
    c = cluster([node(f"node{i}") for i in range(1, 6)], pods, pod("p", priority=HIGH, req=LARGE))
    assert candidates_of(c, c.pod("p")) == {f"node{i}": [f"p{i}"] for i in range(1, 6)}  # type: ignore[arg-type]


def _foo_pdb(allowed: int, disrupted: tuple[str, ...] = ()) -> PodDisruptionBudget:
    """The Go cases' budget: selector app=foo, status.disruptionsAllowed and DisruptedPods."""
    return PodDisruptionBudget(
        "foo",
        LabelSelector((("app", "foo"),)),
        observed=True,
        disruptions_allowed=allowed,
        disrupted_pods=tuple((n, 100) for n in disrupted),
    )


PDB_CASES = [
    pytest.param(2, 1, (), 1, id="TestDryRunPreemption/preemption with violation of same pdb"),
    pytest.param(
        2,
        1,
        ("p2",),
        1,
        id="TestDryRunPreemption/preemption with violation of the pdb with pod whose eviction was processed, "
        "the victim doesn't belong to DisruptedPods",
    ),
    pytest.param(
        2,
        1,
        ("p1.2",),
        0,
        id="TestDryRunPreemption/preemption with violation of the pdb with pod whose eviction was processed, "
        "the victim belongs to DisruptedPods",
    ),
    pytest.param(
        3,
        1,
        ("p1.3",),
        1,
        id="TestDryRunPreemption/preemption with violation of the pdb with pod whose eviction was processed, "
        "the victim which belongs to DisruptedPods is treated as 'nonViolating'",
    ),
]


@pytest.mark.parametrize(("count", "allowed", "disrupted", "violations"), PDB_CASES)
def test_dry_run_preemption_pdb(count: int, allowed: int, disrupted: tuple[str, ...], violations: int) -> None:
    """TestDryRunPreemption's PDB cases: medium pods p1.1.. labelled app=foo on node1, a very
    large preemptor; every one of them is a victim, and NumPDBViolations counts those that spend
    a disruption the budget (selector app=foo) does not have, pods in its DisruptedPods
    spending none."""
    foo = (("app", "foo"),)
    pods = [pod(f"p1.{i}", "node1", MID, MEDIUM, labels=foo) for i in range(1, count + 1)]
    preemptor = pod("p", priority=HIGH, req=VERY_LARGE)
    c = cluster([node("node1")], pods, preemptor)
    c = c.with_pdb(_foo_pdb(allowed, disrupted))
    found, _ = dp.dry_run(c, preemptor, ["node1"], scheduler.fits)
    assert [(cand.node, sorted(v.name for v in cand.victims), cand.pdb_violations) for cand in found] == [
        ("node1", [p.name for p in pods], violations)
    ]


def test_dry_run_preemption_pdb_violating_nodes_ranked() -> None:
    """TestDryRunPreemption/"preemption looks past numCandidates until a non-PDB violating node
    is found": app=foo pods on node1, node2 (a very high priority one there, so no candidate)
    and node5 under a budget with no disruption left: those candidates count one violation
    each, node3 and node4 none; pickOneNodeForPreemption then takes a node without a violation
    (fewest violations first)."""
    foo = (("app", "foo"),)
    pods = [
        pod("p1", "node1", MID, LARGE, labels=foo),
        pod("p2", "node2", 10_000, LARGE, labels=foo),
        pod("p3", "node3", MID, LARGE),
        pod("p4", "node4", MID, LARGE),
        pod("p5", "node5", MID, LARGE, labels=foo),
    ]
    preemptor = pod("p", priority=HIGH, req=LARGE)
    c = cluster([node(f"node{i}", LARGE) for i in range(1, 6)], pods, preemptor).with_pdb(_foo_pdb(0))
    found, _ = dp.dry_run(c, preemptor, [f"node{i}" for i in range(1, 6)], scheduler.fits)
    assert {cand.node: cand.pdb_violations for cand in found} == {"node1": 1, "node3": 0, "node4": 0, "node5": 1}
    # DryRunPreemption returns the non-violating candidates first
    assert [cand.pdb_violations for cand in found] == [0, 0, 1, 1]
    assert {cand.node for cand in dp.pick_one_node(found, c.now)} == {"node3", "node4"}


# --- TestSelectBestCandidate ---------------------------------------------------------------------------

BEST = [
    pytest.param(
        ["node1", "node2"],
        HIGH,
        LARGE,
        [pod("p1", "node1", MID, LARGE, start=0), pod("p2", "node2", MID, LARGE, start=0)],
        {"node1", "node2"},
        id="TestSelectBestCandidate/a pod that fits on both nodes when lower priority pods are preempted",
    ),
    pytest.param(
        ["node1", "node2", "node3"],
        HIGH,
        VERY_LARGE,
        [
            pod("p1.1", "node1", MID, MEDIUM, start=0),
            pod("p1.2", "node1", MID, LARGE, start=0),
            pod("p2.1", "node2", MID, MEDIUM, start=0),
            pod("p2.2", "node2", LOW, MEDIUM, start=0),
            pod("p3.1", "node3", LOW, MEDIUM, start=0),
            pod("p3.2", "node3", LOW, MEDIUM, start=0),
        ],
        {"node3"},
        id="TestSelectBestCandidate/node with min highest priority pod is picked",
    ),
    pytest.param(
        ["node1", "node2", "node3"],
        HIGH,
        VERY_LARGE,
        [
            pod("p1.1", "node1", MID, MEDIUM, start=0),
            pod("p1.2", "node1", MID, LARGE, start=0),
            pod("p2.1", "node2", MID, LARGE, start=0),
            pod("p2.2", "node2", LOW, MEDIUM, start=0),
            pod("p3.1", "node3", MID, MEDIUM, start=0),
            pod("p3.2", "node3", MID, MEDIUM, start=0),
        ],
        {"node2"},
        id="TestSelectBestCandidate/when highest priorities are the same, minimum sum of priorities is picked",
    ),
    pytest.param(
        ["node1", "node2", "node3"],
        HIGH,
        VERY_LARGE,
        [
            pod("p1.1", "node1", MID, SMALL, start=0),
            pod("p1.2", "node1", NEG, SMALL, start=0),
            pod("p1.3", "node1", MID, SMALL, start=0),
            pod("p1.4", "node1", NEG, SMALL, start=0),
            pod("p2.1", "node2", MID, LARGE, start=0),
            pod("p2.2", "node2", NEG, MEDIUM, start=0),
            pod("p3.1", "node3", MID, MEDIUM, start=0),
            pod("p3.2", "node3", NEG, SMALL, start=0),
            pod("p3.3", "node3", LOW, SMALL, start=0),
        ],
        {"node2"},
        id="TestSelectBestCandidate/when highest priority and sum are the same, minimum number of pods is picked",
    ),
    pytest.param(
        ["node1", "node2", "node3"],
        HIGH,
        VERY_LARGE,
        [
            pod("p1.1", "node1", MID, SMALL, start=0),
            pod("p1.2", "node1", NEG, SMALL, start=0),
            pod("p1.3", "node1", NEG, SMALL, start=0),
            pod("p2.1", "node2", MID, LARGE, start=0),
            pod("p2.2", "node2", NEG, MEDIUM, start=0),
            pod("p3.1", "node3", MID, MEDIUM, start=0),
            pod("p3.2", "node3", NEG, SMALL, start=0),
            pod("p3.3", "node3", LOW, SMALL, start=0),
        ],
        {"node2"},
        id="TestSelectBestCandidate/sum of adjusted priorities is considered",
    ),
    pytest.param(
        ["node1", "node2", "node3", "node4"],
        VERY_HIGH,
        VERY_LARGE,
        [
            pod("p1.1", "node1", MID, SMALL, start=0),
            pod("p1.2", "node1", LOW, SMALL, start=0),
            pod("p1.3", "node1", LOW, SMALL, start=0),
            pod("p2.1", "node2", HIGH, LARGE, start=0),
            pod("p3.1", "node3", MID, MEDIUM, start=0),
            pod("p3.2", "node3", LOW, SMALL, start=0),
            pod("p3.3", "node3", LOW, SMALL, start=0),
            pod("p3.4", "node3", LOW, MEDIUM, start=0),
            pod("p4.1", "node4", MID, MEDIUM, start=0),
            pod("p4.2", "node4", MID, SMALL, start=0),
            pod("p4.3", "node4", MID, SMALL, start=0),
            pod("p4.4", "node4", NEG, SMALL, start=0),
        ],
        {"node1"},
        id="TestSelectBestCandidate/non-overlapping lowest high priority, sum priorities, and number of pods",
    ),
    pytest.param(
        ["node1", "node2", "node3"],
        HIGH,
        VERY_LARGE,
        [
            pod("p1.1", "node1", MID, MEDIUM, start=2),
            pod("p1.2", "node1", MID, MEDIUM, start=2),
            pod("p2.1", "node2", MID, MEDIUM, start=3),
            pod("p2.2", "node2", MID, MEDIUM, start=3),
            pod("p3.1", "node3", MID, MEDIUM, start=1),
            pod("p3.2", "node3", MID, MEDIUM, start=1),
        ],
        {"node2"},
        id="TestSelectBestCandidate/same priority, same number of victims, different start time for each node's pod",
    ),
    pytest.param(
        ["node1", "node2", "node3"],
        HIGH,
        VERY_LARGE,
        [
            pod("p1.1", "node1", MID, MEDIUM, start=4),
            pod("p1.2", "node1", MID, MEDIUM, start=2),
            pod("p2.1", "node2", MID, MEDIUM, start=5),
            pod("p2.2", "node2", MID, MEDIUM, start=1),
            pod("p3.1", "node3", MID, MEDIUM, start=3),
            pod("p3.2", "node3", MID, MEDIUM, start=6),
        ],
        {"node3"},
        id="TestSelectBestCandidate/same priority, same number of victims, different start time for all pods",
    ),
    pytest.param(
        ["node1", "node2", "node3"],
        HIGH,
        VERY_LARGE,
        [
            pod("p1.1", "node1", LOW, MEDIUM, start=4),
            pod("p1.2", "node1", MID, MEDIUM, start=2),
            pod("p2.1", "node2", MID, MEDIUM, start=6),
            pod("p2.2", "node2", LOW, MEDIUM, start=1),
            pod("p3.1", "node3", LOW, MEDIUM, start=3),
            pod("p3.2", "node3", MID, MEDIUM, start=5),
        ],
        {"node2"},
        id="TestSelectBestCandidate/different priority, same number of victims, different start time for all pods",
    ),
]


@pytest.mark.parametrize(("nodes", "priority", "req", "pods", "expected"), BEST)
def test_select_best_candidate(
    nodes: list[str], priority: int, req: Resources, pods: list[Pod], expected: set[str]
) -> None:
    """TestSelectBestCandidate: the picked node is one of ``expected`` (every tie kmodel offers
    is one of them)."""
    preemptor = pod("p", priority=priority, req=req)
    c = cluster([node(n) for n in nodes], pods, preemptor)
    found, _ = dp.dry_run(c, preemptor, nodes, scheduler.fits)
    picked = {cand.node for cand in dp.pick_one_node(found, c.now)}
    assert picked and picked <= expected


# --- TestPodEligibleToPreemptOthers ----------------------------------------------------------------------

TERMINATING = {"deletion_timestamp": 0}
ELIGIBLE = [
    pytest.param(
        pod("p_with_nominated_node", priority=HIGH, nominated_node_name="node1"),
        [pod("p1", "node1", LOW, **TERMINATING)],
        ["node1"],
        Status("TaintToleration", ("node(s) had untolerated taint(s)",), UNRESOLVABLE),
        True,
        id="TestPodEligibleToPreemptOthers/Pod with nominated node",
    ),
    pytest.param(
        pod("p_without_nominated_node", priority=HIGH),
        [],
        [],
        None,
        True,
        id="TestPodEligibleToPreemptOthers/Pod without nominated node",
    ),
    pytest.param(
        pod("p_with_preempt_never_policy", priority=HIGH, policy=PREEMPT_NEVER),
        [],
        [],
        None,
        False,
        id="TestPodEligibleToPreemptOthers/Pod with 'PreemptNever' preemption policy",
    ),
    pytest.param(
        pod("p_with_nominated_node", priority=HIGH, nominated_node_name="node1"),
        [pod("p1", "node1", LOW, disruption_reason=dp.REASON_PREEMPTION_BY_SCHEDULER, **TERMINATING)],
        ["node1"],
        None,
        False,
        id="TestPodEligibleToPreemptOthers/preemption victim pod terminating, as indicated by the dedicated "
        "DisruptionTarget condition",
    ),
    pytest.param(
        pod("p_with_nominated_node", priority=HIGH, nominated_node_name="node1"),
        [pod("p1", "node1", LOW, **TERMINATING)],
        ["node1"],
        None,
        True,
        id="TestPodEligibleToPreemptOthers/non-victim Pods terminating",
    ),
]


@pytest.mark.parametrize(("preemptor", "pods", "nodes", "status", "expected"), ELIGIBLE)
def test_pod_eligible_to_preempt_others(
    preemptor: Pod, pods: list[Pod], nodes: list[str], status: Status | None, expected: bool
) -> None:
    """TestPodEligibleToPreemptOthers (PodDisruptionConditions on, as in 1.37)."""
    c = cluster([node(n) for n in nodes], pods, preemptor)
    assert dp.eligible(c, preemptor, status)[0] is expected


def test_not_eligible_messages() -> None:
    """The reasons PodEligibleToPreemptOthers gives (default_preemption.go)."""
    never = pod("p", priority=HIGH, policy=PREEMPT_NEVER)
    assert dp.eligible(cluster([], [], never), never, None) == (False, "not eligible due to preemptionPolicy=Never.")
    waiting = pod("p", priority=HIGH, nominated_node_name="node1")
    victim = pod("p1", "node1", LOW, disruption_reason=dp.REASON_PREEMPTION_BY_SCHEDULER, **TERMINATING)
    c = cluster([node("node1")], [victim], waiting)
    assert dp.eligible(c, waiting, None) == (False, "not eligible due to a terminating pod on the nominated node.")


# --- TestPreempt (through kmodel's scheduler step) -----------------------------------------------------

PREEMPT_PODS = [
    pod("p1.1", "node1", LOW, SMALL),
    pod("p1.2", "node1", LOW, SMALL),
    pod("p2.1", "node2", HIGH, LARGE),
    pod("p3.1", "node3", MID, MEDIUM),
]


@pytest.mark.parametrize(
    ("policy", "nominated", "victims"),
    [
        pytest.param("PreemptLowerPriority", "node1", ["p1.1", "p1.2"], id="TestPreempt/basic preemption logic"),
        pytest.param(PREEMPT_NEVER, None, [], id="TestPreempt/no preempting in pod"),
        pytest.param(None, "node1", ["p1.1", "p1.2"], id="TestPreempt/PreemptionPolicy is nil"),
    ],
)
def test_preempt(policy: str | None, nominated: str | None, victims: list[str]) -> None:
    """TestPreempt: the preemptor's nominated node and the pods deleted. In kmodel the victims
    are deleted gracefully (Terminating, DisruptionTarget PreemptionByScheduler) with a
    ``Preempted`` event each, and the preemptor gets ``FailedScheduling`` for this attempt."""
    preemptor = pod("p", priority=HIGH, req=VERY_LARGE, **({"policy": policy} if policy else {}))
    c = cluster([node("node1"), node("node2"), node("node3")], PREEMPT_PODS, preemptor)
    (out,) = scheduler.step(c)
    after = out.state
    assert after.pod("p").nominated_node_name == nominated  # type: ignore[union-attr]
    gone = sorted(p.name for p in after.pods if p.terminating)
    assert gone == victims
    for name in victims:
        assert after.pod(name).disruption_reason == "PreemptionByScheduler"  # type: ignore[union-attr]
    preempted = [(e.object, e.message) for e in out.events if e.reason == "Preempted"]
    uid = apiserver.uid("p")
    assert preempted == [(f"pod/{v}", f"Preempted by pod {uid} on node node1") for v in victims]
    assert out.events[0].reason == "FailedScheduling"


# --- pickOneNodeForPreemption and prepareCandidate, beyond the Go tables ----------------------------------


def test_pick_one_node_prefers_the_latest_earliest_start() -> None:
    """pickOneNodeForPreemption's last criterion: among the highest-priority victims of each
    candidate take the earliest start (GetEarliestPodStartTime) and pick the node where that is
    latest. a's earliest is 10 (its other victim started at 50), b's is 20: b."""
    a = dp.Candidate("a", (pod("a1", "a", MID, start=10), pod("a2", "a", MID, start=50)))
    b = dp.Candidate("b", (pod("b1", "b", MID, start=20), pod("b2", "b", MID, start=30)))
    assert [c.node for c in dp.pick_one_node([a, b], now=100)] == ["b"]


def test_pick_one_node_offsets_each_priority_by_max_int32_plus_one() -> None:
    """pickOneNodeForPreemption's third criterion sums ``PodPriority(pod) + MaxInt32 + 1`` over the
    victims and keeps the lowest sum. a: two victims of priority 1e9 (sum 2e9 + 2 * 2^31); b: three
    victims of 1e9, -1e9, -1e9 (sum -1e9 + 3 * 2^31), which is lower, so b -- although the raw
    priorities alone would favour a, and an offset of 2^32 or more would too. The highest victim
    priority (the second criterion) ties at 1e9."""
    top = 1_000_000_000
    a = dp.Candidate("a", (pod("a1", "a", top), pod("a2", "a", top)))
    b = dp.Candidate("b", (pod("b1", "b", top), pod("b2", "b", -top), pod("b3", "b", -top)))
    assert [c.node for c in dp.pick_one_node([a, b], now=100)] == ["b"]


def test_prepare_clears_only_lower_priority_nominations_to_the_node() -> None:
    """preemption.go prepareCandidate, getLowerPriorityNominatedPods: the pending pods nominated to
    the candidate node with a priority lower than the preemptor's lose their nomination
    (clearNominatedNodeName); pods nominated elsewhere, or of equal or higher priority, keep theirs."""
    victim = pod("victim", "a", LOW, SMALL)
    preemptor = pod("p", None, MID, SMALL, nominated_node_name="a")
    lower = pod("lower", None, LOW, nominated_node_name="a")
    equal = pod("equal", None, MID, nominated_node_name="a")
    elsewhere = pod("elsewhere", None, LOW, nominated_node_name="b")
    c = cluster([node("a"), node("b")], [victim, lower, equal, elsewhere], preemptor)
    out, _ = dp.prepare(c, preemptor, dp.Candidate("a", (victim,)))
    nominations = {p.name: p.nominated_node_name for p in out.pods if p.node_name is None}
    assert nominations == {"p": "a", "lower": None, "equal": "a", "elsewhere": "b"}


def test_a_nominated_node_now_unresolvable_lets_the_pod_preempt_again() -> None:
    """PodEligibleToPreemptOthers: "If the pod's nominated node is considered as
    UnschedulableAndUnresolvable by the filters, then the pod should be considered for preempting
    again" -- before the terminating-victim check. The preemptor's nominated node a now has a
    NoSchedule taint it does not tolerate (unresolvable) and still holds a victim terminating by
    preemption; the pod preempts the low-priority pod on b instead."""
    tainted = attrs.evolve(node("a"), taints=(Taint(key="gone", effect=NO_SCHEDULE),))
    terminating = pod("v1", "a", LOW, LARGE, deletion_timestamp=90, disruption_reason="PreemptionByScheduler")
    blocker = pod("v2", "b", LOW, VERY_LARGE)
    preemptor = pod("p", None, HIGH, LARGE, nominated_node_name="a")
    c = cluster([tainted, node("b")], [terminating, blocker], preemptor)
    (outcome,) = scheduler.step(c)
    after = outcome.state.pod("p")
    assert after is not None and after.nominated_node_name == "b"
    assert [e.object for e in outcome.events if e.reason == "Preempted"] == ["pod/v2"]
