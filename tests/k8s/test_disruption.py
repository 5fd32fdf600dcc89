"""The disruption controller, translated from pkg/controller/disruption/disruption_test.go.

The Go fixtures: ``newPod`` is a Ready pod labelled foo=bar with no controller;
``newMinAvailablePodDisruptionBudget`` / ``newMaxUnavailablePodDisruptionBudget`` select foo=bar;
``newReplicaSet`` / ``newStatefulSet`` / ``newDeployment`` named foobar with the given scale.
``VerifyPdbStatus(name, disruptionsAllowed, currentHealthy, desiredHealthy, expectedPods,
disruptedPods)`` is :func:`verify`. A ReplicationController (TestTwoControllers) is played by a
ReplicaSet that no Deployment owns: kmodel has no ReplicationControllers, and the controller's
finders give both their spec.replicas. ``dc.sync`` is :func:`kmodel.components.disruption.sync`
on the cluster as the Go test's stores hold it.
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import disruption
from kmodel.labels import LabelSelector
from kmodel.state import (
    Cluster,
    Deployment,
    Pod,
    PodDisruptionBudget,
    PodTemplate,
    ReplicaSet,
    StatefulSet,
)
from tests.k8s.conftest import mkcluster, mkpod

FOO_BAR = (("foo", "bar"),)


def new_pod(name: str, ready: bool = True, **kw: object) -> Pod:
    """``newPod``: labels foo=bar, Ready (``Status.Conditions = []`` makes it not ready)."""
    return mkpod(name, "node", labels=kw.pop("labels", FOO_BAR), ready=ready, **kw)  # type: ignore[arg-type]


def min_available(value: str) -> PodDisruptionBudget:
    return PodDisruptionBudget("foobar", LabelSelector(FOO_BAR), min_available=value)


def max_unavailable(value: str) -> PodDisruptionBudget:
    return PodDisruptionBudget("foobar", LabelSelector(FOO_BAR), max_unavailable=value)


def replicaset(replicas: int, name: str = "foobar", owner: str | None = None) -> ReplicaSet:
    return ReplicaSet(name, replicas, FOO_BAR, PodTemplate(labels=FOO_BAR), owner=owner)


class Controller:
    """The Go test's fake controller: stores (a cluster) and the PDB status it last wrote."""

    def __init__(self, pdb: PodDisruptionBudget, now: int = 1000) -> None:
        self.cluster: Cluster = mkcluster(now=now).with_pdb(pdb)
        self.events: list[str] = []

    def add(self, *objs: object) -> None:
        c = self.cluster
        for o in objs:
            if isinstance(o, Pod):
                c = c.with_pod(o)
            elif isinstance(o, ReplicaSet):
                c = c.with_replicaset(o)
            elif isinstance(o, StatefulSet):
                c = c.with_statefulset(o)
            elif isinstance(o, Deployment):
                c = c.with_deployment(o)
        self.cluster = c

    def sync(self) -> PodDisruptionBudget:
        pdb = self.cluster.pdbs[0]
        new, events = disruption.sync(self.cluster, pdb)
        self.events += [e.reason for e in events]
        self.cluster = self.cluster.with_pdb(new)
        return new

    @property
    def pdb(self) -> PodDisruptionBudget:
        return self.cluster.pdbs[0]


def verify(
    pdb: PodDisruptionBudget,
    allowed: int,
    healthy: int,
    desired: int,
    expected: int,
    disrupted: tuple[tuple[str, int], ...] = (),
) -> None:
    """``VerifyPdbStatus``."""
    got = (pdb.disruptions_allowed, pdb.current_healthy, pdb.desired_healthy, pdb.expected_pods, pdb.disrupted_pods)
    assert got == (allowed, healthy, desired, expected, disrupted)
    # UpdateDisruptionAllowedCondition (checked by VerifyPdbStatus through the fake updater)
    assert (pdb.allowed, pdb.allowed_reason) == (
        ("True", disruption.SUFFICIENT_PODS) if allowed > 0 else ("False", disruption.INSUFFICIENT_PODS)
    )


def test_no_selector() -> None:
    """TestNoSelector: an empty selector matches every pod (the controller side)."""
    dc = Controller(attrs.evolve(min_available("3"), selector=LabelSelector()))
    verify(dc.sync(), 0, 0, 3, 0)
    dc.add(new_pod("yo-yo-yo", labels=()))
    verify(dc.sync(), 0, 1, 3, 1)


