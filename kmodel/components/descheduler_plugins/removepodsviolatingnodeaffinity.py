"""RemovePodsViolatingNodeAffinity (pkg/framework/plugins/removepodsviolatingnodeaffinity).

For each ``nodeAffinityType`` in turn, node by node, it evicts the pods that the DefaultEvictor
admits (Filter and PreEvictionFilter) and that
- ``requiredDuringSchedulingIgnoredDuringExecution``: have required node affinity terms, fit
  some ready node (``PodFitsAnyNode``, the current one included), and no longer match their own
  node (its nodeSelector and required terms, ``PodMatchNodeSelector``);
- ``preferredDuringSchedulingIgnoredDuringExecution``: have preferred terms, fit some ready node,
  and some ready node scores more preference weight than their own.
A node's eviction limit moves on to the next node; the total limit ends the plugin.
"""

from __future__ import annotations

from kmodel.components.descheduler_plugins import defaultevictor
from kmodel.components.descheduler_plugins.framework import NODE_LIMIT, TOTAL_LIMIT, Handle, pods_on
from kmodel.components.plugins import nodeaffinity
from kmodel.deschedulertypes import PluginArgs
from kmodel.namespaces import namespace_of
from kmodel.state import Node, Pod

NAME = "RemovePodsViolatingNodeAffinity"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"


def _has_required(pod: Pod) -> bool:
    aff = pod.scheduling.node_affinity
    return aff is not None and aff.required is not None


def _has_preferred(pod: Pod) -> bool:
    aff = pod.scheduling.node_affinity
    return aff is not None and bool(aff.preferred)


def _violates(handle: Handle, kind: str, pod: Pod, node: Node) -> bool:
    cluster, nodes = handle.cluster, handle.nodes
    if kind == REQUIRED:
        return (
            _has_required(pod)
            and handle.filter(pod)
            and defaultevictor.pod_fits_any_node(cluster, pod, nodes)
            and not nodeaffinity.required_matches(pod, node)
        )
    if kind != PREFERRED:
        return False  # the plugin skips a type it does not know
    return (
        _has_preferred(pod)
        and handle.filter(pod)
        and defaultevictor.pod_fits_any_node(cluster, pod, nodes)
        and max(nodeaffinity.raw_score(pod, n) for n in nodes) > nodeaffinity.raw_score(pod, node)
    )


def run(handle: Handle, args: PluginArgs) -> None:
    for kind in args.node_affinity_type:
        for node in handle.nodes:
            candidates = [
                p
                for p in pods_on(handle.cluster, node.name)
                if handle.filter(p)
                and handle.pre_eviction_filter(p)
                and args.namespaces.admits(namespace_of(p.name))
                and _violates(handle, kind, p, node)
            ]
            for pod in candidates:
                error = handle.evict(pod, NAME)
                if error == NODE_LIMIT:
                    break
                if error == TOTAL_LIMIT:
                    return
