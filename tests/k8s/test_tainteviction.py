"""Taint-based eviction, translated from pkg/controller/tainteviction/taint_eviction_test.go.

The Go tests drive the controller with node and pod updates and watch the fake clientset for a
``patch`` (the DisruptionTarget condition) and a ``delete`` of the pod. Here one
``tainteviction.step`` at a given time plays the controller reacting at that instant; "patched"
is ``Pod.disruption_target`` and "deleted" is a deletionTimestamp (the pod is bound, so the
delete is graceful). The controller's scheduled evictions live in
``ControllerMemory.scheduled_evictions``.

Where a Go test only says "not deleted yet" for a finite toleration, the fire time asserted here
comes from ``processPodOnNode`` in taint_eviction.go: the deletion is scheduled for
``now + minTolerationTime`` when the controller first sees the pod needing it.
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import tainteviction
from kmodel.state import NO_EXECUTE, TAINT_UNREACHABLE, Cluster, Node, Pod, Toleration
from kmodel.transition import Event
from tests.k8s.conftest import (
    apply,
    at,
    case,
    mkcluster,
    mknode,
    mkpod,
    no_execute,
    node_of,
    pod_of,
    taint_n,
    toleration_n,
)

GO_FILE = "pkg/controller/tainteviction/taint_eviction_test.go"


def evict_step(c: Cluster, now: int) -> tuple[Cluster, tuple[Event, ...]]:
    return apply(tainteviction.step, at(c, now))


def deleted(c: Cluster, name: str) -> bool:
    """The Go tests' expectDelete: a DELETE was sent for the pod (graceful, so it shows
    Terminating) or the pod object is gone."""
    pod = c.pod(name)
    return pod is None or pod.deletion_timestamp is not None


def patched(c: Cluster, name: str) -> bool:
    """The Go tests' expectPatch: the DisruptionTarget condition was added."""
    pod = c.pod(name)
    return pod is not None and pod.disruption_target


def scheduled(c: Cluster, name: str) -> bool:
    """``taintEvictionQueue.GetWorkerUnsafe(pod) != nil``."""
    return any(p == name for p, _ in c.memory.scheduled_evictions)


def tainted(node: Node, *taint_ids: int) -> Node:
    """``addTaintsToNode(node, ..., indices)``: replaces the node's taints."""
    return attrs.evolve(node, taints=tuple(taint_n(i) for i in taint_ids))


def with_tolerations(pod: Pod, *tolerations: Toleration) -> Pod:
    return attrs.evolve(pod, tolerations=tolerations)


# --- TestCreatePod ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pod", "taints", "expect_delete"),
    [
        case("not scheduled - ignore", mkpod("pod1"), (), False),
        case("scheduled on untainted Node", mkpod("pod1", "node1"), (), False),
        case("schedule on tainted Node", mkpod("pod1", "node1"), (1,), True),
        case(
            "schedule on tainted Node with infinite toleration",
            with_tolerations(mkpod("pod1", "node1"), toleration_n(1, None)),
            (1,),
            False,
        ),
        case(
            "schedule on tainted Node with infinite invalid toleration",
            with_tolerations(mkpod("pod1", "node1"), toleration_n(2, None)),
            (1,),
            True,
        ),
    ],
)
def test_create_pod(name: str, pod: Pod, taints: tuple[int, ...], expect_delete: bool) -> None:
    """taint_eviction_test.go TestCreatePod, table cases named by ``name``: a pod appears while
    its node carries the taints; a pod that does not tolerate them is patched and deleted at once."""
    c = mkcluster(tainted(mknode("node1"), *taints), pods=[pod])
    c, _ = evict_step(c, 0)
    assert deleted(c, "pod1") is expect_delete
    assert patched(c, "pod1") is expect_delete


