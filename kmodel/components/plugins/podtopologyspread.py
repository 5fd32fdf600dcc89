"""PodTopologySpread (plugins/podtopologyspread): filter.go, scoring.go, common.go, plugin.go.

A constraint counts the pods its selector matches per *domain*, a value of the node label
``topologyKey``; the *skew* of a domain is its count minus the smallest count of any eligible
domain (the *global minimum*).

- Which constraints: a pod's own ``topologySpreadConstraints`` when it has any (``DoNotSchedule``
  ones filter, ``ScheduleAnyway`` ones score), else the system default constraints (hostname
  maxSkew 3 and zone maxSkew 5, ``ScheduleAnyway``, selector: the Services and ReplicaSet that
  select the pod), which only score. A pod with only ``DoNotSchedule`` constraints gets no score
  from this plugin; one with only ``ScheduleAnyway`` ones is not filtered.
- The selector: ``labelSelector`` (unset: matches no pod; ``{}``: since 1.27 counts no existing
  pod though the incoming pod matches it, the short cut of kubernetes PR 116607), with, for each
  ``matchLabelKeys`` key the incoming pod carries, ``key=<its value>`` added (since 1.27; since
  1.34 the apiserver merges them into ``labelSelector`` at creation, to the same effect).
- Pods counted: bound to a node, not terminating, in the incoming pod's namespace
  (``countPodsMatchSelector``); the default selector comes from the Services, ReplicaSet and
  StatefulSet of that namespace.
- Eligible nodes: every node holding *all* the constraints' topology keys, and per constraint
  passing its inclusion policies: ``nodeAffinityPolicy: Honor`` (default) keeps only nodes the
  pod's nodeSelector and required node affinity accept; ``nodeTaintsPolicy: Honor`` drops nodes
  with a NoSchedule/NoExecute taint the pod does not tolerate (default Ignore keeps them, so a
  powered-off, unreachable-tainted node still counts as a domain). Policies are honoured since
  1.26; before, both act as their defaults.
- Filter: a node without one of the keys fails with ``(missing required label)``
  (UnschedulableAndUnresolvable); otherwise, per constraint, ``count(node's domain) + (1 if the
  pod matches the selector) - global minimum > maxSkew`` fails (Unschedulable: preemption could
  help). The global minimum is 0 when fewer domains are eligible than ``minDomains`` (honoured
  since 1.27).
- Score: per constraint, ``count * log(domains + 2) + (maxSkew - 1)`` summed over the
  constraints whose key the node has (hostname domains: the node's own pods, the number of
  domains being the candidate nodes), rounded; candidate nodes missing a key of an explicit
  constraint score 0; the others are normalised so fewer matching pods scores higher:
  ``100 * (max + min - s) // max`` (all 100 when max is 0).
"""

from __future__ import annotations

import math
from typing import Any

from attrs import frozen

from kmodel import podindex, versions
from kmodel.components.plugins import nodeaffinity
from kmodel.components.plugins.framework import (
    MAX_NODE_SCORE,
    UNRESOLVABLE,
    UNSCHEDULABLE,
    CycleState,
    Status,
)
from kmodel.labels import Labels, LabelSelector
from kmodel.namespaces import same_namespace
from kmodel.schedulingspec import DO_NOT_SCHEDULE, HONOR, IGNORE, SCHEDULE_ANYWAY, TopologySpreadConstraint
from kmodel.state import (
    LABEL_HOSTNAME,
    LABEL_ZONE,
    NO_EXECUTE,
    NO_SCHEDULE,
    Cluster,
    Node,
    Pod,
    label,
    selector_matches,
)

NAME = "PodTopologySpread"
WEIGHT = 2

# plugin.go ErrReasonConstraintsNotMatch / ErrReasonNodeLabelNotMatch
REASON = "node(s) didn't match pod topology spread constraints"
REASON_MISSING_LABEL = REASON + " (missing required label)"

# System default topology spread constraints: (topology key, maxSkew), ScheduleAnyway.
DEFAULT_SPREAD_CONSTRAINTS = ((LABEL_HOSTNAME, 3), (LABEL_ZONE, 5))

_NO_DOMAIN = 2**31 - 1  # criticalPaths' MatchNum before any domain is seen (math.MaxInt32)


