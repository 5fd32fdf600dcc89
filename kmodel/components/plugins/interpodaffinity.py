"""InterPodAffinity (pkg/scheduler/framework/plugins/interpodaffinity: filtering.go, scoring.go).

A pod affinity term selects pods (``labelSelector`` in the term's namespaces) and names a node
label, ``topologyKey``: two nodes with the same value of that label are one topology domain.

Filter, three checks in this order (the first that fails gives the node's reason):

1. the incoming pod's required affinity: the node must carry every term's topology key, and for
   every term some existing pod that matches *all* the terms must run in the node's domain of that
   term's key (Unschedulable**AndUnresolvable**: removing pods cannot create a match). The first
   pod of a group that is attracted to itself is let through: when no existing pod matches all the
   terms anywhere and the incoming pod matches them itself, any node with the keys passes;
2. the incoming pod's required anti-affinity: no existing pod matching a term may run in the
   node's domain of that term's key (a node without the key passes the term) - Unschedulable;
3. symmetry: no existing pod whose required anti-affinity term matches the incoming pod may run in
   the node's domain of that term's key - Unschedulable.

"Existing pods" are the scheduler cache's: every pod bound to a node that exists, Terminating
ones included (they leave the cache only when the object is gone), finished (Succeeded / Failed)
ones not (the scheduler's pod informer filters them out).

Score: per topology domain, the weights of the incoming pod's preferred affinity terms matched by
existing pods there (anti-affinity terms subtract), plus, in the other direction, the existing
pods' terms that the incoming pod matches: required affinity with hardPodAffinityWeight (1),
preferred affinity and anti-affinity with their weights. A node scores the sum over its domains,
normalised min-max to 0..100 over the feasible nodes.

Namespaces (framework/types.go ``newAffinityTerm`` and ``AffinityTerm.Matches``): a term selects
pods in its ``namespaces`` or in the namespaces its ``namespaceSelector`` selects; with neither,
in the namespace of the pod that carries the term. An empty ``namespaceSelector`` ({}) selects
every namespace, a nil one none. A non-empty ``namespaceSelector`` would need Namespace objects'
labels: the loader refuses it; built by hand it is matched against the one label the apiserver
gives every namespace (``kubernetes.io/metadata.name``).

``matchLabelKeys`` / ``mismatchLabelKeys``: the apiserver merges them into the term's selector when
it creates the pod (``key In (the pod's value)`` / ``key NotIn (...)``, for keys the pod carries,
only when the term has a labelSelector), from 1.31 on (MatchLabelKeysInPodAffinity beta; earlier
it drops them). kmodel pods keep their creation labels, so the merge is done here, from the labels
of the pod that carries the term.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from attrs import frozen

from kmodel import podindex, versions
from kmodel.components.plugins.framework import (
    MAX_NODE_SCORE,
    UNRESOLVABLE,
    UNSCHEDULABLE,
    CycleState,
    Status,
)
from kmodel.labels import IN, NOT_IN, Labels, LabelSelector, Requirement
from kmodel.namespaces import namespace_of
from kmodel.schedulingspec import PodAffinity, PodAffinityTerm
from kmodel.state import FAILED, SUCCEEDED, Cluster, Node, Pod

NAME = "InterPodAffinity"
WEIGHT = 2

# filtering.go ErrReason...
REASON_AFFINITY = "node(s) didn't match pod affinity rules"
REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"

# InterPodAffinityArgs default (pkg/scheduler/apis/config/v1 defaults)
HARD_POD_AFFINITY_WEIGHT = 1

NAMESPACE = "default"
# the label the apiserver puts on every namespace (NamespaceDefaultLabelName)
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
NAMESPACE_LABELS: Labels = ((NAMESPACE_NAME_LABEL, NAMESPACE),)

Pair = tuple[str, str]  # (topology key, value)


@frozen
class Term:
    """A term as the scheduler uses it: the topology key and the selector of the pods it matches
    (None: it matches no pod - a nil labelSelector, or namespaces that exclude ``default``)."""

    topology_key: str
    selector: LabelSelector | None
    # the namespaces it selects pods in (None: every namespace, an empty namespaceSelector) ...
    namespaces: frozenset[str] | None = frozenset((NAMESPACE,))
    # ... and a non-empty namespaceSelector, matched against a namespace's name label
    namespace_selector: LabelSelector | None = None

    def matches(self, pod: Pod) -> bool:
        return self.selector is not None and self.admits(namespace_of(pod.name)) and self.selector.matches(pod.labels)

    def admits(self, namespace: str) -> bool:
        if self.namespaces is None or namespace in self.namespaces:
            return True
        sel = self.namespace_selector
        return sel is not None and sel.matches(((NAMESPACE_NAME_LABEL, namespace),))


def _namespaces(term: PodAffinityTerm, owner: Pod) -> tuple[frozenset[str] | None, LabelSelector | None]:
    """``newAffinityTerm``: the term's namespaces (its own namespace when it names none and has no
    selector) and its namespaceSelector (None: every namespace when empty, else kept)."""
    if not term.namespaces and term.namespace_selector is None:
        return frozenset((namespace_of(owner.name),)), None
    sel = term.namespace_selector
    if sel is not None and not sel.match_labels and not sel.match_expressions:
        return None, None
    return frozenset(term.namespaces), sel


def label_keys_merged(version: str) -> bool:
    """Whether the apiserver merges matchLabelKeys / mismatchLabelKeys (beta, on by default, 1.31)."""
    return versions.minor_of(version) >= 31


def term_of(term: PodAffinityTerm, owner: Pod, merge_keys: bool = True) -> Term:
    """The scheduler's view of ``term``, carried by ``owner``."""
    if term.label_selector is None:
        return Term(term.topology_key, None)
    namespaces, ns_selector = _namespaces(term, owner)
    selector = term.label_selector
    if merge_keys and (term.match_label_keys or term.mismatch_label_keys):
        have = dict(owner.labels)
        extra = tuple(Requirement(k, IN, (have[k],)) for k in term.match_label_keys if k in have) + tuple(
            Requirement(k, NOT_IN, (have[k],)) for k in term.mismatch_label_keys if k in have
        )
        selector = LabelSelector(selector.match_labels, selector.match_expressions + extra)
    return Term(term.topology_key, selector, namespaces, ns_selector)


