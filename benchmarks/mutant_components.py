"""Deliberately broken components for the mutation suite (benchmarks/mutants.py), next to the
ones of tests/broken.py, which the suite imports as they are.

Each is a step function in the shape :class:`kmodel.checkmodel.KubeModel` swaps in with
``replace=``, built from the real component with one small change, and its docstring names the
Kubernetes code whose behaviour it breaks. Where the change is a module-level function or table
of the real component (the scheduler's filters, the ReplicaSet deletion ranking), it is swapped
for the duration of the step only, as tests/broken.py does for the DaemonSet tolerations.
"""

from __future__ import annotations

import attrs

from kmodel.components import endpoints, kubelet, nodelifecycle, replicaset, scheduler
from kmodel.components.plugins import noderesources
from kmodel.namespaces import same_namespace
from kmodel.state import (
    NO_EXECUTE,
    NO_SCHEDULE,
    RUNNING,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    Cluster,
    Service,
    selector_matches,
)
from kmodel.transition import Outcome

CONDITION_TAINTS = (TAINT_NOT_READY, TAINT_UNREACHABLE)


# --- kube-scheduler ---------------------------------------------------------------------------------


def scheduler_ignoring_resource_fit(cluster: Cluster) -> list[Outcome]:
    """A scheduler profile without the NodeResourcesFit filter (pkg/scheduler/framework/plugins/
    noderesources/fit.go ``Fit.Filter``): it binds a pod to a node whose allocatable the pods
    already there use up, and the kubelet then rejects it (OutOfcpu / OutOfmemory in
    pkg/kubelet/lifecycle/predicate.go), as with a custom scheduler that forgot the check."""
    real = scheduler.FILTERS
    scheduler.FILTERS = tuple(f for f in real if f is not noderesources.filter)
    try:
        return scheduler.step(cluster)
    finally:
        scheduler.FILTERS = real


def scheduler_ignoring_not_ready(cluster: Cluster) -> list[Outcome]:
    """A scheduler that does not see the node lifecycle controller's condition taints
    (node.kubernetes.io/not-ready and unreachable, the way TaintNodesByCondition tells the
    scheduler about readiness; pkg/scheduler/framework/plugins/tainttoleration), while still
    honouring every other taint: it binds pods to NotReady and unreachable nodes, as the
    scheduler's old CheckNodeCondition predicate did when it was switched off."""

    def blind(taints: tuple) -> tuple:  # type: ignore[type-arg]
        return tuple(t for t in taints if t.key not in CONDITION_TAINTS)

    view = attrs.evolve(cluster, nodes=tuple(attrs.evolve(n, taints=blind(n.taints)) for n in cluster.nodes))
    return [attrs.evolve(o, state=attrs.evolve(o.state, nodes=cluster.nodes)) for o in scheduler.step(view)]


# --- ReplicaSet controller --------------------------------------------------------------------------


def replicaset_reversed_deletion_ranking(cluster: Cluster) -> list[Outcome]:
    """A ReplicaSet controller whose scale-down ranking is upside down (``ActivePodsWithRanks.
    Less`` in pkg/controller/controller_utils.go with its comparisons inverted): it deletes
    assigned, Running, ready pods first and keeps the unscheduled, pending and not-ready ones, so
    a scale-down takes serving capacity away while pods that serve nothing survive."""
    real = replicaset.deletion_order
    replicaset.deletion_order = lambda pods, related, now: list(reversed(real(pods, related, now)))  # type: ignore[assignment]
    try:
        return replicaset.step(cluster)
    finally:
        replicaset.deletion_order = real  # type: ignore[assignment]


# --- node lifecycle controller ----------------------------------------------------------------------


def nodelifecycle_never_removing_taints(cluster: Cluster) -> list[Outcome]:
    """A node lifecycle controller that adds the not-ready / unreachable taints but never takes
    them off (``markNodeAsReachable`` and the NoSchedule tainting pass's removal, pkg/controller/
    nodelifecycle/node_lifecycle_controller.go, lost): a node that comes back Ready keeps its
    condition taints, so nothing is scheduled there again."""
    out = []
    for o in nodelifecycle.step(cluster):
        nodes = []
        for n in o.state.nodes:
            old = cluster.node(n.name)
            kept = tuple(
                t
                for t in (old.taints if old is not None else ())
                if t.key in CONDITION_TAINTS
                and t.effect in (NO_SCHEDULE, NO_EXECUTE)
                and not n.has_taint(t.key, t.effect)
            )
            nodes.append(attrs.evolve(n, taints=(*n.taints, *kept)) if kept else n)
        state = attrs.evolve(o.state, nodes=tuple(nodes))
        if state != cluster:
            out.append(attrs.evolve(o, state=state))
    return out