def test_create_pod_finite_toleration() -> None:
    """taint_eviction_test.go TestCreatePod, case "schedule on tainted Node with finite
    toleration": tolerated for 100 s, so not deleted now (the Go expectation); per
    processPodOnNode it is deleted once the 100 s have passed."""
    pod = with_tolerations(mkpod("pod1", "node1"), toleration_n(1, 100))
    c = mkcluster(tainted(mknode("node1"), 1), pods=[pod])
    c, _ = evict_step(c, 0)
    assert not deleted(c, "pod1")
    assert scheduled(c, "pod1")
    c, _ = evict_step(c, 99)
    assert not deleted(c, "pod1")
    c, _ = evict_step(c, 100)
    assert deleted(c, "pod1") and patched(c, "pod1")


# --- TestUpdatePod ------------------------------------------------------------------------------


def test_update_pod_scheduling_onto_tainted_node() -> None:
    """taint_eviction_test.go TestUpdatePod, case "scheduling onto tainted Node": a pod without
    tolerations bound to a tainted node is deleted."""
    c = mkcluster(tainted(mknode("node1"), 1), pods=[mkpod("pod1")])
    c, _ = evict_step(c, 0)
    assert not deleted(c, "pod1")
    c = c.with_pod(attrs.evolve(pod_of(c, "pod1"), node_name="node1", phase="Running"))
    c, _ = evict_step(c, 0)
    assert deleted(c, "pod1") and patched(c, "pod1")


def test_update_pod_removing_toleration() -> None:
    """taint_eviction_test.go TestUpdatePod, case "removing toleration": an eviction is scheduled
    for a pod tolerating the taint for 100 s; once its toleration is gone it is deleted at once."""
    pod = with_tolerations(mkpod("pod1", "node1"), toleration_n(1, 100))
    c = mkcluster(tainted(mknode("node1"), 1), pods=[pod])
    c, _ = evict_step(c, 0)
    assert scheduled(c, "pod1") and not deleted(c, "pod1")
    c = c.with_pod(with_tolerations(pod_of(c, "pod1")))
    c, _ = evict_step(c, 1)
    assert deleted(c, "pod1") and patched(c, "pod1")


def test_update_pod_lengthening_toleration_does_not_work() -> None:
    """taint_eviction_test.go TestUpdatePod, case "lengthening toleration shouldn't work": the
    pod tolerated the taint for 1 s and its eviction is scheduled; raising the toleration to 100 s
    does not move it (processPodOnNode keeps a scheduled eviction that was created earlier), so
    the pod is deleted 1 s after it was first seen."""
    pod = with_tolerations(mkpod("pod1", "node1"), toleration_n(1, 1))
    c = mkcluster(tainted(mknode("node1"), 1), pods=[pod])
    c, _ = evict_step(c, 0)
    assert scheduled(c, "pod1")
    c = c.with_pod(with_tolerations(pod_of(c, "pod1"), toleration_n(1, 100)))
    c, _ = evict_step(c, 1)
    assert deleted(c, "pod1") and patched(c, "pod1")


# --- TestCreateNode / TestUpdateNode -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pod", "expect_delete"),
    [
        case("Creating tainted Node matching already assigned Pod", mkpod("pod1", "node1"), True),
        case(
            "Creating tainted Node matching already assigned tolerating Pod",
            with_tolerations(mkpod("pod1", "node1"), toleration_n(1, None)),
            False,
        ),
    ],
)
def test_create_node(name: str, pod: Pod, expect_delete: bool) -> None:
    """taint_eviction_test.go TestCreateNode, table cases named by ``name``."""
    c = mkcluster(tainted(mknode("node1"), 1), pods=[pod])
    c, _ = evict_step(c, 0)
    assert deleted(c, "pod1") is expect_delete
    assert patched(c, "pod1") is expect_delete


