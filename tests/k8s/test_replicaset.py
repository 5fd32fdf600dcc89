"""ReplicaSet controller, translated from pkg/controller/replicaset/replica_set_test.go,
pkg/controller/replication/replication_controller_test.go (the ReplicationController manager is
the ReplicaSet controller's code) and pkg/controller/controller_ref_manager_test.go.

One ``replicaset.step`` syncs every ReplicaSet. "Creates" are new pods owned by the ReplicaSet,
"deletes" pods given a deletionTimestamp. ``Pod.owner`` is the controllerRef (the owning
ReplicaSet's name; None for an orphan).
"""

from __future__ import annotations

from kmodel.components import replicaset
from kmodel.state import FAILED, Cluster, Pod, PodTemplate, ReplicaSet, labels_of
from tests.k8s.conftest import apply, mkcluster, mknode, mkpod, pod_of

FOO_BAR = labels_of({"foo": "bar"})
PRODUCTION = labels_of({"type": "production"})
TEST_LABEL = labels_of({"type": "test"})


def mkrs(
    name: str, replicas: int, selector: tuple[tuple[str, str], ...] = FOO_BAR, owner: str | None = None
) -> ReplicaSet:
    return ReplicaSet(
        name=name, replicas=replicas, selector=selector, template=PodTemplate(labels=selector), owner=owner
    )


def sync(c: Cluster) -> tuple[Cluster, set[str], set[str]]:
    """One sync; returns the new state, the pods created and the pods deleted."""
    before = {p.name for p in c.pods}
    after, _ = apply(replicaset.step, c)
    created = {p.name for p in after.pods} - before
    deleted = {p.name for p in after.pods if p.deletion_timestamp is not None and p.name in before}
    deleted -= {p.name for p in c.pods if p.deletion_timestamp is not None}
    return after, created, deleted


def owned_pods(rs: str, count: int, labels: tuple[tuple[str, str], ...] = FOO_BAR, node: str = "node1") -> list[Pod]:
    """``newPodList(store, count, PodRunning, labelMap, rs, "pod")``."""
    return [mkpod(f"pod{i}", node, owner=rs, labels=labels) for i in range(count)]


def test_sync_replica_set_does_nothing() -> None:
    """replica_set_test.go TestSyncReplicaSetDoesNothing: 2 running pods, a ReplicaSet with 2
    replicas: the sync creates and deletes nothing."""
    c = mkcluster(mknode("node1"), pods=owned_pods("rs", 2), replicasets=(mkrs("rs", 2),))
    _, created, deleted = sync(c)
    assert (created, deleted) == (set(), set())


def test_sync_replica_set_deletes() -> None:
    """replica_set_test.go TestSyncReplicaSetDeletes: 2 running pods and a ReplicaSet with 1
    replica: one pod delete expected."""
    c = mkcluster(mknode("node1"), pods=owned_pods("rs", 2), replicasets=(mkrs("rs", 1),))
    _, created, deleted = sync(c)
    assert (len(created), len(deleted)) == (0, 1)


def test_sync_creates_ignoring_inactive_pods() -> None:
    """replication_controller_test.go TestSyncReplicationControllerCreates (and the same setup in
    replica_set_test.go BenchmarkSyncReplicaSet): 2 replicas and no active pods - one Failed, one
    being deleted - so 2 creates expected."""
    failed = mkpod("failed-pod", "node1", owner="rs", labels=FOO_BAR, phase=FAILED, ready=False)
    deleting = mkpod("deleted-pod", "node1", owner="rs", labels=FOO_BAR, deletion_timestamp=0)
    c = mkcluster(mknode("node1"), pods=[failed, deleting], replicasets=(mkrs("rs", 2),))
    _, created, deleted = sync(c)
    assert (len(created), len(deleted)) == (2, 0)


