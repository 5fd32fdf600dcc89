"""kube-scheduler: binds pending pods to nodes (pkg/scheduler).

One step takes the first pod in the scheduling queue (pods with no ``nodeName`` not yet tried in
this tick, in PrioritySort's order: higher priority first, then oldest), runs the filter plugins in
the default order, scores the nodes that pass and binds the pod to a best one. Where several nodes
tie for the best score the real scheduler picks one at random (``selectHost``); the model offers
each of them as a separate successor so a checker explores every choice. When no node passes, the
PostFilter (:mod:`~kmodel.components.plugins.defaultpreemption`) may preempt pods of lower
priority and nominate a node; the step records a ``FailedScheduling`` event with the real
``0/N nodes are available: ...`` message (and the preemption's own message when it did not
help) and leaves the pod Pending; it is tried again in the next tick (the real scheduler retries
with backoff and on cluster events). A pod with a nominated node tries that node first, and the
filters count pods nominated to a node (of at least the pod's priority) as if they ran there
(``RunFilterPluginsWithNominatedPods``).

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

With ``informerLag`` the step runs unchanged on the scheduler's lagging view of the pods
(:mod:`kmodel.informer`), in which the pods it bound count as bound before the watch confirms them
(its cache's assumed pods), unless ``schedulerAssumedPods: false``; with ``informerLagNodes`` its
view of the nodes (labels, taints, cordon, capacity, which nodes exist) lags too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import attrs

from kmodel import podindex, versions
from kmodel.components.plugins import (
    defaultpreemption,
    interpodaffinity,
    nodeaffinity,
    nodeports,
    noderesources,
    nodeunschedulable,
    podtopologyspread,
    queuesort,
    tainttoleration,
)
from kmodel.components.plugins.framework import MAX_NODE_SCORE, CycleState, Status
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
from kmodel.namespaces import namespaced
from kmodel.state import TAINT_UNSCHEDULABLE, Cluster, Node, Pod, pods_by_node
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

# Set (by kmodel.model.fixed_schedule, around one step) when the caller takes the first successor
# only: a bind tied among several nodes then builds the state of the first node alone (its label
# still names every tie). Building one state per tied node costs a copy of the pods tuple each.
first_successor_only = False

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
    ``preemption: ...`` for pods that all have the same priority (nodes whose status is
    Unschedulable, in ``resolvable``, find no victims; the others are not helped by
    preemption), since 1.34 preceded by DynamicResources' ``no new claims to deallocate``.
    Without one, only the filter histogram. The step itself runs DefaultPreemption and
    :func:`compose_message`; this shortcut gives the same text when no pod has a lower priority.
    """
    by_node = {
        name: [
            "No preemption victims found for incoming pod"
            if name in (resolvable or set())
            else "Preemption is not helpful for scheduling"
        ]
        for name in reasons_by_node
    }
    post_filter = f"0/{total_nodes} nodes are available: {_histogram(by_node)}."
    return compose_message(total_nodes, reasons_by_node, post_filter, version, prefilter)


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
    """Pods waiting to be scheduled, in the order the active queue pops them (PrioritySort:
    higher priority first, then oldest first)."""
    attempted = cluster.sched_attempted
    return [p for _, p in podindex.index(cluster.pods).ordered(_QUEUE) if p.name not in attempted]


# the unbound pods that are not being deleted, in PrioritySort's order (kept by the pods index)
_QUEUE = podindex.order("scheduler.queue", lambda p: p.node_name is None and not p.terminating, queuesort.key)


def first_in_queue(cluster: Cluster) -> Pod | None:
    """``queue(cluster)[0]`` (None when it is empty), without listing the rest."""
    attempted = cluster.sched_attempted
    for _, p in podindex.index(cluster.pods).ordered(_QUEUE):
        if p.name not in attempted:
            return p
    return None


def nominated_pods(cluster: Cluster) -> dict[str, list[Pod]]:
    """The PodNominator: pending pods by the node preemption nominated them to."""
    out: dict[str, list[Pod]] = {}
    for p in pods_by_node(cluster.pods).get(None, ()):
        if p.nominated_node_name and not p.terminating:
            out.setdefault(p.nominated_node_name, []).append(p)
    return out


def with_nominated(cluster: Cluster, pod: Pod, node: str, nominated: dict[str, list[Pod]]) -> Cluster | None:
    """``addGENominatedPods``: the cluster with the pods nominated to ``node`` whose priority is
    at least ``pod``'s placed there (as the scheduler's filters see them), or None when there
    are none."""
    extra = [p for p in nominated.get(node, ()) if p.priority >= pod.priority and p.name != pod.name]
    if not extra:
        return None
    out = cluster
    for p in extra:
        out = out.with_pod(attrs.evolve(p, node_name=node))
    return out


