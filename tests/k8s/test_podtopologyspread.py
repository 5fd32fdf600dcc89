"""PodTopologySpread, translated from pkg/scheduler/framework/plugins/podtopologyspread:
filtering_test.go (TestSingleConstraint, TestMultipleConstraints) and scoring_test.go
(TestPodTopologySpreadScore), Kubernetes 1.37.

The Go tests run the plugin alone (PreFilter + Filter, or PreScore + Score + NormalizeScore),
so do these: :func:`podtopologyspread.filter` on every node and :func:`podtopologyspread.score`
on the candidate nodes (``nodes`` in the Go test; ``failedNodes`` are in the cluster but not
candidates). A Go ``framework.Success`` is no status; the codes are compared as the Go tests
compare them. ``st.MakePod().SpreadConstraint(maxSkew, key, action, selector, minDomains,
nodeAffinityPolicy, nodeTaintsPolicy, matchLabelKeys)`` is :func:`spread`; ``fooSelector`` and
``barSelector`` are ``Exists(foo)`` / ``Exists(bar)``. kmodel has a single namespace, so the
"different namespace" cases are left out (tests/k8s/README.md).
"""

from __future__ import annotations

from typing import Any

import pytest

from kmodel.components.plugins import podtopologyspread as pts
from kmodel.components.plugins.framework import UNRESOLVABLE, UNSCHEDULABLE, CycleState
from kmodel.labels import EXISTS, IN, NOT_IN, LabelSelector, Requirement
from kmodel.schedulingspec import (
    DO_NOT_SCHEDULE,
    HONOR,
    IGNORE,
    SCHEDULE_ANYWAY,
    NodeAffinity,
    NodeSelectorTerm,
    SchedulingSpec,
    TopologySpreadConstraint,
)
from kmodel.settings import Settings
from kmodel.state import (
    LABEL_HOSTNAME,
    NO_EXECUTE,
    NO_SCHEDULE,
    PREFER_NO_SCHEDULE,
    TAINT_UNSCHEDULABLE,
    Cluster,
    Node,
    Pod,
    ReplicaSet,
    Service,
    Taint,
    labels_of,
)
from tests.k8s.conftest import case

SUCCESS = "Success"
FOO = LabelSelector((), (Requirement("foo", EXISTS),))  # fooSelector
BAR = LabelSelector((), (Requirement("bar", EXISTS),))  # barSelector
TAINTS = (Taint(TAINT_UNSCHEDULABLE, NO_SCHEDULE, ""),)  # filtering_test.go `taints`
HOST = LABEL_HOSTNAME


def spread(
    max_skew: int,
    key: str,
    action: str,
    selector: LabelSelector | None,
    min_domains: int | None = None,
    affinity: str = HONOR,
    taints: str = IGNORE,
    match_label_keys: tuple[str, ...] = (),
) -> TopologySpreadConstraint:
    return TopologySpreadConstraint(max_skew, key, action, selector, min_domains, affinity, taints, match_label_keys)


def incoming(
    *constraints: TopologySpreadConstraint,
    labels: tuple[str, ...] = ("foo",),
    node_selector: dict[str, str] | None = None,
    affinity: NodeAffinity | None = None,
) -> Pod:
    """``st.MakePod().Name("p").Label(l, "")...``"""
    return Pod(
        name="p",
        labels=labels_of({k: "" for k in labels}),
        node_selector=labels_of(node_selector or {}),
        scheduling=SchedulingSpec(node_affinity=affinity, topology_spread=constraints),
    )


def node_affinity(key: str, op: str, values: list[str]) -> NodeAffinity:
    """``NodeAffinityIn(key, values, NodeSelectorTypeMatchExpressions)`` / ``NodeAffinityNotIn``."""
    return NodeAffinity(required=(NodeSelectorTerm(match_expressions=(Requirement(key, op, tuple(values)),)),))


def N(name: str, labels: dict[str, str], taints: tuple[Taint, ...] = ()) -> Node:
    """``st.MakeNode().Name(name).Label(...)``: only the labels the Go test gives."""
    return Node(name=name, labels=labels_of(labels), taints=taints)


def zn(name: str, zone: str, **extra: str) -> Node:
    """The Go tests' usual node: ``Label("zone", zone).Label("node", name)``."""
    return N(name, {"zone": zone, "node": name, **extra})


def hn(name: str, zone: str | None = None) -> Node:
    """A node labelled with ``v1.LabelHostname`` (and ``zone``): the scoring tests' nodes."""
    return N(name, {HOST: name, **({"zone": zone} if zone else {})})


def P(name: str, node: str, *labels: str, terminating: bool = False) -> Pod:
    """``st.MakePod().Name(name).Node(node).Label(l, "")`` (``.Terminating()``)."""
    return Pod(
        name=name,
        node_name=node,
        labels=labels_of({k: "" for k in labels}),
        deletion_timestamp=0 if terminating else None,
    )


def pods(node: str, n: int, *labels: str, prefix: str | None = None) -> list[Pod]:
    """``n`` pods ``p-<x><i>`` on ``node`` with these labels."""
    short = prefix or f"p-{node[-1]}"
    return [P(f"{short}{i}", node, *labels) for i in range(1, n + 1)]


def mkc(nodes: list[Node], existing: list[Pod], **kw: Any) -> Cluster:
    return Cluster(
        settings=kw.pop("settings", Settings()),
        now=0,
        nodes=tuple(sorted(nodes, key=lambda n: n.name)),
        pods=tuple(sorted(existing, key=lambda p: p.name)),
        **kw,
    )


