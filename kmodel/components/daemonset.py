"""DaemonSet controller (pkg/controller/daemon: daemon_controller.go, update.go, util/daemonset_util.go).

One step syncs every DaemonSet (``syncDaemonSet``):

- **Claim** its pods (``ClaimPods``, as the ReplicaSet controller does, for the kind DaemonSet)
  and group them by the node they are for (``GetTargetNodeName``: ``spec.nodeName``, or for a
  pod not yet bound the ``metadata.name In [node]`` term of its required node affinity).
- **Which nodes** (``NodeShouldRunDaemonPod``): the template with the tolerations the controller
  adds to every daemon pod (``AddOrUpdateDaemonPodTolerations``: not-ready and unreachable
  NoExecute with no tolerationSeconds; disk-pressure, memory-pressure, pid-pressure and
  unschedulable NoSchedule; network-unavailable NoSchedule for hostNetwork pods) must fit the
  node by ``spec.nodeName``, by nodeSelector and required node affinity, and by the node's
  NoSchedule and NoExecute taints (shouldRun); a pod already there may stay when only
  NoSchedule taints are untolerated (shouldContinueRunning). The node's room, ports and
  readiness are not looked at: that is the scheduler's and the kubelet's business.
- **manage** (``podsShouldBeOnNode``, ``syncNodes``): create a pod for every node that should run
  one and has none (a node whose pod is still Terminating has one: the new pod comes once it
  is gone); delete Failed pods (with the controller's per-node backoff, 1 s doubling up to
  15 min, event ``FailedDaemonPod``) and Succeeded ones (``SucceededDaemonPod``); keep only
  the oldest of several pods on a node (without surge) or the oldest old and new one (with
  surge, the old one deleted once the new one is available or the old one not ready); delete
  every pod of a node that should no longer run one; delete pods not yet bound whose node is
  gone (pods bound to a deleted node are pod GC's). Created pods carry the template's labels,
  ``controller-revision-hash``, the daemon tolerations and the required node affinity replaced
  by ``matchFields metadata.name In [node]`` (``ReplaceDaemonSetPodNodeNameNodeAffinity``): the
  default scheduler places them, so a node without room leaves its pod Pending.
- **rollingUpdate** (update.go), in the same sync after ``manage`` (the model's controller reads
  the current state, so the creations and deletions it just made are observed at once, as the
  fake pod control of the Go tests observes them). Without maxSurge: delete the old pods that
  are not available, and old available ones while fewer than maxUnavailable nodes are
  unavailable. With maxSurge: create a new pod next to every old one that is not available, and
  next to at most maxSurge available old ones (the old pod goes once the new one is available,
  in ``manage``). Both are rounded up from percentages of the nodes that should run a pod; both
  0 means maxUnavailable 1. ``OnDelete``: no rolling update; an old pod is replaced only once
  someone deletes it.
- **Status** (``updateDaemonSetStatus``): desiredNumberScheduled, currentNumberScheduled,
  numberMisscheduled, numberReady, numberAvailable, updatedNumberScheduled.

Left out: ControllerRevision objects (the current revision is the hash of the template; no
revision history, rollback or ``revisionHistoryLimit`` clean-up); the deprecated
templateGeneration annotation; the controller's expectations across syncs (it reads the current
state); the random order of Go map iteration in ``rollingUpdate`` (nodes are taken in name
order); the backoff key's observedGeneration (the key is the DaemonSet and the node).
"""

from __future__ import annotations

import functools
import math

import attrs

from kmodel.components import apiserver
from kmodel.components.deployment import template_key
from kmodel.components.plugins.nodeaffinity import OBJECT_NAME_FIELD, required_matches
from kmodel.components.plugins.tainttoleration import untolerated_taint
from kmodel.labels import IN, Requirement
from kmodel.namespaces import local_name, namespaced, same_namespace
from kmodel.schedulingspec import NodeAffinity, NodeSelectorTerm
from kmodel.state import (
    FAILED,
    NO_EXECUTE,
    NO_SCHEDULE,
    SUCCEEDED,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    TAINT_UNSCHEDULABLE,
    Cluster,
    DaemonSet,
    Node,
    Pod,
    Toleration,
    pairs_get,
    pairs_set,
    pod_available,
    selector_matches,
)
from kmodel.transition import Event, Outcome

