"""Pod garbage collector (pkg/controller/podgc/gc_controller.go), every ``podGCPeriod`` (20 s).

- gcOrphaned: pods bound to a node that no longer exists are force-deleted once the node has been
  missing for the quarantine time (40 s);
- gcUnscheduledTerminating: Terminating pods that were never bound are force-deleted;
- gcTerminating: Terminating pods on a node that is not Ready and carries the
  ``node.kubernetes.io/out-of-service`` taint are force-deleted.
- gcTerminated: when more than ``terminatedPodGCThreshold`` (12500) pods have finished
  (Succeeded or Failed), the excess is deleted, evicted ones first, then the oldest
  (``byEvictionAndCreationTimestamp``; names break ties).
"""

from __future__ import annotations

from kmodel import podindex
from kmodel.components import apiserver
from kmodel.state import COND_TRUE, FAILED, SUCCEEDED, TAINT_OUT_OF_SERVICE, Cluster
from kmodel.transition import Event, Outcome

SOURCE = "pod-garbage-collector"


_FINISHED = podindex.counter("podgc.finished", lambda p: p.phase in (SUCCEEDED, FAILED))


def is_due(cluster: Cluster) -> bool:
    return cluster.now % cluster.settings.pod_gc_period == 0


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    now = cluster.now
    quarantine = dict(cluster.memory.gc_quarantine)
    node_names = {n.name for n in cluster.nodes}
    # (the pods index groups the pods by node, each group in name order as in cluster.pods)
    by_node = podindex.index(cluster.pods).by_node
    missing = {name for name in by_node if name and name not in node_names}
    quarantine = {k: v for k, v in quarantine.items() if k in missing}
    out = cluster
    events: list[Event] = []
    notes: list[str] = []

    def force(name: str, why: str) -> None:
        nonlocal out
        out = apiserver.delete_pod(out, name, force=True)
        events.append(Event(now, SOURCE, "PodGC", f"pod/{name}", why))
        notes.append(f"force-delete {name} ({why})")

    threshold = cluster.settings.terminated_pod_gc_threshold
    if threshold > 0 and podindex.index(cluster.pods).count(_FINISHED) > threshold:
        finished = [p for p in cluster.pods if p.phase in (SUCCEEDED, FAILED)]
        if len(finished) > threshold:
            finished.sort(key=lambda p: (p.status_reason != "Evicted", p.created, p.name))
            for pod in finished[: len(finished) - threshold]:
                force(pod.name, f"more than {threshold} terminated pods")
    for node_name in sorted(missing):
        since = quarantine.setdefault(node_name, now)
        if now - since >= cluster.settings.pod_gc_quarantine:
            for pod in by_node.get(node_name, ()):
                force(pod.name, f"orphaned: node {node_name} is gone")
            del quarantine[node_name]
    for pod in by_node.get(None, ()):
        if pod.terminating and out.pod(pod.name) is not None:
            force(pod.name, "terminating and never scheduled")
    for node in cluster.nodes:
        if node.ready != COND_TRUE and any(t.key == TAINT_OUT_OF_SERVICE for t in node.taints):
            for pod in cluster.pods_on(node.name):
                if pod.terminating and out.pod(pod.name) is not None:
                    force(pod.name, f"terminating on out-of-service node {node.name}")
    out = out.with_memory(gc_quarantine=tuple(sorted(quarantine.items())))
    if out == cluster:
        return []
    return [Outcome("podgc", "; ".join(notes) or "quarantine orphaned pods", out, tuple(events))]