def codes(pod: Pod, nodes: list[Node], existing: list[Pod]) -> dict[str, str]:
    c = mkc(nodes, existing)
    state = CycleState.of(c, pod)
    out = {}
    for n in nodes:
        status = pts.filter(state, n)
        out[n.name] = SUCCESS if status is None else status.code
    return out


U, UU = UNSCHEDULABLE, UNRESOLVABLE
FOUR = [zn("node-a", "zone1"), zn("node-b", "zone1"), zn("node-x", "zone2"), zn("node-y", "zone2")]
SPREAD_2103 = pods("node-a", 2, "foo") + pods("node-b", 1, "foo") + pods("node-y", 3, "foo")  # 2/1/0/3


def want(a: str, b: str, x: str, y: str) -> dict[str, str]:
    return {"node-a": a, "node-b": b, "node-x": x, "node-y": y}


# --- filtering_test.go TestSingleConstraint ------------------------------------------------------

SINGLE = [
    case(
        "no existing pods",
        incoming(spread(1, "zone", DO_NOT_SCHEDULE, FOO)),
        FOUR,
        [],
        want(SUCCESS, SUCCESS, SUCCESS, SUCCESS),
    ),
    case(
        "no existing pods, incoming pod doesn't match itself",
        incoming(spread(1, "zone", DO_NOT_SCHEDULE, BAR)),
        FOUR,
        [],
        want(SUCCESS, SUCCESS, SUCCESS, SUCCESS),
    ),
    case(
        "existing pods do not match null selector",
        incoming(spread(1, "zone", DO_NOT_SCHEDULE, None)),
        FOUR,
        [P("p-x1", "node-x", "foo"), P("p-y1", "node-y", "foo")],
        want(SUCCESS, SUCCESS, SUCCESS, SUCCESS),
    ),
    case(
        "pods spread across zones as 3/3, all nodes fit",
        incoming(spread(1, "zone", DO_NOT_SCHEDULE, FOO)),
        FOUR,
        SPREAD_2103,
        want(SUCCESS, SUCCESS, SUCCESS, SUCCESS),
    ),
    case(
        "pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
        incoming(spread(1, "zone", DO_NOT_SCHEDULE, FOO)),
        [zn("node-a", "zone1"), N("node-b", {"zon": "zone1", "node": "node-b"}), *FOUR[2:]],
        [
            P("p-a1", "node-a", "foo"),
            P("p-b1", "node-b", "foo"),
            P("p-x1", "node-x", "foo"),
            P("p-y1", "node-y", "foo"),
        ],
        want(SUCCESS, UU, U, U),
    ),
    case(
        "pod cannot be scheduled as all nodes don't have label 'rack'",
        incoming(spread(1, "rack", DO_NOT_SCHEDULE, FOO)),
        [zn("node-a", "zone1"), zn("node-x", "zone2")],
        [],
        {"node-a": UU, "node-x": UU},
    ),
    case(
        "pods spread across nodes as 2/1/0/3, only node-x fits",
        incoming(spread(1, "node", DO_NOT_SCHEDULE, FOO)),
        FOUR,
        SPREAD_2103,
        want(U, U, SUCCESS, U),
    ),
    case(
        "pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
        incoming(spread(2, "node", DO_NOT_SCHEDULE, FOO)),
        FOUR,
        SPREAD_2103,
        want(U, SUCCESS, SUCCESS, U),
    ),
    case(
        "pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
        incoming(spread(1, "node", DO_NOT_SCHEDULE, FOO), labels=("bar",)),
        FOUR,
        SPREAD_2103,
        want(U, SUCCESS, SUCCESS, U),
    ),
    case(
        "incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits",
        incoming(spread(1, "node", DO_NOT_SCHEDULE, FOO), affinity=node_affinity("node", IN, ["node-a", "node-y"])),
        FOUR,
        SPREAD_2103,
        want(SUCCESS, SUCCESS, SUCCESS, U),  # node-b and node-x: NodeAffinity's job, not run here
    ),
    case(
        "terminating Pods should be excluded",
        incoming(spread(1, "node", DO_NOT_SCHEDULE, FOO)),
        [N("node-a", {"node": "node-a"}), N("node-b", {"node": "node-b"})],
        [P("p-a", "node-a", "foo", terminating=True), P("p-b", "node-b", "foo")],
        {"node-a": SUCCESS, "node-b": U},
    ),
    case(
        "incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence node-a fits",
        incoming(spread(1, "zone", DO_NOT_SCHEDULE, FOO), affinity=node_affinity("node", NOT_IN, ["node-b"])),
        FOUR,
        [P("p-b1", "node-b", "foo"), P("p-b2", "node-b", "foo"), P("p-y1", "node-y", "foo")],
        want(SUCCESS, SUCCESS, U, U),
    ),
    case(
        "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains < minDomains, "
        "then the third node fits",
        incoming(spread(2, "node", DO_NOT_SCHEDULE, FOO, min_domains=4)),
        [N(n, {"node": n}) for n in ("node-a", "node-b", "node-c")],
        pods("node-a", 2, "foo") + pods("node-b", 2, "foo") + pods("node-c", 1, "foo"),
        {"node-a": U, "node-b": U, "node-c": SUCCESS},
    ),
    case(
        "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains > minDomains, "
        "then the all nodes fit",
        incoming(spread(2, "node", DO_NOT_SCHEDULE, FOO, min_domains=2)),
        [N(n, {"node": n}) for n in ("node-a", "node-b", "node-c")],
        pods("node-a", 2, "foo") + pods("node-b", 2, "foo") + pods("node-c", 1, "foo"),
        {"node-a": SUCCESS, "node-b": SUCCESS, "node-c": SUCCESS},
    ),
    case(
        "pods spread across zone as 2/1, maxSkew is 2 and the number of domains < minDomains, "
        "then the third and fourth nodes fit",
        incoming(spread(2, "zone", DO_NOT_SCHEDULE, FOO, min_domains=3)),
        FOUR,
        [P("p-b1", "node-a", "foo"), P("p-b2", "node-b", "foo"), P("p-y1", "node-y", "foo")],
        want(U, U, SUCCESS, SUCCESS),
    ),
    case(
        "pods spread across zone as 2/1, maxSkew is 2 and the number of domains > minDomains, then the all nodes fit",
        incoming(spread(2, "zone", DO_NOT_SCHEDULE, FOO, min_domains=1)),
        FOUR,
        [P("p-b1", "node-a", "foo"), P("p-b2", "node-b", "foo"), P("p-y1", "node-y", "foo")],
        want(SUCCESS, SUCCESS, SUCCESS, SUCCESS),
    ),
]

