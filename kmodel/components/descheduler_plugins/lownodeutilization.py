"""LowNodeUtilization (pkg/framework/plugins/nodeutilization: lownodeutilization.go and
nodeutilization.go), with the requests-based usage client (the default).

1. Each ready node's usage is what its unfinished pods request (cpu, memory, and pods = their
   number), as a percentage of its allocatable.
2. ``classifier.Classify``: a node is *underutilized* when it is not cordoned and every resource
   named in ``thresholds`` is at or below its threshold; otherwise *overutilized* when some
   resource is above its ``targetThresholds``; otherwise appropriately utilized. With
   ``useDeviationThresholds`` the two limits are the average usage minus / plus the given
   percentages (clamped to 0..100).
3. Nothing happens when no node is underutilized, when at most ``numberOfNodes`` are, when every
   node is, or when none is overutilized.
4. The room to fill (``assessAvailableResourceInNodes``): over the underutilized nodes, their
   capacity capped at the target thresholds (a resource with no threshold: the whole capacity)
   minus their usage.
5. From the overutilized nodes, most used first (the sum of cpu millicores, memory bytes and pod
   count), it evicts the pods the DefaultEvictor's Filter admits, lowest priority first (then
   BestEffort before Burstable), skipping a pod that tolerates the taints of no underutilized
   node (``PodToleratesTaints``: every taint, and at least as many tolerations as taints) or that
   the PreEvictionFilter (``nodeFit``) or ``evictableNamespaces`` keep; after each eviction the
   pod's requests leave the node's usage and the room; it stops with a node once the node is no
   longer above its target capacity (some resource over it) or some resource's room is used up,
   and after ``evictionLimits.node`` evictions from that node.

Left out: actual-usage metrics (metrics server, Prometheus) and extended resources.
"""

from __future__ import annotations

from kmodel.components.descheduler_plugins.framework import (
    NODE_LIMIT,
    TOTAL_LIMIT,
    Handle,
    pods_on,
    sort_low_to_high,
)
from kmodel.components.plugins import noderesources
from kmodel.deschedulertypes import PluginArgs
from kmodel.namespaces import namespace_of
from kmodel.state import Node, Pod

NAME = "LowNodeUtilization"
RESOURCES = ("cpu", "memory", "pods")


def _capacity(node: Node) -> dict[str, int]:
    c = node.capacity
    return {"cpu": c.cpu, "memory": c.memory, "pods": c.pods}


def pod_usage(pod: Pod) -> dict[str, int]:
    r = noderesources.pod_request(pod)
    return {"cpu": r.cpu, "memory": r.memory, "pods": 1}


def node_usage(pods: list[Pod]) -> dict[str, int]:
    """``NodeUtilization``: the pods' requests summed, and their number."""
    total = {"cpu": 0, "memory": 0, "pods": len(pods)}
    for p in pods:
        u = pod_usage(p)
        total["cpu"] += u["cpu"]
        total["memory"] += u["memory"]
    return total


def percentages(usage: dict[str, int], capacity: dict[str, int]) -> dict[str, float]:
    """``ResourceUsageToResourceThreshold``."""
    return {r: (usage[r] / capacity[r] * 100 if capacity[r] > 0 else 0.0) for r in RESOURCES}


def _below(usage: dict[str, float], threshold: dict[str, float]) -> bool:
    return all(not (threshold[r] < usage[r]) for r in threshold)


def _above(usage: dict[str, float], threshold: dict[str, float]) -> bool:
    return any(threshold[r] < usage[r] for r in threshold)


def _limits(args: PluginArgs, usage: dict[str, dict[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    low, high = dict(args.thresholds), dict(args.target_thresholds)
    if not args.use_deviation_thresholds:
        return low, high
    # assessNodesUsagesAndRelativeThresholds: average usage -/+ the spans, clamped to 0..100
    n = max(len(usage), 1)
    avg = {r: sum(u[r] for u in usage.values()) / n for r in low}
    return (
        {r: min(max(avg[r] - low[r], 0.0), 100.0) for r in low},
        {r: min(max(avg[r] + high[r], 0.0), 100.0) for r in high},
    )


def _cap(capacity: dict[str, int], threshold: dict[str, float]) -> dict[str, int]:
    """``capNodeCapacitiesToThreshold``."""
    return {r: int(threshold[r] * 0.01 * capacity[r]) if r in threshold else capacity[r] for r in RESOURCES}


def _tolerates_some(pod: Pod, taints_by_node: dict[str, tuple]) -> bool:  # type: ignore[type-arg]
    """``PodToleratesTaints``: the pod tolerates every taint of at least one of the nodes."""
    for taints in taints_by_node.values():
        if len(pod.tolerations) >= len(taints) and all(any(t.tolerates(x) for t in pod.tolerations) for x in taints):
            return True
    return False


def run(handle: Handle, args: PluginArgs) -> None:
    nodes = handle.nodes
    cluster = handle.cluster
    pods = {n.name: pods_on(cluster, n.name) for n in nodes}
    usage = {n.name: node_usage(pods[n.name]) for n in nodes}
    pct = {n.name: percentages(usage[n.name], _capacity(n)) for n in nodes}
    low_t, high_t = _limits(args, pct)
    low: list[Node] = []
    high: list[Node] = []
    for n in nodes:
        if not n.unschedulable and _below(pct[n.name], low_t):
            low.append(n)
        elif _above(pct[n.name], high_t):
            high.append(n)
    if not low or len(low) <= args.number_of_nodes or len(low) == len(nodes) or not high:
        return
    available = {n.name: _cap(_capacity(n), high_t) for n in (*low, *high)}
    room = {r: sum(available[n.name][r] - usage[n.name][r] for n in low) for r in RESOURCES}
    taints = {n.name: n.taints for n in low}

    def keep_going(name: str) -> bool:
        above = any(available[name][r] < usage[name][r] for r in RESOURCES)
        return above and all(room[r] > 0 for r in RESOURCES)

    def weight(n: Node) -> int:
        u = usage[n.name]
        return u["cpu"] + u["memory"] + u["pods"]

    for node in sorted(high, key=weight, reverse=True):  # stable: name order among equals
        removable = sort_low_to_high([p for p in pods[node.name] if handle.filter(p)])
        if not removable or not keep_going(node.name):
            continue
        evicted = 0
        for pod in removable:
            if args.node_eviction_limit is not None and evicted >= args.node_eviction_limit:
                break
            if not _tolerates_some(pod, taints):
                continue
            if not args.namespaces.admits(namespace_of(pod.name)) or not handle.pre_eviction_filter(pod):
                continue
            error = handle.evict(pod, NAME)
            if error == TOTAL_LIMIT:
                return
            if error == NODE_LIMIT:
                break
            if error is not None:
                continue
            evicted += 1
            for r, amount in pod_usage(pod).items():
                usage[node.name][r] -= amount
                room[r] -= amount
            if not keep_going(node.name):
                break
