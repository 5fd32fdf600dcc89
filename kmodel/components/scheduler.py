"""kube-scheduler: binds pending pods to nodes (pkg/scheduler).

One step takes the first pod in the scheduling queue (pods with no ``nodeName``, oldest first, not
yet tried in this tick), runs the filter plugins in the default order, scores the nodes that pass
and binds the pod to a best one. Where several nodes tie for the best score the real scheduler
picks one at random (``selectHost``); the model offers each of them as a separate successor so a
checker explores every choice. When no node passes, the step records a ``FailedScheduling`` event
with the real ``0/N nodes are available: ...`` message and leaves the pod Pending; it is tried
again in the next tick (the real scheduler retries with backoff and on cluster events).

The plugins live in :mod:`kmodel.components.plugins`, one module each. Filters, in the default
order (pkg/scheduler/apis/config/v1/default_plugins.go), the first failing one giving the node's
reasons: NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit,
PodTopologySpread, InterPodAffinity (NodeName has nothing to check: pods that name a node are
bound without the scheduler; the volume plugins are left out, as kmodel has no volumes).

Scores (weights as in the default profile): TaintToleration x3, NodeAffinity x2,
NodeResourcesFit x1 (LeastAllocated), PodTopologySpread x2, InterPodAffinity x2,
NodeResourcesBalancedAllocation x1. ImageLocality is left out: kmodel does not model which images
a node holds (it scores every node alike until images are pulled).

A bound pod is never moved again: the scheduler only looks at pods with no node (no rebalancing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import attrs

from kmodel import versions
from kmodel.components.plugins import (
    interpodaffinity,
    nodeaffinity,
    nodeports,
    noderesources,
    nodeunschedulable,
    podtopologyspread,
    tainttoleration,
)
from kmodel.components.plugins.framework import MAX_NODE_SCORE, UNSCHEDULABLE, CycleState, Status
from kmodel.components.plugins.noderesources import (
    DEFAULT_MEMORY_REQUEST,
    DEFAULT_MILLI_CPU_REQUEST,
    WEIGHT_BALANCED_ALLOCATION,
    WEIGHT_LEAST_ALLOCATED,
    Usage,
    node_usage,
    pod_request,
)
from kmodel.components.plugins.podtopologyspread import DEFAULT_SPREAD_CONSTRAINTS, default_spread_selector
from kmodel.components.plugins.tainttoleration import untolerated_taint
from kmodel.state import TAINT_UNSCHEDULABLE, Cluster, Node, Pod
from kmodel.transition import Event, Outcome

__all__ = [
    "DEFAULT_MEMORY_REQUEST",
    "DEFAULT_MILLI_CPU_REQUEST",
    "DEFAULT_SPREAD_CONSTRAINTS",
    "MAX_NODE_SCORE",
    "TAINT_UNSCHEDULABLE",
    "Usage",
    "default_spread_selector",
    "node_usage",
    "pod_request",
    "untolerated_taint",
]

SOURCE = "default-scheduler"

WEIGHT_TAINT_TOLERATION = tainttoleration.WEIGHT
WEIGHT_NODE_AFFINITY = nodeaffinity.WEIGHT
WEIGHT_POD_TOPOLOGY_SPREAD = podtopologyspread.WEIGHT
WEIGHT_INTER_POD_AFFINITY = interpodaffinity.WEIGHT

Filter = Callable[[CycleState, Node], "Status | None"]
Score = Callable[[CycleState, list[Node]], dict[str, int]]

# the default profile's filters, in order
FILTERS: tuple[Filter, ...] = (
    nodeunschedulable.filter,
    tainttoleration.filter,
    nodeaffinity.filter,
    nodeports.filter,
    noderesources.filter,
    podtopologyspread.filter,
    interpodaffinity.filter,
)

# the default profile's scores and their weights
SCORES: tuple[tuple[Score, int], ...] = (
    (tainttoleration.score, WEIGHT_TAINT_TOLERATION),
    (nodeaffinity.score, WEIGHT_NODE_AFFINITY),
    (noderesources.score_least_allocated, WEIGHT_LEAST_ALLOCATED),
    (podtopologyspread.score, WEIGHT_POD_TOPOLOGY_SPREAD),
    (interpodaffinity.score, WEIGHT_INTER_POD_AFFINITY),
    (noderesources.score_balanced_allocation, WEIGHT_BALANCED_ALLOCATION),
)


# --- filters ----------------------------------------------------------------------------------


def run_filters(state: CycleState, node: Node) -> Status | None:
    """``RunFilterPlugins``: the first filter that rejects the node, or None when it fits."""
    for f in FILTERS:
        status = f(state, node)
        if status is not None:
            return status
    return None


def filter_reasons(cluster: Cluster, pod: Pod, node: Node, usage: dict[str, Usage] | None = None) -> list[str]:
    """Run the filter plugins in order; return the failing plugin's reasons (empty = fits)."""
    state = CycleState.of(cluster, pod)
    if usage is not None:
        state.cache["usage"] = usage
    status = run_filters(state, node)
    return list(status.reasons) if status is not None else []


