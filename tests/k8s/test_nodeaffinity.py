"""NodeAffinity, translated from pkg/scheduler/framework/plugins/nodeaffinity/node_affinity_test.go
(TestNodeAffinity, TestNodeAffinityPriority).

Each case builds the Go test's pod and node (a node with exactly the test's labels and name) and
checks kmodel's plugin: ``nodeaffinity.prefilter`` (the PreFilterResult's node names, or the
PreFilter status), ``nodeaffinity.filter`` (the Filter status: reason and code) and
``nodeaffinity.score`` (the normalised scores). The cases of the plugin's ``addedAffinity``
argument are left out: the default profile sets none.
"""

from __future__ import annotations

import pytest

from kmodel.components import scheduler
from kmodel.components.plugins import nodeaffinity
from kmodel.components.plugins.framework import UNRESOLVABLE, CycleState
from kmodel.labels import DOES_NOT_EXIST, EXISTS, GT, IN, LT, NOT_IN, Requirement
from kmodel.schedulingspec import NodeAffinity, NodeSelectorTerm, PreferredSchedulingTerm, SchedulingSpec
from kmodel.state import Node, Pod, labels_of
from tests.k8s.conftest import case, mkcluster

GO = "node_affinity_test.go"
NAME = "metadata.name"


def req(key: str, op: str, *values: str) -> Requirement:
    return Requirement(key, op, values)


def term(*exprs: Requirement, fields: tuple[Requirement, ...] = ()) -> NodeSelectorTerm:
    return NodeSelectorTerm(tuple(exprs), fields)


def pod(
    *terms: NodeSelectorTerm,
    selector: dict[str, str] | None = None,
    required: bool = True,
    preferred: tuple[PreferredSchedulingTerm, ...] = (),
) -> Pod:
    affinity = None
    if terms or preferred or not required:
        affinity = NodeAffinity(required=tuple(terms) if required else None, preferred=preferred)
    return Pod(
        name="pod1",
        node_selector=labels_of(selector),
        scheduling=SchedulingSpec(node_affinity=affinity),
    )


def run_filter(p: Pod, node: Node) -> tuple[object, object]:
    state = CycleState.of(mkcluster(node), p)
    return nodeaffinity.prefilter(state), nodeaffinity.filter(state, node)


FAIL = "fail"
OK = "ok"
GPU_EXISTS = req("GPU", EXISTS)
FIELD_NODE1 = req(NAME, IN, "node1")
FIELD_NODE2 = req(NAME, IN, "node2")