SOURCE = "daemonset-controller"
KIND = "DaemonSet"
HASH_LABEL = "controller-revision-hash"  # apps.DefaultDaemonSetUniqueLabelKey
BURST_REPLICAS = 250  # daemon_controller.go BurstReplicas
BACKOFF_INITIAL = 1  # failedPodsBackoff: flowcontrol.NewBackOff(1s, 15min)
BACKOFF_MAX = 15 * 60

TAINT_DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
TAINT_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
TAINT_PID_PRESSURE = "node.kubernetes.io/pid-pressure"
TAINT_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"

ROLLING_UPDATE = "RollingUpdate"
ON_DELETE = "OnDelete"


# --- util/daemonset_util.go --------------------------------------------------------------------


def _matches(a: Toleration, b: Toleration) -> bool:
    """``Toleration.MatchToleration``: same key, operator, value and effect."""
    return (a.key, a.operator, a.value, a.effect) == (b.key, b.operator, b.value, b.effect)


def add_or_update_toleration(tolerations: tuple[Toleration, ...], t: Toleration) -> tuple[Toleration, ...]:
    """``AddOrUpdateTolerationInPodSpec``: a toleration that matches ``t`` (key, operator, value,
    effect) is replaced by it (its tolerationSeconds dropped); otherwise ``t`` is appended."""
    if t in tolerations:
        return tolerations
    if any(_matches(x, t) for x in tolerations):
        return tuple(t if _matches(x, t) else x for x in tolerations)
    return (*tolerations, t)


def daemon_tolerations(tolerations: tuple[Toleration, ...], host_network: bool = False) -> tuple[Toleration, ...]:
    """``AddOrUpdateDaemonPodTolerations``: the tolerations every daemon pod gets."""
    added = [
        Toleration(key=TAINT_NOT_READY, operator="Exists", effect=NO_EXECUTE),
        Toleration(key=TAINT_UNREACHABLE, operator="Exists", effect=NO_EXECUTE),
        Toleration(key=TAINT_DISK_PRESSURE, operator="Exists", effect=NO_SCHEDULE),
        Toleration(key=TAINT_MEMORY_PRESSURE, operator="Exists", effect=NO_SCHEDULE),
        Toleration(key=TAINT_PID_PRESSURE, operator="Exists", effect=NO_SCHEDULE),
        Toleration(key=TAINT_UNSCHEDULABLE, operator="Exists", effect=NO_SCHEDULE),
    ]
    if host_network:
        added.append(Toleration(key=TAINT_NETWORK_UNAVAILABLE, operator="Exists", effect=NO_SCHEDULE))
    for t in added:
        tolerations = add_or_update_toleration(tolerations, t)
    return tolerations


def node_name_affinity(affinity: NodeAffinity | None, node_name: str) -> NodeAffinity:
    """``ReplaceDaemonSetPodNodeNameNodeAffinity``: the required terms become the one term
    ``matchFields metadata.name In [node]``; the preferred terms stay."""
    term = NodeSelectorTerm(match_fields=(Requirement(OBJECT_NAME_FIELD, IN, (node_name,)),))
    if affinity is None:
        return NodeAffinity(required=(term,))
    return attrs.evolve(affinity, required=(term,))


def target_node(pod: Pod) -> str | None:
    """``GetTargetNodeName``: spec.nodeName, else the name in a ``metadata.name In`` field
    requirement of the required node affinity (None: neither)."""
    if pod.node_name:
        return pod.node_name
    affinity = pod.scheduling.node_affinity
    if affinity is None or not affinity.required:
        return None
    for term in affinity.required:
        for req in term.match_fields:
            if req.key == OBJECT_NAME_FIELD and req.operator == IN:
                return req.values[0] if len(req.values) == 1 else None
    return None