def _histogram(reasons_by_node: dict[str, list[str]]) -> str:
    """``<count> <reason>`` entries sorted as strings (``sort.Strings``: "10 x" before "2 y")."""
    counts: Counter[str] = Counter()
    for reasons in reasons_by_node.values():
        counts.update(reasons)
    return ", ".join(sorted(f"{count} {reason}" for reason, count in counts.items()))


def failure_message(
    total_nodes: int,
    reasons_by_node: dict[str, list[str]],
    resolvable: set[str] | None = None,
    version: str | None = None,
    prefilter: str = "",
) -> str:
    """``FitError.Error()``: ``0/N nodes are available: <count> <reason>, ....``

    With a ``version`` (the scenario's ``kubernetesVersion``), the PostFilter plugins' messages
    follow as that release prints them (:mod:`kmodel.versions`): since 1.24 DefaultPreemption's
    ``preemption: ...`` (nodes that failed only for resources, status Unschedulable, in
    ``resolvable``, found no victims since all pods have the same priority; the others are not
    helped by preemption), since 1.34 preceded by DynamicResources' ``no new claims to
    deallocate``. Without one, only the filter histogram.
    """
    message = f"0/{total_nodes} nodes are available:"
    histogram = _histogram(reasons_by_node)
    if prefilter:
        # a PreFilter rejection: its message instead of the (same for every node) histogram
        message += f" {prefilter}."
    elif histogram:
        message += f" {histogram}."
    if version is not None and versions.preemption_diagnosis(version):
        by_node = {
            name: [
                "No preemption victims found for incoming pod"
                if name in (resolvable or set())
                else "Preemption is not helpful for scheduling"
            ]
            for name in reasons_by_node
        }
        post = f"preemption: 0/{total_nodes} nodes are available: {_histogram(by_node)}."
        if versions.dynamic_resources_postfilter(version):
            post = f"no new claims to deallocate, {post}"
        message += f" {post}"
    return message


def _prefilter_message(statuses: dict[str, Status]) -> str:
    """``Diagnosis.PreFilterMsg``: set when a PreFilter plugin rejected the pod (every node then
    holds that one status)."""
    first = next(iter(statuses.values()), None)
    if first is not None and first.reasons == (nodeaffinity.REASON_CONFLICT,):
        return nodeaffinity.REASON_CONFLICT
    return ""


def resolvable_by_preemption(pod: Pod, node: Node, reasons: list[str]) -> bool:
    """NodeResourcesFit failures are ``Unschedulable`` (preemption could help) unless the pod
    asks for more of a resource than the node has in total, and so are NodePorts failures; every
    other filter is UnschedulableAndUnresolvable."""
    if not reasons:
        return False
    if reasons == [nodeports.REASON]:
        return True
    if not all(noderesources.is_fit_reason(r) for r in reasons):
        return False
    return not noderesources.exceeds_allocatable(pod, node)


# --- scores -----------------------------------------------------------------------------------


def _least_allocated(usage: dict[str, Usage], pod: Pod, node: Node) -> int:
    return noderesources.least_allocated(usage, pod, node)


def _balanced_allocation(usage: dict[str, Usage], pod: Pod, node: Node) -> int:
    return noderesources.balanced_allocation(usage, pod, node)