@frozen
class Constraint:
    """A constraint as the plugin uses it (``topologySpreadConstraint`` in common.go): the
    selector resolved (None: matches nothing), minDomains defaulted to 1. ``counts_none``: an
    empty selector, which since 1.27 counts no existing pod (``countPodsMatchSelector``)."""

    max_skew: int
    topology_key: str
    selector: LabelSelector | None
    min_domains: int = 1
    node_affinity_policy: str = HONOR
    node_taints_policy: str = IGNORE
    counts_none: bool = False

    def selects(self, labels: Any) -> bool:
        """Whether the incoming pod matches (``Selector.Matches``)."""
        return self.selector is not None and self.selector.matches(labels)

    def counts(self, labels: Any) -> bool:
        """Whether an existing pod is counted: never for an unset selector (or, since 1.27, an
        empty one)."""
        return self.selector is not None and not self.counts_none and self.selector.matches(labels)


def default_spread_selector(cluster: Cluster, pod: Pod) -> LabelSelector:
    """``DefaultSelector``: the requirements of the selectors of the Services, the ReplicaSet and
    the StatefulSet that select the pod, all together. Empty: the default constraints do not
    apply to it."""
    selector = LabelSelector()
    rs = cluster.replicaset(pod.owner) if pod.replicaset_owner else None
    if rs is not None:
        selector = selector.also(rs.selector)
    # the StatefulSets whose selector matches the pod (helper.DefaultSelector lists them by labels)
    for sts in cluster.statefulsets:
        if same_namespace(sts.name, pod.name) and selector_matches(sts.selector, pod.labels):
            selector = selector.also(sts.selector)
    for svc in cluster.services:
        if same_namespace(svc.name, pod.name) and selector_matches(svc.selector, pod.labels):
            selector = selector.also(svc.selector)
    return selector


def own_constraints(pod: Pod, action: str, version: str) -> list[Constraint]:
    """``filterTopologySpreadConstraints``: the pod's constraints with that whenUnsatisfiable."""
    minor = versions.minor_of(version)
    out = []
    for c in pod.scheduling.topology_spread:
        if c.when_unsatisfiable != action:
            continue
        out.append(_resolve(c, pod, minor))
    return out


def _resolve(c: TopologySpreadConstraint, pod: Pod, minor: int) -> Constraint:
    selector = c.label_selector
    if selector is not None and c.match_label_keys and minor >= 27:
        have = dict(pod.labels)
        extra = tuple(sorted((k, have[k]) for k in c.match_label_keys if k in have))
        if extra:
            selector = selector.also(LabelSelector(extra))
    policies = minor >= 26
    return Constraint(
        max_skew=c.max_skew,
        topology_key=c.topology_key,
        selector=selector,
        min_domains=c.min_domains if c.min_domains is not None and minor >= 27 else 1,
        node_affinity_policy=c.node_affinity_policy if policies else HONOR,
        node_taints_policy=c.node_taints_policy if policies else IGNORE,
        counts_none=selector is not None and selector.empty and minor >= 27,
    )


def uses_own_constraints(pod: Pod, version: str) -> bool:
    """A pod with constraints of its own never gets the defaults (the field exists since 1.16,
    behind the EvenPodsSpread gate, on by default since 1.18)."""
    return bool(pod.scheduling.topology_spread) and versions.minor_of(version) >= 18


# --- node inclusion ----------------------------------------------------------------------------


def required_node_affinity_matches(pod: Pod, node: Node) -> bool:
    """``GetRequiredNodeAffinity(pod).Match(node)``, as the NodeAffinity plugin decides it."""
    return nodeaffinity.required_matches(pod, node)


def _untolerated(pod: Pod, node: Node) -> bool:
    """A NoSchedule or NoExecute taint the pod does not tolerate (DoNotScheduleTaintsFilterFunc)."""
    return any(
        t.effect in (NO_SCHEDULE, NO_EXECUTE) and not any(tol.tolerates(t) for tol in pod.tolerations)
        for t in node.taints
    )


def _included(c: Constraint, pod: Pod, node: Node, affinity_ok: bool) -> bool:
    """``matchNodeInclusionPolicies``."""
    if c.node_affinity_policy == HONOR and not affinity_ok:
        return False
    return not (c.node_taints_policy == HONOR and _untolerated(pod, node))


def _has_keys(node: Node, constraints: list[Constraint]) -> bool:
    have = {k for k, _ in node.labels}
    return all(c.topology_key in have for c in constraints)


