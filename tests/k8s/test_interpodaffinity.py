"""InterPodAffinity, translated from pkg/scheduler/framework/plugins/interpodaffinity:
filtering_test.go (TestRequiredAffinitySingleNode, TestRequiredAffinityMultipleNodes) and
scoring_test.go (TestPreferredAffinity).

Conventions of the translation:

- ``st.MakePod().PodAffinityIn(key, topologyKey, values, ...)`` (and ``NotIn`` / ``Exists``) adds a
  required term whose labelSelector has the one matchExpression; :func:`term` builds it;
- the Go tests' pods are in the namespace "" unless a case says otherwise, kmodel's in
  ``default``; a pod of another namespace NS is named ``NS/NAME`` (kmodel.namespaces). The main
  tables keep the older translation of the two cross-namespace cases (the other pod's term limited
  to its own namespace with ``namespaces=(...)``); the namespace cases are translated again, with
  real namespaces, at the end of this file, including the namespaceSelector ones (Namespace
  objects' labels written as the namespace-name label the apiserver sets);
- a PreFilter ``Skip`` is :func:`interpodaffinity.prefilter` returning None (every node passes);
  a PreScore ``Skip`` is :func:`interpodaffinity.topology_scores` returning None (every node 0);
- the Go tests' nodes carry exactly the labels given (no kubernetes.io/hostname added).
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from kmodel.components import scheduler
from kmodel.components.plugins import interpodaffinity as ipa
from kmodel.components.plugins.framework import UNRESOLVABLE, UNSCHEDULABLE, CycleState, Status
from kmodel.labels import DOES_NOT_EXIST, EXISTS, IN, NOT_IN, LabelSelector, Requirement
from kmodel.schedulingspec import PodAffinity, PodAffinityTerm, SchedulingSpec, WeightedPodAffinityTerm
from kmodel.settings import Settings
from kmodel.state import Node, Pod, labels_of
from tests.k8s.conftest import case, mkcluster

AFFINITY = Status(ipa.NAME, (ipa.REASON_AFFINITY,), UNRESOLVABLE)
ANTI = Status(ipa.NAME, (ipa.REASON_ANTI_AFFINITY,), UNSCHEDULABLE)
EXISTING = Status(ipa.NAME, (ipa.REASON_EXISTING_ANTI_AFFINITY,), UNSCHEDULABLE)
SKIP = "skip"


def term(key: str, op: str, values: tuple[str, ...], topo: str, *more: Requirement, **kw: Any) -> PodAffinityTerm:
    return PodAffinityTerm(
        topology_key=topo, label_selector=LabelSelector((), (Requirement(key, op, values), *more)), **kw
    )


def req(key: str, op: str, *values: str) -> Requirement:
    return Requirement(key, op, values)


def pod(
    labels: dict[str, str] | None = None,
    node: str | None = None,
    *,
    affinity: tuple[PodAffinityTerm, ...] = (),
    anti: tuple[PodAffinityTerm, ...] = (),
    pref: tuple[tuple[int, PodAffinityTerm], ...] = (),
    pref_anti: tuple[tuple[int, PodAffinityTerm], ...] = (),
    name: str = "",
) -> Pod:
    def part(required: tuple[PodAffinityTerm, ...], preferred: tuple[tuple[int, PodAffinityTerm], ...]) -> Any:
        if not required and not preferred:
            return None
        return PodAffinity(required, tuple(WeightedPodAffinityTerm(w, t) for w, t in preferred))

    spec = SchedulingSpec(pod_affinity=part(affinity, pref), pod_anti_affinity=part(anti, pref_anti))
    return Pod(name=name or "incoming", labels=labels_of(labels or {}), node_name=node, scheduling=spec)


def node(name: str, labels: dict[str, str]) -> Node:
    return Node(name=name, labels=labels_of(labels))


def existing(*pods: Pod) -> tuple[Pod, ...]:
    """Give the existing pods distinct names (the Go tests often leave them unnamed)."""
    return tuple(attrs.evolve(p, name=p.name if p.name != "incoming" else f"p{i}") for i, p in enumerate(pods))


def filter_all(incoming: Pod, pods: tuple[Pod, ...], nodes: list[Node]) -> list[Status | None] | str:
    c = mkcluster(*nodes, pods=existing(*pods))
    state = CycleState.of(c, incoming)
    if ipa.prefilter(state) is None:
        assert all(ipa.filter(state, n) is None for n in nodes)
        return SKIP
    return [ipa.filter(state, n) for n in nodes]


# --- filtering_test.go TestRequiredAffinitySingleNode --------------------------------------------

POD_LABEL = {"service": "securityscan"}
POD_LABEL2 = {"security": "S1"}
NODE1 = node("node1", {"region": "r1", "zone": "z11"})
SCANNER = pod(POD_LABEL, "node1", name="scanner")  # st.MakePod().Labels(podLabel).Node("node1")


def svc_in(topo: str, *values: str) -> PodAffinityTerm:
    return term("service", IN, values, topo)


@pytest.mark.parametrize(
    ("name", "incoming", "pods", "want"),
    [
        case(
            "A pod that has no required pod affinity scheduling rules can schedule onto a node with no existing pods",
            pod(),
            (),
            SKIP,
        ),
        case(
            "satisfies with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using In operator that "
            "matches the existing pod",
            pod(POD_LABEL2, affinity=(svc_in("region", "securityscan", "value2"),)),
            (SCANNER,),
            None,
        ),
        case(
            "satisfies the pod with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using not in "
            "operator in labelSelector that matches the existing pod",
            pod(POD_LABEL2, affinity=(term("service", NOT_IN, ("securityscan3", "value3"), "region"),)),
            (SCANNER,),
            None,
        ),
        case(
            "Does not satisfy the PodAffinity with labelSelector because of diff Namespace",
            pod(
                POD_LABEL2,
                affinity=(term("service", IN, ("securityscan", "value2"), "", namespaces=("diffnamespace",)),),
            ),
            (pod({"service": "securityscan"}, "node1"),),
            AFFINITY,
        ),
        case(
            "Doesn't satisfy the PodAffinity because of unmatching labelSelector with the existing pod",
            pod(POD_LABEL, affinity=(svc_in("", "antivirusscan", "value2"),)),
            (SCANNER,),
            AFFINITY,
        ),
        case(
            "satisfies the PodAffinity with different label Operators in multiple "
            "RequiredDuringSchedulingIgnoredDuringExecution ",
            pod(
                POD_LABEL2,
                affinity=(
                    term("service", EXISTS, (), "region", req("wrongkey", DOES_NOT_EXIST)),
                    term("service", IN, ("securityscan",), "region", req("service", NOT_IN, "WrongValue")),
                ),
            ),
            (SCANNER,),
            None,
        ),
        case(
            "The labelSelector requirements(items of matchExpressions) are ANDed, the pod cannot schedule onto the "
            "node because one of the matchExpression item don't match.",
            pod(
                POD_LABEL2,
                affinity=(
                    term("service", EXISTS, (), "region", req("wrongkey", DOES_NOT_EXIST)),
                    term("service", IN, ("securityscan2",), "region", req("service", NOT_IN, "WrongValue")),
                ),
            ),
            (SCANNER,),
            AFFINITY,
        ),
        case(
            "satisfies the PodAffinity and PodAntiAffinity with the existing pod",
            pod(
                POD_LABEL2,
                affinity=(svc_in("region", "securityscan", "value2"),),
                anti=(svc_in("node", "antivirusscan", "value2"),),
            ),
            (SCANNER,),
            None,
        ),
        case(
            "satisfies the PodAffinity and PodAntiAffinity and PodAntiAffinity symmetry with the existing pod",
            pod(
                POD_LABEL2,
                affinity=(svc_in("region", "securityscan", "value2"),),
                anti=(svc_in("node", "antivirusscan", "value2"),),
            ),
            (pod(POD_LABEL, "node1", anti=(svc_in("node", "antivirusscan", "value2"),)),),
            None,
        ),
        case(
            "satisfies the PodAffinity but doesn't satisfy the PodAntiAffinity with the existing pod",
            pod(
                POD_LABEL2,
                affinity=(svc_in("region", "securityscan", "value2"),),
                anti=(svc_in("zone", "securityscan", "value2"),),
            ),
            (SCANNER,),
            ANTI,
        ),
        case(
            "satisfies the PodAffinity and PodAntiAffinity but doesn't satisfy PodAntiAffinity symmetry with the "
            "existing pod",
            pod(
                POD_LABEL,
                affinity=(svc_in("region", "securityscan", "value2"),),
                anti=(svc_in("node", "antivirusscan", "value2"),),
            ),
            (pod(POD_LABEL, "node1", anti=(svc_in("zone", "securityscan", "value2"),)),),
            EXISTING,
        ),
        case(
            "pod matches its own Label in PodAffinity and that matches the existing pod Labels",
            pod(POD_LABEL, affinity=(term("service", NOT_IN, ("securityscan", "value2"), "region"),)),
            (pod({"service": "securityscan"}, "node2"),),
            AFFINITY,
        ),
        case(
            "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. "
            "doesn't satisfy PodAntiAffinity symmetry with the existing pod",
            pod(POD_LABEL),
            (pod(POD_LABEL, "node1", anti=(svc_in("zone", "securityscan", "value2"),)),),
            EXISTING,
        ),
        case(
            "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. "
            "satisfy PodAntiAffinity symmetry with the existing pod",
            pod(POD_LABEL),
            (pod(POD_LABEL, "node1", anti=(term("service", NOT_IN, ("securityscan", "value2"), "zone"),)),),
            SKIP,
        ),
        case(
            "satisfies the PodAntiAffinity with existing pod but doesn't satisfy PodAntiAffinity symmetry with "
            "incoming pod",
            pod(POD_LABEL, anti=(term("service", EXISTS, (), "region"), term("security", EXISTS, (), "region"))),
            (pod(POD_LABEL2, "node1", anti=(term("security", EXISTS, (), "zone"),)),),
            ANTI,
        ),
        case(
            "PodAntiAffinity symmetry check a1: incoming pod and existing pod partially match each other on "
            "AffinityTerms",
            pod(POD_LABEL, anti=(term("service", EXISTS, (), "zone"), term("security", EXISTS, (), "zone"))),
            (pod(POD_LABEL2, "node1", anti=(term("security", EXISTS, (), "zone"),)),),
            ANTI,
        ),
        case(
            "PodAntiAffinity symmetry check a2: incoming pod and existing pod partially match each other on "
            "AffinityTerms",
            pod(POD_LABEL2, anti=(term("security", EXISTS, (), "zone"),)),
            (
                pod(
                    POD_LABEL, "node1", anti=(term("service", EXISTS, (), "zone"), term("security", EXISTS, (), "zone"))
                ),
            ),
            EXISTING,
        ),
        case(
            "PodAntiAffinity symmetry check b1: incoming pod and existing pod partially match each other on "
            "AffinityTerms",
            pod({"abc": "", "xyz": ""}, anti=(term("abc", EXISTS, (), "zone"), term("def", EXISTS, (), "zone"))),
            (
                pod(
                    {"def": "", "xyz": ""},
                    "node1",
                    anti=(term("abc", EXISTS, (), "zone"), term("def", EXISTS, (), "zone")),
                ),
            ),
            ANTI,
        ),
        case(
            "PodAntiAffinity symmetry check b2: incoming pod and existing pod partially match each other on "
            "AffinityTerms",
            pod({"def": "", "xyz": ""}, anti=(term("abc", EXISTS, (), "zone"), term("def", EXISTS, (), "zone"))),
            (
                pod(
                    {"abc": "", "xyz": ""},
                    "node1",
                    anti=(term("abc", EXISTS, (), "zone"), term("def", EXISTS, (), "zone")),
                ),
            ),
            ANTI,
        ),
        case(
            "anti-affinity with matching all NamespaceSelector",
            pod(
                POD_LABEL2,
                anti=(term("service", IN, ("securityscan", "value2"), "zone", namespace_selector=LabelSelector()),),
            ),
            (pod(POD_LABEL, "node1"),),
            ANTI,
        ),
    ],
)
def test_required_affinity_single_node(name: str, incoming: Pod, pods: tuple[Pod, ...], want: Any) -> None:
    """filtering_test.go TestRequiredAffinitySingleNode: one node (region r1, zone z11)."""
    got = filter_all(incoming, pods, [NODE1])
    assert got == (SKIP if want == SKIP else [want])


# --- filtering_test.go TestRequiredAffinityMultipleNodes -----------------------------------------

RG_CHINA = {"region": "China"}
RG_CHINA_AZ1 = {"region": "China", "az": "az1"}
RG_INDIA = {"region": "India"}


def abc_nodes(*labels: dict[str, str]) -> list[Node]:
    return [node(f"node{chr(ord('A') + i)}", lab) for i, lab in enumerate(labels)]


R1Z1A = {"region": "r1", "zone": "z1", "hostname": "nodeA"}
R1Z1B = {"region": "r1", "zone": "z1", "hostname": "nodeB"}
R1Z2B = {"region": "r1", "zone": "z2", "hostname": "nodeB"}
R1Z3C = {"region": "r1", "zone": "z3", "hostname": "nodeC"}


@pytest.mark.parametrize(
    ("name", "incoming", "pods", "nodes", "want"),
    [
        case(
            "A pod can be scheduled onto all the nodes that have the same topology key & label value with one of "
            "them has an existing pod that matches the affinity rules",
            pod(affinity=(term("foo", IN, ("bar",), "region"),)),
            (pod({"foo": "bar"}, "node1", name="p1"),),
            [node("node1", RG_CHINA), node("node2", RG_CHINA_AZ1), node("node3", RG_INDIA)],
            [None, None, AFFINITY],
        ),
        case(
            "The affinity rule is to schedule all of the pods of this collection to the same zone. The first pod of "
            "the collection should not be blocked from being scheduled onto any node, even there's no existing pod "
            "that matches the rule anywhere.",
            pod(
                {"foo": "bar", "service": "securityscan"},
                affinity=(term("foo", IN, ("bar",), "zone"), term("service", IN, ("securityscan",), "zone")),
            ),
            (pod({"foo": "bar"}, "nodeA", name="p1"),),
            abc_nodes({"zone": "az1", "hostname": "h1"}, {"zone": "az2", "hostname": "h2"}),
            [None, None],
        ),
        case(
            "The first pod of the collection can only be scheduled on nodes labelled with the requested topology keys",
            pod(
                {"foo": "bar", "service": "securityscan"},
                affinity=(term("foo", IN, ("bar",), "zone"), term("service", IN, ("securityscan",), "zone")),
            ),
            (pod({"foo": "bar"}, "nodeA", name="p1"),),
            abc_nodes({"zoneLabel": "az1", "hostname": "h1"}, {"zoneLabel": "az2", "hostname": "h2"}),
            [AFFINITY, AFFINITY],
        ),
        case(
            "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter "
            "pod affinity rule. The pod can not be scheduled onto nodeA and nodeB.",
            pod(anti=(term("foo", IN, ("abc",), "region"),)),
            (pod({"foo": "abc"}, "nodeA"),),
            abc_nodes({"region": "r1", "hostname": "nodeA"}, {"region": "r1", "hostname": "nodeB"}),
            [ANTI, ANTI],
        ),
        case(
            "This test ensures that anti-affinity matches a pod when any term of the anti-affinity rule matches a pod.",
            pod(anti=(term("foo", IN, ("abc",), "region"), term("service", IN, ("securityscan",), "zone"))),
            (pod({"foo": "abc", "service": "securityscan"}, "nodeA"),),
            abc_nodes(
                {"region": "r1", "zone": "z1", "hostname": "nodeA"}, {"region": "r1", "zone": "z2", "hostname": "nodeB"}
            ),
            [ANTI, ANTI],
        ),
        case(
            "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter "
            "pod affinity rule. The pod can not be scheduled onto nodeA and nodeB but can be scheduled onto nodeC",
            pod(anti=(term("foo", IN, ("abc",), "region"),)),
            (pod({"foo": "abc"}, "nodeA"),),
            abc_nodes(RG_CHINA, RG_CHINA_AZ1, RG_INDIA),
            [ANTI, ANTI, None],
        ),
        case(
            "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter "
            "pod affinity rule. The pod can not be scheduled onto nodeA, nodeB, but can be scheduled onto nodeC "
            "(NodeC has an existing pod that match the inter pod affinity rule but in different namespace)",
            pod({"foo": "123"}, anti=(term("foo", IN, ("bar",), "region"),)),
            (
                pod({"foo": "bar"}, "nodeA"),
                # in namespace NS2: its term (no namespaces given) covers NS2 only
                pod(node="nodeC", anti=(term("foo", IN, ("123",), "region", namespaces=("ns2",)),)),
            ),
            abc_nodes(RG_CHINA, RG_CHINA_AZ1, RG_INDIA),
            [ANTI, ANTI, None],
        ),
        case(
            "Test existing pod's anti-affinity: if an existing pod has a term with invalid topologyKey, labelSelector "
            "of the term is firstly checked, and then topologyKey of the term is also checked",
            pod({"foo": ""}),
            (pod(node="nodeA", anti=(term("foo", EXISTS, (), "invalid-node-label"),)),),
            abc_nodes(R1Z1A, R1Z1B),
            SKIP,
        ),
        case(
            "Test incoming pod's anti-affinity: even if labelSelector matches, we still check if topologyKey matches",
            pod(anti=(term("foo", EXISTS, (), "invalid-node-label"),)),
            (pod({"foo": ""}, "nodeA"),),
            abc_nodes(R1Z1A, R1Z1B),
            [None, None],
        ),
        case(
            "Test existing pod's anti-affinity: incoming pod wouldn't considered as a fit as it violates each "
            "existingPod's terms on all nodes",
            pod({"foo": "", "bar": ""}),
            (
                pod(node="nodeA", anti=(term("foo", EXISTS, (), "zone"),)),
                pod(node="nodeA", anti=(term("bar", EXISTS, (), "region"),)),
            ),
            abc_nodes(R1Z1A, R1Z2B),
            [EXISTING, EXISTING],
        ),
        case(
            "Test incoming pod's anti-affinity: incoming pod wouldn't considered as a fit as it at least violates one "
            "anti-affinity rule of existingPod",
            pod(anti=(term("foo", EXISTS, (), "zone"), term("bar", EXISTS, (), "region"))),
            (pod({"foo": ""}, "nodeA"), pod({"bar": ""}, "nodeB")),
            abc_nodes(R1Z1A, R1Z2B),
            [ANTI, ANTI],
        ),
        case(
            "Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a "
            "single term match - case when one term has invalid topologyKey",
            pod({"foo": "", "bar": ""}),
            (pod(node="nodeA", anti=(term("foo", EXISTS, (), "invalid-node-label"), term("bar", EXISTS, (), "zone"))),),
            abc_nodes(R1Z1A, R1Z2B),
            [EXISTING, None],
        ),
        case(
            "Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a "
            "single term match - case when one term has invalid topologyKey",
            pod(anti=(term("foo", EXISTS, (), "invalid-node-label"), term("bar", EXISTS, (), "zone"))),
            (pod({"foo": "", "bar": ""}, "nodeA", name="podA"),),
            abc_nodes(R1Z1A, R1Z2B),
            [ANTI, None],
        ),
        case(
            "Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a "
            "single term match - case when all terms have valid topologyKey",
            pod({"foo": "", "bar": ""}),
            (pod(node="nodeA", anti=(term("foo", EXISTS, (), "region"), term("bar", EXISTS, (), "zone"))),),
            abc_nodes(R1Z1A, R1Z2B),
            [EXISTING, EXISTING],
        ),
        case(
            "Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a "
            "single term match - case when all terms have valid topologyKey",
            pod(anti=(term("foo", EXISTS, (), "region"), term("bar", EXISTS, (), "zone"))),
            (pod({"foo": "", "bar": ""}, "nodeA"),),
            abc_nodes(R1Z1A, R1Z2B),
            [ANTI, ANTI],
        ),
        case(
            "Test existing pod's anti-affinity: existingPod on nodeA and nodeB has at least one anti-affinity term "
            "matches incoming pod, so incoming pod can only be scheduled to nodeC",
            pod({"foo": "", "bar": ""}),
            (
                pod(node="nodeA", anti=(term("foo", EXISTS, (), "zone"), term("labelA", EXISTS, (), "zone"))),
                pod(node="nodeB", anti=(term("bar", EXISTS, (), "zone"), term("labelB", EXISTS, (), "zone"))),
            ),
            abc_nodes(R1Z1A, R1Z2B, R1Z3C),
            [EXISTING, EXISTING, None],
        ),
        case(
            "Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all "
            "topologyKeys match",
            pod(affinity=(term("foo", EXISTS, (), "region"), term("bar", EXISTS, (), "zone"))),
            (pod({"foo": "", "bar": ""}, "nodeA", name="pod1"),),
            abc_nodes(R1Z1A, R1Z1B),
            [None, None],
        ),
        case(
            "Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all "
            "topologyKeys match, and the match logic should be satisfied on the same pod",
            pod(affinity=(term("foo", EXISTS, (), "region"), term("bar", EXISTS, (), "zone"))),
            (pod({"foo": ""}, "nodeA", name="pod1"), pod({"bar": ""}, "nodeB", name="pod2")),
            abc_nodes(R1Z1A, R1Z2B),
            [AFFINITY, AFFINITY],
        ),
    ],
)
def test_required_affinity_multiple_nodes(
    name: str, incoming: Pod, pods: tuple[Pod, ...], nodes: list[Node], want: Any
) -> None:
    """filtering_test.go TestRequiredAffinityMultipleNodes."""
    assert filter_all(incoming, pods, nodes) == want


# --- scoring_test.go TestPreferredAffinity --------------------------------------------------------

S1 = {"security": "S1"}
S2 = {"security": "S2"}
AZ1 = {"az": "az1"}
AZ2 = {"az": "az2"}


def sec(op: str, value: str, topo: str) -> PodAffinityTerm:
    return term("security", op, (value,), topo)


STAY_S1_REGION = ((5, sec(IN, "S1", "region")),)
STAY_S2_REGION = ((6, sec(IN, "S2", "region")),)
AFFINITY3 = (
    (8, term("security", NOT_IN, ("S1",), "region", req("security", IN, "S2"))),
    (2, term("security", EXISTS, (), "region", req("wrongkey", DOES_NOT_EXIST))),
)
HARD_AFFINITY = (
    term("security", IN, ("S1", "value2"), "region"),
    term("security", EXISTS, (), "region", req("wrongkey", DOES_NOT_EXIST)),
)
AWAY_S1_AZ = ((5, sec(IN, "S1", "az")),)
AWAY_S2_AZ = ((5, sec(IN, "S2", "az")),)


def n123(*labels: dict[str, str]) -> list[Node]:
    return [node(f"node{i + 1}", lab) for i, lab in enumerate(labels)]


@pytest.mark.parametrize(
    ("name", "incoming", "pods", "nodes", "want"),
    [
        case(
            "all nodes are same priority as Affinity is nil",
            pod(S1),
            (),
            n123(RG_CHINA, RG_INDIA, AZ1),
            SKIP,
        ),
        case(
            "Affinity: pod that matches topology key & pods in nodes will get high score comparing to "
            "otherswhich doesn't match either pods in nodes or in topology key",
            pod(S1, pref=STAY_S1_REGION),
            (pod(S1, "node1"), pod(S2, "node2"), pod(S1, "node3")),
            n123(RG_CHINA, RG_INDIA, AZ1),
            [100, 0, 0],
        ),
        case(
            "All the nodes that have the same topology key & label value with one of them has an existing pod that "
            "match the affinity rules, have the same score",
            pod(pref=STAY_S1_REGION),
            (pod(S1, "node1"),),
            n123(RG_CHINA, RG_CHINA_AZ1, RG_INDIA),
            [100, 100, 0],
        ),
        case(
            "Affinity: nodes in one region has more matching pods comparing to other region, so the region which has "
            "more matches will get high score",
            pod(S1, pref=STAY_S2_REGION),
            tuple(pod(S2, n) for n in ("node1", "node1", "node2", "node3", "node4", "node5")),
            n123(RG_CHINA, RG_INDIA, RG_CHINA, RG_CHINA, RG_INDIA),
            [100, 0, 100, 100, 0],
        ),
        case(
            "Affinity: different Label operators and values for pod affinity scheduling preference, including some "
            "match failures ",
            pod(S1, pref=AFFINITY3),
            (pod(S1, "node1"), pod(S2, "node2"), pod(S1, "node3")),
            n123(RG_CHINA, RG_INDIA, AZ1),
            [20, 100, 0],
        ),
        case(
            "Affinity symmetry: considered only the preferredDuringSchedulingIgnoredDuringExecution in pod affinity "
            "symmetry",
            pod(S2),
            (pod(S1, "node1", pref=STAY_S1_REGION), pod(S2, "node2", pref=STAY_S2_REGION)),
            n123(RG_CHINA, RG_INDIA, AZ1),
            [0, 100, 0],
        ),
        case(
            "Affinity symmetry: considered RequiredDuringSchedulingIgnoredDuringExecution in pod affinity symmetry",
            pod(S1),
            (pod(S1, "node1", affinity=HARD_AFFINITY), pod(S2, "node2", affinity=HARD_AFFINITY)),
            n123(RG_CHINA, RG_INDIA, AZ1),
            [100, 100, 0],
        ),
        case(
            "Anti Affinity: pod that does not match existing pods in node will get high score ",
            pod(S1, pref_anti=AWAY_S1_AZ),
            (pod(S1, "node1"), pod(S2, "node2")),
            n123(AZ1, RG_CHINA),
            [0, 100],
        ),
        case(
            "Anti Affinity: pod that does not match topology key & match the pods in nodes will get higher score "
            "comparing to others ",
            pod(S1, pref_anti=AWAY_S1_AZ),
            (pod(S1, "node1"), pod(S1, "node2")),
            n123(AZ1, RG_CHINA),
            [0, 100],
        ),
        case(
            "Anti Affinity: one node has more matching pods comparing to other node, so the node which has more "
            "unmatches will get high score",
            pod(S1, pref_anti=AWAY_S1_AZ),
            (pod(S1, "node1"), pod(S1, "node1"), pod(S2, "node2")),
            n123(AZ1, RG_INDIA),
            [0, 100],
        ),
        case(
            "Anti Affinity symmetry: the existing pods in node which has anti affinity match will get high score",
            pod(S2),
            (pod(S1, "node1", pref_anti=AWAY_S2_AZ), pod(S2, "node2", pref_anti=AWAY_S1_AZ)),
            n123(AZ1, AZ2),
            [0, 100],
        ),
        case(
            "Affinity and Anti Affinity: considered only preferredDuringSchedulingIgnoredDuringExecution in both pod "
            "affinity & anti affinity",
            pod(S1, pref=((8, sec(IN, "S1", "region")),), pref_anti=AWAY_S2_AZ),
            (pod(S1, "node1"), pod(S1, "node2")),
            n123(RG_CHINA, AZ1),
            [100, 0],
        ),
        case(
            "Affinity and Anti Affinity: considering both affinity and anti-affinity, the pod to schedule and "
            "existing pods have the same labels",
            pod(S1, pref=((8, sec(IN, "S1", "region")),), pref_anti=AWAY_S2_AZ),
            tuple(pod(S1, n) for n in ("node1", "node1", "node2", "node3", "node3", "node4", "node5")),
            n123(RG_CHINA_AZ1, RG_INDIA, RG_CHINA, RG_CHINA, RG_INDIA),
            [100, 0, 100, 100, 0],
        ),
        case(
            "Affinity and Anti Affinity and symmetry: considered only preferredDuringSchedulingIgnoredDuringExecution "
            "in both pod affinity & anti affinity & symmetry",
            pod(S1, pref=((8, sec(IN, "S1", "region")),), pref_anti=AWAY_S2_AZ),
            (
                pod(S1, "node1"),
                pod(S2, "node2"),
                pod(node="node3", pref=((8, sec(IN, "S1", "region")),), pref_anti=AWAY_S2_AZ),
                pod(node="node4", pref_anti=AWAY_S1_AZ),
            ),
            n123(RG_CHINA, AZ1, RG_INDIA, AZ2),
            [100, 0, 100, 0],
        ),
        case(
            "Avoid panic when partial nodes in a topology don't have pods with affinity",
            pod(S1),
            (pod(S1, "node1"), pod(node="node2", pref=((8, sec(IN, "S1", "region")),), pref_anti=AWAY_S2_AZ)),
            n123(RG_CHINA, RG_CHINA),
            [0, 0],
        ),
    ],
)
def test_preferred_affinity(name: str, incoming: Pod, pods: tuple[Pod, ...], nodes: list[Node], want: Any) -> None:
    """scoring_test.go TestPreferredAffinity (hardPodAffinityWeight 1, the default)."""
    c = mkcluster(*nodes, pods=existing(*pods))
    state = CycleState.of(c, incoming)
    got = ipa.score(state, nodes)
    if want == SKIP:
        assert ipa.topology_scores(c, incoming) is None
        assert set(got.values()) == {0}
    else:
        assert [got[n.name] for n in nodes] == want


# --- beyond the Go tables: the default profile's weights, namespaces, matchLabelKeys' release ---------------

HOSTS = [node(n, {"kubernetes.io/hostname": n}) for n in ("node-a", "node-b", "node-c")]
HOSTNAME = "kubernetes.io/hostname"


def test_inter_pod_affinity_weighs_two_in_the_default_profile() -> None:
    """default_plugins.go: InterPodAffinity has weight 2. node-a holds a pod the incoming pod's
    preferred affinity selects, node-b an unrelated pod (the same resource use): InterPodAffinity
    scores them 100 and 0, every other plugin alike, so the totals differ by 2 * 100."""
    incoming = pod(pref=((5, term("security", IN, ("S1",), HOSTNAME)),))
    pods = (pod({"security": "S1"}, "node-a", name="s1"), pod({"security": "S2"}, "node-b", name="s2"))
    nodes = HOSTS[:2]
    totals = scheduler.scores(mkcluster(*nodes, pods=pods), incoming, nodes)
    assert totals["node-a"] - totals["node-b"] == 2 * 100


def test_existing_required_affinity_counts_with_hard_pod_affinity_weight_one() -> None:
    """scoring.go processExistingPod: an existing pod's *required* affinity terms that select the
    incoming pod add hardPodAffinityWeight (InterPodAffinityArgs default 1) to its topology. node-a:
    such a pod, raw 1; node-b: a pod the incoming pod's preferred term (weight 3) selects, raw 3;
    node-c: nothing, raw 0. NormalizeScore: 100 * (s - 0) / 3 -> 33, 100, 0."""
    incoming = pod({"app": "web"}, pref=((3, term("security", IN, ("S1",), HOSTNAME)),))
    pods = (
        pod(node="node-a", affinity=(term("app", IN, ("web",), HOSTNAME),), name="wants-web"),
        pod({"security": "S1"}, "node-b", name="s1"),
        pod({"other": "x"}, "node-c", name="other"),
    )
    state = CycleState.of(mkcluster(*HOSTS, pods=pods), incoming)
    assert ipa.score(state, HOSTS) == {"node-a": 33, "node-b": 100, "node-c": 0}


def test_a_term_naming_the_default_namespace_matches_its_pods() -> None:
    """getNamespacesFromPodAffinityTerm: a term with namespaces listed looks in those namespaces
    (here the only one, default); an anti-affinity term listing "default" keeps the incoming pod
    off the node of a matching pod, as one with no namespaces (the pod's own) does."""
    anti = term("security", IN, ("S1",), HOSTNAME, namespaces=("default",))
    incoming = pod(anti=(anti,))
    pods = (pod({"security": "S1"}, "node-a", name="s1"),)
    assert filter_all(incoming, pods, HOSTS[:2]) == [ANTI, None]


def test_match_label_keys_are_merged_from_1_31() -> None:
    """MatchLabelKeysInPodAffinity is beta and on by default from 1.31 (kube_features.go): the
    apiserver then adds ``pod-template-hash In (<the pod's value>)`` to an anti-affinity term with
    matchLabelKeys [pod-template-hash], so a pod of the old revision no longer repels the new one;
    in 1.30 the key is not merged and it does."""
    anti = term("app", IN, ("web",), HOSTNAME, match_label_keys=("pod-template-hash",))
    old = pod({"app": "web", "pod-template-hash": "v1"}, "node-a", anti=(anti,), name="old")
    new = pod({"app": "web", "pod-template-hash": "v2"}, anti=(anti,), name="new")
    for version, reasons in (("1.31", []), ("1.30", [ipa.REASON_ANTI_AFFINITY])):
        c = mkcluster(HOSTS[0], pods=(old,), settings=Settings(kubernetes_version=version))
        assert scheduler.filter_reasons(c, new, HOSTS[0]) == reasons, version


def test_one_repelling_pod_among_others_is_enough_to_check_existing_anti_affinity() -> None:
    """PreFilter skips only when neither the incoming pod nor any existing pod has required
    (anti-)affinity terms: one existing pod whose required anti-affinity selects the incoming pod
    keeps it off that pod's node, whatever the other pods are."""
    repel = pod(node="node-a", anti=(term("security", IN, ("S1",), HOSTNAME),), name="repel")
    plain = pod({"other": "x"}, "node-b", name="plain")
    incoming = pod({"security": "S1"})
    assert filter_all(incoming, (repel, plain), HOSTS[:2]) == [EXISTING, None]


def test_one_existing_pod_with_affinity_among_others_is_enough_to_score() -> None:
    """PreScore skips only when neither the incoming pod nor any existing pod has affinity terms
    (NodeInfo.PodsWithAffinity): an existing pod whose preferred affinity selects the incoming pod
    makes its node score 100, next to a node with a plain pod at 0."""
    attract = pod(node="node-a", pref=((5, term("security", IN, ("S1",), HOSTNAME)),), name="attract")
    plain = pod({"other": "x"}, "node-b", name="plain")
    incoming = pod({"security": "S1"})
    state = CycleState.of(mkcluster(*HOSTS[:2], pods=(attract, plain)), incoming)
    assert ipa.score(state, HOSTS[:2]) == {"node-a": 100, "node-b": 0}


def test_preferred_terms_that_select_no_pod_score_every_node_zero() -> None:
    """scoring.go: PreScore leaves topologyScore empty when no existing pod matches any term, and
    NormalizeScore returns early on an empty topologyScore: every node keeps the Score of 0."""
    incoming = pod(pref=((5, term("security", IN, ("S9",), HOSTNAME)),))
    pods = (pod({"security": "S1"}, "node-a", name="s1"),)
    state = CycleState.of(mkcluster(*HOSTS[:2], pods=pods), incoming)
    assert ipa.score(state, HOSTS[:2]) == {"node-a": 0, "node-b": 0}


# --- filtering_test.go TestRequiredAffinitySingleNode: the namespace cases -------------------------
# The Go test registers three Namespace objects: subteam1.team1 and subteam2.team1 labelled
# team=team1, subteam1.team2 labelled team=team2. kmodel keeps no Namespace labels but the name
# label the apiserver gives every namespace (kubernetes.io/metadata.name), so the selector
# ``team In (team1)`` is written as the names of the namespaces that carry that label; an existing
# pod of namespace NS is the pod named NS/NAME (kmodel.namespaces).

TEAM1 = LabelSelector((), (Requirement("kubernetes.io/metadata.name", IN, ("subteam1.team1", "subteam2.team1")),))


def in_ns(namespace: str, p: Pod, name: str) -> Pod:
    return attrs.evolve(p, name=f"{namespace}/{name}")


def svc_term(topo: str, **kw: Any) -> PodAffinityTerm:
    return term("service", IN, ("securityscan", "value2"), topo, **kw)


@pytest.mark.parametrize(
    ("name", "incoming", "pods", "want"),
    [
        case(
            "Does not satisfy the PodAffinity with labelSelector because of diff Namespace",
            pod(POD_LABEL2, affinity=(term("service", IN, ("securityscan", "value2"), "", namespaces=("diffns",)),)),
            (in_ns("ns", pod(POD_LABEL, "node1"), "p0"),),
            AFFINITY,
        ),
        case(
            "affinity with NamespaceSelector",
            pod(POD_LABEL2, affinity=(svc_term("region", namespace_selector=TEAM1),)),
            (in_ns("subteam1.team1", pod(POD_LABEL, "node1"), "p0"),),
            None,
        ),
        case(
            "affinity with non-matching NamespaceSelector",
            pod(POD_LABEL2, affinity=(svc_term("region", namespace_selector=TEAM1),)),
            (in_ns("subteam1.team2", pod(POD_LABEL, "node1"), "p0"),),
            AFFINITY,
        ),
        case(
            "anti-affinity with matching NamespaceSelector",
            in_ns("subteam1.team1", pod(POD_LABEL2, anti=(svc_term("zone", namespace_selector=TEAM1),)), "incoming"),
            (in_ns("subteam2.team1", pod(POD_LABEL, "node1"), "p0"),),
            ANTI,
        ),
        case(
            "anti-affinity with matching all NamespaceSelector",
            in_ns(
                "subteam1.team1",
                pod(POD_LABEL2, anti=(svc_term("zone", namespace_selector=LabelSelector()),)),
                "incoming",
            ),
            (in_ns("subteam2.team1", pod(POD_LABEL, "node1"), "p0"),),
            ANTI,
        ),
        case(
            "anti-affinity with non-matching NamespaceSelector",
            in_ns("subteam1.team1", pod(POD_LABEL2, anti=(svc_term("zone", namespace_selector=TEAM1),)), "incoming"),
            (in_ns("subteam1.team2", pod(POD_LABEL, "node1"), "p0"),),
            None,
        ),
    ],
)
def test_required_affinity_single_node_namespaces(name: str, incoming: Pod, pods: tuple[Pod, ...], want: Any) -> None:
    """filtering_test.go TestRequiredAffinitySingleNode, the cases whose pods are in other
    namespaces (the existing pods keep their names: existing() renames only unnamed ones)."""
    got = filter_all(incoming, pods, [NODE1])
    assert got == [want]


def test_required_affinity_multiple_nodes_other_namespace_exactly() -> None:
    """filtering_test.go TestRequiredAffinityMultipleNodes, "NodeA and nodeB have same topologyKey
    and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod
    can not be scheduled onto nodeA, nodeB, but can be scheduled onto nodeC (NodeC has an existing
    pod that match the inter pod affinity rule but in different namespace)", with the namespaces
    as the Go test has them: the incoming pod and nodeA's pod in NS1, nodeC's pod in NS2 with an
    anti-affinity term that names no namespace (so NS2 only)."""
    nodes = [
        node("nodeA", {"region": "China"}),
        node("nodeB", {"region": "China", "az": "az1"}),
        node("nodeC", {"region": "India"}),
    ]
    incoming = in_ns("NS1", pod({"foo": "123"}, anti=(term("foo", IN, ("bar",), "region"),)), "incoming")
    pods = (
        in_ns("NS1", pod({"foo": "bar"}, "nodeA"), "p0"),
        in_ns("NS2", pod(node="nodeC", anti=(term("foo", IN, ("123",), "region"),)), "p1"),
    )
    assert filter_all(incoming, pods, nodes) == [ANTI, ANTI, None]
    # the same pod on nodeC in NS1 would repel the incoming pod there
    same = (pods[0], in_ns("NS1", pod(node="nodeC", anti=(term("foo", IN, ("123",), "region"),)), "p1"))
    assert filter_all(incoming, same, nodes) == [ANTI, ANTI, EXISTING]