FOO_NODES = [
    N("node-a", {"node": "node-a", "foo": ""}),
    N("node-b", {"node": "node-b", "foo": ""}),
    N("node-x", {"node": "node-x", "foo": ""}),
]
POLICY_PODS = [P("p-b1", "node-a", "foo"), P("p-b2", "node-b", "foo"), P("p-y1", "node-y", "foo")]
SINGLE += [
    case(
        "NodeAffinityPolicy honored with labelSelectors",
        incoming(spread(1, "node", DO_NOT_SCHEDULE, FOO), node_selector={"foo": ""}),
        [*FOO_NODES, N("node-y", {"node": "node-y"})],
        POLICY_PODS,
        want(U, U, SUCCESS, SUCCESS),  # node-y: NodeAffinity's job
    ),
    case(
        "NodeAffinityPolicy ignored with labelSelectors",
        incoming(spread(1, "node", DO_NOT_SCHEDULE, FOO, affinity=IGNORE), node_selector={"foo": ""}),
        [*FOO_NODES, N("node-y", {"node": "node-y"})],
        POLICY_PODS,
        want(U, U, SUCCESS, U),
    ),
    case(
        "NodeAffinityPolicy honored with nodeAffinity",
        incoming(spread(1, "node", DO_NOT_SCHEDULE, FOO), affinity=node_affinity("foo", IN, [""])),
        [*FOO_NODES, N("node-y", {"node": "node-y"})],
        POLICY_PODS,
        want(U, U, SUCCESS, SUCCESS),
    ),
    case(
        "NodeAffinityPolicy ignored with labelSelectors (nodeAffinity)",
        incoming(spread(1, "node", DO_NOT_SCHEDULE, FOO, affinity=IGNORE), affinity=node_affinity("foo", IN, [""])),
        [*FOO_NODES, N("node-y", {"node": "node-y"})],
        POLICY_PODS,
        want(U, U, SUCCESS, U),
    ),
    case(
        "NodeTaintsPolicy honored",
        incoming(spread(1, "node", DO_NOT_SCHEDULE, FOO, taints=HONOR)),
        [*FOO_NODES, N("node-y", {"node": "node-y"}, TAINTS)],
        POLICY_PODS,
        want(U, U, SUCCESS, SUCCESS),  # node-y: TaintToleration's job
    ),
    case(
        "NodeTaintsPolicy ignored",
        incoming(spread(1, "node", DO_NOT_SCHEDULE, FOO)),
        [*FOO_NODES, N("node-y", {"node": "node-y"}, TAINTS)],
        POLICY_PODS,
        want(U, U, SUCCESS, U),
    ),
]


@pytest.mark.parametrize(("name", "pod", "nodes", "existing", "expected"), SINGLE)
def test_single_constraint(name: str, pod: Pod, nodes: list[Node], existing: list[Pod], expected: dict) -> None:
    """filtering_test.go TestSingleConstraint."""
    assert codes(pod, nodes, existing) == expected


# --- filtering_test.go TestMultipleConstraints ---------------------------------------------------

ZONE_NODE = (spread(1, "zone", DO_NOT_SCHEDULE, FOO), spread(1, "node", DO_NOT_SCHEDULE, FOO))
ZONE_FOO_NODE_BAR = (spread(1, "zone", DO_NOT_SCHEDULE, FOO), spread(1, "node", DO_NOT_SCHEDULE, BAR))
FOO4 = [zn("node-a", "zone1", foo=""), zn("node-b", "zone1", foo=""), zn("node-x", "zone2", foo="")]
INCL_PODS = [P("p-a1", "node-a", "foo"), P("p-b1", "node-b", "foo"), P("p-y1", "node-y", "foo")]

