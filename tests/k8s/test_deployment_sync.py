"""Deployment controller scaling, clean-up, recreate and progress, translated from
pkg/controller/deployment/sync_test.go (TestScale, TestDeploymentController_cleanupDeployment),
recreate_test.go (TestScaleDownOldReplicaSets, TestOldPodsRunning), progress_test.go
(TestSyncRolloutStatus, TestRequeueStuckDeployment) and util/deployment_util_test.go
(TestNewRSNewReplicas, TestMaxUnavailable, TestDeploymentComplete, TestDeploymentProgressing,
TestDeploymentTimedOut).

Every case below was read from the stored Go tests; kmodel's Deployment controller runs every
tick, so requeue delays (TestRequeueStuckDeployment) become the times at which a sync sees the
deadline passed.

The Go tests' ReplicaSet creation timestamps become revisions (newer = higher): kmodel orders a
Deployment's ReplicaSets by revision where Kubernetes uses creationTimestamp.
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import deployment
from kmodel.components.deployment import _Sync
from kmodel.settings import Settings
from kmodel.state import (
    FAILED,
    PENDING,
    RUNNING,
    SUCCEEDED,
    Cluster,
    Deployment,
    Pod,
    PodTemplate,
    ReplicaSet,
    labels_of,
)
from tests.k8s.conftest import case

FOO_BAR = labels_of({"foo": "bar"})


def mkdeployment(replicas: int, surge: str = "0", unavailable: str = "0", **kw: object) -> Deployment:
    """``newDeployment(name, replicas, limit, maxSurge, maxUnavailable, selector)``: both
    fenceposts 0 unless given."""
    return Deployment(
        name="foo",
        replicas=replicas,
        selector=FOO_BAR,
        template=PodTemplate(labels=FOO_BAR),
        max_surge=surge,
        max_unavailable=unavailable,
        **kw,  # type: ignore[arg-type]
    )


def mkrs(
    name: str, replicas: int, revision: int, old: Deployment | None = None, available: int | None = None
) -> ReplicaSet:
    """``rs(name, replicas, nil, timestamp)`` of sync_test.go, owned by foo, with the
    desired/max-replicas annotations of ``old`` (SetReplicasAnnotations in the test)."""
    avail = replicas if available is None else available
    rs = ReplicaSet(
        name=name,
        replicas=replicas,
        selector=FOO_BAR,
        template=PodTemplate(labels=labels_of({"foo": "bar", "v": name})),
        owner="foo",
        labels=FOO_BAR,
        revision=revision,
        status_replicas=replicas,
        status_ready=avail,
        status_available=avail,
    )
    if old is not None:
        rs = attrs.evolve(rs, desired_replicas=old.replicas, max_replicas=old.replicas + deployment.max_surge(old))
    return rs


def scaled(
    d: Deployment, old_d: Deployment, new: tuple[str, int] | None, olds: list[tuple[str, int]], **kw: int
) -> dict[str, int]:
    """Run ``dc.scale(deployment, newRS, oldRSs)`` and return every ReplicaSet's replicas."""
    n = len(olds) + 1
    new_rs = mkrs(new[0], new[1], n + 1, old_d, kw.get("new_available")) if new else None
    old_rss = [mkrs(name, r, n - i, old_d) for i, (name, r) in enumerate(olds)]
    if new_rs is not None:
        new_rs = attrs.evolve(new_rs, template=d.template)
    c = Cluster(settings=Settings())
    for rs in [*old_rss, *([new_rs] if new_rs else [])]:
        c = c.with_replicaset(rs)
    c = c.with_deployment(d)
    s = _Sync(c, d, [], [])
    s.scale(new_rs, sorted(old_rss, key=lambda r: r.revision))
    return {rs.name: rs.replicas for rs in s.c.replicasets}


