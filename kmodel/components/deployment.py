"""Deployment controller (pkg/controller/deployment): RollingUpdate and Recreate rollouts,
proportional scaling, pause, revision history clean-up, progress deadlines.

One controller step syncs every Deployment, in the order of ``syncDeployment``
(deployment_controller.go):

1. ``ClaimReplicaSets`` (controller_ref_manager.go): adopt orphan ReplicaSets whose labels match
   the selector, release owned ones whose labels no longer do.
2. ``checkPausedConditions`` (sync.go): with a progress deadline, a paused Deployment gets
   Progressing=Unknown/DeploymentPaused, a resumed one Progressing=Unknown/DeploymentResumed
   (unless it already timed out).
3. A paused Deployment, or a *scaling event* (``isScalingEvent``: an active ReplicaSet's
   ``deployment.kubernetes.io/desired-replicas`` annotation differs from ``spec.replicas``),
   runs ``sync``: ``getAllReplicaSetsAndSyncRevision`` without creating the new ReplicaSet,
   ``scale`` (below), ``cleanupDeployment`` when paused, then the status (counts and the
   Available condition; Progressing is left alone).
4. Otherwise the strategy's rollout:

   - ``rolloutRolling`` (rolling.go): get (or create) the new ReplicaSet;
     ``reconcileNewReplicaSet`` (scale it towards ``spec.replicas`` within
     ``replicas + maxSurge`` pods in all, ``NewRSNewReplicas``) - *if it scaled, the sync ends
     here* with ``syncRolloutStatus``; else ``reconcileOldReplicaSets`` on the active old
     ReplicaSets: maxScaledDown = sum(spec.replicas) - (replicas - MaxUnavailable) - (new
     spec.replicas - new available); if > 0, ``cleanupUnhealthyReplicas`` (oldest first, up to
     maxScaledDown in all, each old one by its unavailable replicas) then
     ``scaleDownOldReplicaSetsForRollingUpdate`` (oldest first, by available - minAvailable,
     availability summed over the active old ones and the new one as the sync read them) - if
     either scaled, the sync ends with ``syncRolloutStatus``; else ``cleanupDeployment`` if the
     *previous* status says the Deployment is complete, and ``syncRolloutStatus``.
   - ``rolloutRecreate`` (recreate.go): scale every active old ReplicaSet to 0 (if any scaled,
     end with ``syncRolloutStatus``); while old pods are running (``oldPodsRunning``: the old
     ReplicaSets' ``status.replicas``, or any pod of an old ReplicaSet not Succeeded/Failed -
     Terminating pods count) end with ``syncRolloutStatus``; then create the new ReplicaSet at
     full size or scale it to ``spec.replicas``, ``cleanupDeployment`` if complete,
     ``syncRolloutStatus``.

``getNewReplicaSet`` creates the new ReplicaSet directly at ``NewRSNewReplicas`` (event
"Scaled up replica set X from 0 to N"), with revision = max old revision + 1 and the
desired-replicas / max-replicas annotations; an existing new ReplicaSet whose revision is not
the highest gets max + 1 (a rollback to an old template). ``scaleReplicaSet`` writes the size
and refreshes both annotations (event "Scaled up|down replica set X from A to B").

``scale`` (sync.go): if one ReplicaSet is active (or none: the newest), it gets
``spec.replicas``; if the new ReplicaSet is saturated the old ones go to 0; otherwise, for
RollingUpdate, ``replicas + maxSurge - sum(replicas)`` is spread over the active ReplicaSets in
proportion to their size (``GetReplicaSetProportion``, ``getReplicaSetFraction`` from the
max-replicas annotation), largest first (newer first when scaling up, older first when scaling
down), the rounding leftover going to the first.

``syncRolloutStatus`` (progress.go): counts from the ReplicaSets' statuses, Available
(MinimumReplicasAvailable when available >= replicas - MaxUnavailable, else
MinimumReplicasUnavailable), and with a progress deadline Progressing: NewReplicaSetAvailable
when complete, ReplicaSetUpdated (lastUpdateTime now) when any count moved forward,
ProgressDeadlineExceeded once lastUpdateTime + progressDeadlineSeconds < now.

With ``informerLagReplicaSets`` (kmodel.informer) the step runs on the controller's lagging
ReplicaSet list; a write from a stale copy is refused as the apiserver's Conflict.

``cleanupDeployment`` (sync.go): beyond ``revisionHistoryLimit`` old ReplicaSets, delete the
lowest revisions among the first ``len - limit``, skipping any with replicas or pods.

Left out: creation timestamps of ReplicaSets (kmodel orders them by revision, which equals
creation order except after a rollback re-numbers an old ReplicaSet), the ReplicaFailure
condition, the deprecated ``rollbackTo`` (apps/v1 has none: ``kubectl rollout undo`` copies the
template, see :mod:`kmodel.useractions`), ``collisionCount``, observedGeneration (a sync always
sees the latest spec), status.terminatingReplicas, copying the Deployment's annotations to its
ReplicaSets, and the condition messages and transition times (only the reasons are kept).
The only events are the real controller's ScalingReplicaSet ones (conditions are not events).
"""