def test_related_pods_lookup_ranks_scale_down() -> None:
    """replica_set_test.go TestRelatedPodsLookup, case "expect to get own pods as well as any
    related ReplicaSet's but not an unrelated ReplicaSet's": the pods of ReplicaSets with the
    same owner count when ranking pods by co-located pods, those of another owner do not. So
    when foo1 scales down, pod2 (beside related pod3) goes before pod1 (beside unrelated pod4)."""
    rss = (mkrs("foo1", 1, owner="d1"), mkrs("foo2", 1, owner="d1"), mkrs("bar1", 1, owner="d2"))
    pods = [
        mkpod("pod1", "node-a", owner="foo1", labels=FOO_BAR),
        mkpod("pod2", "node-b", owner="foo1", labels=FOO_BAR),
        mkpod("pod3", "node-b", owner="foo2", labels=FOO_BAR),
        mkpod("pod4", "node-a", owner="bar1", labels=FOO_BAR),
    ]
    c = mkcluster(mknode("node-a"), mknode("node-b"), pods=pods, replicasets=rss)
    _, created, deleted = sync(c)
    assert (created, deleted) == (set(), {"pod2"})


# --- controller_ref_manager_test.go TestClaimPods ----------------------------------------------


def test_claim_pods_with_correct_label() -> None:
    """controller_ref_manager_test.go TestClaimPods, case "Claim pods with correct label": the
    ReplicaSet adopts the orphan whose labels match its selector (and not the other one), so
    with 1 replica it creates nothing."""
    pods = [mkpod("pod1", "node1", labels=PRODUCTION), mkpod("pod2", "node1", labels=TEST_LABEL)]
    c = mkcluster(mknode("node1"), pods=pods, replicasets=(mkrs("rs", 1, PRODUCTION),))
    c, created, _ = sync(c)
    assert pod_of(c, "pod1").owner == "rs"
    assert pod_of(c, "pod2").owner is None
    assert created == set()


def test_claim_pods_owned_by_another_controller() -> None:
    """controller_ref_manager_test.go TestClaimPods, case "Controller can not claim pods owned by
    another controller": pod2 matches the selector but belongs to another ReplicaSet; it stays
    with its owner and is not counted."""
    pods = [
        mkpod("pod1", "node1", owner="rs", labels=PRODUCTION),
        mkpod("pod2", "node1", owner="other", labels=PRODUCTION),
    ]
    rss = (mkrs("rs", 1, PRODUCTION), mkrs("other", 1, PRODUCTION))
    c = mkcluster(mknode("node1"), pods=pods, replicasets=rss)
    c, created, deleted = sync(c)
    assert (pod_of(c, "pod1").owner, pod_of(c, "pod2").owner) == ("rs", "other")
    assert (created, deleted) == (set(), set())


def test_claim_pods_releases_pods_when_selector_does_not_match() -> None:
    """controller_ref_manager_test.go TestClaimPods, case "Controller releases claimed pods when
    selector doesn't match": pod2 is owned by the ReplicaSet but its labels no longer match, so
    the ReplicaSet releases it (removes its controllerRef) and claims only pod1."""
    pods = [
        mkpod("pod1", "node1", owner="rs", labels=PRODUCTION),
        mkpod("pod2", "node1", owner="rs", labels=TEST_LABEL),
    ]
    c = mkcluster(mknode("node1"), pods=pods, replicasets=(mkrs("rs", 1, PRODUCTION),))
    c, created, deleted = sync(c)
    assert pod_of(c, "pod1").owner == "rs"
    assert pod_of(c, "pod2").owner is None
    assert (created, deleted) == (set(), set())


def test_claim_pods_does_not_adopt_terminating_orphans() -> None:
    """controller_ref_manager_test.go TestClaimPods, case "Controller does not claim orphaned pods
    marked for deletion": the orphan being deleted stays an orphan (the owned one, also being
    deleted, stays owned)."""
    pods = [
        mkpod("pod1", "node1", owner="rs", labels=PRODUCTION, deletion_timestamp=0),
        mkpod("pod2", "node1", labels=PRODUCTION, deletion_timestamp=0),
    ]
    c = mkcluster(mknode("node1"), pods=pods, replicasets=(mkrs("rs", 2, PRODUCTION),))
    c, _, _ = sync(c)
    assert pod_of(c, "pod1").owner == "rs"
    assert pod_of(c, "pod2").owner is None