@pytest.mark.parametrize(
    ("name", "replicas", "old_replicas", "surge", "old_surge", "new", "olds", "expected"),
    [
        case("normal scaling event: 10 -> 12", 12, 10, "0", "0", ("foo-v1", 10), [], {"foo-v1": 12}),
        case("normal scaling event: 10 -> 5", 5, 10, "0", "0", ("foo-v1", 10), [], {"foo-v1": 5}),
        case(
            "proportional scaling: 5 -> 10", 10, 5, "0", "0", ("foo-v2", 2), [("foo-v1", 3)], {"foo-v2": 4, "foo-v1": 6}
        ),
        case(
            "proportional scaling: 5 -> 3", 3, 5, "0", "0", ("foo-v2", 2), [("foo-v1", 3)], {"foo-v2": 1, "foo-v1": 2}
        ),
        case(
            "proportional scaling: 9 -> 4", 4, 9, "0", "0", ("foo-v2", 8), [("foo-v1", 1)], {"foo-v2": 4, "foo-v1": 0}
        ),
        case(
            "proportional scaling: 7 -> 10",
            10,
            7,
            "0",
            "0",
            ("foo-v3", 2),
            [("foo-v2", 3), ("foo-v1", 2)],
            {"foo-v3": 3, "foo-v2": 4, "foo-v1": 3},
        ),
        case(
            "proportional scaling: 13 -> 8",
            8,
            13,
            "0",
            "0",
            ("foo-v3", 2),
            [("foo-v2", 8), ("foo-v1", 3)],
            {"foo-v3": 1, "foo-v2": 5, "foo-v1": 2},
        ),
        case(
            "leftover distribution: 3 -> 4",
            4,
            3,
            "0",
            "0",
            ("foo-v3", 1),
            [("foo-v2", 1), ("foo-v1", 1)],
            {"foo-v3": 2, "foo-v2": 1, "foo-v1": 1},
        ),
        case(
            "leftover distribution: 3 -> 2",
            2,
            3,
            "0",
            "0",
            ("foo-v3", 1),
            [("foo-v2", 1), ("foo-v1", 1)],
            {"foo-v3": 1, "foo-v2": 1, "foo-v1": 0},
        ),
        case(
            "proportional scaling (no new rs): 4 -> 5",
            5,
            4,
            "0",
            "0",
            None,
            [("foo-v2", 2), ("foo-v1", 2)],
            {"foo-v2": 3, "foo-v1": 2},
        ),
        case(
            "proportional scaling: 6 -> 0",
            0,
            6,
            "0",
            "0",
            ("foo-v3", 3),
            [("foo-v2", 2), ("foo-v1", 1)],
            {"foo-v3": 0, "foo-v2": 0, "foo-v1": 0},
        ),
        case(
            "proportional scaling: 0 -> 6",
            6,
            6,
            "0",
            "0",
            ("foo-v3", 0),
            [("foo-v2", 0), ("foo-v1", 0)],
            {"foo-v3": 6, "foo-v2": 0, "foo-v1": 0},
        ),
        case(
            "deployment with surge pods", 20, 10, "2", "2", ("foo-v2", 6), [("foo-v1", 6)], {"foo-v2": 11, "foo-v1": 11}
        ),
        case(
            "change both surge and size", 50, 10, "6", "3", ("foo-v2", 5), [("foo-v1", 8)], {"foo-v2": 22, "foo-v1": 34}
        ),
    ],
)
def test_scale(
    name: str,
    replicas: int,
    old_replicas: int,
    surge: str,
    old_surge: str,
    new: tuple[str, int] | None,
    olds: list[tuple[str, int]],
    expected: dict[str, int],
) -> None:
    """sync_test.go TestScale, the case named by ``name``: every ReplicaSet's replicas after
    ``scale`` (annotations from the Deployment before the scaling event)."""
    got = scaled(mkdeployment(replicas, surge), mkdeployment(old_replicas, old_surge), new, olds)
    assert got == expected


def test_scale_change_both_size_and_template() -> None:
    """sync_test.go TestScale "change both size and template": no new ReplicaSet yet, 10 -> 14:
    foo-v2 7 -> 10 and foo-v1 3 -> 4."""
    d = attrs.evolve(mkdeployment(14), template=PodTemplate(labels=labels_of({"foo": "bar", "another": "label"})))
    assert scaled(d, mkdeployment(10), None, [("foo-v2", 7), ("foo-v1", 3)]) == {"foo-v2": 10, "foo-v1": 4}


def test_scale_saturated_but_broken_new_replica_set() -> None:
    """sync_test.go TestScale "saturated but broken new replica set does not affect old pods":
    new 2 with no available pods is not saturated, and replicas + maxSurge = 3 = 2 + 1: nothing
    changes."""
    d = mkdeployment(2, "1", "1")
    got = scaled(d, d, ("foo-v2", 2), [("foo-v1", 1)], new_available=0)
    assert got == {"foo-v2": 2, "foo-v1": 1}