@pytest.mark.parametrize(
    ("name", "tolerations", "new_taints", "expect_delete"),
    [
        case("Added taint, expect node patched and deleted", (), (1,), True),
        case("Added tolerated taint", (toleration_n(1, 100),), (1,), False),
        case("Only one added taint tolerated", (toleration_n(1, 100),), (1, 2), True),
    ],
)
def test_update_node(
    name: str, tolerations: tuple[Toleration, ...], new_taints: tuple[int, ...], expect_delete: bool
) -> None:
    """taint_eviction_test.go TestUpdateNode, table cases named by ``name``: an untainted node
    gets NoExecute taints while the pod runs on it."""
    c = mkcluster(mknode("node1"), pods=[with_tolerations(mkpod("pod1", "node1"), *tolerations)])
    c, _ = evict_step(c, 0)
    assert not deleted(c, "pod1")
    c = c.with_node(tainted(node_of(c, "node1"), *new_taints))
    c, _ = evict_step(c, 1)
    assert deleted(c, "pod1") is expect_delete
    assert patched(c, "pod1") is expect_delete


def test_update_node_taint_removed() -> None:
    """taint_eviction_test.go TestUpdateNode, case "Taint removed": the pod tolerates the taint
    for 1 s; the taint goes away before that, and 1.5 s later the pod is still not deleted."""
    pod = with_tolerations(mkpod("pod1", "node1"), toleration_n(1, 1))
    c = mkcluster(tainted(mknode("node1"), 1), pods=[pod])
    c, _ = evict_step(c, 0)
    assert scheduled(c, "pod1")
    c = c.with_node(tainted(node_of(c, "node1")))
    c, _ = evict_step(c, 0)
    c, _ = evict_step(c, 2)
    assert not deleted(c, "pod1") and not patched(c, "pod1")
    assert not scheduled(c, "pod1")


def test_update_node_evicted_when_first_toleration_runs_out() -> None:
    """taint_eviction_test.go TestUpdateNode, case "Pod with multiple tolerations are evicted when
    first one runs out": tolerations of 1 s (taint 1) and 100 s (taint 2); the node gets both
    taints, so the pod goes after 1 s."""
    pod = with_tolerations(mkpod("pod1", "node1"), toleration_n(1, 1), toleration_n(2, 100))
    c = mkcluster(mknode("node1"), pods=[pod])
    c = c.with_node(tainted(node_of(c, "node1"), 1, 2))
    c, _ = evict_step(c, 0)
    assert not deleted(c, "pod1")
    c, _ = evict_step(c, 1)
    assert deleted(c, "pod1") and patched(c, "pod1")


def test_update_node_with_multiple_taints() -> None:
    """taint_eviction_test.go TestUpdateNodeWithMultipleTaints: the pod tolerates taint 1 forever
    and taint 2 for 60 s. No taint, then taint 1: nothing queued; taints 1 and 2: queued; back
    to taint 1: dequeued again; the pod is never deleted."""
    pod = with_tolerations(
        mkpod("pod1", "node1"),
        Toleration(key="testTaint1", operator="Exists", effect=NO_EXECUTE),
        Toleration(key="testTaint2", operator="Exists", effect=NO_EXECUTE, toleration_seconds=60),
    )
    c = mkcluster(mknode("node1"), pods=[pod])
    c, _ = evict_step(c, 0)
    assert not scheduled(c, "pod1"), "queued for deletion with no taints"
    c = c.with_node(tainted(node_of(c, "node1"), 1))
    c, _ = evict_step(c, 1)
    assert not scheduled(c, "pod1"), "queued for deletion with a permanently tolerated taint"
    c = c.with_node(tainted(node_of(c, "node1"), 1, 2))
    c, _ = evict_step(c, 2)
    assert scheduled(c, "pod1"), "not queued after a temporarily tolerated taint was added"
    c = c.with_node(tainted(node_of(c, "node1"), 1))
    c, _ = evict_step(c, 3)
    assert not scheduled(c, "pod1"), "still queued after the temporarily tolerated taint went"
    c, _ = evict_step(c, 100)
    assert not deleted(c, "pod1")


