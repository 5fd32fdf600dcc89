"""The Deployment controller's sync as terms, for the workload slice (:mod:`kmodel.smt.workload`).

:func:`kmodel.components.deployment.sync` in the shapes the slice covers, written once over
values that may be Python integers or Z3 terms (so the same code runs on a frame of the
encoding and, in tests, on plain numbers):

- :func:`single_sync`: a Deployment with one ReplicaSet (no rollout): a scaling event
  (``isScalingEvent``: the ReplicaSet has replicas and a desired-replicas annotation other than
  spec.replicas) goes through sync.go's ``scale``, anything else through ``rolloutRolling``,
  and both end with the ReplicaSet at spec.replicas;
- :func:`rolling_sync`: a Deployment rolling from one old ReplicaSet to the new one
  (``rolloutRolling`` in rolling.go's order: ``getNewReplicaSet`` creates the new ReplicaSet at
  ``NewRSNewReplicas``; ``reconcileNewReplicaSet`` - the sync ends if it scaled; else
  ``reconcileOldReplicaSets``: ``cleanupUnhealthyReplicas`` then
  ``scaleDownOldReplicaSetsForRollingUpdate``);
- :func:`rollout_status`: ``syncRolloutStatus`` (``calculateStatus``'s counts and Available
  condition, and the Progressing condition with its lastUpdateTime and the progress deadline).

What the slice refuses instead (so none of it is here): Recreate, paused Deployments,
proportional scaling with several active ReplicaSets, revision-history clean-up that would
delete a ReplicaSet, minReadySeconds, rollbacks and second rollouts.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from kmodel.components import deployment as dc
from kmodel.smt.nodehealth import AND, IF, MIN, NOT, OR

# Progressing condition (status, reason) pairs, by code; 0: absent
PROGRESSING: tuple[tuple[str, str], ...] = (
    ("", ""),
    (dc.TRUE, dc.NEW_RS_REASON),
    (dc.TRUE, dc.FOUND_NEW_RS_REASON),
    (dc.TRUE, dc.RS_UPDATED_REASON),
    (dc.TRUE, dc.NEW_RS_AVAILABLE_REASON),
    (dc.FALSE, dc.TIMED_OUT_REASON),
)
P_NONE, P_CREATED, P_FOUND, P_UPDATED, P_AVAILABLE, P_TIMED_OUT = range(len(PROGRESSING))
# reasons whose lastUpdateTime is kept (_keeps_time), with a deadline
P_TIMED = (P_CREATED, P_FOUND, P_UPDATED)
AVAILABLE_CONDITION = ("", dc.TRUE, dc.FALSE)  # Available condition status, by code
IGNORED_SURGE = 1_000_000  # maxSurge of the broken deployment_ignoring_max_surge: no bound


def DIV(a: Any, b: int) -> Any:
    return a // b if isinstance(a, int) else a / b


def resolve(value: str, replicas: Any, round_up: bool) -> Any:
    """:func:`kmodel.components.deployment.resolve` for a term ``replicas`` (non-negative)."""
    if not value.endswith("%"):
        return int(value)
    pct = int(value[:-1])
    return DIV(pct * replicas + 99, 100) if round_up else DIV(pct * replicas, 100)


@frozen
class Spec:
    """What the sync reads of a Deployment's spec besides spec.replicas (constant in a
    version): the strings of maxSurge / maxUnavailable, progressDeadlineSeconds, and whether the
    broken controller that ignores maxSurge is encoded."""

    max_surge: str
    max_unavailable: str
    deadline: int | None
    ignoring_surge: bool = False

    def surge(self, replicas: Any) -> Any:
        """maxSurge resolved (``MaxSurge`` and ``NewRSNewReplicas`` agree for RollingUpdate)."""
        return IGNORED_SURGE if self.ignoring_surge else resolve(self.max_surge, replicas, True)

    def unavailable(self, replicas: Any) -> Any:
        """``MaxUnavailable``: the fencepost (1 when both resolve to 0), capped at replicas, 0
        for 0 replicas."""
        surge = self.surge(replicas)
        raw = resolve(self.max_unavailable, replicas, False)
        fence = IF(AND(surge == 0, raw == 0), 1, raw)
        return IF(replicas == 0, 0, MIN(fence, replicas))


@frozen
class RS:
    """A ReplicaSet as the sync reads it (values or terms); ``exists`` False: not created yet
    (every other field then 0)."""

    exists: Any
    replicas: Any
    status_replicas: Any
    status_ready: Any
    status_available: Any
    revision: int
    annotated: Any  # has the desired-replicas / max-replicas annotations
    desired: Any
    max: Any


@frozen
class Written:
    """A ReplicaSet after the sync: its spec.replicas and annotations."""

    exists: Any
    replicas: Any
    annotated: Any
    desired: Any
    max: Any


@frozen
class Status:
    """A Deployment's status fields, as the slice keeps them."""

    updated: Any
    ready: Any
    available: Any
    replicas: Any
    revision: Any
    progressing: Any  # code into PROGRESSING
    progress_set: Any  # lastUpdateTime kept
    progress_time: Any  # 0 when not kept
    available_cond: Any  # code into AVAILABLE_CONDITION