from __future__ import annotations

import math

from kmodel.components import apiserver
from kmodel.frozen import evolve
from kmodel.labels import LabelSelector
from kmodel.namespaces import local_name, same_namespace
from kmodel.state import (
    FAILED,
    SUCCEEDED,
    Cluster,
    Deployment,
    Labels,
    PodTemplate,
    ReplicaSet,
    remove,
    selector_matches,
)
from kmodel.transition import Event, Outcome

SOURCE = "deployment-controller"
HASH_LABEL = "pod-template-hash"

ROLLING = "RollingUpdate"
RECREATE = "Recreate"

# condition statuses and reasons (pkg/controller/deployment/util/deployment_util.go)
TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"
NEW_RS_REASON = "NewReplicaSetCreated"
FOUND_NEW_RS_REASON = "FoundNewReplicaSet"
RS_UPDATED_REASON = "ReplicaSetUpdated"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
PAUSED_REASON = "DeploymentPaused"
RESUMED_REASON = "DeploymentResumed"
MIN_AVAILABLE_REASON = "MinimumReplicasAvailable"
MIN_UNAVAILABLE_REASON = "MinimumReplicasUnavailable"


def resolve(value: str, replicas: int, round_up: bool) -> int:
    if value.endswith("%"):
        exact = int(value[:-1]) * replicas / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


def fenceposts(d: Deployment) -> tuple[int, int]:
    """``ResolveFenceposts``: (maxSurge, maxUnavailable)."""
    surge = resolve(d.max_surge, d.replicas, round_up=True)
    unavailable = resolve(d.max_unavailable, d.replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: Deployment) -> int:
    """``MaxSurge``: 0 for Recreate, else ResolveFenceposts' surge."""
    return fenceposts(d)[0] if d.strategy == ROLLING else 0


def max_unavailable(d: Deployment) -> int:
    """``MaxUnavailable``: 0 for Recreate or 0 replicas, else ResolveFenceposts' unavailable
    capped at spec.replicas."""
    if d.strategy != ROLLING or d.replicas == 0:
        return 0
    return min(fenceposts(d)[1], d.replicas)


def template_key(t: PodTemplate) -> str:
    """The pod template as text, without the hash label: equal templates, equal keys. A template
    read from a manifest carries the hash of everything written in it (images, env, probes...),
    so that any change starts a rollout, as in Kubernetes."""
    labels = ",".join(f"{k}={v}" for k, v in t.labels if k != HASH_LABEL)
    tolerations = ",".join(f"{x.key}/{x.operator}/{x.value}/{x.effect}/{x.toleration_seconds}" for x in t.tolerations)
    selector = ",".join(f"{k}={v}" for k, v in t.node_selector)
    r = t.requests
    key = f"labels={labels};tol={tolerations};sel={selector};req={r.cpu},{r.memory};grace={t.termination_grace_seconds}"
    return f"{key};spec={t.spec_hash}" if t.spec_hash else key