@pytest.mark.parametrize(
    ("name", "p", "labels", "node_name", "want_names", "want"),
    [
        case("missing labels", pod(selector={"foo": "bar"}), {}, "", None, FAIL),
        case("same labels", pod(selector={"foo": "bar"}), {"foo": "bar"}, "", None, OK),
        case("node labels are superset", pod(selector={"foo": "bar"}), {"foo": "bar", "baz": "blah"}, "", None, OK),
        case("node labels are subset", pod(selector={"foo": "bar", "baz": "blah"}), {"foo": "bar"}, "", None, FAIL),
        case(
            "Pod with matchExpressions using In operator that matches the existing node",
            pod(term(req("foo", IN, "bar", "value2"))),
            {"foo": "bar"},
            "",
            None,
            OK,
        ),
        case(
            "Pod with matchExpressions using Gt operator that matches the existing node",
            pod(term(req("kernel-version", GT, "0204"))),
            {"kernel-version": "0206"},
            "",
            None,
            OK,
        ),
        case(
            "Pod with matchExpressions using NotIn operator that matches the existing node",
            pod(term(req("mem-type", NOT_IN, "DDR", "DDR2"))),
            {"mem-type": "DDR3"},
            "",
            None,
            OK,
        ),
        case(
            "Pod with matchExpressions using Exists operator that matches the existing node",
            pod(term(GPU_EXISTS)),
            {"GPU": "NVIDIA-GRID-K1"},
            "",
            None,
            OK,
        ),
        case(
            "Pod with affinity that don't match node's labels won't schedule onto the node",
            pod(term(req("foo", IN, "value1", "value2"))),
            {"foo": "bar"},
            "",
            None,
            FAIL,
        ),
        case(
            "Pod with empty MatchExpressions is not a valid value will match no objects and won't schedule onto "
            "the node",
            pod(term()),
            {"foo": "bar"},
            "",
            None,
            FAIL,
        ),
        case("Pod with no Affinity will schedule onto a node", pod(), {"foo": "bar"}, "", None, OK),
        case(
            "Pod with Affinity but nil NodeSelector will schedule onto a node",
            pod(required=False),
            {"foo": "bar"},
            "",
            None,
            OK,
        ),
        case(
            "Pod with multiple matchExpressions ANDed that matches the existing node",
            pod(term(GPU_EXISTS, req("GPU", NOT_IN, "AMD", "INTER"))),
            {"GPU": "NVIDIA-GRID-K1"},
            "",
            None,
            OK,
        ),
        case(
            "Pod with multiple matchExpressions ANDed that doesn't match the existing node",
            pod(term(GPU_EXISTS, req("GPU", IN, "AMD", "INTER"))),
            {"GPU": "NVIDIA-GRID-K1"},
            "",
            None,
            FAIL,
        ),
        case(
            "Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels and will schedule "
            "onto the node",
            pod(term(req("foo", IN, "bar", "value2")), term(req("diffkey", IN, "wrong", "value2"))),
            {"foo": "bar"},
            "",
            None,
            OK,
        ),
        case(
            "Pod with an Affinity and a PodSpec.NodeSelector(the old thing that we are deprecating) both are "
            "satisfied, will schedule onto the node",
            pod(term(req("foo", EXISTS)), selector={"foo": "bar"}),
            {"foo": "bar"},
            "",
            None,
            OK,
        ),
        case(
            "Pod with an Affinity matches node's labels but the PodSpec.NodeSelector(the old thing that we are "
            "deprecating) is not satisfied, won't schedule onto the node",
            pod(term(req("foo", EXISTS)), selector={"foo": "bar"}),
            {"foo": "barrrrrr"},
            "",
            None,
            FAIL,
        ),
        case(
            "Pod with an invalid value in Affinity term won't be scheduled onto the node",
            pod(NodeSelectorTerm((req("foo", NOT_IN, "invalid value: ___@#$%^"),), parse_error=True)),
            {"foo": "bar"},
            "",
            None,
            FAIL,
        ),
        case(
            "Pod with matchFields using In operator that matches the existing node",
            pod(term(fields=(FIELD_NODE1,))),
            {},
            "node1",
            {"node1"},
            OK,
        ),
        case(
            "Pod with matchFields using In operator that does not match the existing node",
            pod(term(fields=(FIELD_NODE1,))),
            {},
            "node2",
            {"node1"},
            FAIL,
        ),
        case(
            "Pod with two terms: matchFields does not match, but matchExpressions matches",
            pod(term(fields=(FIELD_NODE1, FIELD_NODE2)), term(req("foo", IN, "bar"))),
            {"foo": "bar"},
            "node2",
            None,
            OK,
        ),
        case(
            "Pod with one term: matchFields does not match, but matchExpressions matches",
            pod(term(req("foo", IN, "bar"), fields=(FIELD_NODE1,))),
            {"foo": "bar"},
            "node2",
            {"node1"},
            FAIL,
        ),
        case(
            "Pod with one term: both matchFields and matchExpressions match",
            pod(term(req("foo", IN, "bar"), fields=(FIELD_NODE1,))),
            {"foo": "bar"},
            "node1",
            {"node1"},
            OK,
        ),
        case(
            "Pod with two terms: both matchFields and matchExpressions do not match",
            pod(term(fields=(FIELD_NODE1,)), term(req("foo", IN, "not-match-to-bar"))),
            {"foo": "bar"},
            "node2",
            None,
            FAIL,
        ),
        case(
            "Pod with two terms of node.Name affinity",
            pod(term(fields=(FIELD_NODE1,)), term(fields=(FIELD_NODE2,))),
            {},
            "node2",
            {"node1", "node2"},
            OK,
        ),
        case(
            "Matches node selector correctly even if PreFilter is not called",
            pod(selector={"foo": "bar"}),
            {"foo": "bar", "baz": "blah"},
            "",
            None,
            OK,
        ),
        case(
            "Matches node affinity correctly even if PreFilter is not called",
            pod(term(GPU_EXISTS, req("GPU", NOT_IN, "AMD", "INTER"))),
            {"GPU": "NVIDIA-GRID-K1"},
            "",
            None,
            OK,
        ),
    ],
)
def test_node_affinity_filter(
    name: str, p: Pod, labels: dict[str, str], node_name: str, want_names: set[str] | None, want: str
) -> None:
    """node_affinity_test.go TestNodeAffinity, case ``name``: the PreFilterResult's node names and the
    Filter status (UnschedulableAndUnresolvable with ErrReasonPod, or success)."""
    node = Node(name=node_name, labels=labels_of(labels))
    (names, pre_status), status = run_filter(p, node)
    assert pre_status is None
    assert names == (frozenset(want_names) if want_names is not None else None)
    if want == OK:
        assert status is None
    else:
        assert status is not None
        assert status.reasons == (nodeaffinity.REASON,) and status.code == UNRESOLVABLE


