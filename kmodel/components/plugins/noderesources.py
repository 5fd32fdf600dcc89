"""NodeResourcesFit and NodeResourcesBalancedAllocation (plugins/noderesources).

Fit: the pod's requests plus those of the pods already assigned to the node (terminating ones
included, as in the scheduler's cache until the pod object is gone) must stay within the node's
allocatable cpu, memory and pod count. LeastAllocated scores free room, with the non-zero default
requests for pods that set none; BalancedAllocation prefers nodes whose cpu and memory fractions
stay close, from the real requests.
"""

from __future__ import annotations

import math

from attrs import frozen

from kmodel.components.plugins.framework import MAX_NODE_SCORE, UNSCHEDULABLE, CycleState, Status
from kmodel.state import Cluster, Node, Pod, Resources, pods_by_node

FIT = "NodeResourcesFit"
BALANCED = "NodeResourcesBalancedAllocation"
WEIGHT_LEAST_ALLOCATED = 1
WEIGHT_BALANCED_ALLOCATION = 1

# pkg/scheduler/util/pod_resources.go: requests assumed for scoring when a pod sets none.
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

TOO_MANY_PODS = "Too many pods"
INSUFFICIENT_CPU = "Insufficient cpu"
INSUFFICIENT_MEMORY = "Insufficient memory"
REASONS = (TOO_MANY_PODS, INSUFFICIENT_CPU, INSUFFICIENT_MEMORY)


@frozen
class Usage:
    """What the pods assigned to a node request: as declared, and with the non-zero defaults
    used for scoring."""

    requested: Resources = Resources()
    nonzero: Resources = Resources()


def pod_request(pod: Pod, nonzero: bool = False) -> Resources:
    r = pod.requests
    if nonzero:
        return Resources(
            cpu=r.cpu or DEFAULT_MILLI_CPU_REQUEST,
            memory=r.memory or DEFAULT_MEMORY_REQUEST,
        )
    return Resources(cpu=r.cpu, memory=r.memory)


def node_usage(cluster: Cluster) -> dict[str, Usage]:
    usage: dict[str, Usage] = {}
    for name, pods in pods_by_node(cluster.pods).items():
        if name is None:
            continue
        req, nz = Resources(), Resources()
        for p in pods:
            req = req + pod_request(p) + Resources(pods=1)
            nz = nz + pod_request(p, nonzero=True) + Resources(pods=1)
        usage[name] = Usage(req, nz)
    return usage


def usage_of(state: CycleState) -> dict[str, Usage]:
    return state.memo("usage", lambda: node_usage(state.cluster))  # type: ignore[no-any-return]


def fit_reasons(pod: Pod, node: Node, used: Resources) -> list[str]:
    want = pod_request(pod)
    reasons = []
    if used.pods + 1 > node.capacity.pods:
        reasons.append(TOO_MANY_PODS)
    if want.cpu and used.cpu + want.cpu > node.capacity.cpu:
        reasons.append(INSUFFICIENT_CPU)
    if want.memory and used.memory + want.memory > node.capacity.memory:
        reasons.append(INSUFFICIENT_MEMORY)
    return reasons


def filter(state: CycleState, node: Node) -> Status | None:
    used = usage_of(state).get(node.name, Usage()).requested
    reasons = fit_reasons(state.pod, node, used)
    if not reasons:
        return None
    # asking more than the node has in all cannot be helped by preemption
    want = pod_request(state.pod)
    fits_empty = want.cpu <= node.capacity.cpu and want.memory <= node.capacity.memory
    return Status(FIT, tuple(reasons), UNSCHEDULABLE if fits_empty else "UnschedulableAndUnresolvable")


def least_allocated(usage: dict[str, Usage], pod: Pod, node: Node) -> int:
    used = usage.get(node.name, Usage()).nonzero + pod_request(pod, nonzero=True)
    scores = []
    for requested, capacity in ((used.cpu, node.capacity.cpu), (used.memory, node.capacity.memory)):
        if capacity == 0 or requested > capacity:
            scores.append(0)
        else:
            scores.append((capacity - requested) * MAX_NODE_SCORE // capacity)
    return sum(scores) // len(scores)


def balanced_allocation(usage: dict[str, Usage], pod: Pod, node: Node) -> int:
    """Uses the real requests (not the non-zero defaults); best-effort pods are skipped (0)."""
    if pod.requests.cpu == 0 and pod.requests.memory == 0:
        return 0
    used = usage.get(node.name, Usage()).requested + pod_request(pod)
    fractions = []
    for requested, capacity in ((used.cpu, node.capacity.cpu), (used.memory, node.capacity.memory)):
        fractions.append(min(1.0, requested / capacity) if capacity else 1.0)
    mean = sum(fractions) / len(fractions)
    std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)


def score_least_allocated(state: CycleState, nodes: list[Node]) -> dict[str, int]:
    usage = usage_of(state)
    return {n.name: least_allocated(usage, state.pod, n) for n in nodes}


def score_balanced_allocation(state: CycleState, nodes: list[Node]) -> dict[str, int]:
    usage = usage_of(state)
    return {n.name: balanced_allocation(usage, state.pod, n) for n in nodes}