def test_unavailable() -> None:
    """TestUnavailable: counts go up as pods are added, down when one becomes unavailable."""
    dc = Controller(min_available("3"))
    dc.sync()
    for i in range(4):
        verify(dc.pdb, 0, i, 3, i)
        dc.add(new_pod(f"yo-yo-yo {i}"))
        dc.sync()
    verify(dc.pdb, 1, 4, 3, 4)
    dc.add(new_pod("yo-yo-yo 0", ready=False))
    verify(dc.sync(), 0, 3, 3, 4)


def test_integer_max_unavailable() -> None:
    """TestIntegerMaxUnavailable: a naked pod gives no scale, so no disruption is allowed
    (event UnmanagedPods)."""
    dc = Controller(max_unavailable("1"))
    assert dc.sync().disruptions_allowed == 0
    dc.add(new_pod("naked"))
    assert dc.sync().disruptions_allowed == 0
    assert "UnmanagedPods" in dc.events


@pytest.mark.parametrize(
    ("value", "first", "second"),
    [
        pytest.param("2", (0, 1, 5, 7), (0, 1, 3, 5), id="TestIntegerMaxUnavailableWithScaling"),
        pytest.param("30%", (0, 1, 4, 7), (0, 1, 2, 3), id="TestPercentageMaxUnavailableWithScaling"),
    ],
)
def test_max_unavailable_with_scaling(
    value: str, first: tuple[int, int, int, int], second: tuple[int, int, int, int]
) -> None:
    """TestIntegerMaxUnavailableWithScaling / TestPercentageMaxUnavailableWithScaling: the
    expected count follows the ReplicaSet's scale (7, then 5 or 3); 30% of 7 rounds up to 3."""
    dc = Controller(max_unavailable(value))
    rs = replicaset(7)
    dc.add(rs, new_pod("pod", owner="foobar"))
    verify(dc.sync(), *first)
    dc.add(attrs.evolve(rs, replicas=5 if value == "2" else 3))
    verify(dc.sync(), *second)


def test_naked_pod() -> None:
    """TestNakedPod: minAvailable 28% with a pod no controller owns: no disruption allowed."""
    dc = Controller(min_available("28%"))
    assert dc.sync().disruptions_allowed == 0
    dc.add(new_pod("naked"))
    assert dc.sync().disruptions_allowed == 0
    assert "UnmanagedPods" in dc.events


def test_unsupported_controller_pod() -> None:
    """TestUnsupportedControllerPod: a pod whose controller has no scale (here a DaemonSet's;
    the Go test uses a custom kind) fails the sync: CalculateExpectedPodCountFailed, and
    failSafe leaves no disruption allowed."""
    dc = Controller(min_available("28%"))
    dc.sync()
    dc.add(new_pod("naked", owner="fake-controller", owner_kind="DaemonSet"))
    pdb = dc.sync()
    assert pdb.disruptions_allowed == 0
    assert (pdb.allowed, pdb.allowed_reason) == ("False", disruption.SYNC_FAILED)
    assert "CalculateExpectedPodCountFailed" in dc.events


def test_status_for_unmanaged_pod() -> None:
    """TestStatusForUnmanagedPod / TestTotalUnmanagedPods: unmanaged pods are reported (one of
    them), not a sync error (VerifyNoStatusError: the condition is not SyncFailed)."""
    dc = Controller(min_available("28%"))
    dc.sync()
    pod = new_pod("unmanaged")
    dc.add(pod)
    pdb = dc.sync()
    assert pdb.allowed_reason != disruption.SYNC_FAILED
    assert "UnmanagedPods" in dc.events
    assert disruption.expected_scale(dc.cluster, [pod])[1] == ["unmanaged"]


def test_replicaset() -> None:
    """TestReplicaSet: the scale of a ReplicaSet without a Deployment counts (20% of 10 = 2)."""
    dc = Controller(min_available("20%"))
    dc.add(replicaset(10), new_pod("pod", owner="foobar"))
    verify(dc.sync(), 0, 1, 2, 10)


def test_statefulset_controller() -> None:
    """TestStatefulSetController: 34% of 3 rounds up to 2; no pods yet: all zero."""
    labels = (("baz", "quux"), ("foo", "bar"))
    dc = Controller(min_available("34%"))
    dc.add(StatefulSet("foobar", 3, labels, PodTemplate(labels=labels)))
    verify(dc.sync(), 0, 0, 0, 0)
    for i in range(3):
        dc.add(new_pod(f"foobar {i}", owner="foobar", owner_kind="StatefulSet", labels=labels))
        if i < 2:
            verify(dc.sync(), 0, i + 1, 2, 3)
        else:
            verify(dc.sync(), 1, 3, 2, 3)