MULTIPLE = [
    case(
        "two Constraints on zone and node, spreads = [3/3, 2/1/0/3]",
        incoming(*ZONE_NODE),
        FOUR,
        SPREAD_2103,
        want(U, U, SUCCESS, U),
    ),
    case(
        "two Constraints on zone and node, spreads = [3/4, 2/1/0/4]",
        incoming(*ZONE_NODE),
        FOUR,
        pods("node-a", 2, "foo") + pods("node-b", 1, "foo") + pods("node-y", 4, "foo"),
        want(U, U, U, U),
    ),
    case(
        "Constraints hold different labelSelectors, spreads = [1/0, 1/0/0/1]",
        incoming(*ZONE_FOO_NODE_BAR, labels=("foo", "bar")),
        FOUR,
        [P("p-a1", "node-a", "foo"), P("p-y1", "node-y", "bar")],
        want(U, U, SUCCESS, U),
    ),
    case(
        "Constraints hold different labelSelectors, spreads = [1/0, 0/0/1/1]",
        incoming(*ZONE_FOO_NODE_BAR, labels=("foo", "bar")),
        FOUR,
        [P("p-a1", "node-a", "foo"), P("p-x1", "node-x", "bar"), P("p-y1", "node-y", "bar")],
        want(U, U, U, U),
    ),
    case(
        "Constraints hold different labelSelectors, spreads = [2/3, 1/0/0/1]",
        incoming(*ZONE_FOO_NODE_BAR, labels=("foo", "bar")),
        FOUR,
        [
            P("p-a1", "node-a", "foo"),
            P("p-a2", "node-a", "foo", "bar"),
            P("p-y1", "node-y", "foo"),
            P("p-y2", "node-y", "foo", "bar"),
            P("p-y3", "node-y", "foo"),
        ],
        want(U, SUCCESS, U, U),
    ),
    case(
        "Constraints hold different labelSelectors but pod doesn't match itself on 'zone' constraint",
        incoming(*ZONE_FOO_NODE_BAR, labels=("bar",)),
        FOUR,
        [P("p-a1", "node-a", "foo"), P("p-x1", "node-x", "bar"), P("p-y1", "node-y", "bar")],
        want(SUCCESS, SUCCESS, U, U),
    ),
    case(
        "two Constraints on zone and node, absence of label 'node' on node-x, spreads = [1/1, 1/0/0/1]",
        incoming(*ZONE_NODE),
        [zn("node-a", "zone1"), zn("node-b", "zone1"), N("node-x", {"zone": "zone2"}), zn("node-y", "zone2")],
        [P("p-a1", "node-a", "foo"), P("p-y3", "node-y", "foo")],
        want(U, SUCCESS, UU, U),
    ),
    case(
        "two node inclusion Constraints, zone: honor/ignore, node: ignore/ignore",
        incoming(
            spread(1, "zone", DO_NOT_SCHEDULE, FOO),
            spread(1, "node", DO_NOT_SCHEDULE, FOO, affinity=IGNORE),
            node_selector={"foo": ""},
        ),
        [*FOO4, zn("node-y", "zone2")],
        INCL_PODS,
        want(U, U, SUCCESS, U),
    ),
    case(
        "two node inclusion Constraints, zone: honor/honor, node: honor/ignore",
        incoming(spread(1, "zone", DO_NOT_SCHEDULE, FOO, taints=HONOR), spread(1, "node", DO_NOT_SCHEDULE, FOO)),
        [*FOO4, N("node-y", {"zone": "zone2", "node": "node-y"}, TAINTS)],
        INCL_PODS,
        want(U, U, SUCCESS, U),
    ),
    case(
        "two node inclusion Constraints, zone: honor/ignore, node: honor/ignore",
        incoming(*ZONE_NODE, node_selector={"foo": ""}),
        [
            zn("node-a", "zone1", foo=""),
            zn("node-b", "zone1"),
            zn("node-x", "zone2", foo=""),
            N("node-y", {"zone": "zone2", "node": "node-y", "foo": ""}, TAINTS),
        ],
        INCL_PODS,
        want(U, SUCCESS, SUCCESS, U),
    ),
    case(
        "two node inclusion Constraints, zone: honor/honor, node: ignore/ignore",
        incoming(
            spread(1, "zone", DO_NOT_SCHEDULE, FOO, taints=HONOR),
            spread(1, "node", DO_NOT_SCHEDULE, FOO, affinity=IGNORE),
            node_selector={"foo": ""},
        ),
        [
            zn("node-a", "zone1", foo=""),
            zn("node-b", "zone1"),
            zn("node-x", "zone2", foo=""),
            N("node-y", {"zone": "zone2", "node": "node-y", "foo": ""}, TAINTS),
        ],
        INCL_PODS,
        want(U, U, SUCCESS, U),
    ),
]


@pytest.mark.parametrize(("name", "pod", "nodes", "existing", "expected"), MULTIPLE)
def test_multiple_constraints(name: str, pod: Pod, nodes: list[Node], existing: list[Pod], expected: dict) -> None:
    """filtering_test.go TestMultipleConstraints."""
    assert codes(pod, nodes, existing) == expected


def test_filter_reasons_are_the_plugin_constants() -> None:
    """plugin.go ErrReasonConstraintsNotMatch / ErrReasonNodeLabelNotMatch, with the codes
    filtering.go gives them."""
    pod = incoming(spread(1, "zone", DO_NOT_SCHEDULE, FOO))
    nodes = [zn("node-a", "zone1"), zn("node-b", "zone2"), N("node-c", {"node": "node-c"})]
    state = CycleState.of(mkc(nodes, [P("p-a1", "node-a", "foo")]), pod)
    fail, missing = pts.filter(state, nodes[0]), pts.filter(state, nodes[2])
    assert fail is not None and fail.reasons == ("node(s) didn't match pod topology spread constraints",)
    assert fail.code == UNSCHEDULABLE
    assert missing is not None
    assert missing.reasons == ("node(s) didn't match pod topology spread constraints (missing required label)",)
    assert missing.code == UNRESOLVABLE


# --- scoring_test.go TestPodTopologySpreadScore ---------------------------------------------------


def scores(pod: Pod, candidates: list[Node], existing: list[Pod], failed: list[Node] = (), **kw: Any) -> dict[str, int]:  # type: ignore[assignment]
    c = mkc([*candidates, *failed], existing, **kw)
    return pts.score(CycleState.of(c, pod), candidates)


