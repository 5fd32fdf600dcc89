"""Garbage collector (pkg/controller/garbagecollector), background cascading deletion only.

A ReplicaSet whose owning Deployment is gone is deleted; a pod whose owning ReplicaSet or
DaemonSet is gone is deleted gracefully (it shows Terminating until its kubelet finishes it).
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
        if pod.owner_kind == "DaemonSet" and pod.owner is not None and out.daemonset(pod.owner) is None:
            if not pod.terminating:
                out = apiserver.delete_pod(out, pod.name)
                notes.append(f"delete pod {pod.name} (owner gone)")
    if out == cluster:
        return []
    return [Outcome("garbagecollector", "; ".join(notes), out, tuple(events))]
