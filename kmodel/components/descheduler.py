"""The descheduler (kubernetes-sigs/descheduler v0.36.0, ``pkg/descheduler``): an optional
component, present when the scenario gives a DeschedulerPolicy (:mod:`kmodel.deschedulerpolicy`).

It runs at ``startAt`` and then every ``deschedulingInterval`` (``wait.NonSlidingUntil`` in
``RunDeschedulerStrategies``); with no interval (the real default, 0) it runs once and exits. A
run (``runDeschedulerLoop``) resets the eviction counters, lists the ready nodes
(``ReadyNodesFromInterfaces``: Ready=True; cordoned nodes count) and, with fewer than two, skips
the run ("requires >=2 nodes"). Otherwise it runs the deschedule plugins of every profile, then
the balance plugins of every profile (``runProfiles``), each plugin in the order the profile
enables it. The plugins (:mod:`kmodel.components.descheduler_plugins`) evict through the
PodEvictor, which applies ``maxNoOfPodsToEvictTotal``, ``maxNoOfPodsToEvictPerNode`` and
``maxNoOfPodsToEvictPerNamespace`` over the whole run and records, for each eviction, the
event the real one does (type Normal, reason the plugin's name, action Descheduled, note ``pod
eviction from NODE node by sigs.k8s.io/descheduler``, reported by ``sigs.k8s.io.descheduler``).

Every eviction goes through :func:`_evict`, the eviction API, so PodDisruptionBudgets can refuse
it (the run then moves on to the next pod). It needs the apiserver; the descheduler's own pod
is not modelled (it runs as long as the apiserver answers).

The component also keeps what the ``no-eviction-cycle`` property needs (see
:class:`kmodel.deschedulertypes.DeschedulerState`): each eviction of a controlled pod leaves a
pending record (workload, node, the workload's pods then, the evicted pod); at its next run the
descheduler settles each record: a replacement (a pod of the workload not in the record, or one
with the evicted pod's name that is not Terminating: a StatefulSet's) bound to the same node
counts one return for the workload, one bound elsewhere drops the record. The count
saturates at :data:`RETURNS_CAP`.

Left out: dry-run mode, leader election, the metrics and Prometheus usage clients, the
evictions-in-background (EvictionsInBackground) feature and the cache of eviction requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from kmodel.components import eviction
from kmodel.components.descheduler_plugins import (
    lownodeutilization,
    removeduplicates,
    removepodsviolatinginterpodantiaffinity,
    removepodsviolatingnodeaffinity,
    removepodsviolatingnodetaints,
    removepodsviolatingtopologyspreadconstraint,
)
from kmodel.components.descheduler_plugins.framework import Handle, workload_of
from kmodel.deschedulertypes import DeschedulerState, PluginArgs
from kmodel.state import COND_TRUE, Cluster, Pod
from kmodel.transition import Outcome

NAME = "descheduler"
RETURNS_CAP = 10  # returns counted per workload, at most (no-eviction-cycle's N must be below it)

PLUGINS: dict[str, Callable[[Handle, PluginArgs], None]] = {
    removeduplicates.NAME: removeduplicates.run,
    lownodeutilization.NAME: lownodeutilization.run,
    removepodsviolatingnodeaffinity.NAME: removepodsviolatingnodeaffinity.run,
    removepodsviolatingnodetaints.NAME: removepodsviolatingnodetaints.run,
    removepodsviolatinginterpodantiaffinity.NAME: removepodsviolatinginterpodantiaffinity.run,
    removepodsviolatingtopologyspreadconstraint.NAME: removepodsviolatingtopologyspreadconstraint.run,
}


def _evict(cluster: Cluster, pod: Pod) -> Cluster | None:
    """The one path by which the descheduler evicts a pod (``PodEvictor.evictPod``, a POST to
    the pod's ``eviction`` subresource, :func:`kmodel.components.eviction.evict`): the cluster
    after the eviction, or None when the apiserver refused it (a PodDisruptionBudget's 429,
    several budgets' 500, the pod gone, the apiserver down): the descheduler then records
    nothing and moves on, as ``evictPod`` does on an error."""
    after = eviction.evict(cluster, pod.name)
    return None if isinstance(after, eviction.Refusal) else after


def is_due(cluster: Cluster) -> bool:
    d = cluster.descheduler
    return d is not None and d.next_run is not None and cluster.now >= d.next_run and cluster.apiserver_available


def _settle(
    cluster: Cluster, d: DeschedulerState
) -> tuple[tuple[tuple[str, str, frozenset[str], str], ...], dict[str, int]]:
    """Fold the pending evictions whose replacement has been placed into the per-workload
    return counts."""
    returns = dict(d.returns)
    kept = []
    for workload, node, known, evicted in d.pending:
        placed = [
            p
            for p in cluster.pods
            if workload_of(p) == workload
            and p.node_name
            and (p.name not in known or (p.name == evicted and not p.terminating))
        ]
        if any(p.node_name == node for p in placed):
            returns[workload] = min(returns.get(workload, 0) + 1, RETURNS_CAP)
        elif not placed:
            kept.append((workload, node, known, evicted))
    return tuple(kept), returns


def returns_now(cluster: Cluster) -> dict[str, int]:
    """Per workload, how many times the replacement of a pod the descheduler evicted was bound to
    the node the pod was evicted from (counting replacements placed since the last run)."""
    d = cluster.descheduler
    if d is None:
        return {}
    return _settle(cluster, d)[1]


def run(cluster: Cluster, enforce_limits: bool = True, ignore_node_fit: bool = False) -> tuple[Cluster, Handle]:
    """One descheduling run over ``cluster`` (``runDeschedulerLoop``); the switches make the
    deliberately broken variants of tests/broken.py."""
    d = cluster.descheduler
    assert d is not None
    nodes = sorted((n for n in cluster.nodes if n.ready == COND_TRUE), key=lambda n: n.name)
    handle = Handle(cluster, nodes, d.policy, _evict, enforce_limits=enforce_limits)
    if len(nodes) > 1:
        profiles = d.policy.profiles
        if ignore_node_fit:
            profiles = tuple(attrs.evolve(p, evictor=attrs.evolve(p.evictor, node_fit=False)) for p in profiles)
        for point in ("deschedule", "balance"):
            for profile in profiles:
                handle.profile = profile
                for plugin in getattr(profile, point):
                    PLUGINS[plugin](handle, profile.args_of(plugin))
    return handle.cluster, handle


def step(cluster: Cluster, enforce_limits: bool = True, ignore_node_fit: bool = False) -> list[Outcome]:
    if not is_due(cluster):
        return []
    d = cluster.descheduler
    assert d is not None
    pending, returns = _settle(cluster, d)
    out, handle = run(cluster, enforce_limits, ignore_node_fit)
    new = list(pending)
    for pod, _ in handle.evicted:
        workload = workload_of(pod)
        if workload is not None and pod.node_name:
            known = frozenset(p.name for p in out.pods if workload_of(p) == workload)
            new.append((workload, pod.node_name, known, pod.name))
    state = attrs.evolve(
        d,
        next_run=cluster.now + d.interval if d.interval > 0 else None,
        pending=tuple(new),
        returns=tuple(sorted(returns.items())),
    )
    out = attrs.evolve(out, descheduler=state)
    if handle.evicted:
        label = "evict " + "; ".join(f"{p.name} from {p.node_name} ({why})" for p, why in handle.evicted)
    elif len(handle.nodes) < 2:
        label = f"skip the run: requires >=2 ready nodes, found {len(handle.nodes)}"
    else:
        label = "run: nothing to evict"
    if state.next_run is None:
        label += " (no interval: the descheduler exits)"
    return [Outcome(NAME, label, out, tuple(handle.events))]


def relative(cluster: Cluster, rename: Callable[[str], str]) -> Any:
    """The descheduler's part of the explorer's fingerprint: the time to its next run instead
    of the clock reading, and pod names through ``rename`` (the canonical names); names of pods
    that are gone are left out (a gone pod's name comes back only as a StatefulSet's
    replacement, which then exists)."""
    d = cluster.descheduler
    if d is None:
        return None
    until = None if d.next_run is None else max(d.next_run - cluster.now, 0)
    existing = {p.name for p in cluster.pods}
    pending = tuple(
        sorted(
            (w, n, tuple(sorted(rename(x) for x in known if x in existing)), rename(e) if e in existing else None)
            for w, n, known, e in d.pending
        )
    )
    return (d.policy, d.interval, until, pending, d.returns)