def run_scores(state: CycleState, nodes: list[Node]) -> dict[str, int]:
    """``RunScorePlugins``: the weighted sum of the normalised plugin scores of each node."""
    total = {n.name: 0 for n in nodes}
    for score, weight in SCORES:
        for name, value in score(state, nodes).items():
            total[name] += weight * value
    return total


def scores(cluster: Cluster, pod: Pod, nodes: list[Node], usage: dict[str, Usage] | None = None) -> dict[str, int]:
    """Weighted sum of the normalised plugin scores for each feasible node."""
    state = CycleState.of(cluster, pod)
    if usage is not None:
        state.cache["usage"] = usage
    return run_scores(state, nodes)


# --- the step ---------------------------------------------------------------------------------


def queue(cluster: Cluster) -> list[Pod]:
    """Pods waiting to be scheduled, in the order the active queue pops them (oldest first)."""
    waiting = [
        p for p in cluster.pods if p.node_name is None and not p.terminating and p.name not in cluster.sched_attempted
    ]
    return sorted(waiting, key=lambda p: (p.created, p.name))


def has_work(cluster: Cluster) -> bool:
    return cluster.scheduler_active and bool(queue(cluster))


def attempt(cluster: Cluster, pod: Pod) -> tuple[list[str], dict[str, Status]]:
    """One scheduling cycle for ``pod``: the best nodes (all ties, by name) and, when there are
    none, each node's failing status (a PreFilter failure gives every node that status)."""
    state = CycleState.of(cluster, pod)
    feasible: list[Node] = []
    statuses: dict[str, Status] = {}
    pinned, rejected = nodeaffinity.prefilter(state)
    if rejected is not None:
        return [], {node.name: rejected for node in cluster.nodes}
    for node in cluster.nodes:
        if pinned is not None and node.name not in pinned:
            # left out by the PreFilterResult: the absent nodes' status
            statuses[node.name] = Status(nodeaffinity.NAME, (nodeaffinity.REASON_ABSENT,))
            continue
        status = run_filters(state, node)
        if status is not None:
            statuses[node.name] = status
        else:
            feasible.append(node)
    if not feasible:
        return [], statuses
    if len(feasible) == 1:
        return [feasible[0].name], {}
    s = run_scores(state, feasible)
    best = max(s.values())
    return sorted(name for name, v in s.items() if v == best), {}


def schedule(cluster: Cluster, pod: Pod) -> tuple[list[str], dict[str, list[str]]]:
    """Filter and score every node for ``pod``. Returns the best nodes (all ties, by name) and,
    when there are none, each node's failing reasons."""
    best, statuses = attempt(cluster, pod)
    return best, {name: list(st.reasons) for name, st in statuses.items()}


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.scheduler_active:
        return []
    pending = queue(cluster)
    if not pending:
        return []
    pod = pending[0]
    tried = attrs.evolve(cluster, sched_attempted=cluster.sched_attempted | {pod.name})
    best, statuses = attempt(cluster, pod)
    if not best:
        reasons = {name: list(st.reasons) for name, st in statuses.items()}
        resolvable = {name for name, st in statuses.items() if st.code == UNSCHEDULABLE}
        prefilter = _prefilter_message(statuses)
        message = failure_message(
            len(cluster.nodes), reasons, resolvable, cluster.settings.kubernetes_version, prefilter=prefilter
        )
        event = Event(cluster.now, SOURCE, "FailedScheduling", f"pod/{pod.name}", message, "Warning")
        return [Outcome("scheduler", f"cannot schedule {pod.name}: {message}", tried, (event,))]
    outcomes = []
    for node_name in best:
        bound = tried.with_pod(attrs.evolve(pod, node_name=node_name))
        event = Event(
            cluster.now,
            SOURCE,
            "Scheduled",
            f"pod/{pod.name}",
            f"Successfully assigned default/{pod.name} to {node_name}",
        )
        label_ = f"bind {pod.name} to {node_name}"
        if len(best) > 1:
            label_ += f" (tie among {', '.join(best)})"
        outcomes.append(Outcome("scheduler", label_, bound, (event,)))
    return outcomes
