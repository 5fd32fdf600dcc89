"""Taint-based eviction (pkg/controller/tainteviction/taint_eviction.go).

For every pod bound to a node with NoExecute taints:
- a taint the pod does not tolerate: the pod is deleted at once;
- otherwise the deletion is scheduled for (when the controller first saw the need) + the smallest
  ``tolerationSeconds`` among the tolerations that match (none: tolerated forever, no deletion;
  zero or less: at once). When the taints go away the scheduled deletion is cancelled.
Deleting sets the pod condition DisruptionTarget=True (reason DeletionByTaintManager) and then
issues a graceful DELETE, so the pod shows Terminating until its kubelet (or pod GC) finishes it.

The schedule lives in the controller-manager's memory: after a restart every pod's clock starts
again from the restart, as in the real controller. Runs in every tick (the real one reacts to
node and pod updates at once).
"""

from __future__ import annotations

import attrs

from kmodel.components import apiserver
from kmodel.state import NO_EXECUTE, Cluster, Pod, Taint
from kmodel.transition import Event, Outcome

SOURCE = "taint-eviction-controller"


def min_toleration_seconds(pod: Pod, taints: list[Taint]) -> int | None:
    """Seconds until eviction; -1 if some taint is not tolerated; None if tolerated forever."""
    best: int | None = None
    for taint in taints:
        matching = [t for t in pod.tolerations if t.tolerates(taint)]
        if not matching:
            return -1
        for t in matching:
            if t.toleration_seconds is not None:
                secs = max(0, t.toleration_seconds)
                best = secs if best is None else min(best, secs)
    return best


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    now = cluster.now
    schedule = dict(cluster.memory.scheduled_evictions)
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    node_taints = {n.name: [t for t in n.taints if t.effect == NO_EXECUTE] for n in cluster.nodes}
    for pod in cluster.pods:
        taints = node_taints.get(pod.node_name or "", [])
        if not taints or pod.terminating:
            schedule.pop(pod.name, None)
            continue
        seconds = min_toleration_seconds(pod, taints)
        if seconds is None:
            schedule.pop(pod.name, None)
            continue
        start = schedule.setdefault(pod.name, now)
        if seconds >= 0 and now < start + seconds:
            continue
        schedule.pop(pod.name, None)
        out = out.with_pod(attrs.evolve(pod, disruption_target=True))
        out = apiserver.delete_pod(out, pod.name)
        events.append(
            Event(
                now, SOURCE, "TaintManagerEviction", f"pod/{pod.name}", f"Marking for deletion Pod default/{pod.name}"
            )
        )
        notes.append(f"evict {pod.name} from {pod.node_name}")
    live = {p.name for p in out.pods}
    schedule = {k: v for k, v in schedule.items() if k in live}
    out = out.with_memory(scheduled_evictions=tuple(sorted(schedule.items())))
    if out == cluster:
        return []
    label_ = "; ".join(notes) if notes else "schedule evictions"
    return [Outcome("tainteviction", label_, out, tuple(events))]