@pytest.mark.parametrize(
    ("name", "olds", "limit", "deleted"),
    [
        case("scenario 0", [(0, 0), (0, 0), (0, 0)], 1, 2),
        case("scenario 1: only spec = status = 0 goes", [(0, 0), (0, 1), (1, 0), (1, 1)], 0, 1),
        case("scenario 2", [(0, 0), (0, 0)], 0, 2),
        case("scenario 3", [(1, 1), (1, 1)], 0, 0),
        case("scenario 5: unlimited", [(0, 0), (0, 0), (0, 0)], None, 0),
    ],
)
def test_cleanup_deployment(name: str, olds: list[tuple[int, int]], limit: int | None, deleted: int) -> None:
    """sync_test.go TestDeploymentController_cleanupDeployment, the scenarios by index
    (``newRSWithStatus(name, specReplicas, statusReplicas)``; MaxInt32 is kmodel's None; the
    scenario with a deletionTimestamp is left out: kmodel's ReplicaSets have none)."""
    d = mkdeployment(1, revision_history_limit=limit)
    rss = [attrs.evolve(mkrs(f"foo-{i + 1}", spec, 0), status_replicas=status) for i, (spec, status) in enumerate(olds)]
    c = Cluster(settings=Settings()).with_deployment(d)
    for rs in rss:
        c = c.with_replicaset(rs)
    s = _Sync(c, d, [], [])
    s.cleanup(rss)
    assert len(rss) - len(s.c.replicasets) == deleted


def _pod(name: str, owner: str, phase: str = RUNNING) -> Pod:
    return Pod(name=name, owner=owner, labels=FOO_BAR, phase=phase, node_name="n")


@pytest.mark.parametrize(
    ("name", "old_status", "pods", "expected"),
    [
        case("no old RSs", None, [], False),
        case("old RSs with running pods", 0, [RUNNING, RUNNING], True),
        case("old RSs without pods but with non-zero status replicas", 1, [], True),
        case("old RSs without pods or non-zero status replicas", 0, [], False),
        case("old RSs with zero status replicas but pods in terminal state are present", 0, [FAILED, SUCCEEDED], False),
        case("old RSs with zero status replicas with pending pod present", 0, [PENDING], True),
        case("old RSs with zero status replicas with running pod present", 0, [RUNNING], True),
        case(
            "old RSs with zero status replicas but pods in terminal state and pending are present",
            0,
            [FAILED, SUCCEEDED, PENDING],
            True,
        ),
    ],
)
def test_old_pods_running(name: str, old_status: int | None, pods: list[str], expected: bool) -> None:
    """recreate_test.go TestOldPodsRunning, the cases named by ``name`` (the pods of "with
    running pods" have no phase in Go, counted like Running; the PodUnknown case is left out:
    kmodel's pods have no Unknown phase). oldPodsRunning counts the old ReplicaSets'
    status.replicas, then any pod of an old ReplicaSet that is not Succeeded or Failed."""
    d = mkdeployment(1, strategy="Recreate")
    new = attrs.evolve(mkrs("foo-new", 1, 2), template=d.template)
    c = Cluster(settings=Settings()).with_deployment(d).with_replicaset(new)
    olds: list[ReplicaSet] = []
    if old_status is not None:
        old = attrs.evolve(mkrs("foo-old", 0, 1), status_replicas=old_status)
        c = c.with_replicaset(old)
        olds = [old]
    for i, phase in enumerate(pods):
        c = c.with_pod(_pod(f"p{i}", "foo-old", phase))
    assert _Sync(c, d, [], []).old_pods_running(new, olds) is expected


def test_scale_down_old_replica_sets_for_recreate() -> None:
    """recreate_test.go TestScaleDownOldReplicaSets: a Recreate sync scales the old ReplicaSet
    (3 replicas) to 0 and ends there (the new one is not created while old pods run)."""
    d = mkdeployment(3, strategy="Recreate")
    old = mkrs("foo-0", 3, 1)
    c = Cluster(settings=Settings()).with_deployment(d).with_replicaset(old)
    s = _Sync(c, d, [], [])
    s.rollout_recreate()
    assert [(rs.name, rs.replicas) for rs in s.c.replicasets] == [("foo-0", 0)]


