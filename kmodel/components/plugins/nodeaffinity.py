"""NodeAffinity (plugins/nodeaffinity, with k8s.io/component-helpers/scheduling/corev1/nodeaffinity).

Filter: the pod's ``nodeSelector`` (every key present with the same value) and its
``requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`` must both hold. The terms are
ORed; a term ANDs its ``matchExpressions`` (over the node's labels: In, NotIn, Exists,
DoesNotExist, Gt, Lt) and its ``matchFields`` (over ``metadata.name``: In and NotIn with one
value). A term with neither, or one the scheduler cannot parse, matches no node. A node that fails
gets ``node(s) didn't match Pod's node affinity/selector``, UnschedulableAndUnresolvable (evicting
pods cannot change a node's labels). The plugin's ``addedAffinity`` argument (the
``scheduler-enforced`` reason) is not part of the default profile and is left out.

PreFilter: when every required term names nodes with ``metadata.name In``, only those nodes are
examined (``PreFilterResult.NodeNames``: the union over the terms of each term's intersection);
the others count as ``node(s) didn't satisfy plugin(s) [NodeAffinity]``. When that union is
empty the whole attempt fails at PreFilter with ``pod affinity terms conflict``.

Score: the sum of the weights of the preferred terms the node matches (terms of weight 0 or
with no requirement are skipped), normalised by the highest (``DefaultNormalizeScore``).
"""

from __future__ import annotations

from kmodel.components.plugins.framework import UNRESOLVABLE, CycleState, Status, normalize
from kmodel.labels import IN, NOT_IN
from kmodel.schedulingspec import NodeSelectorTerm
from kmodel.state import Node, Pod

NAME = "NodeAffinity"
WEIGHT = 2
REASON = "node(s) didn't match Pod's node affinity/selector"  # ErrReasonPod
REASON_CONFLICT = "pod affinity terms conflict"  # errReasonConflict (PreFilter)
REASON_ABSENT = f"node(s) didn't satisfy plugin(s) [{NAME}]"  # nodes left out by PreFilterResult
OBJECT_NAME_FIELD = "metadata.name"  # metav1.ObjectNameField, the only node field selector key


def _field_matches(op: str, values: tuple[str, ...], key: str, node: Node) -> bool:
    """``fields.OneTermEqualSelector`` / ``OneTermNotEqualSelector`` on the node's fields."""
    have = node.name if key == OBJECT_NAME_FIELD else ""
    return (have == values[0]) if op == IN else (have != values[0])


def term_matches(term: NodeSelectorTerm, node: Node) -> bool:
    """One node selector term: its expressions and its fields all hold (an empty term, or one
    with a parse error, matches nothing)."""
    if term.parse_error or (not term.match_expressions and not term.match_fields):
        return False
    for req in term.match_expressions:
        if not req.matches(node.labels):
            return False
    for req in term.match_fields:
        if req.operator not in (IN, NOT_IN) or len(req.values) != 1:
            return False  # nodeSelectorRequirementsAsFieldSelector refuses it: a parse error
        if not _field_matches(req.operator, req.values, req.key, node):
            return False
    return True


def required_matches(pod: Pod, node: Node) -> bool:
    """``GetRequiredNodeAffinity(pod).Match(node)``: the nodeSelector, then the required terms."""
    if pod.node_selector:
        have = dict(node.labels)
        if any(have.get(k) != v for k, v in pod.node_selector):
            return False
    affinity = pod.scheduling.node_affinity
    if affinity is None or affinity.required is None:
        return True
    return any(term_matches(t, node) for t in affinity.required)


def prefilter(state: CycleState) -> tuple[frozenset[str] | None, Status | None]:
    """``PreFilter``: the node names every required term pins (None: all nodes), or a status
    when the terms pin no node at all."""
    affinity = state.pod.scheduling.node_affinity
    if affinity is None or not affinity.required:
        return None, None
    names: set[str] | None = None
    for term in affinity.required:
        pinned: set[str] | None = None
        for req in term.match_fields:
            if req.key == OBJECT_NAME_FIELD and req.operator == IN:
                pinned = set(req.values) if pinned is None else pinned & set(req.values)
        if pinned is None:
            return None, None  # this term can match any node
        names = pinned if names is None else names | pinned
    if names is not None and not names:
        return None, Status(NAME, (REASON_CONFLICT,), UNRESOLVABLE)
    return (frozenset(names) if names is not None else None), None


def prefilter_status(state: CycleState, node: Node) -> Status | None:
    """What the PreFilter decides for ``node`` alone: its rejection (the same for every node),
    the absent-node status when the pinned names leave ``node`` out, or None."""
    pinned, rejected = prefilter(state)
    if rejected is not None:
        return rejected
    if pinned is not None and node.name not in pinned:
        return Status(NAME, (REASON_ABSENT,))
    return None


def filter(state: CycleState, node: Node) -> Status | None:
    pod = state.pod
    if not pod.node_selector and pod.scheduling.node_affinity is None:
        return None
    if required_matches(pod, node):
        return None
    return Status(NAME, (REASON,))


def raw_score(pod: Pod, node: Node) -> int:
    """The summed weights of the preferred terms ``node`` matches."""
    affinity = pod.scheduling.node_affinity
    if affinity is None:
        return 0
    return sum(p.weight for p in affinity.preferred if p.weight and term_matches(p.preference, node))


def score(state: CycleState, nodes: list[Node]) -> dict[str, int]:
    affinity = state.pod.scheduling.node_affinity
    if affinity is None or not affinity.preferred:
        return {n.name: 0 for n in nodes}
    return normalize({n.name: raw_score(state.pod, n) for n in nodes})
