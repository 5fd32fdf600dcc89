"""kube-scheduler: binds pending pods to nodes (pkg/scheduler).

One step takes the first pod in the scheduling queue (pods with no ``nodeName``, oldest first, not
yet tried in this tick), runs the filter plugins in the default order, scores the nodes that pass
and binds the pod to a best one. Where several nodes tie for the best score the real scheduler
picks one at random (``selectHost``); the model offers each of them as a separate successor so a
checker explores every choice. When no node passes, the step records a ``FailedScheduling`` event
with the real ``0/N nodes are available: ...`` message and leaves the pod Pending; it is tried
again in the next tick (the real scheduler retries with backoff and on cluster events).

Filters, in the default order (pkg/scheduler/apis/config/v1/default_plugins.go):
NodeUnschedulable, NodeName, TaintToleration, NodeAffinity (nodeSelector), NodeResourcesFit.
PodTopologySpread and InterPodAffinity filters only act on pods that declare constraints, which the
model does not support, so they always pass. NodePorts and volume plugins are left out.

Scores (weights as in the default profile): TaintToleration x3 (fewer intolerable
PreferNoSchedule taints is better), NodeResourcesFit x1 (LeastAllocated), NodeResourcesBalancedAllocation
x1, PodTopologySpread x2 with the system default constraints (spread pods of the same owner over
hostnames and zones). NodeAffinity, InterPodAffinity and ImageLocality score every node 0 for the
pods the model supports, so they cannot change the choice and are skipped.

A bound pod is never moved again: the scheduler only looks at pods with no node (no rebalancing).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import attrs
from attrs import frozen

from kmodel import versions
from kmodel.labels import LabelSelector
from kmodel.state import (
    LABEL_HOSTNAME,
    LABEL_ZONE,
    NO_EXECUTE,
    NO_SCHEDULE,
    PREFER_NO_SCHEDULE,
    TAINT_UNSCHEDULABLE,
    Cluster,
    Node,
    Pod,
    Resources,
    Taint,
    label,
    pods_by_node,
    selector_matches,
)
from kmodel.transition import Event, Outcome

SOURCE = "default-scheduler"
MAX_NODE_SCORE = 100

# pkg/scheduler/util/pod_resources.go: requests assumed for scoring when a pod sets none.
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

# Score plugin weights of the default profile.
WEIGHT_TAINT_TOLERATION = 3
WEIGHT_POD_TOPOLOGY_SPREAD = 2
WEIGHT_LEAST_ALLOCATED = 1
WEIGHT_BALANCED_ALLOCATION = 1

# System default topology spread constraints: (topology key, maxSkew).
DEFAULT_SPREAD_CONSTRAINTS = ((LABEL_HOSTNAME, 3), (LABEL_ZONE, 5))


# --- filters ----------------------------------------------------------------------------------


def untolerated_taint(pod: Pod, node: Node, effects: Iterable[str]) -> Taint | None:
    """``FindMatchingUntoleratedTaint``: the first taint with one of ``effects`` that no
    toleration of the pod tolerates."""
    wanted = tuple(effects)
    for taint in node.taints:
        if taint.effect in wanted and not any(t.tolerates(taint) for t in pod.tolerations):
            return taint
    return None


@frozen
class Usage:
    """What the pods assigned to a node request (terminating ones included, as in the
    scheduler's cache until the pod object is gone): as declared, and with the non-zero
    defaults used for scoring."""

    requested: Resources = Resources()
    nonzero: Resources = Resources()


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


def pod_request(pod: Pod, nonzero: bool = False) -> Resources:
    r = pod.requests
    if nonzero:
        return Resources(
            cpu=r.cpu or DEFAULT_MILLI_CPU_REQUEST,
            memory=r.memory or DEFAULT_MEMORY_REQUEST,
        )
    return Resources(cpu=r.cpu, memory=r.memory)


def filter_reasons(cluster: Cluster, pod: Pod, node: Node, usage: dict[str, Usage] | None = None) -> list[str]:
    """Run the filter plugins in order; return the failing plugin's reasons (empty = fits)."""
    # NodeUnschedulable
    if node.unschedulable:
        probe = Taint(key=TAINT_UNSCHEDULABLE, effect=NO_SCHEDULE)
        if not any(t.tolerates(probe) for t in pod.tolerations):
            return ["node(s) were unschedulable"]
    # NodeName: pods that name a node are bound directly, so nothing to check here.
    # TaintToleration
    taint = untolerated_taint(pod, node, (NO_SCHEDULE, NO_EXECUTE))
    if taint is not None:
        return [versions.taint_filter_reason(cluster.settings.kubernetes_version, taint.key, taint.value)]
    # NodeAffinity (nodeSelector)
    if pod.node_selector:
        have = dict(node.labels)
        if any(have.get(k) != v for k, v in pod.node_selector):
            return ["node(s) didn't match Pod's node affinity/selector"]
    # NodeResourcesFit
    used = (usage if usage is not None else node_usage(cluster)).get(node.name, Usage()).requested
    want = pod_request(pod)
    reasons = []
    if used.pods + 1 > node.capacity.pods:
        reasons.append("Too many pods")
    if want.cpu and used.cpu + want.cpu > node.capacity.cpu:
        reasons.append("Insufficient cpu")
    if want.memory and used.memory + want.memory > node.capacity.memory:
        reasons.append("Insufficient memory")
    return reasons


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
    if histogram:
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


def resolvable_by_preemption(pod: Pod, node: Node, reasons: list[str]) -> bool:
    """NodeResourcesFit failures are ``Unschedulable`` (preemption could help) unless the pod
    asks for more than the node has in total; every other filter is UnschedulableAndUnresolvable."""
    resource_reasons = {"Too many pods", "Insufficient cpu", "Insufficient memory"}
    if not reasons or not set(reasons) <= resource_reasons:
        return False
    want = pod_request(pod)
    return want.cpu <= node.capacity.cpu and want.memory <= node.capacity.memory


# --- scores -----------------------------------------------------------------------------------


def _taint_toleration_raw(pod: Pod, node: Node) -> int:
    return sum(
        1
        for t in node.taints
        if t.effect == PREFER_NO_SCHEDULE
        and not any(tol.tolerates(t) for tol in pod.tolerations if tol.effect in ("", PREFER_NO_SCHEDULE))
    )


def _least_allocated(usage: dict[str, Usage], pod: Pod, node: Node) -> int:
    used = usage.get(node.name, Usage()).nonzero + pod_request(pod, nonzero=True)
    scores = []
    for requested, capacity in ((used.cpu, node.capacity.cpu), (used.memory, node.capacity.memory)):
        if capacity == 0:
            continue  # a resource the node has none of is left out, weight included
        scores.append(0 if requested > capacity else (capacity - requested) * MAX_NODE_SCORE // capacity)
    return sum(scores) // len(scores) if scores else 0


def _balanced_allocation(usage: dict[str, Usage], pod: Pod, node: Node) -> int:
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


def default_spread_selector(cluster: Cluster, pod: Pod) -> LabelSelector:
    """``DefaultSelector``: the requirements of the selectors of the Services and the ReplicaSet
    that select the pod, all together. Empty: the default constraints do not apply to it."""
    selector = LabelSelector()
    rs = cluster.replicaset(pod.owner) if pod.owner else None
    if rs is not None:
        selector = selector.also(rs.selector)
    for svc in cluster.services:
        if selector_matches(svc.selector, pod.labels):
            selector = selector.also(svc.selector)
    return selector


def _spread_selector_pods(cluster: Cluster, pod: Pod) -> list[Pod] | None:
    """Bound, non-terminating pods counted by the default spread constraints; None when the pod
    has no default selector (PreScore skips it)."""
    selector = default_spread_selector(cluster, pod)
    if selector.empty:
        return None
    return [p for p in cluster.pods if p.node_name and not p.terminating and selector.matches(p.labels)]


def _topology_spread_raw(cluster: Cluster, pod: Pod, nodes: list[Node]) -> dict[str, int]:
    matching = _spread_selector_pods(cluster, pod)
    if matching is None:
        return {n.name: 0 for n in nodes}
    node_by_name = {n.name: n for n in cluster.nodes}
    raw: dict[str, float] = {n.name: 0.0 for n in nodes}
    for key, max_skew in DEFAULT_SPREAD_CONSTRAINTS:
        domains = {label(n.labels, key) for n in nodes if label(n.labels, key) is not None}
        if not domains:
            continue
        counts: Counter[str] = Counter()
        for p in matching:
            host = node_by_name.get(p.node_name or "")
            value = label(host.labels, key) if host else None
            if value is not None:
                counts[value] += 1
        weight = math.log(len(domains) + 2)
        for n in nodes:
            value = label(n.labels, key)
            if value is not None:
                raw[n.name] += counts[value] * weight + (max_skew - 1)
    return {name: round(v) for name, v in raw.items()}


def scores(cluster: Cluster, pod: Pod, nodes: list[Node], usage: dict[str, Usage] | None = None) -> dict[str, int]:
    """Weighted sum of the normalised plugin scores for each feasible node."""
    if usage is None:
        usage = node_usage(cluster)
    total = {n.name: 0 for n in nodes}
    # TaintToleration: fewer intolerable PreferNoSchedule taints is better (reverse-normalised).
    taint_raw = {n.name: _taint_toleration_raw(pod, n) for n in nodes}
    worst = max(taint_raw.values(), default=0)
    for name, v in taint_raw.items():
        normalised = MAX_NODE_SCORE if worst == 0 else MAX_NODE_SCORE - v * MAX_NODE_SCORE // worst
        total[name] += WEIGHT_TAINT_TOLERATION * normalised
    for n in nodes:
        total[n.name] += WEIGHT_LEAST_ALLOCATED * _least_allocated(usage, pod, n)
        total[n.name] += WEIGHT_BALANCED_ALLOCATION * _balanced_allocation(usage, pod, n)
    # PodTopologySpread: fewer matching pods in the node's domains is better.
    spread = _topology_spread_raw(cluster, pod, nodes)
    high, low = max(spread.values(), default=0), min(spread.values(), default=0)
    for name, v in spread.items():
        normalised = MAX_NODE_SCORE if high == 0 else MAX_NODE_SCORE * (high + low - v) // high
        total[name] += WEIGHT_POD_TOPOLOGY_SPREAD * normalised
    return total


# --- the step ---------------------------------------------------------------------------------


def queue(cluster: Cluster) -> list[Pod]:
    """Pods waiting to be scheduled, in the order the active queue pops them (oldest first)."""
    waiting = [
        p for p in cluster.pods if p.node_name is None and not p.terminating and p.name not in cluster.sched_attempted
    ]
    return sorted(waiting, key=lambda p: (p.created, p.name))


def has_work(cluster: Cluster) -> bool:
    return cluster.scheduler_active and bool(queue(cluster))


def schedule(cluster: Cluster, pod: Pod) -> tuple[list[str], dict[str, list[str]]]:
    """Filter and score every node for ``pod``. Returns the best nodes (all ties, by name) and,
    when there are none, each node's failing reasons."""
    feasible: list[Node] = []
    reasons: dict[str, list[str]] = {}
    usage = node_usage(cluster)
    for node in cluster.nodes:
        why = filter_reasons(cluster, pod, node, usage)
        if why:
            reasons[node.name] = why
        else:
            feasible.append(node)
    if not feasible:
        return [], reasons
    if len(feasible) == 1:
        return [feasible[0].name], {}
    s = scores(cluster, pod, feasible, usage)
    best = max(s.values())
    return sorted(name for name, v in s.items() if v == best), {}


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.scheduler_active:
        return []
    pending = queue(cluster)
    if not pending:
        return []
    pod = pending[0]
    tried = attrs.evolve(cluster, sched_attempted=cluster.sched_attempted | {pod.name})
    best, reasons = schedule(cluster, pod)
    if not best:
        resolvable = {n.name for n in cluster.nodes if resolvable_by_preemption(pod, n, reasons.get(n.name, []))}
        message = failure_message(len(cluster.nodes), reasons, resolvable, cluster.settings.kubernetes_version)
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
