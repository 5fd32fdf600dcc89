"""NodeResourcesFit and NodeResourcesBalancedAllocation (plugins/noderesources).

Fit (``fitsRequest``): the pod's requests plus those of the pods already assigned to the node
must stay within the node's allocatable. Assigned pods are those in the scheduler's cache: bound
and not finished (the scheduler's pod informer leaves Succeeded and Failed pods out), terminating
ones included until the pod object is gone. The checks and their reasons, in order: the pod count
(``Too many pods``), then for each resource the pod requests (a zero request is not checked)
``Insufficient cpu``, ``Insufficient memory``, ``Insufficient ephemeral-storage``, and
``Insufficient <name>`` for each scalar resource (extended resources such as ``nvidia.com/gpu``,
``hugepages-*``; a node that does not advertise one has none of it). The status is
Unschedulable (preemption could make room) unless the pod asks for more of some resource than the
node has allocatable in all: then UnschedulableAndUnresolvable.

LeastAllocated scores free room, with the non-zero default requests for pods that set none;
BalancedAllocation prefers nodes whose cpu and memory fractions stay close, from the real requests.
Both look at cpu and memory only, as the default profile's resources list (cpu and memory, weight 1
each) says.
"""

from __future__ import annotations

from attrs import frozen

from kmodel import podindex
from kmodel.components.plugins.framework import MAX_NODE_SCORE, UNRESOLVABLE, UNSCHEDULABLE, CycleState, Status
from kmodel.state import FAILED, SUCCEEDED, Cluster, Node, Pod, Resources, pods_by_node

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
INSUFFICIENT_EPHEMERAL_STORAGE = "Insufficient ephemeral-storage"
REASONS = (TOO_MANY_PODS, INSUFFICIENT_CPU, INSUFFICIENT_MEMORY, INSUFFICIENT_EPHEMERAL_STORAGE)
INSUFFICIENT = "Insufficient "


def is_fit_reason(reason: str) -> bool:
    """A reason NodeResourcesFit gives (``Too many pods`` or ``Insufficient <resource>``)."""
    return reason == TOO_MANY_PODS or reason.startswith(INSUFFICIENT)


@frozen(cache_hash=True)  # (part of the simulator's node class keys, hashed at each lookup)
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
    if r.pods:
        return Resources(cpu=r.cpu, memory=r.memory, ephemeral_storage=r.ephemeral_storage, scalar=r.scalar)
    return r


def in_cache(pod: Pod) -> bool:
    """The scheduler's cache holds the assigned pods that have not finished."""
    return pod.phase not in (SUCCEEDED, FAILED)


def _group_usage(pods: tuple[Pod, ...]) -> Usage:
    req, nz = Resources(), Resources()
    for p in pods:
        if not in_cache(p):
            continue
        req = req + pod_request(p) + Resources(pods=1)
        nz = nz + pod_request(p, nonzero=True) + Resources(pods=1)
    return Usage(req, nz)


_ONE_POD = Resources(pods=1)


def _usage_update(usage: Usage, old: Pod | None, new: Pod | None) -> Usage | None:
    """:func:`_group_usage` of a node's pods with ``old`` replaced by ``new``, from ``usage``
    (kmodel.podindex's ``update``): the same when neither counts or both count with the same
    requests, one pod more when ``new`` arrives; None (count again) when one leaves."""
    was = old is not None and in_cache(old)
    now = new is not None and in_cache(new)
    if not was and not now:
        return usage
    if was and now:
        assert old is not None and new is not None
        return usage if old.requests == new.requests else None
    if now:
        assert new is not None
        return Usage(
            usage.requested + pod_request(new) + _ONE_POD,
            usage.nonzero + pod_request(new, nonzero=True) + _ONE_POD,
        )
    return None


def _usage_reads(pod: Pod) -> tuple[bool, Resources]:
    return in_cache(pod), pod.requests


def node_usage(cluster: Cluster) -> dict[str, Usage]:
    usage: dict[str, Usage] = {}
    for name, pods in pods_by_node(cluster.pods).items():
        if name is None:
            continue
        usage[name] = _group_usage(pods)
    return usage