ABCD = [hn("node-a"), hn("node-b"), hn("node-c"), hn("node-d")]
SPREAD_4321 = pods("node-a", 4, "foo") + pods("node-b", 3, "foo") + pods("node-c", 2, "foo") + pods("node-d", 1, "foo")
SPREAD_4213 = pods("node-a", 4, "foo") + pods("node-b", 2, "foo") + pods("node-x", 1, "foo") + pods("node-y", 3, "foo")
ZONE_AB = [hn("node-a", "zone1"), hn("node-b", "zone1"), hn("node-x", "zone2"), hn("node-y", "zone2")]
DIFF_SELECTORS_PODS = [
    P("p-a1", "node-a", "foo"),
    P("p-b1", "node-b", "foo", "bar"),
    P("p-y1", "node-y", "foo"),
    P("p-y2", "node-y", "bar"),
]
ZONE_FOO_HOST_BAR = (spread(1, "zone", SCHEDULE_ANYWAY, FOO), spread(1, HOST, SCHEDULE_ANYWAY, BAR))
NODES3 = [N("node-a", {"node": "node-a", "foo": ""}), N("node-b", {"node": "node-b", "foo": ""})]
PODS_2_1_1 = pods("node-a", 2, "foo") + pods("node-b", 1, "foo") + pods("node-c", 1, "foo")