def _scaled(rs: RS, to: Any, spec: Spec, replicas: Any, when: Any) -> Written:
    """``scaleReplicaSetAndRecordEvent`` of ``rs`` to ``to`` when ``when`` and the size differs:
    the size and both annotations are written."""
    act = AND(when, rs.replicas != to)
    return Written(
        rs.exists,
        IF(act, to, rs.replicas),
        OR(rs.annotated, act),
        IF(act, replicas, rs.desired),
        IF(act, replicas + spec.surge(replicas), rs.max),
    )


def new_rs_new_replicas(spec: Spec, replicas: Any, total: Any, new: Any) -> Any:
    """``NewRSNewReplicas`` (RollingUpdate): ``total`` is every ReplicaSet's replicas."""
    most = replicas + spec.surge(replicas)
    return IF(total >= most, new, new + MIN(most - total, replicas - new))


def _found(status: Status, spec: Spec, now: Any, when: Any) -> Status:
    """``getNewReplicaSet`` with an existing new ReplicaSet: a Deployment with a deadline and no
    Progressing condition gets FoundNewReplicaSet (lastUpdateTime now)."""
    if spec.deadline is None:
        return status
    act = AND(when, status.progressing == P_NONE)
    return _set_progressing(status, act, P_FOUND, now)


def _created(status: Status, spec: Spec, now: Any, when: Any) -> Status:
    """``getNewReplicaSet`` creating the new ReplicaSet: NewReplicaSetCreated (no change if it
    already says so)."""
    if spec.deadline is None:
        return status
    return _set_progressing(status, AND(when, status.progressing != P_CREATED), P_CREATED, now)


def _set_progressing(status: Status, act: Any, code: int, now: Any) -> Status:
    keeps = code in P_TIMED
    return Status(
        status.updated,
        status.ready,
        status.available,
        status.replicas,
        status.revision,
        IF(act, code, status.progressing),
        IF(act, keeps, status.progress_set),
        IF(act, now if keeps else 0, status.progress_time),
        status.available_cond,
    )


def single_sync(rs: RS, replicas: Any, spec: Spec, now: Any, created: Any = False) -> tuple[Written, bool | Any]:
    """A Deployment with one ReplicaSet (``created``: the sync creates it, for a Deployment
    applied mid-run): the ReplicaSet after the sync, and whether the sync takes the rolling path
    (False: a scaling event, which leaves Progressing alone).

    A created ReplicaSet starts at ``NewRSNewReplicas`` of nothing, spec.replicas; an existing
    one is scaled to spec.replicas either way (``scale`` gives the one active ReplicaSet
    spec.replicas; ``reconcileNewReplicaSet`` scales down to it or up by
    ``NewRSNewReplicas``, which reaches it since maxSurge >= 0)."""
    scaling = AND(NOT(created), rs.replicas > 0, rs.annotated, rs.desired != replicas)
    if created is False:
        return _scaled(rs, replicas, spec, replicas, True), NOT(scaling)
    fresh = Written(True, replicas, True, replicas, replicas + spec.surge(replicas))
    kept = _scaled(rs, replicas, spec, replicas, True)
    return (
        Written(
            OR(rs.exists, created),
            IF(created, fresh.replicas, kept.replicas),
            IF(created, True, kept.annotated),
            IF(created, fresh.desired, kept.desired),
            IF(created, fresh.max, kept.max),
        ),
        NOT(scaling),
    )


