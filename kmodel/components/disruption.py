"""The disruption controller (pkg/controller/disruption/disruption.go): the status of every
policy/v1 PodDisruptionBudget.

For each budget, at every sync (each tick the controller-manager runs and the status would change):

- the pods are those its selector matches (``getPodsForPdb``: no selector matches none, an empty
  one every pod of the namespace);
- ``getExpectedPodCount``: with ``maxUnavailable`` (a count or a percentage), the expected count
  is the sum of the scale of the pods' controllers (``getExpectedScale``: a ReplicaSet's
  spec.replicas, or its Deployment's when a Deployment owns it; a StatefulSet's), the
  percentage rounded up, desiredHealthy = expected - maxUnavailable (at least 0); with an
  integer ``minAvailable``, desiredHealthy is that number and the expected count the number of
  matched pods; with a percentage ``minAvailable``, the expected count is the controllers'
  scale and desiredHealthy the percentage of it, rounded up. Pods with no controller are left
  out of the scale (event ``UnmanagedPods``); a pod whose controller has no scale (a DaemonSet's,
  a Job's) or is gone makes the sync fail (``CalculateExpectedPodCountFailed``) and the
  controller's ``failSafe`` sets disruptionsAllowed to 0 with the DisruptionAllowed condition
  False, reason SyncFailed;
- ``buildDisruptedPodMap``: the pods the eviction API recorded in status.disruptedPods stay
  there while they exist, are not being deleted and were evicted at most ``DELETION_TIMEOUT``
  (2 minutes) ago (an older entry gives the event ``NotDeleted`` and is dropped);
- ``countHealthyPods``: pods Ready, not being deleted, and not in that map;
- ``updatePdbStatus``: disruptionsAllowed = currentHealthy - desiredHealthy, or 0 when that is
  negative or the expected count is 0; observedGeneration catches up with the spec; the
  DisruptionAllowed condition is True (SufficientPods) when disruptions are allowed, else
  False (InsufficientPods).

Left out: ReplicationControllers and custom resources with a scale subresource (kmodel has
neither), the stale DisruptionTarget clean-up (the model's eviction never leaves a condition on
a pod it did not delete), namespaces (one per scenario), and the informers' and queues' timing:
the controller sees the current state at each sync.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from kmodel.namespaces import same_namespace
from kmodel.state import Cluster, Pod, PodDisruptionBudget
from kmodel.transition import Event, Outcome

if TYPE_CHECKING:
    from kmodel.manifests import Manifest

SOURCE = "controllermanager"  # the disruption controller's events come from the controller-manager
DELETION_TIMEOUT = 120  # DeletionTimeout: how long an evicted pod may take to be deleted
# the DisruptionAllowed condition's reasons (policy/v1)
SUFFICIENT_PODS = "SufficientPods"
INSUFFICIENT_PODS = "InsufficientPods"
SYNC_FAILED = "SyncFailed"


# --- which pods a budget covers -----------------------------------------------------------------


def matches(pdb: PodDisruptionBudget, pod: Pod) -> bool:
    """``getPodsForPdb``: the budget's selector selects the pod (no selector: none; an empty
    one: every pod), within the budget's namespace."""
    return pdb.selector is not None and same_namespace(pdb.name, pod.name) and pdb.selector.matches(pod.labels)


def guards(pdb: PodDisruptionBudget, pod: Pod) -> bool:
    """Whether the eviction API and preemption apply the budget to the pod: as :func:`matches`,
    but a budget with an empty selector guards nothing ("a PDB with a nil or empty selector
    ... should match nothing")."""
    return (
        pdb.selector is not None
        and not pdb.selector.empty
        and same_namespace(pdb.name, pod.name)
        and pdb.selector.matches(pod.labels)
    )


def pods_of(cluster: Cluster, pdb: PodDisruptionBudget) -> list[Pod]:
    return [p for p in cluster.pods if matches(pdb, p)]


def budgets_of(cluster: Cluster, pod: Pod) -> list[PodDisruptionBudget]:
    """The budgets the eviction API applies to ``pod`` (``getPodDisruptionBudgets``)."""
    return [b for b in cluster.pdbs if guards(b, pod)]


# --- the numbers --------------------------------------------------------------------------------