SCORE = [
    case(
        "one constraint on node, no existing pods",
        incoming(spread(1, HOST, SCHEDULE_ANYWAY, FOO)),
        [hn("node-a"), hn("node-b")],
        [],
        [],
        {"node-a": 100, "node-b": 100},
    ),
    case(
        "one constraint on node, only one node is candidate",
        incoming(spread(1, HOST, SCHEDULE_ANYWAY, FOO)),
        [hn("node-a")],
        pods("node-a", 2, "foo") + pods("node-b", 1, "foo"),
        [hn("node-b")],
        {"node-a": 100},
    ),
    case(
        "one constraint on node, all nodes have the same number of matching pods",
        incoming(spread(1, HOST, SCHEDULE_ANYWAY, FOO)),
        [hn("node-a"), hn("node-b")],
        [P("p-a1", "node-a", "foo"), P("p-b1", "node-b", "foo")],
        [],
        {"node-a": 100, "node-b": 100},
    ),
    case(
        "one constraint on node, all 4 nodes are candidates",
        incoming(spread(1, HOST, SCHEDULE_ANYWAY, FOO)),
        ABCD,
        pods("node-a", 2, "foo") + pods("node-b", 1, "foo") + pods("node-d", 3, "foo"),
        [],
        {"node-a": 20, "node-b": 60, "node-c": 100, "node-d": 0},
    ),
    case(
        "one constraint on node, null selector",
        incoming(spread(1, HOST, SCHEDULE_ANYWAY, None)),
        ABCD,
        pods("node-a", 2, "foo") + pods("node-b", 1, "foo") + pods("node-d", 3, "foo"),
        [],
        {"node-a": 100, "node-b": 100, "node-c": 100, "node-d": 100},
    ),
    case(
        "one constraint on node, all 4 nodes are candidates, maxSkew=2",
        incoming(spread(2, HOST, SCHEDULE_ANYWAY, FOO)),
        ABCD,
        pods("node-a", 2, "foo") + pods("node-b", 1, "foo") + pods("node-d", 3, "foo"),
        [],
        {"node-a": 33, "node-b": 66, "node-c": 100, "node-d": 16},
    ),
    case(
        "one constraint on node, all 4 nodes are candidates, maxSkew=3",
        incoming(spread(3, HOST, SCHEDULE_ANYWAY, FOO)),
        ABCD,
        SPREAD_4321,
        [],
        {"node-a": 44, "node-b": 66, "node-c": 77, "node-d": 100},
    ),
    case(
        "one constraint on node, 3 out of 4 nodes are candidates",
        incoming(spread(1, HOST, SCHEDULE_ANYWAY, FOO)),
        [hn("node-a"), hn("node-b"), hn("node-x")],
        SPREAD_4213,
        [hn("node-y")],
        {"node-a": 33, "node-b": 83, "node-x": 100},
    ),
    case(
        "one constraint on node, 3 out of 4 nodes are candidates, one node doesn't match topology key",
        incoming(spread(1, HOST, SCHEDULE_ANYWAY, FOO)),
        [hn("node-a"), N("node-b", {"n": "node-b"}), hn("node-x")],
        SPREAD_4213,
        [hn("node-y")],
        {"node-a": 16, "node-b": 0, "node-x": 100},
    ),
    case(
        "one constraint on zone, 3 out of 4 nodes are candidates",
        incoming(spread(1, "zone", SCHEDULE_ANYWAY, FOO)),
        ZONE_AB[:3],
        SPREAD_4213,
        [ZONE_AB[3]],
        {"node-a": 75, "node-b": 75, "node-x": 100},
    ),
    case(
        "two Constraints on zone and node, 2 out of 4 nodes are candidates",
        incoming(spread(1, "zone", SCHEDULE_ANYWAY, FOO), spread(1, HOST, SCHEDULE_ANYWAY, FOO)),
        [ZONE_AB[0], ZONE_AB[2]],
        pods("node-a", 2, "foo") + pods("node-b", 1, "foo") + pods("node-x", 2, "foo") + pods("node-y", 4, "foo"),
        [ZONE_AB[1], ZONE_AB[3]],
        {"node-a": 100, "node-x": 63},
    ),
    case(
        "two Constraints on zone and node, with different labelSelectors",
        incoming(*ZONE_FOO_HOST_BAR, labels=("foo", "bar")),
        ZONE_AB,
        DIFF_SELECTORS_PODS,
        [],
        {"node-a": 60, "node-b": 20, "node-x": 100, "node-y": 60},
    ),
    case(
        "two Constraints on zone and node, with different labelSelectors, some nodes have 0 pods",
        incoming(*ZONE_FOO_HOST_BAR, labels=("foo", "bar")),
        ZONE_AB,
        [P("p-b1", "node-b", "bar"), P("p-x1", "node-x", "foo"), P("p-y1", "node-y", "foo", "bar")],
        [],
        {"node-a": 100, "node-b": 60, "node-x": 40, "node-y": 0},
    ),
    case(
        "two Constraints on zone and node, with different labelSelectors, 3 out of 4 nodes are candidates",
        incoming(*ZONE_FOO_HOST_BAR, labels=("foo", "bar")),
        ZONE_AB[:3],
        DIFF_SELECTORS_PODS,
        [ZONE_AB[3]],
        {"node-a": 50, "node-b": 25, "node-x": 100},
    ),
    case(
        "terminating Pods should be excluded",
        incoming(spread(1, HOST, SCHEDULE_ANYWAY, FOO)),
        [hn("node-a"), hn("node-b")],
        [P("p-a", "node-a", "foo", terminating=True), P("p-b", "node-b", "foo")],
        [],
        {"node-a": 100, "node-b": 0},
    ),
    case(
        "minDomains has no effect when ScheduleAnyway",
        incoming(spread(2, "node", SCHEDULE_ANYWAY, FOO, min_domains=10)),
        [N(n, {"node": n}) for n in ("node-a", "node-b", "node-c")],
        pods("node-a", 2, "foo") + pods("node-b", 2, "foo") + pods("node-c", 1, "foo"),
        [],
        {"node-a": 75, "node-b": 75, "node-c": 100},
    ),
    case(
        "NodeAffinityPolicy honoed with labelSelectors",
        incoming(spread(1, "node", SCHEDULE_ANYWAY, FOO), node_selector={"foo": ""}),
        [*NODES3, N("node-c", {"node": "node-c"})],
        PODS_2_1_1,
        [],
        {"node-a": 0, "node-b": 33, "node-c": 100},
    ),
    case(
        "NodeAffinityPolicy ignored with labelSelectors",
        incoming(spread(1, "node", SCHEDULE_ANYWAY, FOO, affinity=IGNORE), node_selector={"foo": ""}),
        [*NODES3, N("node-c", {"node": "node-c"})],
        PODS_2_1_1,
        [],
        {"node-a": 66, "node-b": 100, "node-c": 100},
    ),
    case(
        "NodeAffinityPolicy honoed with nodeAffinity",
        incoming(spread(1, "node", SCHEDULE_ANYWAY, FOO), affinity=node_affinity("foo", IN, [""])),
        [*NODES3, N("node-c", {"node": "node-c"})],
        PODS_2_1_1,
        [],
        {"node-a": 0, "node-b": 33, "node-c": 100},
    ),
    case(
        "NodeAffinityPolicy ignored with nodeAffinity",
        incoming(spread(1, "node", SCHEDULE_ANYWAY, FOO, affinity=IGNORE), affinity=node_affinity("foo", IN, [""])),
        [*NODES3, N("node-c", {"node": "node-c"})],
        PODS_2_1_1,
        [],
        {"node-a": 66, "node-b": 100, "node-c": 100},
    ),
    case(
        "NodeTaintsPolicy honored",
        incoming(spread(1, "node", SCHEDULE_ANYWAY, FOO, taints=HONOR)),
        [N("node-a", {"node": "node-a"}), N("node-b", {"node": "node-b"}), N("node-c", {"node": "node-c"}, TAINTS)],
        PODS_2_1_1,
        [],
        {"node-a": 0, "node-b": 33, "node-c": 100},
    ),
    case(
        "NodeTaintsPolicy ignored",
        incoming(spread(1, "node", SCHEDULE_ANYWAY, FOO)),
        [N("node-a", {"node": "node-a"}), N("node-b", {"node": "node-b"}), N("node-c", {"node": "node-c"}, TAINTS)],
        PODS_2_1_1,
        [],
        {"node-a": 66, "node-b": 100, "node-c": 100},
    ),
]

MLK_NODES = [hn("node-a", "zone1"), hn("node-b", "zone1"), hn("node-c", "zone2"), hn("node-d", "zone2")]
MLK_PODS = [
    P("p-a1", "node-a", "foo"),
    P("p-b1", "node-b", "foo", "bar"),
    P("p-y1", "node-c", "foo"),
    P("p-y2", "node-c", "bar"),
]
SCORE += [
    case(
        "matchLabelKeys ANDed with LabelSelector when LabelSelector is empty",
        incoming(
            spread(1, "zone", SCHEDULE_ANYWAY, LabelSelector(), match_label_keys=("foo",)),
            spread(1, HOST, SCHEDULE_ANYWAY, LabelSelector(), match_label_keys=("bar",)),
            labels=("foo", "bar"),
        ),
        MLK_NODES,
        MLK_PODS,
        [],
        {"node-a": 60, "node-b": 20, "node-c": 60, "node-d": 100},
    ),
    case(
        "matchLabelKeys ANDed with LabelSelector when LabelSelector isn't empty",
        incoming(
            spread(1, "zone", SCHEDULE_ANYWAY, FOO),
            spread(1, HOST, SCHEDULE_ANYWAY, BAR, match_label_keys=("baz",)),
            labels=("foo", "bar", "baz"),
        ),
        MLK_NODES,
        [
            P("p-a1", "node-a", "foo"),
            P("p-b1", "node-b", "foo", "bar", "baz"),
            P("p-c1", "node-c", "foo"),
            P("p-c2", "node-c", "bar"),
            P("p-d3", "node-c", "bar", "baz"),
        ],
        [],
        {"node-a": 60, "node-b": 20, "node-c": 60, "node-d": 100},
    ),
]


