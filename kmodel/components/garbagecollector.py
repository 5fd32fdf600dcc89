"""Garbage collector (pkg/controller/garbagecollector), background cascading deletion only.

A ReplicaSet whose owning Deployment is gone is deleted; a pod whose owning ReplicaSet,
StatefulSet, DaemonSet or Job is gone is deleted gracefully (it shows Terminating until its
kubelet finishes it; a finished pod goes at once).
"""

from __future__ import annotations

import attrs

from kmodel.components import apiserver
from kmodel.state import Cluster, remove
from kmodel.transition import Event, Outcome

SOURCE = "garbage-collector"


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
    for pod in cluster.pods:
        if (rs_name := pod.replicaset_owner) is not None and out.replicaset(rs_name) is None and not pod.terminating:
            out = apiserver.delete_pod(out, pod.name)
            notes.append(f"delete pod {pod.name} (owner gone)")
    for pod in cluster.pods:
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
