"""Pod garbage collector, translated from pkg/controller/podgc/gc_controller_test.go.

One ``podgc.step`` is one ``gc()`` pass (kmodel runs it every podGCPeriod; here it is called at
the times the Go test moves its fake clock to). A force-deleted pod is gone from the cluster.
The orphan quarantine is 40 s in both.
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import podgc
from kmodel.state import (
    COND_FALSE,
    COND_TRUE,
    FAILED,
    NO_EXECUTE,
    NO_SCHEDULE,
    PENDING,
    PREFER_NO_SCHEDULE,
    RUNNING,
    SUCCEEDED,
    TAINT_OUT_OF_SERVICE,
    Cluster,
    Node,
    Pod,
    Taint,
)
from tests.k8s.conftest import apply, at, case, mkcluster, mknode

QUARANTINE = 40  # quarantineTime in gc_controller.go


def gc(c: Cluster, now: int) -> Cluster:
    return apply(podgc.step, at(c, now))[0]


def remaining(c: Cluster) -> set[str]:
    return {p.name for p in c.pods}


def make_pod(name: str, node: str | None, phase: str = RUNNING, deleting: bool = False, created: int = 0) -> Pod:
    """``makePod(name, nodeName, phase)``; ``deleting`` sets a deletionTimestamp."""
    return Pod(name=name, node_name=node, phase=phase, deletion_timestamp=0 if deleting else None, created=created)


# --- TestGCOrphaned -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "nodes", "pods", "delay", "deleted"),
    [
        case(
            "nodes present in lister",
            ["existing1", "existing2"],
            [("a", "existing1", RUNNING), ("b", "existing2", FAILED), ("c", "existing2", SUCCEEDED)],
            2 * QUARANTINE,
            set(),
        ),
        case("no nodes", [], [("a", "deleted", FAILED), ("b", "deleted", SUCCEEDED)], 2 * QUARANTINE, {"a", "b"}),
        case(
            "no nodes, one running pod",
            [],
            [("a", "deleted", FAILED), ("b", "deleted", SUCCEEDED), ("c", "deleted", RUNNING)],
            2 * QUARANTINE,
            {"a", "b", "c"},
        ),
        case("quarantine not finished", [], [("a", "deleted", FAILED)], QUARANTINE // 2, set()),
        case("wrong nodes", ["existing"], [("a", "deleted", RUNNING)], 2 * QUARANTINE, {"a"}),
        case(
            "some nodes missing",
            ["existing"],
            [
                ("a", "deleted", FAILED),
                ("b", "existing", FAILED),
                ("c", "deleted", SUCCEEDED),
                ("d", "deleted", RUNNING),
            ],
            2 * QUARANTINE,
            {"a", "c", "d"},
        ),
    ],
)
def test_gc_orphaned(
    name: str, nodes: list[str], pods: list[tuple[str, str, str]], delay: int, deleted: set[str]
) -> None:
    """gc_controller_test.go TestGCOrphaned, table cases named by ``name``: a first gc pass
    deletes nothing; after ``delay`` a second pass force-deletes the pods of nodes that have been
    missing for the whole quarantine."""
    c = mkcluster(*(mknode(n) for n in nodes), pods=[make_pod(*p) for p in pods])
    c = gc(c, 0)
    assert remaining(c) == {p[0] for p in pods}, "no pods should be deleted at this point"
    c = gc(c, delay)
    assert remaining(c) == {p[0] for p in pods} - deleted


def test_gc_orphaned_node_added_after_quarantine() -> None:
    """gc_controller_test.go TestGCOrphaned, case "node added to informer after quarantine": the
    node turns up before the second pass, so its pod stays."""
    c = mkcluster(pods=[make_pod("a", "node", FAILED)])
    c = gc(c, 0)
    c = c.with_node(mknode("node"))
    c = gc(c, 2 * QUARANTINE)
    assert remaining(c) == {"a"}


def test_gc_orphaned_node_deleted_after_quarantine() -> None:
    """gc_controller_test.go TestGCOrphaned, case "node deleted from informer after quarantine":
    the node exists at the first pass and is gone at the second, whose quarantine has only just
    started, so nothing is deleted yet."""
    c = mkcluster(mknode("node"), pods=[make_pod("a", "node", SUCCEEDED)])
    c = gc(c, 0)
    c = attrs.evolve(c, nodes=())
    c = gc(c, 2 * QUARANTINE)
    assert remaining(c) == {"a"}


# --- TestGCUnscheduledTerminating ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pods", "deleted"),
    [
        case(
            "Unscheduled pod in any phase must be deleted",
            [("a", None, FAILED, True), ("b", None, SUCCEEDED, True), ("c", None, RUNNING, True)],
            {"a", "b", "c"},
        ),
        case(
            "Scheduled pod in any phase must not be deleted",
            [("a", None, FAILED, False), ("b", "node", SUCCEEDED, False), ("c", "node", RUNNING, True)],
            set(),
        ),
    ],
)
def test_gc_unscheduled_terminating(
    name: str, pods: list[tuple[str, str | None, str, bool]], deleted: set[str]
) -> None:
    """gc_controller_test.go TestGCUnscheduledTerminating, table cases named by ``name``: a
    terminating pod that was never bound is force-deleted whatever its phase."""
    c = mkcluster(mknode("node"), pods=[make_pod(*p) for p in pods])
    c = gc(c, 0)
    assert remaining(c) == {p[0] for p in pods} - deleted


# --- TestGCTerminating --------------------------------------------------------------------------


def out_of_service(effect: str, value: str = "") -> Taint:
    return Taint(key=TAINT_OUT_OF_SERVICE, value=value, effect=effect)


def worker(name: str, ready: str, *taints: Taint) -> Node:
    return mknode(name, ready=ready, taints=taints)


def five_pods(i: int, node: str) -> list[Pod]:
    """Pods a<i>..e<i> of the Go case: no phase, terminating, Pending, Running, Unknown."""
    return [
        make_pod(f"a{i}", node, PENDING),
        make_pod(f"b{i}", node, PENDING, deleting=True),
        make_pod(f"c{i}", node, PENDING),
        make_pod(f"d{i}", node, RUNNING),
        make_pod(f"e{i}", node, "Unknown"),
    ]


def test_gc_terminating_nodes_not_ready_without_taint() -> None:
    """gc_controller_test.go TestGCTerminating, case "pods have deletion timestamp set and the
    corresponding nodes are not ready": without the out-of-service taint nothing is deleted."""
    c = mkcluster(
        worker("worker-0", COND_FALSE),
        worker("worker-1", COND_FALSE),
        pods=[make_pod("a", "worker-0", deleting=True), make_pod("b", "worker-1", deleting=True)],
    )
    assert remaining(gc(c, 0)) == {"a", "b"}


