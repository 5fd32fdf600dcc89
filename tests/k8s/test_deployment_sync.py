"""Deployment controller scaling, clean-up, recreate and progress, translated from
pkg/controller/deployment/sync_test.go (TestScale, TestDeploymentController_cleanupDeployment),
recreate_test.go (TestOldPodsRunning) and util/deployment_util_test.go (TestMaxUnavailable,
TestDeploymentComplete, TestDeploymentTimedOut).

TestScale and cleanupDeployment were read from the stored sync_test.go; the case names of
TestOldPodsRunning, TestMaxUnavailable, TestDeploymentComplete and TestDeploymentTimedOut were
not re-read for this translation (their inputs follow the Go functions they test).

The Go tests' ReplicaSet creation timestamps become revisions (newer = higher): kmodel orders a
Deployment's ReplicaSets by revision where Kubernetes uses creationTimestamp.
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import deployment
from kmodel.components.deployment import _Sync
from kmodel.settings import Settings
from kmodel.state import RUNNING, SUCCEEDED, Cluster, Deployment, Pod, PodTemplate, ReplicaSet, labels_of
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
        case("old RSs with running pods", 1, [], True),
        case("old RSs without pods but with non-zero status replicas", 1, [], True),
        case("old RSs without pods or non-zero status replicas", 0, [], False),
        case("old RSs with zero status replicas but pods in terminal state are present", 0, [SUCCEEDED], False),
        case("old RSs with zero status replicas but pod in running state is present", 0, [RUNNING], True),
    ],
)
def test_old_pods_running(name: str, old_status: int | None, pods: list[str], expected: bool) -> None:
    """recreate_test.go TestOldPodsRunning, the cases named by ``name``: oldPodsRunning counts
    the old ReplicaSets' status.replicas, then any pod of an old ReplicaSet that is not
    Succeeded or Failed."""
    d = mkdeployment(1, strategy="Recreate")
    new = attrs.evolve(mkrs("foo-new", 1, 2), template=d.template)
    c = Cluster(settings=Settings()).with_deployment(d)
    c = c.with_replicaset(new)
    olds: list[ReplicaSet] = []
    if old_status is not None:
        old = attrs.evolve(mkrs("foo-old", 0, 1), status_replicas=old_status)
        c = c.with_replicaset(old)
        olds = [old]
    for i, phase in enumerate(pods):
        c = c.with_pod(_pod(f"p{i}", "foo-old", phase))
    assert _Sync(c, d, [], []).old_pods_running(new, olds) is expected


@pytest.mark.parametrize(
    ("name", "replicas", "max_unavailable", "expected"),
    [
        case("maxUnavailable greater than replicas", 10, "20", 10),
        case("maxUnavailable with percents greater than replicas", 10, "200%", 10),
        case("maxUnavailable less than replicas", 10, "5", 5),
    ],
)
def test_max_unavailable_capped(name: str, replicas: int, max_unavailable: str, expected: int) -> None:
    """deployment_util_test.go TestMaxUnavailable: MaxUnavailable caps the fencepost at
    spec.replicas (maxSurge 1)."""
    assert deployment.max_unavailable(mkdeployment(replicas, "1", max_unavailable)) == expected


@pytest.mark.parametrize(
    ("name", "replicas", "updated", "total", "available", "expected"),
    [
        case("not complete: min but not all pods become available", 5, 5, 5, 4, False),
        case("not complete: min availability is not honored", 5, 5, 5, 3, False),
        case("complete", 5, 5, 5, 5, True),
        case("not complete: all pods are available but not updated", 5, 4, 5, 5, False),
        case("not complete: still running old pods", 1, 1, 2, 1, False),
    ],
)
def test_deployment_complete(
    name: str, replicas: int, updated: int, total: int, available: int, expected: bool
) -> None:
    """deployment_util_test.go TestDeploymentComplete, cases named by ``name``."""
    d = mkdeployment(replicas)
    assert deployment.deployment_complete(d, updated, total, available) is expected


@pytest.mark.parametrize(
    ("name", "deadline", "last_update", "now", "expected"),
    [
        case("nil progressDeadlineSeconds specified - no timeout", None, 0, 10**6, False),
        case("infinite progressDeadlineSeconds specified - no timeout", None, 0, 10**6, False),
        case("no timeout", 10, 0, 5, False),
        case("timeout", 10, 0, 11, True),
    ],
)
def test_deployment_timed_out(name: str, deadline: int | None, last_update: int, now: int, expected: bool) -> None:
    """deployment_util_test.go TestDeploymentTimedOut, cases named by ``name``: a Progressing
    condition updated at ``last_update`` times out once last_update + deadline < now."""
    d = attrs.evolve(
        mkdeployment(1, progress_deadline_seconds=deadline),
        progressing="True",
        progressing_reason=deployment.RS_UPDATED_REASON,
        progress_time=last_update,
    )
    assert deployment.deployment_timed_out(d, now) is expected