def rolling_sync(old: RS, new: RS, replicas: Any, spec: Spec) -> tuple[Written, Written]:
    """``rolloutRolling`` of a Deployment whose template is ``new``'s, with ``old`` its one old
    ReplicaSet (spec.replicas constant: the slice refuses proportional scaling): both
    ReplicaSets after the sync. ``new.exists`` False: ``getNewReplicaSet`` creates it at
    ``NewRSNewReplicas`` (then ``reconcileNewReplicaSet`` has nothing to add)."""
    most = replicas + spec.surge(replicas)
    # getNewReplicaSet: the new ReplicaSet as the rest of the sync sees it
    count = IF(old.replicas >= most, 0, MIN(most - old.replicas, replicas))
    n_replicas = IF(new.exists, new.replicas, count)
    n_available = new.status_available  # 0 until it exists
    # reconcileNewReplicaSet: the sync ends if it scales the new ReplicaSet
    target = IF(
        n_replicas > replicas,
        replicas,
        new_rs_new_replicas(spec, replicas, old.replicas + n_replicas, n_replicas),
    )
    grows = AND(new.exists, n_replicas != replicas, target != n_replicas)
    # reconcileOldReplicaSets
    min_available = replicas - spec.unavailable(replicas)
    new_unavailable = n_replicas - n_available
    max_scaled_down = old.replicas + n_replicas - min_available - new_unavailable
    go = AND(NOT(grows), old.replicas > 0, max_scaled_down > 0)
    unhealthy = old.replicas - old.status_available
    # cleanupUnhealthyReplicas: gives up the whole reconcile when old has more available than
    # replicas ("got invalid request to scale down")
    gives_up = unhealthy < 0
    cleaned = IF(AND(go, unhealthy > 0), old.replicas - MIN(max_scaled_down, unhealthy), old.replicas)
    # scaleDownOldReplicaSetsForRollingUpdate, on the statuses read at the start of the sync
    budget = old.status_available + n_available - min_available
    cut = IF(AND(go, NOT(gives_up), budget > 0), MIN(cleaned, budget), 0)
    old_to = cleaned - cut
    fresh = Written(True, count, True, replicas, replicas + spec.surge(replicas))
    grown = _scaled(new, target, spec, replicas, grows)
    n_after = Written(
        True,
        IF(new.exists, grown.replicas, fresh.replicas),
        IF(new.exists, grown.annotated, True),
        IF(new.exists, grown.desired, fresh.desired),
        IF(new.exists, grown.max, fresh.max),
    )
    return _scaled(old, old_to, spec, replicas, True), n_after


def rollout_status(
    before: Status,
    spec: Spec,
    replicas: Any,
    now: Any,
    owned: list[RS],
    new: RS,
    *,
    revision: Any,
    created: Any,
    rolling: Any,
) -> Status:
    """The Deployment's status after the sync: ``getNewReplicaSet``'s revision and Progressing
    (``created``: it creates the new ReplicaSet; else FoundNewReplicaSet if absent), then
    ``calculateStatus`` (``new``'s status.replicas are the updated ones; the other counts are
    sums over ``owned``, ReplicaSets as after the sync) and, on the rolling path (``rolling``),
    ``syncRolloutStatus``'s Progressing."""
    st = Status(
        before.updated,
        before.ready,
        before.available,
        before.replicas,
        revision,
        before.progressing,
        before.progress_set,
        before.progress_time,
        before.available_cond,
    )
    st = _created(st, spec, now, created)
    st = _found(st, spec, now, NOT(created))
    d1 = st  # the Deployment syncRolloutStatus compares with
    updated = new.status_replicas
    ready = sum_of([rs.status_ready for rs in owned])
    available = sum_of([rs.status_available for rs in owned])
    total = sum_of([rs.status_replicas for rs in owned])
    enough = available >= replicas - spec.unavailable(replicas)
    cond = IF(enough, 1, 2)
    if spec.deadline is None:
        return Status(updated, ready, available, total, revision, P_NONE, False, 0, cond)
    counted = Status(
        updated, ready, available, total, revision, d1.progressing, d1.progress_set, d1.progress_time, cond
    )
    complete_before = AND(total == updated, d1.progressing == P_AVAILABLE)
    complete = AND(updated == replicas, total == replicas, available == replicas)
    progressed = OR(
        updated > before.updated,
        total - updated < before.replicas - before.updated,
        ready > before.ready,
        available > before.available,
    )
    timed_out = OR(
        d1.progressing == P_TIMED_OUT,
        AND(
            d1.progressing != P_NONE,
            d1.progressing != P_AVAILABLE,
            d1.progress_set,
            d1.progress_time + spec.deadline < now,
        ),
    )
    look = AND(rolling, NOT(complete_before))
    out = _set_progressing(counted, AND(look, complete, d1.progressing != P_AVAILABLE), P_AVAILABLE, now)
    out = _set_progressing(out, AND(look, NOT(complete), progressed), P_UPDATED, now)
    return _set_progressing(
        out, AND(look, NOT(complete), NOT(progressed), timed_out, d1.progressing != P_TIMED_OUT), P_TIMED_OUT, now
    )


def sum_of(xs: list[Any]) -> Any:
    out: Any = 0
    for x in xs:
        out = out + x
    return out