@pytest.mark.parametrize(
    ("name", "strategy", "dep_replicas", "new_replicas", "surge", "expected"),
    [
        case("can not scale up - to newRSReplicas", "RollingUpdate", 1, 5, "1", 5),
        case("scale up - to depReplicas", "RollingUpdate", 6, 2, "10", 6),
        case("recreate - to depReplicas", "Recreate", 3, 1, "1", 3),
    ],
)
def test_new_rs_new_replicas(
    name: str, strategy: str, dep_replicas: int, new_replicas: int, surge: str, expected: int
) -> None:
    """deployment_util_test.go TestNewRSNewReplicas: allRSs is a ReplicaSet of 5 only (the new
    one is passed apart), maxUnavailable 1."""
    d = mkdeployment(dep_replicas, surge, "1", strategy=strategy)
    rs5 = mkrs("rs5", 5, 1)
    new = mkrs("new", new_replicas, 2)
    assert deployment.new_rs_new_replicas(d, [rs5], new) == expected


@pytest.mark.parametrize(
    ("name", "strategy", "replicas", "max_unavailable", "expected"),
    [
        case("maxUnavailable greater than replicas", "RollingUpdate", 5, "10", 5),
        case("maxUnavailable with replicas is 0", "RollingUpdate", 0, "10", 0),
        case("maxUnavailable with Recreate deployment strategy", "Recreate", 1, "25%", 0),
        case("maxUnavailable greater than replicas with percents", "RollingUpdate", 5, "100%", 5),
    ],
)
def test_max_unavailable_capped(name: str, strategy: str, replicas: int, max_unavailable: str, expected: int) -> None:
    """deployment_util_test.go TestMaxUnavailable, the cases test_deployment_util.py leaves out
    (maxSurge 1): MaxUnavailable caps the fencepost at spec.replicas, and is 0 for 0 replicas
    and for Recreate."""
    assert deployment.max_unavailable(mkdeployment(replicas, "1", max_unavailable, strategy=strategy)) == expected


@pytest.mark.parametrize(
    ("name", "replicas", "updated", "total", "available", "expected"),
    [
        case("not complete: min but not all pods become available", 5, 5, 5, 4, False),
        case("not complete: min availability is not honored", 5, 5, 5, 3, False),
        case("complete", 5, 5, 5, 5, True),
        case("not complete: all pods are available but not updated", 5, 4, 5, 5, False),
        case("not complete: still running old pods", 1, 1, 2, 1, False),
        case("not complete: one replica deployment never comes up", 1, 1, 1, 0, False),
    ],
)
def test_deployment_complete(
    name: str, replicas: int, updated: int, total: int, available: int, expected: bool
) -> None:
    """deployment_util_test.go TestDeploymentComplete, cases named by ``name``."""
    d = mkdeployment(replicas)
    assert deployment.deployment_complete(d, updated, total, available) is expected


@pytest.mark.parametrize(
    ("name", "before", "after", "expected"),
    [
        case("progressing: updated pods", (10, 4, 4, 4), (10, 6, 4, 4), True),
        case("not progressing", (10, 4, 4, 4), (10, 4, 4, 4), False),
        case("progressing: old pods removed", (10, 4, 6, 6), (8, 4, 6, 6), True),
        case("not progressing: less new pods", (10, 7, 3, 3), (10, 6, 3, 3), False),
        case("progressing: less overall but more new pods", (10, 4, 7, 7), (8, 8, 5, 5), True),
        case("progressing: more ready pods", (10, 10, 9, 8), (10, 10, 10, 8), True),
        case("progressing: more available pods", (10, 10, 10, 9), (10, 10, 10, 10), True),
    ],
)
def test_deployment_progressing(
    name: str, before: tuple[int, int, int, int], after: tuple[int, int, int, int], expected: bool
) -> None:
    """deployment_util_test.go TestDeploymentProgressing: (replicas, updated, ready, available)
    of the current status and of the new one."""
    replicas, updated, ready, available = before
    d = attrs.evolve(
        mkdeployment(10),
        status_replicas=replicas,
        status_updated=updated,
        status_ready=ready,
        status_available=available,
    )
    replicas, updated, ready, available = after
    assert deployment.deployment_progressing(d, updated, replicas, ready, available) is expected


