"""Deployment rollout arithmetic, translated from
pkg/controller/deployment/util/deployment_util_test.go and pkg/controller/deployment/rolling_test.go.

kmodel's ``deployment.fenceposts`` is ResolveFenceposts; the rolling-update steps
(reconcileNewReplicaSet, then reconcileOldReplicaSets with cleanupUnhealthyReplicas and
scaleDownOldReplicaSetsForRollingUpdate) run inside one ``deployment.step``, so the rolling_test
cases are checked on the new or old ReplicaSet's ``spec.replicas`` after one step. kmodel's
Deployments here have minReadySeconds 0, so the hand-written ReplicaSet statuses count their
ready replicas as available too (the Go tests set Status.AvailableReplicas).
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import deployment
from kmodel.state import Cluster, Deployment, PodTemplate, ReplicaSet, labels_of
from tests.k8s.conftest import apply, case, mkcluster

FOO_BAR = labels_of({"foo": "bar"})


def mkdeployment(replicas: int, max_surge: str = "25%", max_unavailable: str = "25%") -> Deployment:
    return Deployment(
        name="foo",
        replicas=replicas,
        selector=FOO_BAR,
        template=PodTemplate(labels=FOO_BAR),
        max_surge=max_surge,
        max_unavailable=max_unavailable,
    )


def rollout(d: Deployment, old: int, new: int, old_ready: int = 0, new_ready: int = 0) -> Cluster:
    """The Deployment with an old ReplicaSet (another pod template) and the new one (its own
    template), both owned by it."""
    old_rs = ReplicaSet(
        name="foo-old",
        replicas=old,
        selector=labels_of({"foo": "bar", "version": "old"}),
        template=PodTemplate(labels=labels_of({"foo": "bar", "version": "old"})),
        owner=d.name,
        labels=labels_of({"foo": "bar", "version": "old"}),  # newReplicaSet: the template's labels
        revision=1,
        status_replicas=old,
        status_ready=old_ready,
        status_available=old_ready,
    )
    new_rs = attrs.evolve(
        deployment.new_replicaset_for(d, 2),
        replicas=new,
        status_replicas=new,
        status_ready=new_ready,
        status_available=new_ready,
    )
    return mkcluster(deployments=(d,), replicasets=tuple(sorted((old_rs, new_rs), key=lambda r: r.name)))


def replicas_after_sync(c: Cluster) -> tuple[int, int]:
    """(old, new) spec.replicas after one Deployment controller sync."""
    c, _ = apply(deployment.step, c)
    old = c.replicaset("foo-old")
    new = next(rs for rs in c.replicasets if rs.name != "foo-old")
    assert old is not None
    return old.replicas, new.replicas


# --- deployment_util_test.go -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "max_surge", "max_unavailable", "desired", "expected"),
    [
        case("0%/0% of 0 replicas", "0%", "0%", 0, (0, 1)),
        case("39%/39% of 10 replicas", "39%", "39%", 10, (4, 3)),
    ],
)
def test_resolve_fenceposts(
    name: str, max_surge: str, max_unavailable: str, desired: int, expected: tuple[int, int]
) -> None:
    """deployment_util_test.go TestResolveFenceposts (unnamed cases, described by ``name``): surge
    rounds up, unavailable rounds down, and both zero makes unavailable 1."""
    assert deployment.fenceposts(mkdeployment(desired, max_surge, max_unavailable)) == expected


@pytest.mark.parametrize(
    ("name", "max_surge", "max_unavailable"),
    [case("maxSurge oops", "oops", "39%"), case("maxUnavailable urg", "55%", "urg")],
)
def test_resolve_fenceposts_rejects_garbage(name: str, max_surge: str, max_unavailable: str) -> None:
    """deployment_util_test.go TestResolveFenceposts, the expectError cases: a value that is
    neither an integer nor a percentage is an error."""
    with pytest.raises(ValueError):
        deployment.fenceposts(mkdeployment(10, max_surge, max_unavailable))


@pytest.mark.parametrize(
    ("name", "replicas", "max_unavailable", "expected"),
    [
        case("maxUnavailable less than replicas", 10, "5", 5),
        case("maxUnavailable equal replicas", 10, "10", 10),
        case("maxUnavailable less than replicas with percents", 10, "50%", 5),
        case("maxUnavailable equal replicas with percents", 10, "100%", 10),
    ],
)
def test_max_unavailable(name: str, replicas: int, max_unavailable: str, expected: int) -> None:
    """deployment_util_test.go TestMaxUnavailable, cases named by ``name`` (maxSurge 1). The cases
    where maxUnavailable exceeds the replicas (MaxUnavailable caps it) are not translated: kmodel
    uses the uncapped fencepost, with the same rollout steps (see README)."""
    assert deployment.fenceposts(mkdeployment(replicas, "1", max_unavailable))[1] == expected


def test_new_rs_new_replicas_scale_up_to_deployment_replicas() -> None:
    """deployment_util_test.go TestNewRSNewReplicas, case "scale up - to depReplicas": 6 desired,
    maxSurge 10, an old ReplicaSet of 5 and a new one of 2: the new one grows to 6 (never past the
    desired count)."""
    c = rollout(mkdeployment(6, "10", "1"), old=5, new=2)
    assert replicas_after_sync(c)[1] == 6


# --- rolling_test.go ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "max_surge", "old", "new", "expected_new"),
    [
        case("should not scale up when old replica set is fully saturated", "0", 10, 0, 0),
        case("should scale up according to the maxSurge when old replica set is fully saturated", "2", 10, 0, 2),
        case("should scale up according to the maxSurge", "2", 5, 0, 7),
        case("should not scale when maxSurge is fully saturated", "2", 10, 2, 2),
        case("should scale down when there are replicas above maxSurge", "2", 2, 11, 10),
    ],
)
def test_reconcile_new_replica_set(name: str, max_surge: str, old: int, new: int, expected_new: int) -> None:
    """rolling_test.go TestDeploymentController_reconcileNewReplicaSet, table cases named by
    ``name`` (10 desired replicas, maxUnavailable 0): the new ReplicaSet's replicas afterwards
    (unchanged where no scaling is expected)."""
    c = rollout(mkdeployment(10, max_surge, "0"), old=old, new=new)
    assert replicas_after_sync(c)[1] == expected_new


@pytest.mark.parametrize(
    ("name", "max_unavailable", "old", "new", "old_ready", "expected_old"),
    [
        case("scenario 0", "0", 10, 0, 10, 9),
        case("scenario 1", "2", 10, 0, 10, 8),
        case("scenario 2: unhealthy old replicas are cleaned up", "2", 10, 0, 8, 8),
        case("scenario 3: one unhealthy replica cleaned up and one ready pod scaled down", "2", 10, 0, 9, 8),
        case("scenario 4: unavailable new pods do not make old ones go", "2", 8, 2, 8, 8),
    ],
)
def test_reconcile_old_replica_sets(
    name: str, max_unavailable: str, old: int, new: int, old_ready: int, expected_old: int
) -> None:
    """rolling_test.go TestDeploymentController_reconcileOldReplicaSets, the executed scenarios
    by index (10 desired replicas, maxSurge 0, no ready pods in the new ReplicaSet): the old
    ReplicaSet's replicas afterwards (expectedOldReplicas; unchanged where scaleExpected is
    false)."""
    c = rollout(mkdeployment(10, "0", max_unavailable), old=old, new=new, old_ready=old_ready)
    assert replicas_after_sync(c)[0] == expected_old
