"""RemoveDuplicates (pkg/framework/plugins/removeduplicates).

On each ready node, the pods the DefaultEvictor admits (Filter and PreEvictionFilter) are
grouped by their controller (kind and name, unless ``excludeOwnerKinds`` names the kind) and
their containers' images; the first pod of a group on a node is not a duplicate, the others
are. For each owner with duplicates, the target nodes are those that some distinct pod of the
owner (by tolerations, nodeSelector and required node affinity) may run on by its taints
(NoSchedule, NoExecute) and node selector, counted only when a pod has more than one; with fewer
than two target nodes nothing happens. Otherwise ``upperAvg = ceil(pods of the owner / target
nodes)`` and each node with more than ``upperAvg`` of the owner's pods loses its duplicates past
the first ``upperAvg - 1``. kmodel's pods of one owner share their images (one template per
ReplicaSet), so the image part of the key never splits a group. A node's eviction limit moves
on to the next node; the total limit ends the plugin.
"""

from __future__ import annotations

import math

from kmodel.components.descheduler_plugins.framework import NODE_LIMIT, TOTAL_LIMIT, Handle, pods_on
from kmodel.components.plugins import nodeaffinity, tainttoleration
from kmodel.deschedulertypes import PluginArgs
from kmodel.namespaces import namespace_of
from kmodel.state import NO_EXECUTE, NO_SCHEDULE, Node, Pod

NAME = "RemoveDuplicates"


def _placement(pod: Pod) -> tuple[object, ...]:
    aff = pod.scheduling.node_affinity
    return (frozenset(pod.tolerations), aff.required if aff is not None else None, pod.node_selector)


def _target_nodes(pods: list[Pod], nodes: list[Node]) -> set[str]:
    distinct: dict[tuple[object, ...], Pod] = {}
    for p in pods:
        distinct.setdefault(_placement(p), p)
    targets: set[str] = set()
    for p in distinct.values():
        matching = {
            n.name
            for n in nodes
            if tainttoleration.untolerated_taint(p, n, (NO_SCHEDULE, NO_EXECUTE)) is None
            and nodeaffinity.required_matches(p, n)
        }
        if len(matching) > 1:
            targets |= matching
    return targets


def run(handle: Handle, args: PluginArgs) -> None:
    occurrences: dict[tuple[str, str], int] = {}
    duplicates: dict[tuple[str, str], dict[str, list[Pod]]] = {}
    members: dict[tuple[str, str], list[Pod]] = {}
    for node in handle.nodes:
        seen: set[tuple[str, str]] = set()
        for pod in pods_on(handle.cluster, node.name):
            if not args.namespaces.admits(namespace_of(pod.name)):
                continue
            if not (handle.filter(pod) and handle.pre_eviction_filter(pod)):
                continue
            if pod.owner is None or pod.owner_kind in args.exclude_owner_kinds:
                continue
            key = (pod.owner_kind, pod.owner)
            occurrences[key] = occurrences.get(key, 0) + 1
            if key in seen:
                duplicates.setdefault(key, {}).setdefault(node.name, []).append(pod)
                members.setdefault(key, []).append(pod)
            else:
                seen.add(key)
    for key in sorted(duplicates):
        targets = _target_nodes(members[key], handle.nodes)
        if len(targets) < 2:
            continue
        upper = math.ceil(occurrences[key] / len(targets))
        for node_name in sorted(duplicates[key]):
            pods = duplicates[key][node_name]
            if len(pods) + 1 <= upper:
                continue
            for pod in pods[upper - 1 :]:
                error = handle.evict(pod, NAME)
                if error == NODE_LIMIT:
                    break
                if error == TOTAL_LIMIT:
                    return