def fits(cluster: Cluster, pod: Pod, node_name: str) -> Status | None:
    """``RunFilterPluginsWithNominatedPods`` on one node of ``cluster``: with the nominated pods
    of at least the pod's priority placed on it the pod must fit, and (when there were some)
    without them too. None when it fits."""
    return _fits(cluster, pod, node_name, nominated_pods(cluster), None)


def _fits(
    cluster: Cluster, pod: Pod, node_name: str, nominated: dict[str, list[Pod]], state: CycleState | None
) -> Status | None:
    node = cluster.node(node_name)
    if node is None:
        return Status(defaultpreemption.NAME, ("node(s) not found",))
    crowded = with_nominated(cluster, pod, node_name, nominated)
    if crowded is not None:
        status = run_filters(CycleState.of(crowded, pod), crowded.node(node_name) or node)
        if status is not None:
            return status
    return run_filters(state if state is not None else CycleState.of(cluster, pod), node)


def has_work(cluster: Cluster) -> bool:
    return cluster.scheduler_active and first_in_queue(cluster) is not None


def attempt(cluster: Cluster, pod: Pod) -> tuple[list[str], dict[str, Status]]:
    """One scheduling cycle for ``pod``: the best nodes (all ties, by name) and, when there are
    none, each node's failing status (a PreFilter failure gives every node that status). A pod
    with a nominated node tries that node alone first (``evaluateNominatedNode``) and takes it if
    it fits; pods nominated to a node hold their room there against pods of lower priority."""
    state = CycleState.of(cluster, pod)
    nominated = nominated_pods(cluster)
    if pod.nominated_node_name and cluster.node(pod.nominated_node_name) is not None:
        if _fits(cluster, pod, pod.nominated_node_name, nominated, state) is None:
            return [pod.nominated_node_name], {}
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
        status = _fits(cluster, pod, node.name, nominated, state) if nominated else run_filters(state, node)
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
    pod = first_in_queue(cluster)
    if pod is None:
        return []
    tried = attrs.evolve(cluster, sched_attempted=cluster.sched_attempted | {pod.name})
    if first_successor_only:
        known = _still_unschedulable(cluster, pod)
        if known is not None:
            return _failed(cluster, tried, pod, *known)
    best, statuses = attempt(cluster, pod)
    if not best:
        return unschedulable(cluster, tried, pod, statuses)
    outcomes = []
    for node_name in best:
        bound = tried.with_pod(attrs.evolve(pod, node_name=node_name, nominated_node_name=None))
        event = Event(
            cluster.now,
            SOURCE,
            "Scheduled",
            f"pod/{pod.name}",
            f"Successfully assigned {namespaced(pod.name)} to {node_name}",
        )
        label_ = f"bind {pod.name} to {node_name}"
        if len(best) > 1:
            label_ += tie_note(best)
        outcomes.append(Outcome("scheduler", label_, bound, (event,)))
        if first_successor_only:
            break
    return outcomes


TIE_NAMES = 8  # the tied nodes a label names; the rest are counted


def tie_note(nodes: Sequence[str]) -> str:
    """`` (tie among a, b, c)`` for a step's label; past :data:`TIE_NAMES` nodes, the first ones
    and how many more (a bind on a big cluster of identical nodes ties thousands: naming them all
    made each label as long as the node list)."""
    return tie_note_of(nodes[:TIE_NAMES], len(nodes))


def tie_note_of(first: Sequence[str], count: int) -> str:
    """:func:`tie_note` of ``count`` nodes whose first ones (at least :data:`TIE_NAMES` of them,
    or all) are ``first``."""
    named = ", ".join(first[:TIE_NAMES])
    more = count - TIE_NAMES
    return f" (tie among {named} and {more:,} more)" if more > 0 else f" (tie among {named})"