def new_replicaset_for(d: Deployment, revision: int) -> ReplicaSet:
    h = apiserver.template_hash(f"{local_name(d.name)}/{template_key(d.template)}")
    labels = tuple(sorted((*d.template.labels, (HASH_LABEL, h))))
    selector: Labels | LabelSelector
    if isinstance(d.selector, LabelSelector):
        selector = d.selector.also(((HASH_LABEL, h),))
    else:
        selector = tuple(sorted((*d.selector, (HASH_LABEL, h))))
    return ReplicaSet(
        name=f"{d.name}-{h}",
        labels=labels,
        replicas=0,
        selector=selector,
        template=evolve(d.template, labels=labels),
        owner=d.name,
        revision=revision,
        min_ready_seconds=d.min_ready_seconds,
    )


# --- deployment_util.go ----------------------------------------------------------------------


def new_rs_new_replicas(d: Deployment, all_rs: list[ReplicaSet], new: ReplicaSet) -> int:
    """``NewRSNewReplicas``: RollingUpdate grows the new ReplicaSet while all ReplicaSets'
    replicas stay within replicas + maxSurge (maxSurge as written, not the fencepost), never
    past spec.replicas; Recreate gives it spec.replicas."""
    if d.strategy == RECREATE:
        return d.replicas
    surge = resolve(d.max_surge, d.replicas, round_up=True)
    current = sum(rs.replicas for rs in all_rs)
    max_total = d.replicas + surge
    if current >= max_total:
        return new.replicas
    return new.replicas + min(max_total - current, d.replicas - new.replicas)


def replica_set_fraction(rs: ReplicaSet, d: Deployment) -> int:
    """``getReplicaSetFraction``: how many replicas ``rs`` gains (or loses) when the Deployment
    grows from the max-replicas annotation (or, without one, status.replicas) to replicas +
    maxSurge; its whole size when scaling to 0."""
    if d.replicas == 0:
        return -rs.replicas
    max_replicas = d.replicas + max_surge(d)
    before = rs.max_replicas
    if not before:
        before = d.status_replicas
        if before == 0:
            return 0
    return _round(rs.replicas * max_replicas / before) - rs.replicas


def _round(x: float) -> int:
    """``integer.RoundToInt32``: halves away from zero."""
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def replica_set_proportion(rs: ReplicaSet, d: Deployment, to_add: int, added: int) -> int:
    """``GetReplicaSetProportion``: ``rs``'s share of ``to_add``, never past what is left."""
    if rs.replicas == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = replica_set_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def is_saturated(d: Deployment, rs: ReplicaSet | None) -> bool:
    """``IsSaturated``: the new ReplicaSet has spec.replicas, says so in its desired-replicas
    annotation, and all of them are available."""
    if rs is None or rs.desired_replicas is None:
        return False
    return rs.replicas == d.replicas and rs.desired_replicas == d.replicas and rs.status_available == d.replicas


def deployment_complete(d: Deployment, updated: int, replicas: int, available: int) -> bool:
    """``DeploymentComplete`` for a status with these counts."""
    return updated == d.replicas and replicas == d.replicas and available == d.replicas


def deployment_progressing(d: Deployment, updated: int, replicas: int, ready: int, available: int) -> bool:
    """``DeploymentProgressing``: compared with the Deployment's current status, more updated,
    fewer old, more ready or more available replicas."""
    old_olds = d.status_replicas - d.status_updated
    new_olds = replicas - updated
    return updated > d.status_updated or new_olds < old_olds or ready > d.status_ready or available > d.status_available


def has_progress_deadline(d: Deployment) -> bool:
    return d.progress_deadline_seconds is not None


def deployment_timed_out(d: Deployment, now: int) -> bool:
    """``DeploymentTimedOut`` on the conditions of ``d``: lastUpdateTime + deadline < now, unless
    the reason is NewReplicaSetAvailable (never) or ProgressDeadlineExceeded (already)."""
    if d.progress_deadline_seconds is None or not d.progressing:
        return False
    if d.progressing_reason == NEW_RS_AVAILABLE_REASON:
        return False
    if d.progressing_reason == TIMED_OUT_REASON:
        return True
    return d.progress_time is not None and d.progress_time + d.progress_deadline_seconds < now