@pytest.mark.parametrize(("name", "pod", "candidates", "existing", "failed", "expected"), SCORE)
def test_pod_topology_spread_score(
    name: str, pod: Pod, candidates: list[Node], existing: list[Pod], failed: list[Node], expected: dict
) -> None:
    """scoring_test.go TestPodTopologySpreadScore."""
    assert scores(pod, candidates, existing, failed) == expected


def test_score_match_label_keys_ignored_when_feature_gate_disabled() -> None:
    """scoring_test.go TestPodTopologySpreadScore "matchLabelKeys ignored when feature gate
    disabled": MatchLabelKeysInPodTopologySpread was alpha (off) before 1.27."""
    pod = incoming(
        spread(1, "zone", SCHEDULE_ANYWAY, FOO, match_label_keys=("baz",)),
        spread(1, HOST, SCHEDULE_ANYWAY, BAR, match_label_keys=("baz",)),
        labels=("foo", "bar", "baz"),
    )
    got = scores(pod, MLK_NODES, MLK_PODS, settings=Settings(kubernetes_version="1.26"))
    assert got == {"node-a": 60, "node-b": 20, "node-c": 60, "node-d": 100}


def test_score_system_defaulting_pods_match_service() -> None:
    """scoring_test.go TestPodTopologySpreadScore "system defaulting, nodes don't have zone, pods
    match service": the default constraints with a Service's selector score as one hostname
    constraint would."""
    pod = Pod(name="p", labels=labels_of({"foo": ""}))
    svc = Service(name="svc", selector=labels_of({"foo": ""}))
    got = scores(pod, ABCD, SPREAD_4321, services=(svc,))
    assert got == {"node-a": 44, "node-b": 66, "node-c": 77, "node-d": 100}


def test_default_constraints_only_without_own_constraints() -> None:
    """scoring_test.go TestPreScoreStateEmptyNodes "default constraints and a replicaset, but pod
    has constraints": a pod with constraints of its own does not get the defaults, so its only
    scoring constraint is its ScheduleAnyway one (and a pod with only DoNotSchedule ones is not
    scored at all: TestPreScoreSkip "the pod doesn't have soft topology spread Constraints")."""
    rs = ReplicaSet(name="rs1", replicas=1, selector=FOO, template=None)  # type: ignore[arg-type]
    hard_only = Pod(
        name="p",
        owner="rs1",
        labels=labels_of({"foo": "bar", "baz": "sup"}),
        scheduling=SchedulingSpec(topology_spread=(spread(1, "zone", DO_NOT_SCHEDULE, BAR),)),
    )
    c = mkc([hn("node-a"), hn("node-b")], pods("node-a", 2, "foo"), replicasets=(rs,))
    assert pts.soft_constraints(c, hard_only) == ([], True)
    assert pts.score(CycleState.of(c, hard_only), list(c.nodes)) == {"node-a": 0, "node-b": 0}
    both = Pod(
        name="p",
        owner="rs1",
        labels=labels_of({"foo": "bar", "baz": "sup"}),
        scheduling=SchedulingSpec(
            topology_spread=(
                spread(1, "zone", DO_NOT_SCHEDULE, BAR),
                spread(2, "planet", SCHEDULE_ANYWAY, LabelSelector((("baz", "sup"),))),
            )
        ),
    )
    constraints, require_all = pts.soft_constraints(c, both)
    assert [(k.topology_key, k.max_skew) for k in constraints] == [("planet", 2)]
    assert require_all


# --- feature gates at their first release, and node inclusion details ---------------------------------------
#
# pkg/features/kube_features.go: EvenPodsSpread beta (on by default) in 1.18;
# NodeInclusionPolicyInPodTopologySpread beta (on) in 1.26; MinDomainsInPodTopologySpread and
# MatchLabelKeysInPodTopologySpread on by default in 1.27 (kmodel.versions holds the table).


def codes_at(version: str, pod: Pod, nodes: list[Node], existing: list[Pod]) -> dict[str, str]:
    c = mkc(nodes, existing, settings=Settings(kubernetes_version=version))
    state = CycleState.of(c, pod)
    return {n.name: SUCCESS if (s := pts.filter(state, n)) is None else s.code for n in nodes}


def test_own_constraints_are_honoured_from_1_18() -> None:
    """EvenPodsSpread is on by default from 1.18: a DoNotSchedule constraint then filters (zone1
    holds 2 matching pods, zone2 none, maxSkew 1: zone1's nodes fail); in 1.17 it is ignored."""
    pod = incoming(spread(1, "zone", DO_NOT_SCHEDULE, FOO))
    nodes = [zn("node-a", "zone1"), zn("node-x", "zone2")]
    existing = pods("node-a", 2, "foo")
    assert codes_at("1.18", pod, nodes, existing) == {"node-a": U, "node-x": SUCCESS}
    assert codes_at("1.17", pod, nodes, existing) == {"node-a": SUCCESS, "node-x": SUCCESS}


