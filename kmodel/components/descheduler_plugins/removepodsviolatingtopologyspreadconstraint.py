"""RemovePodsViolatingTopologySpreadConstraint (pkg/framework/plugins/removepodsviolatingtopologyspreadconstraint).

Every distinct topology spread constraint of the pods on the ready nodes (only the
``whenUnsatisfiable`` kinds ``constraints`` lists, DoNotSchedule by default) is checked: its
domains are the values of its topology key on the ready nodes its node inclusion policies admit
(nodeAffinityPolicy Honor by default: the pod's nodeSelector and required node affinity;
nodeTaintsPolicy Ignore by default), and each domain counts the non-terminating pods its selector
(merged with ``matchLabelKeys``) matches. A constraint whose largest and smallest domains differ
by more than maxSkew is balanced (``balanceDomains``): domains sorted by size, pods in a domain
with the non-evictable ones first, then those without nodeSelector or node affinity, higher
priority first; from the largest domain down and the smallest up it moves ``min(ceil(size -
ideal average), ceil(ideal average - smallest), ceil((skew - maxSkew) / 2))`` pods, the last
ones of the large domain (those that fit some node of a domain below the average last), and with
``topologyBalanceNodeFit`` (default true) marks only those that fit some node of a domain below
the average. The marked pods are then evicted if the DefaultEvictor admits them (Filter and
PreEvictionFilter); a node that hit its eviction limit is skipped after that, the total limit
ends the plugin. ``minDomains`` is not read (the real plugin does not either).
"""

from __future__ import annotations

import math

from kmodel.components.descheduler_plugins import defaultevictor
from kmodel.components.descheduler_plugins.framework import NODE_LIMIT, TOTAL_LIMIT, Handle, pods_on
from kmodel.components.plugins import nodeaffinity, tainttoleration
from kmodel.deschedulertypes import PluginArgs
from kmodel.labels import IN, LabelSelector, Requirement
from kmodel.namespaces import namespace_of, same_namespace
from kmodel.schedulingspec import HONOR, TopologySpreadConstraint
from kmodel.state import NO_EXECUTE, NO_SCHEDULE, Node, Pod

NAME = "RemovePodsViolatingTopologySpreadConstraint"


def _selector(c: TopologySpreadConstraint, pod: Pod) -> LabelSelector | None:
    sel = c.label_selector
    if sel is None:
        return None
    have = dict(pod.labels)
    extra = tuple(Requirement(k, IN, (have[k],)) for k in c.match_label_keys if k in have)
    return LabelSelector(sel.match_labels, sel.match_expressions + extra) if extra else sel


def _key(c: TopologySpreadConstraint, pod: Pod) -> tuple[object, ...]:
    """What makes two constraints identical (``hasIdenticalConstraints``)."""
    aff = pod.scheduling.node_affinity
    affinity = (
        (pod.node_selector, aff.required if aff is not None else None) if c.node_affinity_policy == HONOR else None
    )
    tolerations = pod.tolerations if c.node_taints_policy == HONOR else None
    return (
        c.max_skew,
        c.topology_key,
        _selector(c, pod),
        c.node_affinity_policy,
        c.node_taints_policy,
        affinity,
        tolerations,
    )


def _admits(c: TopologySpreadConstraint, owner: Pod, node: Node) -> bool:
    """``matchNodeInclusionPolicies``."""
    if c.node_affinity_policy == HONOR and not nodeaffinity.required_matches(owner, node):
        return False
    if c.node_taints_policy == HONOR and tainttoleration.untolerated_taint(owner, node, (NO_SCHEDULE, NO_EXECUTE)):
        return False
    return True


def _has_selector_or_affinity(pod: Pod) -> bool:
    return bool(pod.node_selector) or pod.scheduling.node_affinity is not None


def run(handle: Handle, args: PluginArgs) -> None:
    nodes = {n.name: n for n in handle.nodes}
    # namespace by namespace (the namespaces the plugin is given): a constraint counts the pods
    # of its own pod's namespace
    pods = [
        p for n in handle.nodes for p in pods_on(handle.cluster, n.name) if args.namespaces.admits(namespace_of(p.name))
    ]
    constraints: dict[tuple[object, ...], tuple[TopologySpreadConstraint, Pod]] = {}
    for pod in pods:
        for c in pod.scheduling.topology_spread:
            if c.when_unsatisfiable in args.constraints:
                constraints.setdefault((namespace_of(pod.name), *_key(c, pod)), (c, pod))
    marked: list[Pod] = []
    for c, owner in constraints.values():
        selector = _selector(c, owner)
        domains: dict[str, list[Pod]] = {}
        for n in handle.nodes:
            value = dict(n.labels).get(c.topology_key)
            if value is not None and _admits(c, owner, n):
                domains.setdefault(value, [])
        total = 0
        for p in pods:
            if p.terminating or selector is None or not selector.matches(p.labels):
                continue
            if not same_namespace(p.name, owner.name):
                continue
            value = dict(nodes[p.node_name or ""].labels).get(c.topology_key)
            if value is None:
                continue
            domains.setdefault(value, []).append(p)
            total += 1
        sizes = [len(v) for v in domains.values()]
        if not sizes or max(sizes) - min(sizes) <= c.max_skew:
            continue
        _balance(handle, args, c, owner, domains, total, marked)
    limited: set[str] = set()
    for pod in marked:
        if pod.node_name in limited or not handle.filter(pod) or not handle.pre_eviction_filter(pod):
            continue
        error = handle.evict(pod, NAME)
        if error == NODE_LIMIT:
            limited.add(pod.node_name or "")
        elif error == TOTAL_LIMIT:
            return


def _balance(
    handle: Handle,
    args: PluginArgs,
    c: TopologySpreadConstraint,
    owner: Pod,
    domains: dict[str, list[Pod]],
    total: int,
    marked: list[Pod],
) -> None:
    ideal = total / len(domains)

    def order(p: Pod) -> tuple[int, int, int]:
        evictable = handle.filter(p)
        return (1 if evictable else 0, 0 if _has_selector_or_affinity(p) else 1, -p.priority)

    ordered = sorted(((value, sorted(ps, key=order)) for value, ps in domains.items()), key=lambda d: len(d[1]))
    eligible = [n for n in handle.nodes if _admits(c, owner, n)]
    below = {value for value, ps in ordered if len(ps) < ideal}
    targets = [n for n in eligible if dict(n.labels).get(c.topology_key) in below]

    def fits_elsewhere(p: Pod) -> bool:
        return defaultevictor.pod_fits_any_other_node(handle.cluster, p, targets)

    i, j = 0, len(ordered) - 1
    while i < j:
        if len(ordered[j][1]) <= ideal:
            j -= 1
        skew = len(ordered[j][1]) - len(ordered[i][1])
        if skew <= c.max_skew:
            i += 1
            continue
        above_avg = math.ceil(len(ordered[j][1]) - ideal)
        below_avg = math.ceil(ideal - len(ordered[i][1]))
        move = int(min(above_avg, below_avg, math.ceil((skew - c.max_skew) / 2)))
        if move <= 0:
            i += 1
            continue
        big = sorted(ordered[j][1], key=lambda p: 1 if fits_elsewhere(p) else 0)
        leaving = big[len(big) - move :]
        for p in leaving:
            if args.topology_balance_node_fit and not fits_elsewhere(p):
                continue
            if p not in marked:
                marked.append(p)
        ordered[j] = (ordered[j][0], big[: len(big) - move])
        ordered[i] = (ordered[i][0], ordered[i][1] + leaving)
