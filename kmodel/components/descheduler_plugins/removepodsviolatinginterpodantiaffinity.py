"""RemovePodsViolatingInterPodAntiAffinity (pkg/framework/plugins/removepodsviolatinginterpodantiaffinity).

Over the pods on the ready nodes, node by node and lowest priority first
(``SortPodsBasedOnPriorityLowToHigh``), it evicts a pod whose required anti-affinity terms
match another pod (not itself) on a node with the same value of the term's topology key (the
same node always counts: ``hasSameLabelValue``), if the DefaultEvictor admits it (Filter and
PreEvictionFilter). An evicted pod no longer counts against the pods after it
(``removePodFromNamespaceMap``). A node's eviction limit moves on to the next node; the total
limit ends the plugin.
"""

from __future__ import annotations

from kmodel.components.descheduler_plugins.framework import (
    NODE_LIMIT,
    TOTAL_LIMIT,
    Handle,
    pods_on,
    sort_low_to_high,
)
from kmodel.components.plugins import interpodaffinity
from kmodel.deschedulertypes import PluginArgs
from kmodel.namespaces import namespace_of
from kmodel.state import Node, Pod

NAME = "RemovePodsViolatingInterPodAntiAffinity"


def _same_domain(a: Node, b: Node, key: str) -> bool:
    if a.name == b.name:
        return True
    la, lb = dict(a.labels), dict(b.labels)
    return key in la and key in lb and la[key] == lb[key]


def violates(pod: Pod, pods: list[Pod], nodes: dict[str, Node]) -> bool:
    """``CheckPodsWithAntiAffinityExist``."""
    own = nodes.get(pod.node_name or "")
    aff = pod.scheduling.pod_anti_affinity
    if own is None or aff is None:
        return False
    for term in aff.required:
        t = interpodaffinity.term_of(term, pod)
        for other in pods:
            if other.name == pod.name or not t.matches(other):
                continue
            node = nodes.get(other.node_name or "")
            if node is not None and _same_domain(own, node, term.topology_key):
                return True
    return False


def run(handle: Handle, args: PluginArgs) -> None:
    nodes = {n.name: n for n in handle.nodes}
    # the plugin's pod filter keeps the namespaces it is given (podutil.WithNamespaces)
    everyone = [
        p for n in handle.nodes for p in pods_on(handle.cluster, n.name) if args.namespaces.admits(namespace_of(p.name))
    ]
    for node in handle.nodes:
        for pod in sort_low_to_high([p for p in everyone if p.node_name == node.name]):
            if not violates(pod, everyone, nodes):
                continue
            if not (handle.filter(pod) and handle.pre_eviction_filter(pod)):
                continue
            error = handle.evict(pod, NAME)
            if error is None:
                everyone = [p for p in everyone if p.name != pod.name]
                continue
            if error == NODE_LIMIT:
                break
            if error == TOTAL_LIMIT:
                return