def _matching_per_node(cluster: Cluster, constraints: list[Constraint], pod: Pod) -> list[dict[str, int]]:
    """Per constraint, the pods it counts on each node: bound, not terminating, matching. (Each
    distinct selector is evaluated once per pod: the default constraints share theirs.)"""
    groups: dict[LabelSelector, dict[str, int]] = {}
    for c in constraints:
        if c.selector is not None and not c.counts_none:
            groups.setdefault(c.selector, {})
    if groups:
        ix = podindex.index(cluster.pods)
        space = pod.name.split("/", 1)[0] if "/" in pod.name else None
        for sel in groups:
            groups[sel] = _Matching(ix, sel, space)  # type: ignore[assignment]
    return [groups[c.selector] if c.selector in groups and not c.counts_none else {} for c in constraints]


class _Matching:
    """One selector's count of matching pods on each node (bound, not terminating, in the
    namespace ``space``: None for default), read one node at a time from the pods index and kept
    there until a pod on the node changes (a write of one pod updates a known count)."""

    __slots__ = ("_counter", "_fact", "_index")

    def __init__(self, ix: podindex.PodIndex, selector: LabelSelector, space: str | None) -> None:
        self._index = ix
        self._fact = (NAME, selector, space)
        counter = _counters.get(self._fact)
        if counter is None:
            if len(_counters) > 1000:
                _counters.clear()
            counter = _counters[self._fact] = _Counter(selector.requirements(), space)
        self._counter = counter

    def get(self, node: str, default: int = 0) -> int:
        if node not in self._index.by_node:
            return default
        found: int = self._index.per_node(self._fact, node, self._counter.count, self._counter.update, _reads)
        return found if found else default


class _Counter:
    """What a count of matching pods reads of a pod (no index: kept per selector and namespace)."""

    __slots__ = ("_matched", "_reqs", "_space")

    def __init__(self, reqs: tuple[Any, ...], space: str | None) -> None:
        self._reqs, self._space = reqs, space
        # whether the requirements hold, by labels object (a template's pods share theirs)
        self._matched: dict[int, tuple[Labels, bool]] = {}

    def counts(self, p: Pod) -> bool:
        if p.terminating:
            return False
        if (p.name.split("/", 1)[0] if "/" in p.name else None) != self._space:
            return False
        labels = p.labels
        found = self._matched.get(id(labels))
        if found is not None and found[0] is labels:
            return found[1]
        holds = all(r.matches(labels) for r in self._reqs)
        if len(self._matched) > 10_000:
            self._matched.clear()
        self._matched[id(labels)] = (labels, holds)
        return holds

    def count(self, pods: tuple[Pod, ...]) -> int:
        n = 0
        for p in pods:
            if p.terminating:
                continue
            if (p.name.split("/", 1)[0] if "/" in p.name else None) != self._space:
                continue
            if all(r.matches(p.labels) for r in self._reqs):
                n += 1
        return n

    def update(self, value: int, old: Pod | None, new: Pod | None) -> int:
        return value - (old is not None and self.counts(old)) + (new is not None and self.counts(new))


_counters: dict[tuple[str, LabelSelector, str | None], _Counter] = {}


def _reads(p: Pod) -> tuple[bool, Labels]:
    """What any count of matching pods reads of a pod (but its name, which a write keeps)."""
    return p.terminating, p.labels


# --- filter ------------------------------------------------------------------------------------


@frozen
class _Hard:
    """PreFilter state of one DoNotSchedule constraint: matching pods per eligible domain."""

    constraint: Constraint
    counts: dict[str, int]

    def global_min(self) -> int:
        if len(self.counts) < self.constraint.min_domains:
            return 0
        return min(self.counts.values(), default=_NO_DOMAIN)


def _prefilter(state: CycleState) -> list[_Hard]:
    cluster, pod = state.cluster, state.pod
    version = cluster.settings.kubernetes_version
    constraints = own_constraints(pod, DO_NOT_SCHEDULE, version)
    if not constraints:
        return []
    hard = [_Hard(c, {}) for c in constraints]
    matching = _matching_per_node(cluster, constraints, pod)
    for node in cluster.nodes:
        if not _has_keys(node, constraints):
            continue
        affinity_ok = required_node_affinity_matches(pod, node)
        for h, on_node in zip(hard, matching, strict=True):
            c = h.constraint
            if not _included(c, pod, node, affinity_ok):
                continue
            value = label(node.labels, c.topology_key) or ""
            h.counts[value] = h.counts.get(value, 0) + on_node.get(node.name, 0)
    return hard