def nodelifecycle_ignoring_leases(cluster: Cluster) -> list[Outcome]:
    """A node lifecycle controller that judges node health by the Ready condition's heartbeat
    only and ignores the kubelet's Lease renewals (``tryUpdateNodeHealth`` without its Lease
    branch, as before NodeLease, KEP-0009). The kubelet posts its status only when it changes
    and renews the Lease every 10 s, so a healthy node is marked Unknown after the grace period,
    then tainted unreachable, and its pods evicted: evictions nobody's toleration asked for."""
    view = attrs.evolve(cluster, nodes=tuple(attrs.evolve(n, lease_renew_time=None) for n in cluster.nodes))
    out = []
    for o in nodelifecycle.step(view):
        nodes = tuple(
            attrs.evolve(n, lease_renew_time=old.lease_renew_time) if (old := cluster.node(n.name)) is not None else n
            for n in o.state.nodes
        )
        out.append(attrs.evolve(o, state=attrs.evolve(o.state, nodes=nodes)))
    return out


# --- kubelet ----------------------------------------------------------------------------------------


def kubelet_not_restarting_containers(cluster: Cluster, node_name: str) -> list[Outcome]:
    """A kubelet that does not restart a restartPolicy Always pod whose containers died (the
    ``SyncPod`` path of pkg/kubelet/kuberuntime/kuberuntime_manager.go that computes "containers
    to start" skipping them): the pod stays Running, not ready, with no containers, for ever.
    Use with :func:`tests.broken.per_kubelet`."""
    node = cluster.node(node_name)
    if node is None:
        return kubelet.step(cluster, node_name)
    dead = {
        p.name
        for p in cluster.pods_on(node_name)
        if p.phase == RUNNING
        and not p.terminating
        and p.name not in node.running
        and p.restart_policy == "Always"
        and p.behaviour is None
    }
    if not dead or not node.runtime_ready:
        return kubelet.step(cluster, node_name)
    out = []
    for o in kubelet.step(cluster, node_name):
        state = o.state
        for name in dead:
            pod = cluster.pod(name)
            assert pod is not None
            state = state.with_pod(attrs.evolve(pod, ready=False, containers_ready=False, ready_since=None))
        after = state.node(node_name)
        if after is not None:
            state = state.with_node(attrs.evolve(after, running=after.running - dead))
        parts = [part for part in o.label.split("; ") if not any(part.startswith(f"{n} ") for n in dead)]
        label = "; ".join([*parts, *(f"{n} containers not restarted" for n in sorted(dead))])
        if state != cluster:
            out.append(attrs.evolve(o, state=state, label=label))
    return out


# --- endpoints controller ---------------------------------------------------------------------------


def _every_running_pod(cluster: Cluster, svc: Service) -> tuple[str, ...]:
    return tuple(
        p.name
        for p in cluster.pods
        if p.node_name
        and p.phase == RUNNING
        and not p.terminating
        and same_namespace(p.name, svc.name)
        and selector_matches(svc.selector, p.labels)
    )


def endpoints_ignoring_readiness(cluster: Cluster) -> list[Outcome]:
    """An endpoints controller that lists every Running pod of a Service as a ready address,
    Ready condition or not (``podutil.IsPodReady`` dropped from ``addEndpointSubset``,
    pkg/controller/endpoint/endpoints_controller.go, as if every Service had
    publishNotReadyAddresses): pods still starting, failing their readiness probe, or on a node
    the node controller found NotReady keep receiving traffic."""
    real = endpoints.ready_endpoints
    endpoints.ready_endpoints = _every_running_pod  # type: ignore[assignment]
    try:
        return endpoints.step(cluster)
    finally:
        endpoints.ready_endpoints = real  # type: ignore[assignment]