def _keeps_time(d: Deployment) -> bool:
    return (
        d.progress_deadline_seconds is not None
        and d.progressing != ""
        and d.progressing_reason not in (NEW_RS_AVAILABLE_REASON, TIMED_OUT_REASON, PAUSED_REASON)
    )


def set_progressing(d: Deployment, status: str, reason: str, now: int, refresh: bool = False) -> Deployment:
    """``SetDeploymentCondition`` for Progressing: no change when status and reason are the same
    (unless ``refresh``: syncRolloutStatus re-sets ReplicaSetUpdated to move lastUpdateTime)."""
    if d.progressing == status and d.progressing_reason == reason and not refresh:
        return d
    out = evolve(d, progressing=status, progressing_reason=reason, progress_time=now)
    return out if _keeps_time(out) else evolve(out, progress_time=None)


def remove_progressing(d: Deployment) -> Deployment:
    return evolve(d, progressing="", progressing_reason="", progress_time=None)


# --- the controller ----------------------------------------------------------------------------


class _Sync:
    """One ``syncDeployment`` of one Deployment: the cluster as it is being written, the
    Deployment object the sync holds (mutated in place in Go, rebuilt here), events, notes."""

    def __init__(self, cluster: Cluster, d: Deployment, events: list[Event], notes: list[str]) -> None:
        self.c = cluster
        self.d = d
        self.events = events
        self.notes = notes

    @property
    def now(self) -> int:
        return self.c.now

    def rs(self, name: str) -> ReplicaSet:
        rs = self.c.replicaset(name)
        assert rs is not None
        return rs

    def write_rs(self, rs: ReplicaSet) -> ReplicaSet:
        self.c = self.c.with_replicaset(rs)
        return rs

    # -- listing ------------------------------------------------------------------------------

    def claim(self) -> None:
        d = self.d
        for rs in self.c.replicasets:
            matches = same_namespace(rs.name, d.name) and selector_matches(d.selector, rs.labels)
            if rs.owner == d.name and not matches:
                self.write_rs(evolve(rs, owner=None))
                self.notes.append(f"release replicaset {rs.name}")
            elif rs.owner is None and matches:
                self.write_rs(evolve(rs, owner=d.name))
                self.notes.append(f"adopt replicaset {rs.name}")

    def owned(self) -> list[ReplicaSet]:
        return [rs for rs in self.c.replicasets if rs.owner == self.d.name]

    def get_all(self, create: bool) -> tuple[ReplicaSet | None, list[ReplicaSet]]:
        """``getAllReplicaSetsAndSyncRevision``: (new ReplicaSet or None, old ones by revision)."""
        d = self.d
        key = template_key(d.template)
        owned = self.owned()
        new = next((rs for rs in owned if template_key(rs.template) == key), None)
        olds = sorted((rs for rs in owned if new is None or rs.name != new.name), key=lambda r: (r.revision, r.name))
        new = self.get_new(new, olds, create)
        return new, olds

    def get_new(self, existing: ReplicaSet | None, olds: list[ReplicaSet], create: bool) -> ReplicaSet | None:
        """``getNewReplicaSet``."""
        d = self.d
        new_revision = max((rs.revision for rs in olds), default=0) + 1
        if existing is not None:
            upd = existing
            if upd.revision < new_revision:
                upd = evolve(upd, revision=new_revision)
            if upd.min_ready_seconds != d.min_ready_seconds:
                upd = evolve(upd, min_ready_seconds=d.min_ready_seconds)
            if upd != existing:
                # annotations or minReadySeconds updated: written, and returned at once
                self.notes.append(f"update replicaset {upd.name} (revision {upd.revision})")
                return self.write_rs(upd)
            d = evolve(d, revision=upd.revision)
            if has_progress_deadline(d) and not d.progressing:
                d = set_progressing(d, TRUE, FOUND_NEW_RS_REASON, self.now)
            self.d = d
            return upd
        if not create:
            return None
        new = new_replicaset_for(d, new_revision)
        count = new_rs_new_replicas(d, [*olds, new], new)
        new = evolve(new, replicas=count, desired_replicas=d.replicas, max_replicas=d.replicas + max_surge(d))
        self.write_rs(new)
        self.notes.append(f"create replicaset {new.name}" + (f" with {count}" if count else ""))
        if count > 0:
            self._event(f"Scaled up replica set {new.name} from 0 to {count}")
        d = evolve(d, revision=new_revision)
        if has_progress_deadline(d):
            d = set_progressing(d, TRUE, NEW_RS_REASON, self.now)
        self.d = d
        return new

    # -- scaling ------------------------------------------------------------------------------

    def _event(self, message: str) -> None:
        self.events.append(Event(self.now, SOURCE, "ScalingReplicaSet", f"deployment/{self.d.name}", message))

    def scale_rs(self, rs: ReplicaSet, to: int) -> bool:
        """``scaleReplicaSet``: write the size and the desired/max-replicas annotations when
        either differs; True when the size changed."""
        d = self.d
        rs = self.rs(rs.name)
        desired, most = d.replicas, d.replicas + max_surge(d)
        if rs.replicas == to and rs.desired_replicas == desired and rs.max_replicas == most:
            return False
        self.write_rs(evolve(rs, replicas=to, desired_replicas=desired, max_replicas=most))
        if rs.replicas == to:
            return False
        verb = "up" if to > rs.replicas else "down"
        self._event(f"Scaled {verb} replica set {rs.name} from {rs.replicas} to {to}")
        self.notes.append(f"scale {rs.name} {rs.replicas} -> {to}")
        return True

    def scale_and_record(self, rs: ReplicaSet, to: int) -> bool:
        """``scaleReplicaSetAndRecordEvent``: nothing at all when the size is already right."""
        if self.rs(rs.name).replicas == to:
            return False
        return self.scale_rs(rs, to)

    def scale(self, new: ReplicaSet | None, olds: list[ReplicaSet]) -> None:
        """``scale`` (sync.go)."""
        d = self.d
        all_rs = [self.rs(rs.name) for rs in (*olds, *([new] if new else []))]
        active = [rs for rs in all_rs if rs.replicas > 0]
        if len(active) <= 1:
            # FindActiveOrLatest: the one active ReplicaSet, or (none active) the new one or the
            # newest old one, gets spec.replicas
            if active:
                target: ReplicaSet | None = active[0]
            elif new is not None:
                target = new
            else:
                target = max(olds, key=lambda r: (r.revision, r.name), default=None)
            if target is not None and self.rs(target.name).replicas != d.replicas:
                self.scale_and_record(target, d.replicas)
            return
        if new is not None and is_saturated(d, self.rs(new.name)):
            for old in olds:
                if self.rs(old.name).replicas > 0:
                    self.scale_and_record(old, 0)
            return
        if d.strategy != ROLLING:
            return
        total = sum(rs.replicas for rs in active)
        allowed = d.replicas + max_surge(d) if d.replicas > 0 else 0
        to_add = allowed - total
        if to_add > 0:  # ReplicaSetsBySizeNewer: larger first, then newer
            active.sort(key=lambda r: (-r.replicas, -r.revision, r.name))
        elif to_add < 0:  # ReplicaSetsBySizeOlder: larger first, then older
            active.sort(key=lambda r: (-r.replicas, r.revision, r.name))
        added = 0
        sizes: dict[str, int] = {}
        for rs in active:
            if to_add != 0:
                share = replica_set_proportion(rs, d, to_add, added)
                sizes[rs.name] = rs.replicas + share
                added += share
            else:
                sizes[rs.name] = rs.replicas
        for i, rs in enumerate(active):
            if i == 0 and to_add != 0:
                sizes[rs.name] = max(0, sizes[rs.name] + to_add - added)
            self.scale_rs(rs, sizes[rs.name])

    # -- rolling update (rolling.go) ------------------------------------------------------------

    def reconcile_new(self, all_rs: list[ReplicaSet], new: ReplicaSet) -> bool:
        d = self.d
        if new.replicas == d.replicas:
            return False
        if new.replicas > d.replicas:
            return self.scale_and_record(new, d.replicas)
        return self.scale_and_record(new, new_rs_new_replicas(d, all_rs, new))

    def reconcile_old(self, all_rs: list[ReplicaSet], olds: list[ReplicaSet], new: ReplicaSet) -> bool:
        d = self.d
        if sum(rs.replicas for rs in olds) == 0:
            return False
        min_available = d.replicas - max_unavailable(d)
        new_unavailable = new.replicas - new.status_available
        max_scaled_down = sum(rs.replicas for rs in all_rs) - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        # cleanupUnhealthyReplicas: old replicas that are not available go first
        cleaned = 0
        for old in olds:
            if cleaned >= max_scaled_down:
                break
            old = self.rs(old.name)
            if old.replicas == 0 or old.replicas == old.status_available:
                continue
            cut = min(max_scaled_down - cleaned, old.replicas - old.status_available)
            if cut < 0:
                # more available than spec.replicas: "got invalid request to scale down", and
                # reconcileOldReplicaSets gives up for this sync (reporting no scaling)
                return False
            self.scale_and_record(old, old.replicas - cut)
            cleaned += cut
        # scaleDownOldReplicaSetsForRollingUpdate: keep availability >= minAvailable, counted
        # from the statuses read at the start of the sync, of the new ReplicaSet and the old ones
        # that were active (reconcileOldReplicaSets passes it append(oldRSs, newRS) with the
        # active old ones only: an old ReplicaSet already at 0 whose pods are still reported
        # available does not count)
        available = sum(rs.status_available for rs in (*olds, new))
        scaled = 0
        if available > min_available:
            budget = available - min_available
            for old in olds:
                if scaled >= budget:
                    break
                old = self.rs(old.name)
                if old.replicas == 0:
                    continue
                cut = min(old.replicas, budget - scaled)
                self.scale_and_record(old, old.replicas - cut)
                scaled += cut
        return cleaned + scaled > 0

    def rollout_rolling(self) -> None:
        prior = self.d
        new, olds = self.get_all(create=True)
        assert new is not None
        all_rs = [*olds, new]
        if self.reconcile_new(all_rs, new):
            self.sync_rollout_status(new)
            return
        active_olds = [rs for rs in olds if rs.replicas > 0]
        if self.reconcile_old(all_rs, active_olds, new):
            self.sync_rollout_status(new)
            return
        if deployment_complete(prior, prior.status_updated, prior.status_replicas, prior.status_available):
            self.cleanup(olds)
        self.sync_rollout_status(new)

    # -- recreate (recreate.go) -----------------------------------------------------------------

    def old_pods_running(self, new: ReplicaSet | None, olds: list[ReplicaSet]) -> bool:
        """``oldPodsRunning``: old ReplicaSets report replicas, or a pod of one of the
        Deployment's ReplicaSets other than the new one is not Succeeded or Failed."""
        if sum(rs.status_replicas for rs in olds) > 0:
            return True
        old_names = {rs.name for rs in self.owned()} - ({new.name} if new is not None else set())
        return any(
            p.replicaset_owner in old_names
            and selector_matches(self.d.selector, p.labels)
            and p.phase not in (SUCCEEDED, FAILED)
            for p in self.c.pods
        )

    def rollout_recreate(self) -> None:
        prior = self.d
        new, olds = self.get_all(create=False)
        scaled = False
        for old in olds:
            if old.replicas > 0:
                scaled = self.scale_and_record(old, 0) or scaled
        if scaled:
            self.sync_rollout_status(new)
            return
        if self.old_pods_running(new, olds):
            self.sync_rollout_status(new)
            return
        if new is None:
            new, olds = self.get_all(create=True)
            assert new is not None
        self.scale_and_record(new, self.d.replicas)
        if deployment_complete(prior, prior.status_updated, prior.status_replicas, prior.status_available):
            self.cleanup(olds)
        self.sync_rollout_status(new)

    # -- sync.go: sync, cleanup, status ---------------------------------------------------------

    def sync_scale(self) -> None:
        """``sync``: a paused Deployment or a scaling event."""
        new, olds = self.get_all(create=False)
        self.scale(new, olds)
        if self.d.paused:
            self.cleanup(olds)
        self.d = self.calculate_status(new)

    def cleanup(self, olds: list[ReplicaSet]) -> None:
        """``cleanupDeployment``: delete old ReplicaSets with no replicas beyond the limit, lowest
        revision first."""
        limit = self.d.revision_history_limit
        if limit is None:
            return
        # the ReplicaSets as listed at the start of the sync (a paused sync's scaling does not
        # change what cleanupDeployment reads), those still there
        cleanable = sorted(
            (rs for rs in olds if self.c.replicaset(rs.name) is not None), key=lambda r: (r.revision, r.name)
        )
        diff = len(cleanable) - limit
        for rs in cleanable[: max(diff, 0)]:
            if rs.status_replicas != 0 or rs.replicas != 0:
                continue
            self.c = evolve(self.c, replicasets=remove(self.c.replicasets, rs.name))
            self.notes.append(f"delete old replicaset {rs.name}")

    def calculate_status(self, new: ReplicaSet | None) -> Deployment:
        """``calculateStatus``: counts from the ReplicaSets' statuses, and Available."""
        d = self.d
        owned = self.owned()
        available = sum(rs.status_available for rs in owned)
        cur_new = self.c.replicaset(new.name) if new is not None else None
        enough = available >= d.replicas - max_unavailable(d)
        return evolve(
            d,
            status_updated=cur_new.status_replicas if cur_new is not None else 0,
            status_ready=sum(rs.status_ready for rs in owned),
            status_available=available,
            status_replicas=sum(rs.status_replicas for rs in owned),
            available=TRUE if enough else FALSE,
        )

    def sync_rollout_status(self, new: ReplicaSet | None) -> None:
        """``syncRolloutStatus``."""
        d = self.d
        st = self.calculate_status(new)
        if not has_progress_deadline(d):
            st = remove_progressing(st)
        complete_before = st.status_replicas == st.status_updated and d.progressing_reason == NEW_RS_AVAILABLE_REASON
        if has_progress_deadline(d) and not complete_before:
            if deployment_complete(d, st.status_updated, st.status_replicas, st.status_available):
                st = set_progressing(st, TRUE, NEW_RS_AVAILABLE_REASON, self.now)
            elif deployment_progressing(d, st.status_updated, st.status_replicas, st.status_ready, st.status_available):
                st = set_progressing(st, TRUE, RS_UPDATED_REASON, self.now, refresh=True)
            elif deployment_timed_out(st, self.now):
                st = set_progressing(st, FALSE, TIMED_OUT_REASON, self.now)
        self.d = st

    def check_paused_conditions(self) -> None:
        d = self.d
        if not has_progress_deadline(d) or d.progressing_reason == TIMED_OUT_REASON:
            return
        paused_cond = d.progressing_reason == PAUSED_REASON
        if d.paused and not paused_cond:
            self.d = set_progressing(d, UNKNOWN, PAUSED_REASON, self.now)
        elif not d.paused and paused_cond:
            self.d = set_progressing(d, UNKNOWN, RESUMED_REASON, self.now)

    def is_scaling_event(self) -> bool:
        """``isScalingEvent``: an active ReplicaSet's desired-replicas annotation differs from
        spec.replicas. (Its getAllReplicaSetsAndSyncRevision is the same call the sync makes
        next, so it is not repeated here.)"""
        return any(
            rs.replicas > 0 and rs.desired_replicas is not None and rs.desired_replicas != self.d.replicas
            for rs in self.owned()
        )

    def run(self) -> Cluster:
        self.claim()
        self.check_paused_conditions()
        if self.d.paused or self.is_scaling_event():
            self.sync_scale()
        elif self.d.strategy == RECREATE:
            self.rollout_recreate()
        else:
            self.rollout_rolling()
        return self.c.with_deployment(self.d)


def sync(cluster: Cluster, d: Deployment, events: list[Event], notes: list[str]) -> Cluster:
    """One ``syncDeployment`` of ``d``."""
    return _Sync(cluster, d, events, notes).run()


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    out = cluster
    events: list[Event] = []
    notes: list[str] = []
    for d in cluster.deployments:
        out = sync(out, d, events, notes)
    if out == cluster:
        return []
    return [Outcome("deployment", "; ".join(notes) or "update deployment status", out, tuple(events))]