def test_gc_terminating_out_of_service_mix() -> None:
    """gc_controller_test.go TestGCTerminating, case "some pods have deletion timestamp and/or
    phase set and some of the corresponding nodes have an outofservice taint that are not ready":
    only the terminating pods (b*) of nodes that are not Ready and carry the out-of-service taint
    (with any effect or value) are force-deleted: b1, b4, b5, b6."""
    nodes = [
        worker("worker-0", COND_FALSE, out_of_service(NO_EXECUTE)),
        worker("worker-1", COND_FALSE),
        worker("worker-2", COND_TRUE),
        worker("worker-3", COND_FALSE, out_of_service(NO_SCHEDULE)),
        worker("worker-4", COND_FALSE, out_of_service(PREFER_NO_SCHEDULE)),
        worker("worker-5", COND_FALSE, out_of_service(NO_EXECUTE, "any-value")),
    ]
    pods = [p for i, n in enumerate(nodes, 1) for p in five_pods(i, n.name)]
    # the Go case puts a5 on worker-3 (its comment says worker-4); kept as written
    pods = [make_pod("a5", "worker-3", PENDING) if p.name == "a5" else p for p in pods]
    c = gc(mkcluster(*nodes, pods=pods), 0)
    assert {p.name for p in pods} - remaining(c) == {"b1", "b4", "b5", "b6"}


def test_gc_terminating_pods_deleted_from_out_of_service_node() -> None:
    """gc_controller_test.go TestGCTerminating, case "pods deleted from node tainted
    out-of-service": terminating pods in any phase are force-deleted."""
    c = mkcluster(
        worker("worker", COND_FALSE, out_of_service(NO_EXECUTE)),
        pods=[
            make_pod("a", "worker", RUNNING, deleting=True),
            make_pod("b", "worker", FAILED, deleting=True),
            make_pod("c", "worker", SUCCEEDED, deleting=True),
        ],
    )
    assert remaining(gc(c, 0)) == set()


# --- TestGCTerminated ---------------------------------------------------------------------------

TERMINATED_POD_GC_THRESHOLD = 12500  # kube-controller-manager --terminated-pod-gc-threshold default


def test_gc_terminated_oldest_finished_pods_beyond_threshold() -> None:
    """gc_controller_test.go TestGCTerminated, the case with pods a (Failed), b (Succeeded),
    c (Failed) and threshold 1, which deletes a and b: finished pods beyond the threshold are
    force-deleted, oldest first. Here with the default threshold of 12500: of 12502 finished
    pods the two oldest go, and a Running pod is never counted."""
    finished = [
        make_pod(f"p{i:05d}", "node", FAILED if i % 2 else SUCCEEDED, created=i)
        for i in range(TERMINATED_POD_GC_THRESHOLD + 2)
    ]
    running = make_pod("running", "node", RUNNING, created=-1)
    c = gc(mkcluster(mknode("node"), pods=[*finished, running]), 0)
    assert {p.name for p in finished} - remaining(c) == {"p00000", "p00001"}
    assert "running" in remaining(c)
