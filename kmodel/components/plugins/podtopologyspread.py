"""PodTopologySpread (plugins/podtopologyspread).

Pods without constraints of their own get the system default constraints (spread pods of the
same Service or ReplicaSet over hostnames with maxSkew 3 and zones with maxSkew 5,
ScheduleAnyway), which only score: fewer matching pods in the node's domains is better. Explicit
``topologySpreadConstraints`` are not modelled yet.
"""

from __future__ import annotations

import math
from collections import Counter

from kmodel.components.plugins.framework import MAX_NODE_SCORE, CycleState, Status
from kmodel.labels import LabelSelector
from kmodel.state import LABEL_HOSTNAME, LABEL_ZONE, Cluster, Node, Pod, label, selector_matches

NAME = "PodTopologySpread"
WEIGHT = 2

# System default topology spread constraints: (topology key, maxSkew).
DEFAULT_SPREAD_CONSTRAINTS = ((LABEL_HOSTNAME, 3), (LABEL_ZONE, 5))


def default_spread_selector(cluster: Cluster, pod: Pod) -> LabelSelector:
    """``DefaultSelector``: the requirements of the selectors of the Services and the ReplicaSet
    that select the pod, all together. Empty: the default constraints do not apply to it."""
    selector = LabelSelector()
    rs = cluster.replicaset(pod.owner) if pod.owner else None
    if rs is not None:
        selector = selector.also(rs.selector)
    for svc in cluster.services:
        if selector_matches(svc.selector, pod.labels):
            selector = selector.also(svc.selector)
    return selector


def _spread_selector_pods(cluster: Cluster, pod: Pod) -> list[Pod] | None:
    """Bound, non-terminating pods counted by the default spread constraints; None when the pod
    has no default selector (PreScore skips it)."""
    selector = default_spread_selector(cluster, pod)
    if selector.empty:
        return None
    return [p for p in cluster.pods if p.node_name and not p.terminating and selector.matches(p.labels)]


def filter(state: CycleState, node: Node) -> Status | None:
    return None


def raw_scores(cluster: Cluster, pod: Pod, nodes: list[Node]) -> dict[str, int]:
    matching = _spread_selector_pods(cluster, pod)
    if matching is None:
        return {n.name: 0 for n in nodes}
    node_by_name = {n.name: n for n in cluster.nodes}
    raw: dict[str, float] = {n.name: 0.0 for n in nodes}
    for key, max_skew in DEFAULT_SPREAD_CONSTRAINTS:
        domains = {label(n.labels, key) for n in nodes if label(n.labels, key) is not None}
        if not domains:
            continue
        counts: Counter[str] = Counter()
        for p in matching:
            host = node_by_name.get(p.node_name or "")
            value = label(host.labels, key) if host else None
            if value is not None:
                counts[value] += 1
        weight = math.log(len(domains) + 2)
        for n in nodes:
            value = label(n.labels, key)
            if value is not None:
                raw[n.name] += counts[value] * weight + (max_skew - 1)
    return {name: round(v) for name, v in raw.items()}


def score(state: CycleState, nodes: list[Node]) -> dict[str, int]:
    """Fewer matching pods in the node's domains is better: ``MAX * (high + low - v) / high``."""
    spread = raw_scores(state.cluster, state.pod, nodes)
    high, low = max(spread.values(), default=0), min(spread.values(), default=0)
    return {
        name: MAX_NODE_SCORE if high == 0 else MAX_NODE_SCORE * (high + low - v) // high for name, v in spread.items()
    }