def test_node_affinity_conflicting_match_fields() -> None:
    """node_affinity_test.go TestNodeAffinity "Pod with two conflicting mach field requirements":
    PreFilter fails with errReasonConflict (UnschedulableAndUnresolvable), and Filter with ErrReasonPod."""
    p = pod(term(fields=(FIELD_NODE1, FIELD_NODE2)))
    node = Node(name="node2", labels=labels_of({"foo": "bar"}))
    (names, pre_status), status = run_filter(p, node)
    assert names is None and pre_status is not None
    assert pre_status.reasons == ("pod affinity terms conflict",) and pre_status.code == UNRESOLVABLE
    assert status is not None and status.reasons == (nodeaffinity.REASON,)


# --- TestNodeAffinityPriority ------------------------------------------------------------------------------

LABEL1 = {"foo": "bar"}
LABEL2 = {"key": "value"}
LABEL3 = {"az": "az1"}
LABEL4 = {"abc": "az11", "def": "az22"}
LABEL5 = {"foo": "bar", "key": "value", "az": "az1"}

AFFINITY1 = (PreferredSchedulingTerm(2, term(req("foo", IN, "bar"))),)
AFFINITY2 = (
    PreferredSchedulingTerm(2, term(req("foo", IN, "bar"))),
    PreferredSchedulingTerm(4, term(req("key", IN, "value"))),
    PreferredSchedulingTerm(5, term(req("foo", IN, "bar"), req("key", IN, "value"), req("az", IN, "az1"))),
)


@pytest.mark.parametrize(
    ("name", "preferred", "nodes", "expected"),
    [
        case(
            "all nodes are same priority as NodeAffinity is nil",
            (),
            {"node1": LABEL1, "node2": LABEL2, "node3": LABEL3},
            {"node1": 0, "node2": 0, "node3": 0},
        ),
        case(
            "no node matches preferred scheduling requirements in NodeAffinity of pod so all nodes' priority is zero",
            AFFINITY1,
            {"node1": LABEL4, "node2": LABEL2, "node3": LABEL3},
            {"node1": 0, "node2": 0, "node3": 0},
        ),
        case(
            "only node1 matches the preferred scheduling requirements of pod",
            AFFINITY1,
            {"node1": LABEL1, "node2": LABEL2, "node3": LABEL3},
            {"node1": 100, "node2": 0, "node3": 0},
        ),
        case(
            "all nodes matches the preferred scheduling requirements of pod but with different priorities ",
            AFFINITY2,
            {"node1": LABEL1, "node5": LABEL5, "node2": LABEL2},
            {"node1": 18, "node5": 100, "node2": 36},
        ),
        case(
            "calculate the priorities correctly even if PreScore is not called",
            AFFINITY2,
            {"node1": LABEL1, "node5": LABEL5, "node2": LABEL2},
            {"node1": 18, "node5": 100, "node2": 36},
        ),
    ],
)
def test_node_affinity_priority(
    name: str, preferred: tuple[PreferredSchedulingTerm, ...], nodes: dict[str, dict[str, str]], expected: dict
) -> None:
    """node_affinity_test.go TestNodeAffinityPriority, case ``name``: the summed weights of the
    matching preferred terms, normalised by DefaultNormalizeScore."""
    ns = [Node(name=n, labels=labels_of(lbl)) for n, lbl in nodes.items()]
    p = pod(preferred=preferred, required=False) if preferred else Pod(name="pod1")
    state = CycleState.of(mkcluster(*ns), p)
    assert nodeaffinity.score(state, ns) == expected


# --- through the scheduler: the FailedScheduling message ------------------------------------------------------


def test_nodes_left_out_by_the_prefilter_result_count_as_not_satisfying_the_plugin() -> None:
    """schedule_one.go findNodesThatFitPod: nodes outside the PreFilterResult get the absent status
    "node(s) didn't satisfy plugin(s) [NodeAffinity]", which FitError.Error counts for every node
    not examined; the named node is filtered as usual."""
    nodes = [Node(name=f"node{i}", labels=labels_of({"foo": "bar"})) for i in (1, 2, 3)]
    p = pod(term(req("foo", IN, "baz"), fields=(FIELD_NODE1,)))
    best, statuses = scheduler.attempt(mkcluster(*nodes), p)
    assert best == []
    reasons = {name: list(st.reasons) for name, st in statuses.items()}
    assert reasons == {
        "node1": [nodeaffinity.REASON],
        "node2": ["node(s) didn't satisfy plugin(s) [NodeAffinity]"],
        "node3": ["node(s) didn't satisfy plugin(s) [NodeAffinity]"],
    }
    assert scheduler.failure_message(3, reasons) == (
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        "2 node(s) didn't satisfy plugin(s) [NodeAffinity]."
    )