def filter(state: CycleState, node: Node) -> Status | None:
    pod = state.pod
    if not uses_own_constraints(pod, state.cluster.settings.kubernetes_version):
        return None  # the system defaults are all ScheduleAnyway: nothing to filter
    hard: list[_Hard] = state.memo(NAME + "/prefilter", lambda: _prefilter(state))
    for h in hard:
        c = h.constraint
        value = label(node.labels, c.topology_key)
        if value is None:
            return Status(NAME, (REASON_MISSING_LABEL,), UNRESOLVABLE)
        skew = h.counts.get(value, 0) + (1 if c.selects(pod.labels) else 0) - h.global_min()
        if skew > c.max_skew:
            return Status(NAME, (REASON,), UNSCHEDULABLE)
    return None


# --- score -------------------------------------------------------------------------------------


def soft_constraints(cluster: Cluster, pod: Pod) -> tuple[list[Constraint], bool]:
    """The scoring constraints and whether candidate nodes must hold all their keys (only for a
    pod's own constraints: with the system defaults a node without a zone still spreads by
    hostname)."""
    version = cluster.settings.kubernetes_version
    if uses_own_constraints(pod, version):
        return own_constraints(pod, SCHEDULE_ANYWAY, version), True
    selector = default_spread_selector(cluster, pod)
    if selector.empty:
        return [], False
    return [Constraint(skew, key, selector) for key, skew in DEFAULT_SPREAD_CONSTRAINTS], False


def _go_round(x: float) -> int:
    """``math.Round`` for the non-negative raw scores: halves round up."""
    return math.floor(x + 0.5)


def raw_scores(cluster: Cluster, pod: Pod, nodes: list[Node]) -> tuple[dict[str, int], set[str]] | None:
    """PreScore and Score: each candidate node's raw score and the candidates to ignore (they
    miss a topology key of the pod's own constraints and score 0); None when the pod has no
    scoring constraint (PreScore's Skip)."""
    constraints, require_all = soft_constraints(cluster, pod)
    if not constraints:
        return None
    ignored = {n.name for n in nodes if require_all and not _has_keys(n, constraints)}
    # the domains of the candidates (hostname domains are the candidate nodes themselves)
    counts: list[dict[str, int]] = [{} for _ in constraints]
    for n in nodes:
        if n.name in ignored:
            continue
        for i, c in enumerate(constraints):
            if c.topology_key != LABEL_HOSTNAME:
                counts[i].setdefault(label(n.labels, c.topology_key) or "", 0)
    weights = [
        math.log((len(nodes) - len(ignored) if c.topology_key == LABEL_HOSTNAME else len(counts[i])) + 2)
        for i, c in enumerate(constraints)
    ]
    matching = _matching_per_node(cluster, constraints, pod)
    for node in cluster.nodes:
        if require_all and not _has_keys(node, constraints):
            continue
        affinity_ok = required_node_affinity_matches(pod, node)
        for i, c in enumerate(constraints):
            if c.topology_key == LABEL_HOSTNAME or not _included(c, pod, node, affinity_ok):
                continue
            value = label(node.labels, c.topology_key) or ""
            if value in counts[i]:
                counts[i][value] += matching[i].get(node.name, 0)
    raw: dict[str, int] = {}
    for n in nodes:
        if n.name in ignored:
            raw[n.name] = 0
            continue
        total = 0.0
        for i, c in enumerate(constraints):
            value = label(n.labels, c.topology_key)
            if value is None:
                continue
            if c.topology_key == LABEL_HOSTNAME:
                cnt = matching[i].get(n.name, 0)
            else:
                cnt = counts[i][value]
            total += cnt * weights[i] + (c.max_skew - 1)
        raw[n.name] = _go_round(total)
    return raw, ignored


def score(state: CycleState, nodes: list[Node]) -> dict[str, int]:
    """NormalizeScore: fewer matching pods is better, ``100 * (max + min - s) // max``; ignored
    nodes score 0. A pod with no scoring constraint (PreScore's Skip) scores every node 0."""
    scored = raw_scores(state.cluster, state.pod, nodes)
    if scored is None:
        return {n.name: 0 for n in nodes}
    raw, ignored = scored
    kept = [v for name, v in raw.items() if name not in ignored]
    high, low = max(kept, default=0), min(kept, default=0)
    out = {}
    for name, v in raw.items():
        if name in ignored:
            out[name] = 0
        elif high == 0:
            out[name] = MAX_NODE_SCORE
        else:
            out[name] = MAX_NODE_SCORE * (high + low - v) // high
    return out
