"""Taint-based eviction (pkg/controller/tainteviction/taint_eviction.go).

For every pod bound to a node with NoExecute taints (``processPodOnNode``):
- ``GetMatchingTolerations``: for each NoExecute taint, the *first* of the pod's tolerations
  that tolerates it. A taint that none tolerates: the pod is deleted at once (any scheduled
  deletion is cancelled first);
- ``getMinTolerationTime`` over those tolerations: the smallest ``tolerationSeconds`` (zero or
  less: at once); when none of them has ``tolerationSeconds`` the pod tolerates the taints
  forever, and a scheduled deletion is cancelled;
- otherwise the deletion is scheduled for now + that time, unless one is scheduled already:
  that one is kept as it is (a second taint, or a taint swapped for another, does not move it).
A node whose NoExecute taints are all gone cancels the scheduled deletions of its pods; a pod
that disappears has its scheduled deletion cancelled. Each cancellation of a scheduled deletion
is recorded as an event "Cancelling deletion of Pod NAMESPACE/NAME". A scheduled deletion that
comes due deletes the pod: the condition DisruptionTarget=True (reason DeletionByTaintManager),
then a graceful DELETE, so the pod shows Terminating until its kubelet (or pod GC) finishes it;
the event is "Marking for deletion Pod NAMESPACE/NAME".

The real controller reacts to node and pod updates (a change of a node's NoExecute taints, a pod
bound or its tolerations changed); here the controller looks at every pod on a tainted node in
every tick, which decides the same because ``processPodOnNode`` keeps what is already scheduled.
So that a pod is not deleted again and again while it terminates, a pod the controller already
marked (DisruptionTarget) is left alone; the real controller would only look at it again after
another change of its node's taints. A pod whose node object is deleted keeps its scheduled
deletion (the real controller forgets the node, not the work).

The schedule lives in the controller-manager's memory: after a restart every pod's clock starts
again, as in the real controller.
"""

from __future__ import annotations

from kmodel import podindex, versions
from kmodel.components import apiserver
from kmodel.frozen import evolve
from kmodel.namespaces import namespaced
from kmodel.state import NO_EXECUTE, Cluster, Pod, Taint, Toleration
from kmodel.transition import Event, Outcome

SOURCE = "taint-eviction-controller"  # "taint-controller" before 1.29 (kmodel.versions)
FOREVER = None


def matching_tolerations(tolerations: tuple[Toleration, ...], taints: list[Taint]) -> list[Toleration] | None:
    """``GetMatchingTolerations``: the first toleration that tolerates each taint, in the taints'
    order; None when some taint is tolerated by none."""
    used = []
    for taint in taints:
        first = next((t for t in tolerations if t.tolerates(taint)), None)
        if first is None:
            return None
        used.append(first)
    return used


def min_toleration_seconds(pod: Pod, taints: list[Taint]) -> int | None:
    """Seconds until eviction by ``processPodOnNode``'s rules: -1 if some taint is not
    tolerated, 0 for at once, None if the pod tolerates every taint forever."""
    used = matching_tolerations(pod.tolerations, taints)
    if used is None:
        return -1
    timed = [t.toleration_seconds for t in used if t.toleration_seconds is not None]
    if not timed:
        return FOREVER
    return max(0, min(timed))


def _ref(name: str) -> str:
    return namespaced(name)


def _candidates(cluster: Cluster, schedule: dict[str, int]) -> list[Pod]:
    """The pods the loop below can act on, in name order: those on a node with a NoExecute
    taint, and those with an eviction scheduled (any other pod's turn changes nothing: on an
    untainted node or a node that is gone, a pod with no eviction scheduled has none to cancel
    or carry out). Read from the pods index (kmodel.podindex) instead of a scan of every pod."""
    by_node = podindex.index(cluster.pods).by_node
    found = {
        p.name: p
        for n in cluster.nodes
        if any(t.effect == NO_EXECUTE for t in n.taints)
        for p in by_node.get(n.name, ())
    }
    for name in schedule:
        if name not in found and (pod := cluster.pod(name)) is not None:
            found[name] = pod
    return [found[name] for name in sorted(found)]


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    now = cluster.now
    source = versions.taint_eviction_source(cluster.settings.kubernetes_version)
    schedule = dict(cluster.memory.scheduled_evictions)
    out = cluster
    events: list[Event] = []
    notes: list[str] = []

    def cancel(name: str) -> None:
        if schedule.pop(name, None) is not None:
            events.append(
                Event(now, source, "TaintManagerEviction", f"pod/{name}", f"Cancelling deletion of Pod {_ref(name)}")
            )
            notes.append(f"cancel eviction of {name}")

    def evict(pod: Pod) -> None:
        nonlocal out
        events.append(
            Event(now, source, "TaintManagerEviction", f"pod/{pod.name}", f"Marking for deletion Pod {_ref(pod.name)}")
        )
        out = out.with_pod(evolve(pod, disruption_target=True))
        out = apiserver.delete_pod(out, pod.name)
        notes.append(f"evict {pod.name} from {pod.node_name}")

    nodes = {n.name: n for n in cluster.nodes}
    for pod in _candidates(cluster, schedule):
        if pod.node_name is None or pod.disruption_target:
            continue
        node = nodes.get(pod.node_name)
        if node is not None:
            taints = [t for t in node.taints if t.effect == NO_EXECUTE]
            if not taints:
                cancel(pod.name)
                continue
            seconds = min_toleration_seconds(pod, taints)
            if seconds == -1:
                cancel(pod.name)
                evict(pod)
                continue
            if seconds is FOREVER:
                cancel(pod.name)
                continue
            schedule.setdefault(pod.name, now + seconds)
        due = schedule.get(pod.name)
        if due is not None and now >= due:
            del schedule[pod.name]
            evict(pod)
    for name in sorted(name for name in schedule if out.pod(name) is None):
        cancel(name)
    out = out.with_memory(scheduled_evictions=tuple(sorted(schedule.items())))
    if out == cluster:
        return []
    label_ = "; ".join(notes) if notes else "schedule evictions"
    return [Outcome("tainteviction", label_, out, tuple(events))]