def test_conflicting_terms_fail_at_prefilter_with_its_message() -> None:
    """types.go FitError.Error: a PreFilter rejection prints its message instead of the
    histogram; every node then holds that UnschedulableAndUnresolvable status, so preemption
    reports all of them as not helpful."""
    from kmodel.components.scheduler import step

    nodes = tuple(Node(name=f"node{i}") for i in (1, 2))
    p = pod(term(fields=(FIELD_NODE1, FIELD_NODE2)))
    (outcome,) = step(mkcluster(*nodes, pods=(p,)))
    (event,) = outcome.events
    assert event.message == (
        "0/2 nodes are available: pod affinity terms conflict. no new claims to deallocate, preemption: "
        "0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )


@pytest.mark.parametrize(
    ("op", "bound", "value", "want"),
    [(GT, "5", "6", True), (GT, "5", "5", False), (LT, "5", "4", True), (LT, "5", "abc", False)],
)
def test_gt_lt_compare_whole_numbers(op: str, bound: str, value: str, want: bool) -> None:
    """component-helpers nodeaffinity (labels.Requirement with GreaterThan / LessThan): the label
    is read as an integer; a label that is not one never matches."""
    node = Node(name="n", labels=labels_of({"cores": value}))
    assert nodeaffinity.term_matches(term(req("cores", op, bound)), node) is want


def test_does_not_exist_and_not_in_on_a_missing_label() -> None:
    """labels.Requirement.Matches: DoesNotExist and NotIn hold when the label is absent."""
    node = Node(name="n", labels=labels_of({"a": "b"}))
    assert nodeaffinity.term_matches(term(req("zone", DOES_NOT_EXIST), req("zone", NOT_IN, "x")), node)


# --- match fields: NotIn, and what nodeSelectorRequirementsAsFieldSelector refuses ---------------------------


def test_match_fields_not_in_excludes_the_named_node() -> None:
    """nodeSelectorRequirementsAsFieldSelector: NotIn with one value is
    ``fields.OneTermNotEqualSelector(metadata.name, value)``. PreFilter pins node names only for
    ``metadata.name In`` (node_affinity.go PreFilter), so NotIn leaves every node to the filter,
    which rejects the named node and accepts the others."""
    p = pod(term(fields=(req(NAME, NOT_IN, "node1"),)))
    (names1, pre1), on_node1 = run_filter(p, Node(name="node1"))
    (names2, pre2), on_node2 = run_filter(p, Node(name="node2"))
    assert (names1, pre1, names2, pre2) == (None, None, None, None)
    assert on_node1 is not None and on_node1.reasons == (nodeaffinity.REASON,)
    assert on_node2 is None


@pytest.mark.parametrize(
    "field",
    [
        pytest.param(req(NAME, IN, "node1", "node2"), id="In with two values"),
        pytest.param(req(NAME, EXISTS), id="Exists"),
    ],
)
def test_a_match_field_the_field_selector_refuses_matches_no_node(field: Requirement) -> None:
    """nodeSelectorRequirementsAsFieldSelector accepts only In and NotIn with exactly one value
    ("unexpected number of value (%d) for node field selector operator", "%q is not a valid node
    field selector operator"); a term with such a parse error matches no node, not even the one
    it names."""
    p = pod(term(req("foo", IN, "bar"), fields=(field,)))
    _, status = run_filter(p, Node(name="node1", labels=labels_of({"foo": "bar"})))
    assert status is not None and status.reasons == (nodeaffinity.REASON,)


def test_node_affinity_weighs_two_in_the_default_profile() -> None:
    """default_plugins.go: NodeAffinity has weight 2 in the default profile. Two nodes alike but
    for the label a preferred term asks for: NodeAffinity scores them 100 and 0 (normalised), every
    other plugin alike, so the totals differ by 2 * 100."""
    preferred = (PreferredSchedulingTerm(5, term(req("foo", IN, "bar"))),)
    nodes = [Node(name="node1", labels=labels_of({"foo": "bar"})), Node(name="node2")]
    totals = scheduler.scores(mkcluster(*nodes), pod(preferred=preferred, required=False), nodes)
    assert totals["node1"] - totals["node2"] == 2 * 100