def test_scheduled_eviction_is_kept_when_a_second_taint_arrives() -> None:
    """taint_eviction.go processPodOnNode (the rule behind TestUpdatePod "lengthening toleration
    shouldn't work"): when an eviction is already scheduled, a new taint with a shorter
    toleration does not reschedule it, because the existing work was created earlier
    (``startTime.Add(minTolerationTime).Before(triggerTime)``). Taint 1 tolerated for 100 s is seen
    at t=0; taint 2, tolerated for 10 s, arrives at t=50: the pod is still deleted at t=100, not at
    t=50 or t=60."""
    pod = with_tolerations(mkpod("pod1", "node1"), toleration_n(1, 100), toleration_n(2, 10))
    c = mkcluster(tainted(mknode("node1"), 1), pods=[pod])
    c, _ = evict_step(c, 0)
    assert scheduled(c, "pod1")
    c = c.with_node(tainted(node_of(c, "node1"), 1, 2))
    for t in (50, 60, 99):
        c, _ = evict_step(c, t)
        assert not deleted(c, "pod1"), f"deleted at t={t}"
    c, _ = evict_step(c, 100)
    assert deleted(c, "pod1")


# --- TestUpdateNodeWithMultiplePods ------------------------------------------------------------


def test_update_node_with_multiple_pods_different_toleration_times() -> None:
    """taint_eviction_test.go TestUpdateNodeWithMultiplePods, case "Pods with different
    toleration times are evicted appropriately": pod1 (no toleration) goes at once, pod2
    (1 s) after a second, pod3 (forever) never."""
    pods = [
        mkpod("pod1", "node1"),
        with_tolerations(mkpod("pod2", "node1"), toleration_n(1, 1)),
        with_tolerations(mkpod("pod3", "node1"), toleration_n(1, None)),
    ]
    c = mkcluster(tainted(mknode("node1"), 1), pods=pods)
    c, _ = evict_step(c, 0)
    assert [deleted(c, p) for p in ("pod1", "pod2", "pod3")] == [True, False, False]
    c, _ = evict_step(c, 1)
    assert [deleted(c, p) for p in ("pod1", "pod2", "pod3")] == [True, True, False]
    c, _ = evict_step(c, 1000)
    assert not deleted(c, "pod3")


def test_update_node_with_multiple_pods_not_matching_all_taints() -> None:
    """taint_eviction_test.go TestUpdateNodeWithMultiplePods, case "Evict all pods not matching
    all taints instantly": with taints 1 and 2 none of the pods tolerates taint 2, so all three
    are deleted at once."""
    pods = [
        mkpod("pod1", "node1"),
        with_tolerations(mkpod("pod2", "node1"), toleration_n(1, 1)),
        with_tolerations(mkpod("pod3", "node1"), toleration_n(1, None)),
    ]
    c = mkcluster(tainted(mknode("node1"), 1, 2), pods=pods)
    c, _ = evict_step(c, 0)
    assert all(deleted(c, p) for p in ("pod1", "pod2", "pod3"))


# --- TestGetMinTolerationTime ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "seconds", "expected"),
    [
        case("one toleration without tolerationSeconds", (None,), None),
        case("1s and 2s", (1, 2), 1),
        case("1s and none", (1, None), 1),
        case("none and 1s", (None, 1), 1),
    ],
)
def test_get_min_toleration_time(name: str, seconds: tuple[int | None, ...], expected: int | None) -> None:
    """taint_eviction_test.go TestGetMinTolerationTime (unnamed table cases, described by
    ``name``): the smallest tolerationSeconds among the tolerations used for the taints; none
    with a limit means tolerated forever (-1 in Go, None here). Each toleration here is the one
    matching taint i, as GetMatchingTolerations hands them over."""
    taints = [taint_n(i) for i in range(1, len(seconds) + 1)]
    pod = Pod(name="p", tolerations=tuple(toleration_n(i, s) for i, s in enumerate(seconds, 1)))
    assert tainteviction.min_toleration_seconds(pod, taints) == expected


