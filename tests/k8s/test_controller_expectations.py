"""ReplicaSet expectations and the pod informer they listen to, translated from
pkg/controller/controller_utils_test.go (TestControllerExpectations, TestUIDExpectations) and
pkg/controller/replicaset/replica_set_test.go (TestSyncReplicaSetDormancy,
TestControllerBurstReplicas, TestDeleteControllerAndExpectations, TestExpectationsOnRecreate).

The model keeps the expectations in :mod:`kmodel.informer`, only while informers lag
(``informerLag`` > 0). The Go tests put pods into the informer's indexer and call the event
handlers by hand; here the same happens through the model: a sync's own pod changes are queued on
the informer (:func:`informer.observe`) and reach the handlers when delivered
(:func:`informer.deliver`), and the Go tests' direct ``CreationObserved`` calls are
:func:`informer.creation_observed`. The RS controller's sync is ``replicaset.step`` run on its
view (:func:`informer.step_on_view`). The Go tests' 30 s fake TTL is the real
``ExpectationsTimeout`` (5 minutes) here.
"""

from __future__ import annotations

import attrs

from kmodel import informer
from kmodel.components import replicaset
from kmodel.schedulingspec import SchedulingSpec
from kmodel.settings import Settings
from kmodel.state import Cluster, PodTemplate, PriorityClass, ReplicaSet, labels_of
from tests.k8s.conftest import mkcluster, mknode, mkpod

FOO_BAR = labels_of({"foo": "bar"})
LAGGING = Settings(informer_lag=50)  # enough that no delivery is ever forced in these tests


def mkrs(name: str, replicas: int, template: PodTemplate | None = None) -> ReplicaSet:
    return ReplicaSet(name=name, replicas=replicas, selector=FOO_BAR, template=template or PodTemplate(labels=FOO_BAR))


def lagging_cluster(replicas: int, running: int, template: PodTemplate | None = None) -> Cluster:
    """``newReplicaSet(replicas, labelMap)`` with ``running`` of its pods in the informer."""
    pods = [mkpod(f"pod{i}", "node1", owner="rs", labels=FOO_BAR) for i in range(running)]
    return mkcluster(mknode("node1"), pods=pods, replicasets=(mkrs("rs", replicas, template),), settings=LAGGING)


def sync(c: Cluster) -> tuple[Cluster, set[str], set[str]]:
    """``syncReplicaSet`` on the controller's view; its writes queued on the informers. Returns
    the state, the pods created and the pods it deleted."""
    outs = informer.step_on_view(c, "replicaset", replicaset.step)
    after = outs[0].state if outs else c
    after = informer.observe(c, after)
    created = {p.name for p in after.pods} - {p.name for p in c.pods}
    deleting = {p.name for p in c.pods if p.deletion_timestamp is not None}
    deleted = {p.name for p in after.pods if p.deletion_timestamp is not None} - deleting
    deleted |= {p.name for p in c.pods} - {p.name for p in after.pods}
    return after, created, deleted


def expectation(c: Cluster, rs: str = "rs") -> informer.Expectation | None:
    s = c.informers
    return None if s is None else next((e for e in s.expectations if e.replicaset == rs), None)


def deliver(c: Cluster, n: int) -> Cluster:
    """The ReplicaSet controller's informer hears of its oldest ``n`` pod changes."""
    for _ in range(n):
        c = informer.deliver(c, "replicaset")
    return c


def test_controller_expectations() -> None:
    """controller_utils_test.go TestControllerExpectations (with the UID-tracking expectations
    the ReplicaSet controller uses): 10 adds and 30 deletions expected; 11 creations observed
    still leave the deletions, so the expectations are not satisfied; all 30 deletions observed
    satisfy them (the surplus creation does no harm); a next round (1 add, 2 deletions) replaces
    them; they expire after ExpectationsTimeout."""
    c = lagging_cluster(1, 0)
    victims = frozenset(f"pod{i}" for i in range(30))
    c = informer.expect(c, "rs", 10, victims)
    for _ in range(11):
        c = informer.creation_observed(c, "rs")
    assert not informer.satisfied(c, "rs"), "the ReplicaSet syncs before its expectations are met"
    for name in sorted(victims):
        c = informer.deletion_observed(c, "rs", name)
    assert informer.satisfied(c, "rs"), "the expectations are met but the ReplicaSet will not sync"

    c = informer.expect(c, "rs", 1, frozenset({"a", "b"}))
    e = expectation(c)
    assert e is not None and (e.add, len(e.deletions)) == (1, 2)
    assert not informer.satisfied(c, "rs")
    later = attrs.evolve(c, now=c.now + informer.EXPECTATIONS_TIMEOUT + 1)
    assert informer.satisfied(later, "rs"), "the expectations should have expired"


def test_uid_expectations() -> None:
    """controller_utils_test.go TestUIDExpectations: four controllers each expect the deletion of
    their 5 pods; each is unsatisfied until exactly its own pods' deletions are observed, and
    deleting its expectations leaves no tracked pods."""
    c = mkcluster(mknode("node1"), settings=LAGGING)
    pods = {f"rc-{i}": [f"pod{j}-rc-{i}" for j in range(5)] for i in range(4)}
    for rc, names in pods.items():
        c = informer.expect(c, rc, 0, frozenset(names))
    for rc in ("rc-2", "rc-0", "rc-3", "rc-1"):
        assert not informer.satisfied(c, rc), f"{rc} satisfied its expectations before the deletions"
        for name in pods[rc]:
            c = informer.deletion_observed(c, rc, name)
        assert informer.satisfied(c, rc), f"{rc} did not satisfy its expectations after the deletions"
        assert expectation(c, rc) is None  # a fulfilled record is as good as none
    # another controller's pod does not lower these
    c = informer.expect(c, "rc-0", 0, frozenset({"pod0-rc-0"}))
    c = informer.deletion_observed(c, "rc-1", "pod0-rc-0")
    assert not informer.satisfied(c, "rc-0")