def test_replication_controller_as_replicaset() -> None:
    """TestReplicationController (its RC played by a ReplicaSet): 34% of 3 rounds up to 2; a
    rogue pod with no controller matches the budget and counts as healthy."""
    labels = (("baz", "quux"), ("foo", "bar"))
    dc = Controller(min_available("34%"))
    dc.add(ReplicaSet("foobar", 3, labels, PodTemplate(labels=labels)))
    verify(dc.sync(), 0, 0, 0, 0)
    for i in range(3):
        dc.add(new_pod(f"foobar {i}", owner="foobar", labels=labels))
        if i < 2:
            verify(dc.sync(), 0, i + 1, 2, 3)
        else:
            verify(dc.sync(), 1, 3, 2, 3)
    dc.add(new_pod("rogue"))
    assert dc.sync().disruptions_allowed == 2


def test_two_controllers() -> None:
    """TestTwoControllers (the RC played by a ReplicaSet): 28% of 11 = 4 with one controller,
    28% of 22 = 7 with two; pods made unavailable and available again move the allowance."""
    rc_labels = (("baz", "quux"), ("foo", "bar"))
    d_labels = (("baz", "quuux"), ("foo", "bar"))
    size, minimum_one, minimum_two = 11, 4, 7
    dc = Controller(min_available("28%"))
    dc.add(ReplicaSet("rc", size, rc_labels, PodTemplate(labels=rc_labels)))
    verify(dc.sync(), 0, 0, 0, 0)
    unavailable = size - minimum_one - 1
    names: list[str] = []
    for i in range(1, size + 1):
        names.append(f"quux {i}")
        dc.add(new_pod(f"quux {i}", ready=i > unavailable, owner="rc", labels=rc_labels))
        dc.sync()
        if i <= unavailable:
            verify(dc.pdb, 0, 0, minimum_one, size)
        elif i - unavailable <= minimum_one:
            verify(dc.pdb, 0, i - unavailable, minimum_one, size)
        else:
            verify(dc.pdb, 1, i - unavailable, minimum_one, size)
    dc.add(Deployment("foobar", size, d_labels, PodTemplate(labels=d_labels)))
    verify(dc.sync(), 1, minimum_one + 1, minimum_one, size)
    dc.add(ReplicaSet("foobar", size, d_labels, PodTemplate(labels=d_labels), owner="foobar"))
    verify(dc.sync(), 1, minimum_one + 1, minimum_one, size)
    unavailable = 2 * size - (minimum_two + 2) - unavailable
    for i in range(1, size + 1):
        names.append(f"quuux {i}")
        dc.add(new_pod(f"quuux {i}", ready=i > unavailable, owner="foobar", labels=d_labels))
        dc.sync()
        if i <= unavailable:
            verify(dc.pdb, 0, minimum_one + 1, minimum_two, 2 * size)
        elif i - unavailable <= minimum_two - (minimum_one + 1):
            verify(dc.pdb, 0, minimum_one + 1 + i - unavailable, minimum_two, 2 * size)
        else:
            allowed = i - unavailable - (minimum_two - (minimum_one + 1))
            verify(dc.pdb, allowed, minimum_one + 1 + i - unavailable, minimum_two, 2 * size)
    verify(dc.pdb, 2, 2 + minimum_two, minimum_two, 2 * size)
    # pods[collectionSize-1] and pods[collectionSize-2]: the last two "quux" pods
    last, second_last = dc.cluster.pod(names[size - 1]), dc.cluster.pod(names[size - 2])
    assert last is not None and second_last is not None
    dc.add(attrs.evolve(last, ready=False))
    verify(dc.sync(), 1, 1 + minimum_two, minimum_two, 2 * size)
    dc.add(attrs.evolve(second_last, ready=False))
    verify(dc.sync(), 0, minimum_two, minimum_two, 2 * size)
    dc.add(attrs.evolve(last, ready=True))
    verify(dc.sync(), 1, 1 + minimum_two, minimum_two, 2 * size)


def test_pdb_not_exist() -> None:
    """TestPDBNotExist: syncing a budget that does not exist is no error (the controller's step
    has nothing to do)."""
    c = mkcluster(now=0)
    assert disruption.step(c) == []