def test_first_matching_toleration_counts_limited() -> None:
    """taint_eviction.go processPodOnNode passes getMinTolerationTime the tolerations that
    v1helper.GetMatchingTolerations returns: for each taint the FIRST toleration of the pod that
    tolerates it, not every matching one. A pod tolerating unreachable for 600 s first and
    everything for 60 s second is evicted after 600 s."""
    unreachable = no_execute(TAINT_UNREACHABLE)
    pod = with_tolerations(
        mkpod("pod1", "node1"),
        Toleration(key=TAINT_UNREACHABLE, operator="Exists", effect=NO_EXECUTE, toleration_seconds=600),
        Toleration(operator="Exists", effect=NO_EXECUTE, toleration_seconds=60),
    )
    c = mkcluster(mknode("node1", taints=(unreachable,)), pods=[pod])
    c, _ = evict_step(c, 0)
    for t in (60, 61, 300, 599):
        c, _ = evict_step(c, t)
        assert not deleted(c, "pod1"), f"deleted at t={t}"
    c, _ = evict_step(c, 600)
    assert deleted(c, "pod1")


def test_first_matching_toleration_counts_forever() -> None:
    """taint_eviction.go processPodOnNode with GetMatchingTolerations: the first toleration that
    matches the taint has no tolerationSeconds, so the taint is tolerated forever even though a
    later toleration of the same taint has a 30 s limit."""
    taint = taint_n(1)
    pod = with_tolerations(
        mkpod("pod1", "node1"),
        Toleration(key="testTaint1", operator="Exists", effect=NO_EXECUTE),
        toleration_n(1, 30),
    )
    c = mkcluster(mknode("node1", taints=(taint,)), pods=[pod])
    c, _ = evict_step(c, 0)
    c, _ = evict_step(c, 3600)
    assert not deleted(c, "pod1")


# --- TestEventualConsistency / TestPodDeletionEvent --------------------------------------------


def test_eventual_consistency_pod_scheduled_later_onto_tainted_node() -> None:
    """taint_eviction_test.go TestEventualConsistency, case "existing pod2 scheduled onto tainted
    Node": the node update deletes pod1; pod2's late binding to the tainted node deletes it too."""
    c = mkcluster(mknode("node1"), pods=[mkpod("pod1", "node1"), mkpod("pod2")])
    c = c.with_node(tainted(node_of(c, "node1"), 1))
    c, _ = evict_step(c, 0)
    assert deleted(c, "pod1") and not deleted(c, "pod2")
    c = c.with_pod(attrs.evolve(pod_of(c, "pod2"), node_name="node1", phase="Running"))
    c, _ = evict_step(c, 1)
    assert deleted(c, "pod2") and patched(c, "pod2")


def test_pod_deletion_event() -> None:
    """taint_eviction_test.go TestPodDeletionEvent, "emitPodDeletionEvent": a Normal event with
    reason TaintManagerEviction and message "Marking for deletion Pod <namespace>/<name>"."""
    c = mkcluster(tainted(mknode("node1"), 1), pods=[mkpod("pod1", "node1")])
    _, events = evict_step(c, 0)
    assert [(e.reason, e.type, e.object, e.message) for e in events] == [
        ("TaintManagerEviction", "Normal", "pod/pod1", "Marking for deletion Pod default/pod1")
    ]


def test_cancel_pod_deletion_event() -> None:
    """taint_eviction_test.go TestPodDeletionEvent, "emitCancelPodDeletionEvent", on the path of
    TestUpdateNode "Taint removed": when a scheduled eviction is cancelled (cancelWorkWithEvent)
    the controller records a Normal event, reason TaintManagerEviction, message "Cancelling
    deletion of Pod <namespace>/<name>"."""
    pod = with_tolerations(mkpod("pod1", "node1"), toleration_n(1, 60))
    c = mkcluster(tainted(mknode("node1"), 1), pods=[pod])
    c, _ = evict_step(c, 0)
    assert scheduled(c, "pod1")
    c = c.with_node(tainted(node_of(c, "node1")))
    c, events = evict_step(c, 10)
    assert [(e.reason, e.type, e.object, e.message) for e in events] == [
        ("TaintManagerEviction", "Normal", "pod/pod1", "Cancelling deletion of Pod default/pod1")
    ]