def unschedulable(cluster: Cluster, tried: Cluster, pod: Pod, statuses: dict[str, Status]) -> list[Outcome]:
    """No node fits: run the PostFilter (DefaultPreemption) and record ``FailedScheduling`` with
    the filters' ``0/N nodes are available: ...`` and, unless preemption succeeded, its message.
    A successful preemption deletes the victims and nominates the node (one successor per node
    tied for the best candidate)."""
    version = cluster.settings.kubernetes_version
    reasons = {name: list(st.reasons) for name, st in statuses.items()}
    result = defaultpreemption.post_filter(cluster, pod, statuses, fits)
    message = compose_message(len(cluster.nodes), reasons, result.message, version, _prefilter_message(statuses))
    failed = Event(cluster.now, SOURCE, "FailedScheduling", f"pod/{pod.name}", message, "Warning")
    if not result.candidates:
        if first_successor_only:
            _remember_unschedulable(cluster, pod, message, result.nominate)
        return _failed(cluster, tried, pod, message, result.nominate)
    outcomes = []
    for candidate in result.candidates:
        out, events = defaultpreemption.prepare(tried, pod, candidate)
        out = out.with_pod(attrs.evolve(pod, nominated_node_name=candidate.node))
        label_ = (
            f"preempt {', '.join(v.name for v in candidate.victims)} on {candidate.node} for {pod.name} "
            f"(nominated to {candidate.node})"
        )
        if len(result.candidates) > 1:
            label_ += tie_note([c.node for c in result.candidates])
        outcomes.append(Outcome("scheduler", label_, out, (failed, *events)))
    return outcomes


def _failed(cluster: Cluster, tried: Cluster, pod: Pod, message: str, nominate: str | None) -> list[Outcome]:
    """The pod stays Pending with a ``FailedScheduling`` event (and the nomination the
    PostFilter asked for, "" clearing it)."""
    failed = Event(cluster.now, SOURCE, "FailedScheduling", f"pod/{pod.name}", message, "Warning")
    out = tried
    if nominate is not None and pod.nominated_node_name != (nominate or None):
        out = out.with_pod(attrs.evolve(pod, nominated_node_name=nominate or None))
    return [Outcome("scheduler", f"cannot schedule {pod.name}: {message}", out, (failed,))]


# --- pods no node fits, until the cluster changes ---------------------------------------------
#
# The real scheduler does not retry such a pod in a loop: it parks it in the scheduling queue's
# unschedulablePods and moves it back to the active or backoff queue when a cluster event that
# could make it schedulable arrives (a node added or updated, a pod deleted, ...;
# pkg/scheduler/backend/queue/scheduling_queue.go, MoveAllToActiveOrBackoffQueue, and before
# 1.32 pkg/scheduler/internal/queue) or after podMaxInUnschedulablePodsDuration. The model retries
# every pending pod each tick (so no component falls behind); ``kmodel simulate`` (only it: the
# flag above) skips the filters, scores and preemption dry run of a retry when the pod and every
# object of the cluster are the very ones of the attempt that failed: the attempt is a pure
# function of them (the clock is read only to order preemption victims, and a failed attempt
# found none), so its answer is the same, and only the event's time is new.

_UNSCHEDULABLE_MAX = 100_000
_unschedulable: dict[str, tuple[Pod, Cluster, str, str | None]] = {}


def _unclocked(cluster: Cluster) -> Cluster:
    """The cluster without what an attempt does not read: the clock, and what ran this tick."""
    return attrs.evolve(cluster, now=0, ran=frozenset(), sched_attempted=frozenset())


def _remember_unschedulable(cluster: Cluster, pod: Pod, message: str, nominate: str | None) -> None:
    if len(_unschedulable) >= _UNSCHEDULABLE_MAX:
        _unschedulable.clear()
    _unschedulable[pod.name] = (pod, _unclocked(cluster), message, nominate)


def _still_unschedulable(cluster: Cluster, pod: Pod) -> tuple[str, str | None] | None:
    """The message and nomination of the pod's last failed attempt, when nothing changed since."""
    found = _unschedulable.get(pod.name)
    if found is None:
        return None
    was, before, message, nominate = found
    if was != pod or before != _unclocked(cluster):
        del _unschedulable[pod.name]
        return None
    return message, nominate


def compose_message(
    total_nodes: int,
    reasons_by_node: dict[str, list[str]],
    post_filter: str,
    version: str | None,
    prefilter: str = "",
) -> str:
    """``FitError.Error()``: the filters' histogram (or a PreFilter rejection's message), then
    the PostFilter message (prefixed ``preemption: `` by DefaultPreemption, and since 1.34 by
    DynamicResources' reason), which is empty when preemption succeeded. Releases before 1.24
    print the histogram alone."""
    message = f"0/{total_nodes} nodes are available:"
    histogram = _histogram(reasons_by_node)
    if prefilter:
        # a PreFilter rejection: its message instead of the (same for every node) histogram
        message += f" {prefilter}."
    elif histogram:
        message += f" {histogram}."
    if version is not None and versions.preemption_diagnosis(version) and post_filter:
        post = f"preemption: {post_filter}"
        if versions.dynamic_resources_postfilter(version):
            post = f"no new claims to deallocate, {post}"
        message += f" {post}"
    return message