class NodeUsage:
    """:func:`node_usage` read one node at a time: each node's usage comes from the pods index
    (kmodel.podindex), computed from that node's pods when first asked and kept until one of
    them changes, so a scheduling cycle costs O(nodes), not O(pods) (the scheduler cache's
    incremental NodeInfo, pkg/scheduler/backend/cache)."""

    __slots__ = ("_index",)

    def __init__(self, cluster: Cluster) -> None:
        self._index = podindex.index(cluster.pods)

    def get(self, name: str, default: Usage | None = None) -> Usage | None:
        if name not in self._index.by_node:
            return default
        return self._index.per_node(  # type: ignore[no-any-return]
            "noderesources.usage", name, _group_usage, _usage_update, _usage_reads
        )

    def __getitem__(self, name: str) -> Usage:
        found = self.get(name)
        if found is None:
            raise KeyError(name)
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._index.by_node and name is not None


def usage_of(state: CycleState) -> dict[str, Usage]:
    return state.memo("usage", lambda: NodeUsage(state.cluster))  # type: ignore[no-any-return]


def insufficient(want: Resources, have: Resources, used: Resources) -> list[tuple[str, bool]]:
    """``fitsRequest``: (reason, unresolvable) for each resource that does not fit; unresolvable
    when the request alone exceeds the node's allocatable."""
    out = []
    if used.pods + 1 > have.pods:
        out.append((TOO_MANY_PODS, False))
    if not (want.cpu or want.memory or want.ephemeral_storage or want.scalar):
        return out
    if want.cpu and want.cpu > have.cpu - used.cpu:
        out.append((INSUFFICIENT_CPU, want.cpu > have.cpu))
    if want.memory and want.memory > have.memory - used.memory:
        out.append((INSUFFICIENT_MEMORY, want.memory > have.memory))
    if want.ephemeral_storage and want.ephemeral_storage > have.ephemeral_storage - used.ephemeral_storage:
        out.append((INSUFFICIENT_EPHEMERAL_STORAGE, want.ephemeral_storage > have.ephemeral_storage))
    for name, amount in want.scalar:
        # Go ranges over a map here (no fixed order); the histogram sorts the reasons anyway
        if amount and amount > have.get(name) - used.get(name):
            out.append((INSUFFICIENT + name, amount > have.get(name)))
    return out


def fit_reasons(pod: Pod, node: Node, used: Resources) -> list[str]:
    return [reason for reason, _ in insufficient(pod_request(pod), node.capacity, used)]


def exceeds_allocatable(pod: Pod, node: Node) -> bool:
    """The pod asks for more of some resource than the node has in all (preemption cannot help)."""
    return any(unresolvable for _, unresolvable in insufficient(pod_request(pod), node.capacity, Resources()))


def filter(state: CycleState, node: Node) -> Status | None:
    used = usage_of(state).get(node.name, Usage()).requested
    found = insufficient(pod_request(state.pod), node.capacity, used)
    if not found:
        return None
    code = UNRESOLVABLE if any(unresolvable for _, unresolvable in found) else UNSCHEDULABLE
    return Status(FIT, tuple(reason for reason, _ in found), code)


def least_allocated(usage: dict[str, Usage], pod: Pod, node: Node) -> int:
    used = usage.get(node.name, Usage()).nonzero + pod_request(pod, nonzero=True)
    scores = []
    for requested, capacity in ((used.cpu, node.capacity.cpu), (used.memory, node.capacity.memory)):
        if capacity == 0:
            continue  # a resource the node has none of is left out, weight included
        scores.append(0 if requested > capacity else (capacity - requested) * MAX_NODE_SCORE // capacity)
    return sum(scores) // len(scores) if scores else 0


def balanced_allocation(usage: dict[str, Usage], pod: Pod, node: Node) -> int:
    """Uses the real requests (not the non-zero defaults); best-effort pods are skipped (0)."""
    if pod.requests.cpu == 0 and pod.requests.memory == 0:
        return 0
    used = usage.get(node.name, Usage()).requested + pod_request(pod)
    pairs = ((used.cpu, node.capacity.cpu), (used.memory, node.capacity.memory))
    fractions = [min(1.0, requested / capacity) for requested, capacity in pairs if capacity]
    # balancedResourceScorer's two-resource form, |f0 - f1| / 2, in its float operations (the
    # textbook sqrt of the variance can round differently); one resource: std 0
    std = abs((fractions[0] - fractions[1]) / 2) if len(fractions) == 2 else 0.0
    return int((1 - std) * MAX_NODE_SCORE)


def score_least_allocated(state: CycleState, nodes: list[Node]) -> dict[str, int]:
    usage = usage_of(state)
    return {n.name: least_allocated(usage, state.pod, n) for n in nodes}


def score_balanced_allocation(state: CycleState, nodes: list[Node]) -> dict[str, int]:
    usage = usage_of(state)
    return {n.name: balanced_allocation(usage, state.pod, n) for n in nodes}