@pytest.mark.parametrize(
    ("name", "deadline", "reason", "last_update", "now", "expected"),
    [
        case("nil progressDeadlineSeconds specified - no timeout", None, "", 69, 80, False),
        case("infinite progressDeadlineSeconds specified - no timeout", None, "", 69, 80, False),
        case("progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:09 => 11s", 10, "", 69, 80, True),
        case("progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:11 => 9s", 10, "", 71, 80, False),
        case("previous status was a complete deployment", None, deployment.NEW_RS_AVAILABLE_REASON, 0, 80, False),
    ],
)
def test_deployment_timed_out(
    name: str, deadline: int | None, reason: str, last_update: int, now: int, expected: bool
) -> None:
    """deployment_util_test.go TestDeploymentTimedOut (times in seconds past 00:00; nil and
    MaxInt32 are both kmodel's None): a Progressing=True condition updated at ``last_update``
    times out once last_update + deadline < now, never when its reason is
    NewReplicaSetAvailable."""
    d = attrs.evolve(
        mkdeployment(1, progress_deadline_seconds=deadline),
        progressing="True",
        progressing_reason=reason,
        progress_time=last_update,
    )
    assert deployment.deployment_timed_out(d, now) is expected


# --- progress_test.go ----------------------------------------------------------------------------

T0 = 1000  # testTime


def _rollout_status(
    deadline: int | None,
    replicas: int,
    status: tuple[int, int, int],
    condition: tuple[str, str] | None,
    olds: list[tuple[int, int, int]],
    new: tuple[int, int, int] | None,
    now: int = T0 + 10_000,
) -> Deployment:
    """``dc.syncRolloutStatus(allRSs, newRS, d)`` for ``currentDeployment(pds, replicas,
    statusReplicas, updated, available, conditions)`` (Recreate, as in the Go helper) and
    ``newRSWithAvailable(name, spec, statusReplicas, available)`` ReplicaSets."""
    d = attrs.evolve(
        mkdeployment(replicas, strategy="Recreate", progress_deadline_seconds=deadline),
        status_replicas=status[0],
        status_updated=status[1],
        status_available=status[2],
    )
    if condition is not None:
        d = attrs.evolve(d, progressing=condition[0], progressing_reason=condition[1], progress_time=T0)
    c = Cluster(settings=Settings(), now=now).with_deployment(d)
    new_rs = None
    for i, (spec, st, av) in enumerate(olds):
        c = c.with_replicaset(
            attrs.evolve(mkrs(f"bar-{i}", spec, 1), status_replicas=st, status_available=av, status_ready=0)
        )
    if new is not None:
        new_rs = attrs.evolve(
            mkrs("foo", new[0], 2), template=d.template, status_replicas=new[1], status_available=new[2], status_ready=0
        )
        c = c.with_replicaset(new_rs)
    s = _Sync(c, d, [], [])
    s.sync_rollout_status(new_rs)
    return s.d


UPDATED = ("True", deployment.RS_UPDATED_REASON)
AVAILABLE = ("True", deployment.NEW_RS_AVAILABLE_REASON)
TIMED_OUT = ("False", deployment.TIMED_OUT_REASON)