def scaled(value: str, total: int) -> int:
    """``intstr.GetScaledValueFromIntOrPercent(value, total, roundUp=true)``."""
    if value.endswith("%"):
        return math.ceil(int(value[:-1]) * total / 100)
    return int(value)


class SyncError(Exception):
    """``getExpectedScale`` failed: the text of the error the controller reports."""


def _controller_scale(cluster: Cluster, pod: Pod) -> tuple[str, int] | None:
    """The finders (``finders()`` then the scale subresource): (the controller's key, its
    scale) for the pod's controller, or None for a pod without one. Raises SyncError when the
    controller has no scale or is gone."""
    if pod.owner is None:
        return None
    if pod.owner_kind == "ReplicaSet":
        rs = cluster.replicaset(pod.owner)
        if rs is not None:
            d = cluster.deployment(rs.owner) if rs.owner is not None else None
            if d is not None:
                return f"Deployment/{d.name}", d.replicas
            # a bare ReplicaSet (getPodReplicaSet), or one whose Deployment is gone: the scale
            # subresource finder reads the ReplicaSet's own scale
            return f"ReplicaSet/{rs.name}", rs.replicas
    elif pod.owner_kind == "StatefulSet":
        ss = cluster.statefulset(pod.owner)
        if ss is not None:
            return f"StatefulSet/{ss.name}", ss.replicas
    elif pod.owner_kind == "DaemonSet":
        raise SyncError("daemonsets.apps does not implement the scale subresource")
    elif pod.owner_kind == "Job":
        raise SyncError("jobs.batch does not implement the scale subresource")
    raise SyncError(f'found no controllers for pod "{pod.name}"')


def expected_scale(cluster: Cluster, pods: list[Pod]) -> tuple[int, list[str]]:
    """``getExpectedScale``: (the sum of the scale of the pods' controllers, the pods that
    have no controller). Raises SyncError."""
    scales: dict[str, int] = {}
    unmanaged: list[str] = []
    for pod in pods:
        found = _controller_scale(cluster, pod)
        if found is None:
            unmanaged.append(pod.name)
        else:
            scales[found[0]] = found[1]
    return sum(scales.values()), unmanaged


def expected_pod_count(cluster: Cluster, pdb: PodDisruptionBudget, pods: list[Pod]) -> tuple[int, int, list[str]]:
    """``getExpectedPodCount``: (expectedCount, desiredHealthy, unmanaged pods). Raises SyncError."""
    if pdb.max_unavailable is not None:
        expected, unmanaged = expected_scale(cluster, pods)
        desired = max(expected - scaled(pdb.max_unavailable, expected), 0)
        return expected, desired, unmanaged
    if pdb.min_available is not None:
        if not pdb.min_available.endswith("%"):
            return len(pods), int(pdb.min_available), []
        expected, unmanaged = expected_scale(cluster, pods)
        return expected, scaled(pdb.min_available, expected), unmanaged
    return 0, 0, []


def disrupted_map(pdb: PodDisruptionBudget, pods: list[Pod], now: int) -> tuple[tuple[str, int], ...]:
    """``buildDisruptedPodMap``: the entries of status.disruptedPods still expected to go."""
    recorded = dict(pdb.disrupted_pods)
    kept = []
    for pod in pods:
        if pod.terminating or pod.name not in recorded:
            continue
        if recorded[pod.name] + DELETION_TIMEOUT >= now:
            kept.append((pod.name, recorded[pod.name]))
    return tuple(sorted(kept))


def healthy_count(pods: list[Pod], disrupted: tuple[tuple[str, int], ...], now: int) -> int:
    """``countHealthyPods``: Ready, not being deleted, not about to be evicted."""
    gone = dict(disrupted)
    return sum(
        1
        for p in pods
        if not p.terminating and not (p.name in gone and gone[p.name] + DELETION_TIMEOUT > now) and p.ready
    )


def with_condition(pdb: PodDisruptionBudget) -> PodDisruptionBudget:
    """``UpdateDisruptionAllowedCondition``."""
    if pdb.disruptions_allowed > 0:
        return attrs.evolve(pdb, allowed="True", allowed_reason=SUFFICIENT_PODS)
    return attrs.evolve(pdb, allowed="False", allowed_reason=INSUFFICIENT_PODS)