def _required(aff: PodAffinity | None, owner: Pod, merge: bool) -> tuple[Term, ...]:
    return tuple(term_of(t, owner, merge) for t in aff.required) if aff is not None else ()


def _preferred(aff: PodAffinity | None, owner: Pod, merge: bool) -> tuple[tuple[int, Term], ...]:
    return tuple((w.weight, term_of(w.term, owner, merge)) for w in aff.preferred) if aff is not None else ()


def existing_pods(cluster: Cluster) -> list[tuple[Pod, Node]]:
    """The pods in the scheduler's cache with their nodes (Terminating included, finished not)."""
    nodes = {n.name: n for n in cluster.nodes}
    out = []
    for p in cluster.pods:
        if p.node_name is None or p.phase in (SUCCEEDED, FAILED):
            continue
        node = nodes.get(p.node_name)
        if node is not None:
            out.append((p, node))
    return out


def _matches_all(terms: Iterable[Term], pod: Pod) -> bool:
    terms = tuple(terms)
    return bool(terms) and all(t.matches(pod) for t in terms)


# --- filter -------------------------------------------------------------------------------------


@frozen
class _PreFilter:
    affinity: tuple[Term, ...]
    anti_affinity: tuple[Term, ...]
    affinity_counts: Counter[Pair]  # existing pods matching all affinity terms, per domain
    anti_affinity_counts: Counter[Pair]  # existing pods matching an anti-affinity term
    existing_anti_counts: Counter[Pair]  # existing pods' anti-affinity terms matching the pod


def prefilter(state: CycleState) -> _PreFilter | None:
    """PreFilter; None where the real one returns Skip (no terms on either side)."""
    pod, cluster = state.pod, state.cluster
    spec = pod.scheduling
    if spec.pod_affinity is None and spec.pod_anti_affinity is None and not _anyone_repels(cluster):
        return None
    merge = label_keys_merged(cluster.settings.kubernetes_version)
    existing = existing_pods(cluster)
    existing_anti: Counter[Pair] = Counter()
    for other, node in existing:
        anti = other.scheduling.pod_anti_affinity
        if anti is None or not anti.required:
            continue
        for t in _required(anti, other, merge):
            value = dict(node.labels).get(t.topology_key)
            if value is not None and t.matches(pod):
                existing_anti[(t.topology_key, value)] += 1
    affinity = _required(spec.pod_affinity, pod, merge)
    anti_affinity = _required(spec.pod_anti_affinity, pod, merge)
    if not existing_anti and not affinity and not anti_affinity:
        return None
    affinity_counts: Counter[Pair] = Counter()
    anti_counts: Counter[Pair] = Counter()
    if affinity or anti_affinity:
        for other, node in existing:
            labels = dict(node.labels)
            if _matches_all(affinity, other):
                for t in affinity:
                    if t.topology_key in labels:
                        affinity_counts[(t.topology_key, labels[t.topology_key])] += 1
            for t in anti_affinity:
                if t.topology_key in labels and t.matches(other):
                    anti_counts[(t.topology_key, labels[t.topology_key])] += 1
    return _PreFilter(affinity, anti_affinity, affinity_counts, anti_counts, existing_anti)


def _anyone_repels(cluster: Cluster) -> bool:
    """Whether any pod in the cluster has a required anti-affinity term (the common answer is no,
    and then a pod without terms of its own has nothing to check)."""
    return podindex.index(cluster.pods).count(_REPELS) > 0


_REPELS = podindex.counter(
    "interpodaffinity.repels",
    lambda p: p.scheduling.pod_anti_affinity is not None and bool(p.scheduling.pod_anti_affinity.required),
)