def test_sync_replica_set_dormancy() -> None:
    """replica_set_test.go TestSyncReplicaSetDormancy: a ReplicaSet of 2 with 1 running pod.
    The first sync creates a replica and sets expectations; while they are unmet a sync creates
    nothing but still updates the status (from the pods its informer shows: 1); once the
    creation is observed a sync creates again; a create that fails leaves no expectation
    behind, so the next sync tries again."""
    c = lagging_cluster(2, 1)
    c, created, deleted = sync(c)
    assert (len(created), deleted) == (1, set())
    e = expectation(c)
    assert e is not None and e.add == 1

    stale_status = c.with_replicaset(attrs.evolve(c.replicasets[0], status_replicas=0, status_ready=0))
    c2, created, deleted = sync(stale_status)
    assert (created, deleted) == (set(), set()), "expectations prevent replicas"
    assert c2.replicasets[0].status_replicas == 1, "but not an update of the status"

    # CreationObserved by hand (the pod itself not in the informer): the next sync creates one.
    # The create fails (here: a PriorityClass that does not exist yet, standing for fakePodControl.Err)
    c = informer.creation_observed(c, "rs")
    refused = PodTemplate(labels=FOO_BAR, scheduling=SchedulingSpec(priority_class_name="later"))
    c = c.with_replicaset(attrs.evolve(c.replicasets[0], template=refused))
    c, created, _ = sync(c)
    assert created == set(), "the create was refused"
    assert informer.satisfied(c, "rs"), "a failed create is observed at once"
    # the next sync, with the create going through, creates the replica again
    c = c.with_priority_class(PriorityClass(name="later", value=10))
    c, created, _ = sync(c)
    assert len(created) == 1


def test_controller_burst_replicas() -> None:
    """replica_set_test.go TestControllerBurstReplicas (doTestControllerBurstReplicas(t, 3, 2)):
    scaling up to 2 creates 2 pods; with one of the two adds delivered the expectations still
    wait for 1 and a sync does nothing; after the last add the ReplicaSet has its 2 pods. Scaling
    to 0 deletes both; with one deletion delivered it waits for exactly the other one, and a sync
    does nothing."""
    c = lagging_cluster(2, 0)
    c, created, _ = sync(c)
    assert len(created) == 2
    c = deliver(c, 1)
    e = expectation(c)
    assert e is not None and e.add == 1
    c, created, deleted = sync(c)
    assert (created, deleted) == (set(), set())
    c = deliver(c, 1)
    assert expectation(c) is None
    c, created, deleted = sync(c)
    assert (created, deleted) == (set(), set())
    assert len([p for p in c.pods if p.active]) == 2

    # the pods get bound and run (so that deleting them makes them Terminating), all delivered
    c = attrs.evolve(c, pods=tuple(attrs.evolve(p, node_name="node1", phase="Running") for p in c.pods))
    c = informer.flush(attrs.evolve(c, informers=None))
    c = c.with_replicaset(attrs.evolve(c.replicasets[0], replicas=0))
    c, created, deleted = sync(c)
    assert (created, len(deleted)) == (set(), 2)
    c = deliver(c, 1)
    e = expectation(c)
    assert e is not None and len(e.deletions) == 1, "waiting for exactly one more deletion"
    c, created, deleted = sync(c)
    assert (created, deleted) == (set(), set()), "no double delete"
    c = deliver(c, 1)
    assert expectation(c) is None


def test_delete_controller_and_expectations() -> None:
    """replica_set_test.go TestDeleteControllerAndExpectations: a sync of a ReplicaSet of 1 sets
    expectations; deleting the ReplicaSet deletes them (deleteRS); a sync then does nothing."""
    c = lagging_cluster(1, 0)
    c, created, _ = sync(c)
    assert len(created) == 1 and expectation(c) is not None
    gone = informer.observe(c, attrs.evolve(c, replicasets=()))
    assert expectation(gone) is None, "expectations found after the ReplicaSet was deleted"
    _, created, deleted = sync(gone)
    assert (created, deleted) == (set(), set())


def test_expectations_on_recreate() -> None:
    """replica_set_test.go TestExpectationsOnRecreate: a ReplicaSet's sync creates a pod and
    leaves unfulfilled expectations; the ReplicaSet is deleted and created again under the same
    name (a new UID): the old expectations are gone, and the new ReplicaSet's sync creates its
    pod."""
    c = lagging_cluster(1, 0)
    c, created, _ = sync(c)
    assert len(created) == 1
    e = expectation(c)
    assert e is not None and not e.fulfilled
    c = informer.observe(c, attrs.evolve(c, replicasets=(), pods=()))
    assert expectation(c) is None
    c = informer.observe(c, attrs.evolve(c, replicasets=(mkrs("rs", 1),)))
    c, created, _ = sync(c)
    assert len(created) == 1
