"""ReplicaSet controller (pkg/controller/replicaset/replica_set.go).

One step syncs every ReplicaSet: claim its pods (``ClaimPods``, pkg/controller/
controller_ref_manager.go: among the active pods, adopt orphans whose labels match its selector
and release the ones it owns whose labels no longer do; pods owned by another controller and
pods being deleted are left alone), count its active pods (not Succeeded/Failed and not being deleted:
a Terminating pod is replaced at once), create the missing ones (at most ``burstReplicas`` = 500 a
sync; the real slow-start batches 1, 2, 4, ... all succeed in the model) or delete the surplus in
the order of ``ActivePodsWithRanks`` (pkg/controller/controller_utils.go), and write the status
(``calculateStatus``: replicas, ready, and available: ready for at least ``spec.minReadySeconds``).

Deletion ranking, first deleted first: unassigned before assigned; Pending before Unknown before
Running; not ready before ready; a lower ``controller.kubernetes.io/pod-deletion-cost`` first;
more pods of the same owner on the same node first; when both are
ready, ready for a shorter time first (compared on a log2 scale of nanoseconds, the
LogarithmicScaleDown feature); more restarts first; newer first (also on the log2 scale); the
remaining ties by name (the real controller compares UIDs, which are random).

Without informer lag the controller reads the current state, so its expectations (how many
creates and deletes it is still waiting to see) are always met. With ``informerLag`` the step runs
on the controller's own lagging view of the pods (:mod:`kmodel.informer`, which also keeps the
expectations): while a ReplicaSet's expectations are unsatisfied its sync creates and deletes
nothing (``rsNeedsSync`` in syncReplicaSet), unless ``rsExpectations: false``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from operator import attrgetter

from kmodel import informer, podindex
from kmodel.components import apiserver
from kmodel.frozen import evolve
from kmodel.labels import Labels, LabelSelector
from kmodel.namespaces import same_namespace
from kmodel.state import FAILED, PENDING, RUNNING, SUCCEEDED, Cluster, Pod, ReplicaSet, pod_available, selector_matches
from kmodel.transition import Event, Outcome

SOURCE = "replicaset-controller"
BURST_REPLICAS = 500

_PHASE_ORDER = {PENDING: 0, "Unknown": 1, RUNNING: 2}
_FINISHED = (SUCCEEDED, FAILED)


def _matcher(selector: Labels | LabelSelector) -> Callable[[Labels], bool]:
    """``selector_matches(selector, labels)``, asked once per labels object for one scan of
    pods (the pods of one template share theirs; the pods scanned keep them alive)."""
    seen: dict[int, bool] = {}

    def matches(labels: Labels) -> bool:
        found = seen.get(id(labels))
        if found is None:
            found = seen[id(labels)] = selector_matches(selector, labels)
        return found

    return matches


def _held_matcher(selector: Labels | LabelSelector) -> Callable[[Labels], bool]:
    """:func:`_matcher` for a test kept beyond one scan (a pods index fact's update): each
    answer holds its labels object, so that an identity is not reused while it is kept."""
    seen: dict[int, tuple[Labels, bool]] = {}

    def matches(labels: Labels) -> bool:
        found = seen.get(id(labels))
        if found is not None and found[0] is labels:
            return found[1]
        if len(seen) > 1000:
            seen.clear()
        answer = selector_matches(selector, labels)
        seen[id(labels)] = (labels, answer)
        return answer

    return matches


def owned_pods(cluster: Cluster, rs: ReplicaSet) -> list[Pod]:
    # from the pods naming it as owner (kmodel.podindex), kept while none of them changes
    def compute(mine: tuple[Pod, ...]) -> list[Pod]:
        selected = _matcher(rs.selector)
        return [p for p in mine if p.owned_by("ReplicaSet", rs.name) and selected(p.labels)]

    found: list[Pod] = podindex.index(cluster.pods).per_owner(("replicaset.owned", rs.selector), rs.name, compute)
    return list(found)


def _counts(cluster: Cluster, rs: ReplicaSet) -> tuple[int, int]:
    """How many of ``owned_pods(cluster, rs)`` are active, and how many of those are ready: from
    the pods index, updated pod by pod (a sync read every pod the ReplicaSet owns, several times)."""
    fact = ("replicaset.counts", rs.name, rs.selector)
    selected = _held_matcher(rs.selector)
    name = rs.name

    def contributes(p: Pod) -> bool:
        # (Pod.active and Pod.owned_by inline: called at each write of one of its pods)
        return (
            p.owner == name
            and p.owner_kind == "ReplicaSet"
            and p.deletion_timestamp is None
            and p.phase not in _FINISHED
            and selected(p.labels)
        )

    def compute(mine: tuple[Pod, ...]) -> tuple[int, int]:
        active = ready = 0
        for p in mine:
            if contributes(p):
                active += 1
                ready += p.ready
        return active, ready

    def update(value: tuple[int, int], old: Pod | None, new: Pod | None) -> tuple[int, int]:
        active, ready = value
        if old is not None and contributes(old):
            active, ready = active - 1, ready - old.ready
        if new is not None and contributes(new):
            active, ready = active + 1, ready + new.ready
        return active, ready

    found: tuple[int, int] = podindex.index(cluster.pods).per_owner(fact, rs.name, compute, update)
    return found


def _log_rank_diff(t1: int, t2: int, now: int) -> int:
    """``logarithmicRankDiff``: compare how long ago two instants were, in powers of two."""

    def rank(t: int) -> int:
        d = now - t
        # floor(log2) of the duration in nanoseconds, as Go's time.Duration is
        return -1 if d <= 0 else (d * 1_000_000_000).bit_length() - 1

    return rank(t1) - rank(t2)


def deletion_order(pods: list[Pod], related: list[Pod], now: int) -> list[Pod]:
    """Sort pods so that the ones to delete first come first (``ActivePodsWithRanks``)."""
    per_node: dict[str, int] = {}
    for p in related:
        if p.node_name:
            per_node[p.node_name] = per_node.get(p.node_name, 0) + 1

    def rank(p: Pod) -> int:
        return per_node.get(p.node_name, 0) if p.node_name else 0

    def less(a: Pod, b: Pod) -> int:
        # 1. unassigned < assigned
        if (a.node_name is None) != (b.node_name is None):
            return -1 if a.node_name is None else 1
        # 2. Pending < Unknown < Running
        pa, pb = _PHASE_ORDER.get(a.phase, 3), _PHASE_ORDER.get(b.phase, 3)
        if pa != pb:
            return -1 if pa < pb else 1
        # 3. not ready < ready
        if a.ready != b.ready:
            return -1 if not a.ready else 1
        # 3b. lower pod-deletion-cost first (PodDeletionCost, on by default since 1.22; kmodel
        # sets the cost only from then on, see useractions.relabel)
        if a.deletion_cost != b.deletion_cost:
            return -1 if a.deletion_cost < b.deletion_cost else 1
        # 4. more pods on the same node first
        if rank(a) != rank(b):
            return -1 if rank(a) > rank(b) else 1
        # 5. ready for a shorter time first
        if a.ready and b.ready and a.ready_since != b.ready_since:
            if a.ready_since is None or b.ready_since is None:
                return -1 if a.ready_since is None else 1
            diff = _log_rank_diff(a.ready_since, b.ready_since, now)
            if diff != 0:
                return -1 if diff < 0 else 1
            return -1 if a.name < b.name else 1
        # 6. more restarts first
        if a.restarts != b.restarts:
            return -1 if a.restarts > b.restarts else 1
        # 7. newer first
        if a.created != b.created:
            diff = _log_rank_diff(a.created, b.created, now)
            if diff != 0:
                return -1 if diff < 0 else 1
        return -1 if a.name < b.name else (1 if a.name > b.name else 0)

    return sorted(pods, key=functools.cmp_to_key(less))


def new_pod(rs: ReplicaSet, now: int, taken: Callable[[str], bool] = lambda _: False) -> tuple[Pod, ReplicaSet]:
    """A pod from the template, named ``<rs>-<suffix>``. The apiserver's generateName retries on
    a name that is taken (a ReplicaSet deleted and recreated under the same name restarts the
    model's counter while its old pods may still be Terminating), so the counter moves on."""
    while taken(name := f"{rs.name}-{apiserver.name_suffix(rs.name, rs.next_pod)}"):
        rs = evolve(rs, next_pod=rs.next_pod + 1)
    pod = rs.template.new_pod(name, rs.name, "ReplicaSet", created=now)
    return pod, evolve(rs, next_pod=rs.next_pod + 1)


def claim_pods(cluster: Cluster, rs: ReplicaSet, notes: list[str]) -> Cluster:
    """``ClaimPods`` over the active pods (``FilterActivePods`` comes first in syncReplicaSet)."""
    out = cluster
    # only the pods it owns and the orphans can change hands (from the pods index; taken in name
    # order, as a scan of every pod would meet them)
    ix = podindex.index(cluster.pods)

    def matcher() -> Callable[[Pod], bool]:
        selected = _matcher(rs.selector)

        def matches(p: Pod) -> bool:
            return same_namespace(p.name, rs.name) and selected(p.labels)

        return matches

    def releasable(mine: tuple[Pod, ...]) -> list[Pod]:
        matches = matcher()
        return [p for p in mine if p.active and p.owned_by("ReplicaSet", rs.name) and not matches(p)]

    def adoptable(orphans: tuple[Pod, ...]) -> list[Pod]:
        matches = matcher()
        return [p for p in orphans if p.active and matches(p)]

    held = _held_matcher(rs.selector)

    def kept(p: Pod) -> bool:
        return same_namespace(p.name, rs.name) and held(p.labels)

    def still(value: list[Pod], old: Pod | None, new: Pod | None) -> list[Pod] | None:
        # a write of a pod releasable neither before nor after leaves the list as it was
        for p in (old, new):
            if p is not None and p.owner_kind == "ReplicaSet" and p.owner == rs.name and p.active and not kept(p):
                return None
        return value

    release = ix.per_owner(("replicaset.release", rs.name, rs.selector), rs.name, releasable, still)
    space = rs.name.split("/", 1)[0] if "/" in rs.name else None  # what same_namespace compares
    adopt = ix.per_owner(("replicaset.adopt", rs.selector, space), None, adoptable)
    for p in sorted([*release, *adopt], key=attrgetter("name")):
        if p.owner is not None:
            out = out.with_pod(evolve(p, owner=None))
            notes.append(f"{rs.name}: release {p.name}")
        else:
            out = out.with_pod(evolve(p, owner=rs.name, owner_kind="ReplicaSet"))
            notes.append(f"{rs.name}: adopt {p.name}")
    return out


def sync(cluster: Cluster, rs: ReplicaSet, events: list[Event], notes: list[str], manage: bool = True) -> Cluster:
    """``syncReplicaSet``; ``manage``: its expectations are satisfied, so manageReplicas runs."""
    now = cluster.now
    cluster = claim_pods(cluster, rs, notes)
    # (the counts from the pods index; the active pods themselves only to delete some)
    diff = _counts(cluster, rs)[0] - rs.replicas if manage else 0
    out = cluster
    if diff < 0:
        # (admitted one by one, stored together: admission reads no pod, see apiserver.admit_pod)
        created: list[Pod] = []
        names: set[str] = set()
        for _ in range(min(-diff, BURST_REPLICAS)):
            pod, next_rs = new_pod(rs, now, lambda name, c=out: name in names or c.pod(name) is not None)
            admitted = apiserver.admit_pod(out, pod, generate_name=f"{rs.name}-")
            if isinstance(admitted, str):
                # the slow-start batch stops at the first refusal (createPods, FailedCreate)
                message = f"Error creating: {admitted}"
                events.append(Event(now, SOURCE, "FailedCreate", f"replicaset/{rs.name}", message, "Warning"))
                notes.append(f"{rs.name}: create refused: {admitted}")
                break
            rs = next_rs
            created.append(admitted)
            names.add(admitted.name)
            events.append(Event(now, SOURCE, "SuccessfulCreate", f"replicaset/{rs.name}", f"Created pod: {pod.name}"))
        out = out.with_pods(created)
        if created:
            notes.append(f"{rs.name}: create {len(created)} pod(s)")
    elif diff > 0:
        # getPodsRankedByRelatedPodsOnSameNode: active pods of every ReplicaSet with the same
        # owner (the Deployment's old and new ReplicaSets), or of this ReplicaSet alone
        siblings = {r.name for r in out.replicasets if rs.owner is not None and r.owner == rs.owner} | {rs.name}
        related = [p for p in out.pods if p.replicaset_owner in siblings and p.active]
        active = [p for p in owned_pods(out, rs) if p.active]
        victims = deletion_order(active, related, now)[: min(diff, BURST_REPLICAS)]
        for pod in victims:
            out = apiserver.delete_pod(out, pod.name)
            events.append(Event(now, SOURCE, "SuccessfulDelete", f"replicaset/{rs.name}", f"Deleted pod: {pod.name}"))
        notes.append(f"{rs.name}: delete {', '.join(p.name for p in victims)}")
    # calculateStatus (replica_set_utils.go): ready pods, and among them the available ones
    # (ready for spec.minReadySeconds). The real controller requeues the ReplicaSet after
    # minReadySeconds to see a pod become available; here the controller runs every tick, so
    # the status changes at the first tick at or after that instant.
    replicas, ready = _counts(out, rs)
    if rs.min_ready_seconds == 0:
        available = ready  # (pod_available is then readiness)
    else:
        active_now = [p for p in owned_pods(out, rs) if p.active]
        available = sum(1 for p in active_now if pod_available(p, rs.min_ready_seconds, now))
    rs = evolve(rs, status_replicas=replicas, status_ready=ready, status_available=available)
    return out.with_replicaset(rs)


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    for rs in cluster.replicasets:
        out = sync(out, rs, events, notes, manage=informer.satisfied(cluster, rs.name))
    if out == cluster and not any(e.reason == "FailedCreate" for e in events):
        return []
    return [Outcome("replicaset", "; ".join(notes) or "update replicaset status", out, tuple(events))]