def sync(cluster: Cluster, pdb: PodDisruptionBudget) -> tuple[PodDisruptionBudget, list[Event]]:
    """One ``sync`` of a budget: its new status, and the events of the sync."""
    now = cluster.now
    obj = f"poddisruptionbudget/{pdb.name}"
    pods = pods_of(cluster, pdb)
    events: list[Event] = []
    if not pods:
        events.append(Event(now, SOURCE, "NoPods", obj, "No matching pods found"))
    try:
        expected, desired, unmanaged = expected_pod_count(cluster, pdb, pods)
    except SyncError as err:
        msg = f"Failed to calculate the number of expected pods: {err}"
        events.append(Event(now, SOURCE, "CalculateExpectedPodCountFailed", obj, msg, "Warning"))
        # failSafe: no disruption allowed, the condition says why; the rest of the status stays
        return attrs.evolve(pdb, disruptions_allowed=0, allowed="False", allowed_reason=SYNC_FAILED), events
    if unmanaged:
        events.append(
            Event(
                now,
                SOURCE,
                "UnmanagedPods",
                obj,
                f"Pods selected by this PodDisruptionBudget (selector: {pdb.selector}) were found to be unmanaged. "
                "As a result, the status of the PDB cannot be calculated correctly, which may result in undefined "
                'behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer '
                "value.",
                "Warning",
            )
        )
    disrupted = disrupted_map(pdb, pods, now)
    for name, t in pdb.disrupted_pods:
        pod = cluster.pod(name)
        if pod is not None and not pod.terminating and t + DELETION_TIMEOUT < now:
            events.append(
                Event(
                    now,
                    SOURCE,
                    "NotDeleted",
                    f"pod/{name}",
                    f"Pod was expected by PDB default/{pdb.name} to be deleted but it wasn't",
                    "Warning",
                )
            )
    healthy = healthy_count(pods, disrupted, now)
    allowed = healthy - desired
    if expected <= 0 or allowed <= 0:
        allowed = 0
    new = attrs.evolve(
        pdb,
        observed=True,
        current_healthy=healthy,
        desired_healthy=desired,
        expected_pods=expected,
        disruptions_allowed=allowed,
        disrupted_pods=disrupted,
    )
    return with_condition(new), events


def step(cluster: Cluster) -> list[Outcome]:
    """Sync every budget whose status would change."""
    if not cluster.controller_manager_active or not cluster.pdbs:
        return []
    out = cluster
    notes: list[str] = []
    events: list[Event] = []
    for pdb in cluster.pdbs:
        new, evs = sync(cluster, pdb)
        if new != pdb:
            out = out.with_pdb(new)
            notes.append(
                f"pdb {pdb.name}: {new.current_healthy} healthy, {new.desired_healthy} desired, "
                f"{new.disruptions_allowed} disruption{'s' if new.disruptions_allowed != 1 else ''} allowed"
            )
            events.extend(evs)
    if out is cluster:
        return []
    return [Outcome("disruption", "; ".join(notes), out, tuple(events))]


# --- kubectl apply ------------------------------------------------------------------------------

SPEC_FIELDS = ("selector", "min_available", "max_unavailable", "unhealthy_pod_eviction_policy", "labels")


def apply_pdb(cluster: Cluster, m: Manifest) -> tuple[Cluster, str]:
    """Create or update a budget; a changed spec bumps the generation, so the status is stale
    (observedGeneration behind: the eviction API answers 429) until the controller syncs it."""
    obj = m.obj
    assert isinstance(obj, PodDisruptionBudget)
    old = cluster.pdb(obj.name)
    if old is None:
        return cluster.with_pdb(attrs.evolve(obj, observed=False)), "created"
    new = attrs.evolve(old, **{f: getattr(obj, f) for f in SPEC_FIELDS})
    if new == old:
        return cluster, "unchanged"
    return cluster.with_pdb(attrs.evolve(new, observed=False)), "configured"


def relative(pdbs: tuple[PodDisruptionBudget, ...], now: int, rename: Callable[[str], str]) -> tuple[object, ...]:
    """The budgets for the checkers' fingerprint: the disrupted pods' eviction times as ages,
    capped just past DELETION_TIMEOUT (the only threshold they meet), pod names renamed."""
    return tuple(
        attrs.evolve(
            b,
            disrupted_pods=tuple(sorted((rename(p), min(now - t, DELETION_TIMEOUT + 1)) for p, t in b.disrupted_pods)),
        )
        for b in pdbs
    )