def test_update_disrupted_pods() -> None:
    """TestUpdateDisruptedPods: of the recorded evictions, p1 (now being deleted), p2 (3 minutes
    old, expired) and notthere (gone) are dropped; p3 (1 minute old) stays and is not counted."""
    now = 1000
    pdb = attrs.evolve(
        min_available("1"),
        disrupted_pods=(("notthere", now), ("p1", now), ("p2", now - 180), ("p3", now - 60)),
    )
    dc = Controller(pdb, now=now)
    dc.add(new_pod("p1", deletion_timestamp=now), new_pod("p2"), new_pod("p3"))
    verify(dc.sync(), 0, 1, 1, 3, (("p3", now - 60),))


@pytest.mark.parametrize(
    ("scale", "owner_kind", "owner", "expected"),
    [
        pytest.param(
            "rs", "ReplicaSet", "foobar", 10, id="TestBasicFinderFunctions/replicaset controller with apps group"
        ),
        pytest.param(
            "ss",
            "StatefulSet",
            "foobar",
            14,
            id="TestBasicFinderFunctions/statefulset controller with extensions group",
        ),
        pytest.param("dep", "ReplicaSet", "owned", 10, id="TestDeploymentFinderFunction/happy path"),
    ],
)
def test_finders(scale: str, owner_kind: str, owner: str, expected: int) -> None:
    """TestBasicFinderFunctions / TestDeploymentFinderFunction: the scale a pod's controller
    gives: a ReplicaSet's (10), a StatefulSet's (14), and for a ReplicaSet a Deployment owns
    (scale 5) the Deployment's (10). The invalid-group cases have no counterpart: kmodel's owner
    references carry no API group."""
    c = (
        mkcluster()
        .with_replicaset(replicaset(10))
        .with_statefulset(StatefulSet("foobar", 14, FOO_BAR, PodTemplate(labels=FOO_BAR)))
    )
    c = c.with_deployment(Deployment("foobar", 10, FOO_BAR, PodTemplate(labels=FOO_BAR)))
    c = c.with_replicaset(replicaset(5, name="owned", owner="foobar"))
    pod = new_pod("p", owner=owner, owner_kind=owner_kind)
    assert disruption.expected_scale(c, [pod]) == (expected, [])


def test_invalid_selectors_match_nothing() -> None:
    """TestInvalidSelectors: a budget whose selector selects nothing (there: one the apiserver
    would refuse, which kmodel refuses when reading the manifest; here: no selector) gets
    0, 0, 0, 0."""
    dc = Controller(attrs.evolve(min_available("3"), selector=None))
    dc.add(new_pod("p"))
    # minAvailable 3 is an integer: desiredHealthy is 3 whatever the pods; none is matched
    pdb = dc.sync()
    assert (pdb.disruptions_allowed, pdb.current_healthy, pdb.expected_pods) == (0, 0, 0)


@pytest.mark.parametrize(("age", "kept", "healthy"), [(119, True, 0), (120, True, 1), (121, False, 1)])
def test_disrupted_pod_expires_after_deletion_timeout(age: int, kept: bool, healthy: int) -> None:
    """buildDisruptedPodMap keeps an entry while its time + DeletionTimeout (2 minutes) is not
    before now; countHealthyPods skips the pod only while that sum is after now. So at exactly
    120 s the entry stays but the pod (still Ready) counts again, and at 121 s it is dropped."""
    now = 1000
    dc = Controller(attrs.evolve(min_available("1"), disrupted_pods=(("p", now - age),)), now=now)
    dc.add(new_pod("p"))
    pdb = dc.sync()
    assert (pdb.disrupted_pods == (("p", now - age),)) == kept
    assert pdb.current_healthy == healthy


@pytest.mark.parametrize(
    ("value", "total", "expected"),
    [("2", 10, 2), ("0%", 10, 0), ("10%", 10, 1), ("34%", 3, 2), ("30%", 7, 3), ("50%", 202, 101), ("100%", 200, 200)],
)
def test_scaled_rounds_percentages_up(value: str, total: int, expected: int) -> None:
    """intstr.GetScaledValueFromIntOrPercent(value, total, roundUp=true), as the controller calls
    it: an integer as written, a percentage of the total rounded up (34% of 3 is 2, as in
    TestStatefulSetController)."""
    assert disruption.scaled(value, total) == expected


