"""What the descheduler's plugins share (``pkg/framework/types``, ``pkg/descheduler/evictions``,
``pkg/descheduler/pod``): the handle a plugin works through during one descheduling run, the
PodEvictor with its limits, and the pod listing and ordering helpers.

The handle is the one mutable object of a run: each eviction replaces ``handle.cluster`` with the
cluster after the eviction, so a later plugin (or a later node of the same plugin) sees the
evicted pod Terminating, as the real plugins do once their informer has seen the update.
"""

from __future__ import annotations

from collections.abc import Callable

from attrs import define, field

from kmodel.components.descheduler_plugins import defaultevictor
from kmodel.deschedulertypes import DeschedulerPolicy, Profile
from kmodel.namespaces import namespace_of
from kmodel.state import FAILED, SUCCEEDED, Cluster, Node, Pod
from kmodel.transition import Event

# pkg/utils/events.go: the reporting controller of the descheduler's events
SOURCE = "sigs.k8s.io.descheduler"
NAMESPACE = "default"  # the default namespace (kmodel.namespaces.DEFAULT)

# evictions/errors.go: the errors a plugin tells apart
NODE_LIMIT = "node eviction limit exceeded"
NAMESPACE_LIMIT = "namespace eviction limit exceeded"
TOTAL_LIMIT = "total eviction limit exceeded"
FAILED_EVICTION = "eviction failed"

EvictFn = Callable[[Cluster, Pod], "Cluster | None"]


def workload_of(pod: Pod) -> str | None:
    """``kind/name`` of the pod's controller (None: a bare pod)."""
    if pod.owner is None:
        return None
    return f"{pod.owner_kind.lower()}/{pod.owner}"


@define
class Handle:
    """One descheduling run of one profile: the cluster as it is now, the ready nodes the run
    works on, the profile's DefaultEvictor and the policy's eviction counters (shared by every
    profile of the run: ``PodEvictor`` is reset once per loop)."""

    cluster: Cluster
    nodes: list[Node]
    policy: DeschedulerPolicy
    evict_fn: EvictFn
    profile: Profile | None = None
    per_node: dict[str, int] = field(factory=dict)
    per_namespace: dict[str, int] = field(factory=dict)
    total: int = 0
    events: list[Event] = field(factory=list)
    evicted: list[tuple[Pod, str]] = field(factory=list)  # (pod as it was, plugin)
    # a deliberately broken descheduler (tests/broken.py) may switch the limits off
    enforce_limits: bool = True

    # -- the DefaultEvictor (the profile's Filter and PreEvictionFilter) -------------------------

    def filter(self, pod: Pod) -> bool:
        assert self.profile is not None
        return defaultevictor.filter(self.profile.evictor, self.cluster, pod)

    def pre_eviction_filter(self, pod: Pod) -> bool:
        assert self.profile is not None
        return defaultevictor.pre_eviction_filter(self.profile.evictor, self.cluster, self.nodes, pod)

    # -- PodEvictor.EvictPod -----------------------------------------------------------------------

    def evict(self, pod: Pod, strategy: str) -> str | None:
        """Evict ``pod`` for ``strategy`` within the policy's limits: None when it was evicted,
        else the error (one of the limit errors, or a failed eviction)."""
        p = self.policy
        node = pod.node_name or ""
        if self.enforce_limits:
            if p.max_total is not None and self.total + 1 > p.max_total:
                return TOTAL_LIMIT
            if node and p.max_per_node is not None and self.per_node.get(node, 0) + 1 > p.max_per_node:
                return NODE_LIMIT
            ns = namespace_of(pod.name)
            if p.max_per_namespace is not None and self.per_namespace.get(ns, 0) + 1 > p.max_per_namespace:
                return NAMESPACE_LIMIT
        current = self.cluster.pod(pod.name)
        after = self.evict_fn(self.cluster, current) if current is not None else None
        if after is None:
            return FAILED_EVICTION
        self.cluster = after
        self.total += 1
        if node:
            self.per_node[node] = self.per_node.get(node, 0) + 1
        ns = namespace_of(pod.name)
        self.per_namespace[ns] = self.per_namespace.get(ns, 0) + 1
        self.events.append(
            Event(
                self.cluster.now,
                SOURCE,
                strategy,
                f"pod/{pod.name}",
                f"pod eviction from {node} node by sigs.k8s.io/descheduler",
            )
        )
        self.evicted.append((pod, strategy))
        return None

    def node(self, name: str | None) -> Node | None:
        return self.cluster.node(name) if name else None


# --- pkg/descheduler/pod ----------------------------------------------------------------------------


def pods_on(cluster: Cluster, node_name: str) -> list[Pod]:
    """``ListPodsOnANode``: the pods assigned to the node that have not finished, in name order
    (the informer's index has no order; kmodel fixes one)."""
    return sorted((p for p in cluster.pods_on(node_name) if p.phase not in (SUCCEEDED, FAILED)), key=lambda p: p.name)


def qos_rank(pod: Pod) -> int:
    """0 BestEffort, 1 Burstable (``GetPodQOS``; kmodel has requests but no limits, so a pod
    that requests something is Burstable and none is Guaranteed)."""
    r = pod.requests
    return 1 if (r.cpu or r.memory or r.ephemeral_storage or r.scalar) else 0


def sort_low_to_high(pods: list[Pod]) -> list[Pod]:
    """``SortPodsBasedOnPriorityLowToHigh``: lower priority first; among equal priorities
    BestEffort, then Burstable, then Guaranteed (stable: name order otherwise)."""
    return sorted(pods, key=lambda p: (p.priority, qos_rank(p)))
