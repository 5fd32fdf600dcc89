"""Garbage collector (pkg/controller/garbagecollector), background cascading deletion only.

A ReplicaSet whose owning Deployment is gone is deleted; a pod whose owning ReplicaSet,
StatefulSet, DaemonSet or Job is gone is deleted gracefully (it shows Terminating until its
kubelet finishes it; a finished pod goes at once).
"""

from __future__ import annotations

import attrs

from kmodel import podindex
from kmodel.components import apiserver
from kmodel.state import Cluster, Pod, remove
from kmodel.transition import Event, Outcome

SOURCE = "garbage-collector"


def _live_kinds(pods: tuple[Pod, ...]) -> frozenset[str]:
    return frozenset(p.owner_kind for p in pods if not p.terminating)


def _orphaned(cluster: Cluster) -> list[Pod]:
    """In name order, the pods that are not being deleted and whose owner (of a kind this
    controller collects for) is gone: the only pods the loops of :func:`step` delete. Read per
    owner from the pods index (kmodel.podindex; what kinds name an owner is kept while its pods
    do not change), so a tick where every owner exists costs O(owners), not O(pods)."""
    ix = podindex.index(cluster.pods)
    lookups = {
        "ReplicaSet": cluster.replicaset,
        "StatefulSet": cluster.statefulset,
        "Job": cluster.job,
        "DaemonSet": cluster.daemonset,
    }
    found: list[Pod] = []
    for owner, group in ix.by_owner.items():
        if owner is None:
            continue
        kinds = ix.per_owner("garbagecollector.kinds", owner, _live_kinds)
        gone = {k for k in kinds if k in lookups and lookups[k](owner) is None}
        if gone:
            found.extend(p for p in group if p.owner_kind in gone and not p.terminating)
    return sorted(found, key=lambda p: p.name)


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    out = cluster
    notes = []
    events = []
    for rs in cluster.replicasets:
        if rs.owner is not None and cluster.deployment(rs.owner) is None:
            out = attrs.evolve(out, replicasets=remove(out.replicasets, rs.name))
            notes.append(f"delete replicaset {rs.name} (owner gone)")
            events.append(Event(cluster.now, SOURCE, "Deleted", f"replicaset/{rs.name}", "owner deployment is gone"))
    orphaned = _orphaned(out)  # the pods below acts on (the others it passes over)
    for pod in orphaned:
        if (rs_name := pod.replicaset_owner) is not None and out.replicaset(rs_name) is None and not pod.terminating:
            out = apiserver.delete_pod(out, pod.name)
            notes.append(f"delete pod {pod.name} (owner gone)")
    for pod in orphaned:
        # pods of a StatefulSet that is gone (its pods are named after it, never renamed)
        if pod.owner_kind == "StatefulSet" and pod.owner is not None and not pod.terminating:
            if out.statefulset(pod.owner) is None:
                out = apiserver.delete_pod(out, pod.name)
                notes.append(f"delete pod {pod.name} (owner gone)")
        elif pod.owner_kind == "Job" and pod.owner is not None and out.job(pod.owner) is None and not pod.terminating:
            out = apiserver.delete_pod(out, pod.name)
            notes.append(f"delete pod {pod.name} (owner job gone)")
        if pod.owner_kind == "DaemonSet" and pod.owner is not None and out.daemonset(pod.owner) is None:
            if not pod.terminating:
                out = apiserver.delete_pod(out, pod.name)
                notes.append(f"delete pod {pod.name} (owner gone)")
    if out == cluster:
        return []
    return [Outcome("garbagecollector", "; ".join(notes), out, tuple(events))]