@pytest.mark.parametrize(
    ("effect", "excluded"),
    [(NO_SCHEDULE, True), (NO_EXECUTE, True), (PREFER_NO_SCHEDULE, False)],
)
def test_node_taints_policy_honour_from_1_26(effect: str, excluded: bool) -> None:
    """nodeTaintsPolicy: Honor (NodeInclusionPolicyInPodTopologySpread, on from 1.26) leaves out of
    the domains the nodes with a taint the pod does not tolerate, counting only NoSchedule and
    NoExecute taints (DoNotScheduleTaintsFilterFunc). node-a (zone1) holds one matching pod and
    node-x (zone2) none: with node-x left out zone2 is no domain, the global minimum is 1 and
    node-a fits (skew 1); with node-x counted the minimum is 0 and node-a fails (skew 2). In 1.25
    the policy is ignored and node-x always counts."""
    pod = incoming(spread(1, "zone", DO_NOT_SCHEDULE, FOO, taints=HONOR))
    nodes = [zn("node-a", "zone1"), N("node-x", {"zone": "zone2", "node": "node-x"}, (Taint("t", effect, ""),))]
    existing = pods("node-a", 1, "foo")
    assert codes_at("1.26", pod, nodes, existing)["node-a"] == (SUCCESS if excluded else U)
    assert codes_at("1.25", pod, nodes, existing)["node-a"] == U


def test_min_domains_is_honoured_from_1_27() -> None:
    """minDomains 3 with two zones (one matching pod each): fewer domains than minDomains make the
    global minimum 0 (calPreFilterState), so the incoming pod would make skew 2 > 1 anywhere. In
    1.26 minDomains is ignored (treated as 1): minimum 1, skew 1, both nodes fit."""
    pod = incoming(spread(1, "zone", DO_NOT_SCHEDULE, FOO, min_domains=3))
    nodes = [zn("node-a", "zone1"), zn("node-x", "zone2")]
    existing = pods("node-a", 1, "foo") + pods("node-x", 1, "foo")
    assert codes_at("1.27", pod, nodes, existing) == {"node-a": U, "node-x": U}
    assert codes_at("1.26", pod, nodes, existing) == {"node-a": SUCCESS, "node-x": SUCCESS}


def test_a_single_domain_meets_the_default_min_domains_of_one() -> None:
    """minDomains unset is 1: one zone holding two matching pods is enough domains, so the global
    minimum is that zone's 2 and the incoming pod makes skew 3 - 2 = 1 <= maxSkew 1: it fits."""
    pod = incoming(spread(1, "zone", DO_NOT_SCHEDULE, FOO))
    nodes = [zn("node-a", "zone1"), zn("node-b", "zone1")]
    existing = pods("node-a", 2, "foo")
    assert codes_at("1.37", pod, nodes, existing) == {"node-a": SUCCESS, "node-b": SUCCESS}


def test_match_label_keys_are_honoured_from_1_27() -> None:
    """matchLabelKeys ["rev"] adds rev=<the incoming pod's value> to the selector (on from 1.27):
    the two old-revision pods in zone1 no longer count, so zone1 and zone2 both hold 0 and node-a
    fits; in 1.26 they count and node-a fails (skew 3)."""
    pod = Pod(
        name="p",
        labels=labels_of({"foo": "", "rev": "2"}),
        scheduling=SchedulingSpec(
            topology_spread=(spread(1, "zone", DO_NOT_SCHEDULE, FOO, match_label_keys=("rev",)),)
        ),
    )
    nodes = [zn("node-a", "zone1"), zn("node-x", "zone2")]
    old = [Pod(name=f"old{i}", node_name="node-a", labels=labels_of({"foo": "", "rev": "1"})) for i in (1, 2)]
    assert codes_at("1.27", pod, nodes, old)["node-a"] == SUCCESS
    assert codes_at("1.26", pod, nodes, old)["node-a"] == U


def test_an_empty_selector_counts_no_existing_pod_from_1_27() -> None:
    """An empty labelSelector ({}): from 1.27 countPodsMatchSelector counts no existing pod, so
    zone1's two pods do not count and node-a fits; in 1.26 it matches every pod and node-a fails."""
    pod = incoming(spread(1, "zone", DO_NOT_SCHEDULE, LabelSelector()))
    nodes = [zn("node-a", "zone1"), zn("node-x", "zone2")]
    existing = pods("node-a", 2, "foo")
    assert codes_at("1.27", pod, nodes, existing)["node-a"] == SUCCESS
    assert codes_at("1.26", pod, nodes, existing)["node-a"] == U


def test_a_node_missing_one_of_the_topology_keys_counts_in_no_domain() -> None:
    """calPreFilterState skips a node unless nodeLabelsMatchSpreadConstraints (it has every
    constraint's key). node-n has a hostname but no zone, so it is not a hostname domain either:
    the hostname minimum stays 1 (node-a, node-b) and node-a fits (skew 2 - 1 = 1); counted, node-n
    would make the minimum 0 and node-a fail."""
    pod = incoming(spread(5, "zone", DO_NOT_SCHEDULE, FOO), spread(1, "node", DO_NOT_SCHEDULE, FOO))
    nodes = [zn("node-a", "zone1"), zn("node-b", "zone1"), N("node-n", {"node": "node-n"})]
    existing = pods("node-a", 1, "foo") + pods("node-b", 1, "foo")
    got = codes_at("1.37", pod, nodes, existing)
    assert got["node-a"] == SUCCESS and got["node-b"] == SUCCESS
    assert got["node-n"] == UU