@pytest.mark.parametrize(
    ("name", "deadline", "replicas", "status", "condition", "olds", "new", "expected", "kept_time"),
    [
        case(
            "General: remove Progressing condition and do not estimate progress if deployment has no Progress Deadline",
            None,
            3,
            (2, 2, 2),
            UPDATED,
            [(0, 1, 1)],
            (3, 2, 2),
            ("", ""),
            False,
        ),
        case(
            "General: do not estimate progress of deployment with only one active ReplicaSet",
            60,
            3,
            (3, 3, 3),
            AVAILABLE,
            [(3, 3, 3)],
            None,
            AVAILABLE,
            False,
        ),
        case(
            "DeploymentProgressing: dont update lastTransitionTime if deployment already has Progressing=True",
            60,
            3,
            (2, 2, 2),
            UPDATED,
            [(0, 1, 1)],
            (3, 2, 2),
            UPDATED,
            False,
        ),
        case(
            "DeploymentProgressing: update everything if deployment has Progressing=False",
            60,
            3,
            (2, 2, 2),
            TIMED_OUT,
            [(0, 1, 1)],
            (3, 2, 2),
            UPDATED,
            False,
        ),
        case(
            "DeploymentProgressing: create Progressing condition if it does not exist",
            60,
            3,
            (2, 2, 2),
            None,
            [(0, 1, 1)],
            (3, 2, 2),
            UPDATED,
            False,
        ),
        case(
            "DeploymentComplete: dont update lastTransitionTime if deployment already has Progressing=True",
            60,
            3,
            (3, 3, 3),
            UPDATED,
            [],
            (3, 3, 3),
            AVAILABLE,
            False,
        ),
        case(
            "DeploymentComplete: update everything if deployment has Progressing=False",
            60,
            3,
            (3, 3, 3),
            TIMED_OUT,
            [],
            (3, 3, 3),
            AVAILABLE,
            False,
        ),
        case(
            "DeploymentComplete: create Progressing condition if it does not exist",
            60,
            3,
            (3, 3, 3),
            None,
            [],
            (3, 3, 3),
            AVAILABLE,
            False,
        ),
        case(
            "DeploymentComplete: defend against NPE when newRS=nil",
            60,
            0,
            (3, 3, 3),
            UPDATED,
            [(0, 0, 0)],
            None,
            AVAILABLE,
            False,
        ),
        case(
            "DeploymentTimedOut: update status if rollout exceeds Progress Deadline",
            60,
            3,
            (2, 2, 2),
            UPDATED,
            [],
            (3, 2, 2),
            TIMED_OUT,
            False,
        ),
        case(
            "DeploymentTimedOut: do not update status if deployment has existing timedOut condition",
            60,
            3,
            (2, 2, 2),
            TIMED_OUT,
            [],
            (3, 2, 2),
            TIMED_OUT,
            False,
        ),
    ],
)
def test_sync_rollout_status(
    name: str,
    deadline: int | None,
    replicas: int,
    status: tuple[int, int, int],
    condition: tuple[str, str] | None,
    olds: list[tuple[int, int, int]],
    new: tuple[int, int, int] | None,
    expected: tuple[str, str],
    kept_time: bool,
) -> None:
    """progress_test.go TestSyncRolloutStatus, the case named by ``name``: the Progressing
    condition (status, reason) after one syncRolloutStatus (condition times are not kept by
    kmodel except the lastUpdateTime the deadline reads, which ReplicaSetUpdated refreshes)."""
    d = _rollout_status(deadline, replicas, status, condition, olds, new)
    assert (d.progressing, d.progressing_reason) == expected
    if expected == UPDATED:
        assert d.progress_time == T0 + 10_000, "ReplicaSetUpdated: lastUpdateTime is now"


@pytest.mark.parametrize(
    ("name", "replicas", "status", "condition", "now", "timed_out"),
    [
        case("complete deployment does not need to be requeued", 3, (3, 3, 3), UPDATED, T0 + 30, False),
        case("already failed deployment does not need to be requeued", 3, (3, 3, 0), TIMED_OUT, T0 + 30, True),
        case("stuck deployment - 30s", 3, (3, 3, 1), UPDATED, T0 + 30, False),
        case("stuck deployment - 1s", 3, (3, 3, 1), UPDATED, T0 + 59, False),
        case("failed deployment - now", 3, (3, 3, 1), UPDATED, T0 + 60, False),
        case("failed deployment - 1s after deadline", 3, (3, 3, 1), UPDATED, T0 + 61, True),
        case("failed deployment - 60s after deadline", 3, (3, 3, 1), UPDATED, T0 + 120, True),
    ],
)
def test_requeue_stuck_deployment(
    name: str, replicas: int, status: tuple[int, int, int], condition: tuple[str, str], now: int, timed_out: bool
) -> None:
    """progress_test.go TestRequeueStuckDeployment (progressDeadlineSeconds 60, the Progressing
    condition last updated at T0): kmodel syncs every tick instead of requeueing, so each case
    becomes a sync at the Go test's "now" of a Deployment whose ReplicaSets report the same
    counts: the deadline has passed only once T0 + 60 < now (at T0 + 60 Go requeues at once and
    the next sync sees it passed)."""
    new = (replicas, status[0], status[2])
    d = _rollout_status(60, replicas, status, condition, [], new, now=now)
    assert (d.progressing_reason == deployment.TIMED_OUT_REASON) is timed_out