def revision_hash(ds: DaemonSet) -> str:
    """The ``controller-revision-hash`` of the current template (``ComputeHash`` of the
    template; kmodel's stand-in hashes the template as written)."""
    return apiserver.template_hash(f"ds/{local_name(ds.name)}/{template_key(ds.template)}")


def count(value: str, total: int) -> int:
    """``GetScaledValueFromIntOrPercent(value, total, roundUp=true)``."""
    if value.endswith("%"):
        return math.ceil(int(value[:-1]) * total / 100)
    return int(value)


def surge_count(ds: DaemonSet, total: int) -> int:
    return count(ds.max_surge, total) if ds.strategy == ROLLING_UPDATE else 0


def unavailable_count(ds: DaemonSet, total: int) -> int:
    return count(ds.max_unavailable, total) if ds.strategy == ROLLING_UPDATE else 0


# --- daemon_controller.go ----------------------------------------------------------------------


def template_pod(ds: DaemonSet, node_name: str | None = None) -> Pod:
    """``NewPod``: a pod of the template with the daemon tolerations (bound to ``node_name``)."""
    t = ds.template
    return t.new_pod(f"{ds.name}-", ds.name, KIND, tolerations=daemon_tolerations(t.tolerations), node_name=node_name)


def should_run(ds: DaemonSet, node: Node) -> tuple[bool, bool]:
    """``NodeShouldRunDaemonPod``: (shouldRun, shouldContinueRunning)."""
    if ds.template.node_name is not None and ds.template.node_name != node.name:
        return False, False
    pod = template_pod(ds, node.name)
    if not required_matches(pod, node):
        return False, False
    if untolerated_taint(pod, node, (NO_SCHEDULE, NO_EXECUTE)) is not None:
        return False, untolerated_taint(pod, node, (NO_EXECUTE,)) is None
    return True, True


def _by_age(a: Pod, b: Pod) -> int:
    """``podByCreationTimestampAndPhase``: bound pods first, then the oldest, then by name."""
    if (a.node_name is None) != (b.node_name is None):
        return -1 if a.node_name is not None else 1
    if a.created != b.created:
        return -1 if a.created < b.created else 1
    return -1 if a.name < b.name else (1 if a.name > b.name else 0)


def oldest_first(pods: list[Pod]) -> list[Pod]:
    return sorted(pods, key=functools.cmp_to_key(_by_age))


def claim_pods(cluster: Cluster, ds: DaemonSet, notes: list[str]) -> Cluster:
    """``ClaimPods`` for the DaemonSet: adopt matching orphans, release owned pods that no longer
    match (pods being deleted and finished pods are left alone)."""
    out = cluster
    for p in cluster.pods:
        if not p.active:
            continue
        matches = same_namespace(p.name, ds.name) and selector_matches(ds.selector, p.labels)
        if p.owned_by(KIND, ds.name) and not matches:
            out = out.with_pod(attrs.evolve(p, owner=None))
            notes.append(f"{ds.name}: release {p.name}")
        elif p.owner is None and matches:
            out = out.with_pod(attrs.evolve(p, owner=ds.name, owner_kind=KIND))
            notes.append(f"{ds.name}: adopt {p.name}")
    return out


def pods_by_target(cluster: Cluster, ds: DaemonSet) -> dict[str, list[Pod]]:
    """``getNodesToDaemonPods``: the DaemonSet's pods by the node they are for."""
    out: dict[str, list[Pod]] = {}
    for p in cluster.pods:
        if not p.owned_by(KIND, ds.name):
            continue
        if p.phase in (SUCCEEDED, FAILED) and p.terminating:
            continue  # deleted finished pods are not counted
        target = target_node(p)
        if target is not None:
            out.setdefault(target, []).append(p)
    return out