def _satisfies_affinity(pre: _PreFilter, pod: Pod, labels: dict[str, str]) -> bool:
    found = True
    for t in pre.affinity:
        value = labels.get(t.topology_key)
        if value is None:
            return False  # every topology key must be on the node
        if pre.affinity_counts[(t.topology_key, value)] <= 0:
            found = False
    if found:
        return True
    # the first of a group of pods attracted to each other: nothing matches anywhere yet
    return not pre.affinity_counts and _matches_all(pre.affinity, pod)


def _satisfies_anti_affinity(pre: _PreFilter, labels: dict[str, str]) -> bool:
    if not pre.anti_affinity_counts:
        return True
    for t in pre.anti_affinity:
        value = labels.get(t.topology_key)
        if value is not None and pre.anti_affinity_counts[(t.topology_key, value)] > 0:
            return False
    return True


def _satisfies_existing_anti_affinity(pre: _PreFilter, labels: dict[str, str]) -> bool:
    if not pre.existing_anti_counts:
        return True
    return not any(pre.existing_anti_counts[pair] > 0 for pair in labels.items())


def filter(state: CycleState, node: Node) -> Status | None:
    pre: _PreFilter | None = state.memo("interpodaffinity.prefilter", lambda: prefilter(state))
    if pre is None:
        return None
    labels = dict(node.labels)
    if not _satisfies_affinity(pre, state.pod, labels):
        return Status(NAME, (REASON_AFFINITY,), UNRESOLVABLE)
    if not _satisfies_anti_affinity(pre, labels):
        return Status(NAME, (REASON_ANTI_AFFINITY,), UNSCHEDULABLE)
    if not _satisfies_existing_anti_affinity(pre, labels):
        return Status(NAME, (REASON_EXISTING_ANTI_AFFINITY,), UNSCHEDULABLE)
    return None


# --- score --------------------------------------------------------------------------------------


def _has_affinity(pod: Pod) -> bool:
    """``NodeInfo.PodsWithAffinity``: pods with pod affinity or anti-affinity of any kind."""
    return pod.scheduling.pod_affinity is not None or pod.scheduling.pod_anti_affinity is not None


def topology_scores(cluster: Cluster, pod: Pod) -> dict[str, dict[str, int]] | None:
    """PreScore: the score of each (topology key, value); None where the real one returns Skip."""
    spec = pod.scheduling
    merge = label_keys_merged(cluster.settings.kubernetes_version)
    pref_affinity = _preferred(spec.pod_affinity, pod, merge)
    pref_anti = _preferred(spec.pod_anti_affinity, pod, merge)
    own = bool(pref_affinity or pref_anti)
    scores: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    touched = False
    for other, node in existing_pods(cluster):
        if not own and not _has_affinity(other):
            continue
        labels = dict(node.labels)
        if not labels:
            continue
        contributions: list[tuple[str, int]] = []
        for weight, t in pref_affinity:
            if t.matches(other):
                contributions.append((t.topology_key, weight))
        for weight, t in pref_anti:
            if t.matches(other):
                contributions.append((t.topology_key, -weight))
        if _has_affinity(other):
            o = other.scheduling
            for t in _required(o.pod_affinity, other, merge):
                if t.matches(pod):
                    contributions.append((t.topology_key, HARD_POD_AFFINITY_WEIGHT))
            for weight, t in _preferred(o.pod_affinity, other, merge):
                if t.matches(pod):
                    contributions.append((t.topology_key, weight))
            for weight, t in _preferred(o.pod_anti_affinity, other, merge):
                if t.matches(pod):
                    contributions.append((t.topology_key, -weight))
        for key, amount in contributions:
            if key in labels:
                scores[key][labels[key]] += amount
                touched = True
    return {k: dict(v) for k, v in scores.items()} if touched else None


def score(state: CycleState, nodes: list[Node]) -> dict[str, int]:
    pod = state.pod
    if not _has_affinity(pod) and not state.memo("interpodaffinity.anyaffinity", lambda: _anyone_has_affinity(state)):
        return {n.name: 0 for n in nodes}
    topo = topology_scores(state.cluster, pod)
    if topo is None:
        return {n.name: 0 for n in nodes}
    raw = {}
    for n in nodes:
        labels = dict(n.labels)
        raw[n.name] = sum(values.get(labels[key], 0) for key, values in topo.items() if key in labels)
    return normalize_min_max(raw)


def _anyone_has_affinity(state: CycleState) -> bool:
    return podindex.index(state.cluster.pods).count(_BOUND_WITH_AFFINITY) > 0


_BOUND_WITH_AFFINITY = podindex.counter(
    "interpodaffinity.bound-with-affinity", lambda p: p.node_name is not None and _has_affinity(p)
)


def normalize_min_max(raw: dict[str, int]) -> dict[str, int]:
    """NormalizeScore: ``MAX * (s - min) / (max - min)``, truncated; all 0 when max == min."""
    if not raw:
        return {}
    low, high = min(raw.values()), max(raw.values())
    if high == low:
        return dict.fromkeys(raw, 0)
    return {name: int(MAX_NODE_SCORE * ((s - low) / (high - low))) for name, s in raw.items()}