def test_sync_events_and_generation() -> None:
    """trySync's events: NoPods with no matching pod; the status catches up with the spec
    (observedGeneration)."""
    dc = Controller(min_available("1"))
    pdb = dc.sync()
    assert "NoPods" in dc.events and pdb.observed
    dc.events.clear()
    dc.add(new_pod("p"))
    dc.sync()
    assert "NoPods" not in dc.events


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("DaemonSet", "daemonsets.apps does not implement the scale subresource"),
        ("Job", "jobs.batch does not implement the scale subresource"),
        ("StatefulSet", 'found no controllers for pod "p"'),
    ],
)
def test_controllers_without_scale(kind: str, message: str) -> None:
    """getExpectedScale: a DaemonSet's or Job's pod (no scale subresource) or a pod whose
    controller is gone fails the sync with that error (failSafe)."""
    dc = Controller(max_unavailable("1"))
    dc.add(new_pod("p", owner="gone" if kind == "StatefulSet" else "x", owner_kind=kind))
    with pytest.raises(disruption.SyncError, match=message):
        disruption.expected_scale(dc.cluster, list(dc.cluster.pods))
    assert dc.sync().allowed_reason == disruption.SYNC_FAILED


def test_neither_min_available_nor_max_unavailable() -> None:
    """getExpectedPodCount with neither field set (policy/v1 has no default): expected 0, so no
    disruption is allowed."""
    dc = Controller(PodDisruptionBudget("foobar", LabelSelector(FOO_BAR)))
    dc.add(new_pod("p"))
    verify(dc.sync(), 0, 1, 0, 0)


def test_max_unavailable_above_scale() -> None:
    """desiredHealthy is never below 0: maxUnavailable 5 of a ReplicaSet of 3."""
    dc = Controller(max_unavailable("5"))
    dc.add(replicaset(3), new_pod("p", owner="foobar"))
    verify(dc.sync(), 1, 1, 0, 3)


def test_min_available_zero_allows_with_one_expected_pod() -> None:
    """updatePdbStatus: with one expected pod (expectedCount > 0) minAvailable 0 allows it to go."""
    dc = Controller(min_available("0"))
    dc.add(new_pod("p"))
    verify(dc.sync(), 1, 1, 0, 1)


@pytest.mark.parametrize(("age", "event"), [(120, False), (121, True)])
def test_not_deleted_event(age: int, event: bool) -> None:
    """buildDisruptedPodMap: a recorded pod still there, not being deleted, past DeletionTimeout
    gives the event NotDeleted."""
    now = 1000
    dc = Controller(attrs.evolve(min_available("1"), disrupted_pods=(("p", now - age),)), now=now)
    dc.add(new_pod("p"))
    dc.sync()
    assert ("NotDeleted" in dc.events) == event


def test_step() -> None:
    """The controller's step: nothing without budgets or without the controller-manager, one
    outcome syncing every budget whose status changes, nothing once they are up to date."""
    c = mkcluster(now=10)
    assert disruption.step(c) == []
    c = c.with_pdb(min_available("1")).with_pod(new_pod("p"))
    down = attrs.evolve(c, control_plane=attrs.evolve(c.control_plane, controller_manager=False))
    assert disruption.step(down) == []
    (out,) = disruption.step(c)
    assert out.actor == "disruption" and "1 healthy, 1 desired, 0 disruptions allowed" in out.label
    assert disruption.step(out.state) == []


def test_apply() -> None:
    """kubectl apply of a budget: created (status not observed yet), unchanged, configured (the
    new generation is not observed until the next sync)."""
    from kmodel.manifests import Manifest

    def m(pdb: PodDisruptionBudget) -> Manifest:
        return Manifest("PodDisruptionBudget", pdb.name, pdb, "f.yaml", 1)

    c = mkcluster()
    c, word = disruption.apply_pdb(c, m(min_available("1")))
    assert word == "created" and c.pdb("foobar").observed is False  # type: ignore[union-attr]
    synced = c.with_pdb(attrs.evolve(c.pdbs[0], observed=True))
    assert disruption.apply_pdb(synced, m(min_available("1"))) == (synced, "unchanged")
    c, word = disruption.apply_pdb(synced, m(min_available("2")))
    assert word == "configured" and c.pdb("foobar").observed is False  # type: ignore[union-attr]
    assert c.pdb("foobar").min_available == "2"  # type: ignore[union-attr]


def test_relative_caps_ages_past_the_deletion_timeout() -> None:
    """The checkers' fingerprint of a budget: eviction times as ages, equal past DeletionTimeout
    (121 s and more behave alike), exact below."""

    def rel(age: int) -> object:
        pdb = attrs.evolve(min_available("1"), disrupted_pods=(("p", 1000 - age),))
        return disruption.relative((pdb,), 1000, str)

    assert rel(121) == rel(500) != rel(120)
    assert rel(10) != rel(11)