def is_updated(pod: Pod, hash_: str) -> bool:
    """``IsPodUpdated``: the pod's controller-revision-hash is the current one."""
    return (HASH_LABEL, hash_) in pod.labels


def new_pod(cluster: Cluster, ds: DaemonSet, node_name: str, hash_: str) -> tuple[Pod, DaemonSet]:
    """A pod for ``node_name`` named ``<ds>-<suffix>`` (a counter stands for the random suffix)."""
    while cluster.pod(name := f"{ds.name}-{apiserver.name_suffix(ds.name, ds.next_pod)}") is not None:
        ds = attrs.evolve(ds, next_pod=ds.next_pod + 1)
    base = template_pod(ds)
    labels = tuple(sorted({**dict(ds.template.labels), HASH_LABEL: hash_}.items()))
    scheduling = attrs.evolve(
        base.scheduling, node_affinity=node_name_affinity(base.scheduling.node_affinity, node_name)
    )
    pod = attrs.evolve(
        base, name=name, labels=labels, scheduling=scheduling, created=cluster.now, node_name=ds.template.node_name
    )
    return pod, attrs.evolve(ds, next_pod=ds.next_pod + 1)


def _backoff_key(ds: DaemonSet, node: str) -> str:
    return f"{ds.name}/{node}"


def _in_backoff(cluster: Cluster, key: str) -> bool:
    """``IsInBackOffSinceUpdate``: an entry whose delay has not passed since its last update."""
    entry = pairs_get(cluster.memory.daemon_backoff, key)
    return entry is not None and cluster.now - entry[1] < entry[0]


def _next_backoff(cluster: Cluster, key: str) -> Cluster:
    """``Backoff.Next``: the first delay (again after 2 x the maximum without an update), else double."""
    now = cluster.now
    entry = pairs_get(cluster.memory.daemon_backoff, key)
    if entry is None or now - entry[1] > 2 * BACKOFF_MAX:
        delay = BACKOFF_INITIAL
    else:
        delay = min(entry[0] * 2, BACKOFF_MAX)
    return cluster.with_memory(daemon_backoff=pairs_set(cluster.memory.daemon_backoff, key, (delay, now)))


def pods_should_be_on_node(
    cluster: Cluster, ds: DaemonSet, node: Node, pods: list[Pod], hash_: str, events: list[Event]
) -> tuple[Cluster, bool, list[Pod]]:
    """``podsShouldBeOnNode``: (the cluster with the backoff updated, whether the node needs a
    pod, the pods to delete)."""
    run, keep = should_run(ds, node)
    now = cluster.now
    delete: list[Pod] = []
    if run and not pods:
        return cluster, True, []
    if keep:
        running: list[Pod] = []
        for p in pods:
            if p.terminating:
                continue
            if p.phase == FAILED:
                key = _backoff_key(ds, node.name)
                if _in_backoff(cluster, key):
                    continue
                cluster = _next_backoff(cluster, key)
                msg = f"Found failed daemon pod {namespaced(p.name)} on node {node.name}, will try to kill it"
                events.append(Event(now, SOURCE, "FailedDaemonPod", f"daemonset/{ds.name}", msg, "Warning"))
                delete.append(p)
            elif p.phase == SUCCEEDED:
                msg = f"Found succeeded daemon pod {namespaced(p.name)} on node {node.name}, will try to delete it"
                events.append(Event(now, SOURCE, "SucceededDaemonPod", f"daemonset/{ds.name}", msg))
                delete.append(p)
            else:
                running.append(p)
        if surge_count(ds, 1) <= 0:  # AllowsSurge
            delete.extend(oldest_first(running)[1:])
            return cluster, False, delete
        if len(running) <= 1:
            return cluster, not running and run, delete
        oldest_new: Pod | None = None
        oldest_old: Pod | None = None
        for p in oldest_first(running):
            if is_updated(p, hash_):
                if oldest_new is None:
                    oldest_new = p
                    continue
            elif oldest_old is None:
                oldest_old = p
                continue
            delete.append(p)
        if oldest_new is not None and oldest_old is not None:
            if not oldest_old.ready or pod_available(oldest_new, ds.min_ready_seconds, now):
                delete.append(oldest_old)
        return cluster, False, delete
    if pods:
        delete.extend(p for p in pods if not p.terminating)
    return cluster, False, delete


def sync_nodes(
    cluster: Cluster,
    ds: DaemonSet,
    delete: list[Pod],
    create: list[str],
    hash_: str,
    events: list[Event],
    notes: list[str],
) -> Cluster:
    """``syncNodes``: create the pods (at most burstReplicas; the slow-start batches stop at the
    first refusal) and delete the others."""
    out = cluster
    now = cluster.now
    created = []
    for node_name in create[:BURST_REPLICAS]:
        pod, next_ds = new_pod(out, ds, node_name, hash_)
        out, error = apiserver.try_create_pod(out, pod, generate_name=f"{ds.name}-")
        if error is not None:
            events.append(
                Event(now, SOURCE, "FailedCreate", f"daemonset/{ds.name}", f"Error creating: {error}", "Warning")
            )
            notes.append(f"{ds.name}: create refused: {error}")
            break
        ds = next_ds
        created.append(f"{pod.name} for {node_name}")
        events.append(Event(now, SOURCE, "SuccessfulCreate", f"daemonset/{ds.name}", f"Created pod: {pod.name}"))
    deleted = []
    for p in delete[:BURST_REPLICAS]:
        out = apiserver.delete_pod(out, p.name)
        deleted.append(p.name)
        events.append(Event(now, SOURCE, "SuccessfulDelete", f"daemonset/{ds.name}", f"Deleted pod: {p.name}"))
    if created:
        notes.append(f"{ds.name}: create {', '.join(created)}")
    if deleted:
        notes.append(f"{ds.name}: delete {', '.join(deleted)}")
    return out.with_daemonset(ds)


def manage(cluster: Cluster, ds: DaemonSet, hash_: str, events: list[Event], notes: list[str]) -> Cluster:
    by_node = pods_by_target(cluster, ds)
    create: list[str] = []
    delete: list[Pod] = []
    out = cluster
    for node in cluster.nodes:
        out, needs, gone = pods_should_be_on_node(out, ds, node, by_node.get(node.name, []), hash_, events)
        if needs:
            create.append(node.name)
        delete.extend(gone)
    # getUnscheduledPodsWithoutNode: pods for a node that is gone and never bound
    names = {n.name for n in cluster.nodes}
    for target, pods in sorted(by_node.items()):
        if target not in names:
            delete.extend(p for p in pods if p.node_name is None)
    if not create and not delete:
        return out
    return sync_nodes(out, ds, delete, create, hash_, events, notes)


def _updated_pods_on_node(pods: list[Pod], hash_: str) -> tuple[Pod | None, Pod | None, bool]:
    """``findUpdatedPodsOnNode``: (new pod, old pod, at most one of each) among the pods not
    being deleted."""
    new = old = None
    for p in pods:
        if p.terminating:
            continue
        if is_updated(p, hash_):
            if new is not None:
                return None, None, False
            new = p
        else:
            if old is not None:
                return None, None, False
            old = p
    return new, old, True


def rolling_update(cluster: Cluster, ds: DaemonSet, hash_: str, events: list[Event], notes: list[str]) -> Cluster:
    """update.go ``rollingUpdate``."""
    now = cluster.now
    by_node = pods_by_target(cluster, ds)
    desired = 0
    for node in cluster.nodes:
        if should_run(ds, node)[0]:
            desired += 1
            by_node.setdefault(node.name, [])
    max_unavailable = unavailable_count(ds, desired)
    max_surge = surge_count(ds, desired)
    if desired > 0 and max_unavailable == 0 and max_surge == 0:
        max_unavailable = 1

    def available(p: Pod) -> bool:
        return pod_available(p, ds.min_ready_seconds, now)

    if max_surge == 0:
        unavailable = 0
        replace: list[Pod] = []
        candidates: list[Pod] = []
        for _, pods in sorted(by_node.items()):
            new, old, ok = _updated_pods_on_node(pods, hash_)
            if not ok:
                unavailable += 1
                continue
            if (old is None) == (new is None):
                unavailable += 1
            elif new is not None:
                if not available(new):
                    unavailable += 1
            elif old is not None:
                if not available(old):
                    replace.append(old)
                    unavailable += 1
                elif unavailable < max_unavailable:
                    candidates.append(old)
        room = min(max(max_unavailable - unavailable, 0), len(candidates))
        delete = replace + candidates[:room]
        if not delete:
            return cluster
        return sync_nodes(cluster, ds, delete, [], hash_, events, notes)

    delete = []
    should_not_run: list[Pod] = []
    candidate_nodes: list[str] = []
    allowed_nodes: list[str] = []
    surging = 0
    available_count = 0
    for node_name, pods in sorted(by_node.items()):
        new, old, ok = _updated_pods_on_node(pods, hash_)
        if not ok:
            surging += 1
            continue
        if old is not None:
            available_count += available(old)
        elif new is not None:
            available_count += available(new)
        if old is None:
            continue
        node = cluster.node(node_name)
        run = node is not None and should_run(ds, node)[0]
        if new is None:
            if not available(old):
                if not run:
                    delete.append(old)
                    continue
                allowed_nodes.append(node_name)
            else:
                if not run:
                    should_not_run.append(old)
                    continue
                if surging >= max_surge:
                    continue
                candidate_nodes.append(node_name)
        else:
            if not available(new):
                surging += 1
                continue
            delete.append(old)
    deletable = min(max(available_count - desired, 0), len(should_not_run))
    delete.extend(should_not_run[:deletable])
    room = min(max(max_surge - surging, 0), len(candidate_nodes))
    create = allowed_nodes + candidate_nodes[:room]
    if not delete and not create:
        return cluster
    return sync_nodes(cluster, ds, delete, create, hash_, events, notes)


def status(cluster: Cluster, ds: DaemonSet, hash_: str) -> DaemonSet:
    """``updateDaemonSetStatus``."""
    by_node = pods_by_target(cluster, ds)
    desired = current = misscheduled = ready = available = updated = 0
    for node in cluster.nodes:
        run, _ = should_run(ds, node)
        pods = by_node.get(node.name, [])
        if run:
            desired += 1
            if not pods:
                continue
            current += 1
            pod = oldest_first(pods)[0]
            if pod.ready:
                ready += 1
                if pod_available(pod, ds.min_ready_seconds, cluster.now):
                    available += 1
            if is_updated(pod, hash_):
                updated += 1
        elif pods:
            misscheduled += 1
    return attrs.evolve(
        ds,
        status_desired=desired,
        status_current=current,
        status_misscheduled=misscheduled,
        status_ready=ready,
        status_available=available,
        status_updated=updated,
    )


def sync(cluster: Cluster, ds: DaemonSet, events: list[Event], notes: list[str]) -> Cluster:
    """``syncDaemonSet``: claim, manage, then (when manage had nothing to do) the rolling
    update, then the status."""
    hash_ = revision_hash(ds)
    out = claim_pods(cluster, ds, notes)
    out = manage(out, ds, hash_, events, notes)
    if ds.strategy == ROLLING_UPDATE:
        out = rolling_update(out, out.daemonset(ds.name) or ds, hash_, events, notes)
    current = out.daemonset(ds.name) or ds
    return out.with_daemonset(status(out, current, hash_))


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    for ds in cluster.daemonsets:
        out = sync(out, ds, events, notes)
    if out == cluster and not events:
        return []
    return [Outcome("daemonset", "; ".join(notes) or "update daemonset status", out, tuple(events))]
