"""Pod ordering and filtering helpers, translated from pkg/controller/controller_utils_test.go.

kmodel implements the ranked comparator ``ActivePodsWithRanks`` (with LogarithmicScaleDown on,
the default) as ``replicaset.deletion_order``: pods to delete first come first. A pod's rank is
the number of related active pods on its node, which kmodel counts from the ``related`` list, so
the Go tests' explicit ranks are reproduced by putting filler pods next to the pod. kmodel
breaks the remaining ties by name where Kubernetes compares UIDs (random), so the Go "equality"
cases are checked on the log-scale comparison itself.
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.components import replicaset
from kmodel.state import FAILED, PENDING, RUNNING, SUCCEEDED, Pod
from tests.k8s.conftest import case

HOUR = 3600
DAY = 24 * HOUR
NOW = 400 * DAY
THEN_1_MONTH = NOW - 30 * DAY


def pod(
    name: str,
    node: str | None,
    phase: str,
    ready: bool,
    restarts: int = 0,
    ready_since: int | None = None,
    created: int = NOW,
) -> Pod:
    """The ``pod(...)`` helper of TestSortingActivePodsWithRanks; a zero readySince is None."""
    return Pod(
        name=name,
        node_name=node,
        phase=phase,
        ready=ready,
        restarts=restarts,
        ready_since=ready_since if ready else None,
        created=created,
    )


def order(pods: list[Pod], related: list[Pod] | None = None) -> list[str]:
    return [p.name for p in replicaset.deletion_order(pods, related if related is not None else pods, NOW)]


# --- TestSortingActivePods ----------------------------------------------------------------------


def test_sorting_active_pods() -> None:
    """controller_utils_test.go TestSortingActivePods, case "Sorts by active pod": unscheduled,
    then pending, unknown phase, running but not ready, ready without a transition time, ready
    recently, ready for long; then the higher container restart count; then the newer pod. (The
    Go test's comparator is ActivePods; kmodel's ranked comparator orders these pods the same,
    as they share a node wherever the rank could matter.)"""
    pods = [
        pod("unscheduled", None, PENDING, False),
        pod("scheduledButPending", "bar", PENDING, False),
        pod("unknownPhase", "foo", "Unknown", False),
        pod("runningButNotReady", "foo", RUNNING, False),
        pod("runningNoLastTransitionTime", "foo", RUNNING, True, restarts=3),
        pod("runningWithLastTransitionTime", "foo", RUNNING, True, restarts=3, ready_since=NOW),
        pod("runningLongerTime", "foo", RUNNING, True, restarts=3, ready_since=THEN_1_MONTH),
        pod("lowerContainerRestartCount", "foo", RUNNING, True, restarts=2, ready_since=THEN_1_MONTH, created=NOW),
        pod("oldest", "foo", RUNNING, True, restarts=2, ready_since=THEN_1_MONTH, created=THEN_1_MONTH),
    ]
    expected = [p.name for p in pods]
    for shuffled in (pods[::-1], pods[3:] + pods[:3], pods[1::2] + pods[::2]):
        assert order(shuffled, pods) == expected


# --- TestSortingActivePodsWithRanks -------------------------------------------------------------

UNSCHEDULED = pod("unscheduled", None, PENDING, False)
SCHEDULED_PENDING = pod("pending", "node", PENDING, False)
UNKNOWN_PHASE = pod("unknown-phase", "node", "Unknown", False)
RUNNING_NOT_READY = pod("not-ready", "node", RUNNING, False)
READY_NO_TRANSITION_TIME = pod("ready-no-last-transition-time", "node", RUNNING, True)
READY_NOW = pod("ready-now", "node", RUNNING, True, ready_since=NOW, created=NOW)
READY_THEN = pod("ready-then", "node", RUNNING, True, ready_since=THEN_1_MONTH, created=THEN_1_MONTH)
READY_NOW_HIGH_RESTARTS = pod("ready-high-restarts", "node", RUNNING, True, 9001, NOW, NOW)
READY_NOW_CREATED_THEN = pod("ready-now-created-then", "node", RUNNING, True, 0, NOW, THEN_1_MONTH)
READY_2_HOURS = pod("ready-2-hours", None, RUNNING, True, 0, NOW - 2 * HOUR, THEN_1_MONTH)
READY_5_HOURS = pod("ready-5-hours", None, RUNNING, True, 0, NOW - 5 * HOUR, THEN_1_MONTH)
# pod-deletion-cost "10" and "100" (the annotation, as the annotate verb sets it)
LOW_DELETION_COST = attrs.evolve(
    pod("low-deletion-cost", "node", RUNNING, True, 0, NOW, THEN_1_MONTH), deletion_cost=10
)
HIGH_DELETION_COST = attrs.evolve(
    pod("high-deletion-cost", "node", RUNNING, True, 0, NOW, THEN_1_MONTH), deletion_cost=100
)
LOW_DELETION_COST_OFF = attrs.evolve(LOW_DELETION_COST, deletion_cost=0)
HIGH_DELETION_COST_OFF = attrs.evolve(HIGH_DELETION_COST, deletion_cost=0)


def ranked(lesser: tuple[Pod, int], greater: tuple[Pod, int]) -> tuple[list[Pod], list[Pod]]:
    """Both pods, and a related list giving each the wanted rank: the pods go to two different
    nodes (their node name only matters when it is empty) with rank-1 fillers beside them."""
    pods: list[Pod] = []
    related: list[Pod] = []
    for (p, rank), node in ((lesser, "node-a"), (greater, "node-b")):
        placed = attrs.evolve(p, node_name=node if p.node_name else None)
        pods.append(placed)
        related.append(placed)
        if placed.node_name:
            related += [Pod(name=f"{node}-filler-{i}", node_name=node, phase=RUNNING) for i in range(rank - 1)]
    return pods, related


@pytest.mark.parametrize(
    ("name", "lesser", "greater"),
    [
        case("Inequality tests 0", (UNSCHEDULED, 1), (SCHEDULED_PENDING, 2)),
        case("Inequality tests 1", (UNSCHEDULED, 2), (SCHEDULED_PENDING, 1)),
        case("Inequality tests 2", (SCHEDULED_PENDING, 1), (UNKNOWN_PHASE, 2)),
        case("Inequality tests 3", (UNKNOWN_PHASE, 1), (RUNNING_NOT_READY, 2)),
        case("Inequality tests 4", (RUNNING_NOT_READY, 1), (READY_NO_TRANSITION_TIME, 1)),
        case("Inequality tests 5", (READY_NO_TRANSITION_TIME, 1), (READY_NOW, 1)),
        case("Inequality tests 6", (READY_NOW, 2), (READY_NO_TRANSITION_TIME, 1)),
        case("Inequality tests 7", (READY_NOW, 1), (READY_THEN, 1)),
        case("Inequality tests 8", (READY_NOW, 2), (READY_THEN, 1)),
        case("Inequality tests 9", (READY_NOW_HIGH_RESTARTS, 1), (READY_NOW, 1)),
        case("Inequality tests 10", (READY_NOW, 2), (READY_NOW_HIGH_RESTARTS, 1)),
        case("Inequality tests 11", (READY_NOW, 1), (READY_NOW_CREATED_THEN, 1)),
        case("Inequality tests 12", (READY_NOW_CREATED_THEN, 2), (READY_NOW, 1)),
        case("Inequality tests 13", (LOW_DELETION_COST, 2), (HIGH_DELETION_COST, 1)),
        # PodDeletionCost disabled: kmodel leaves the cost at 0 (useractions.relabel before
        # 1.22), so the rank decides
        case("Inequality tests 14", (HIGH_DELETION_COST_OFF, 2), (LOW_DELETION_COST_OFF, 1)),
        case("Inequality tests 15", (READY_2_HOURS, 1), (READY_5_HOURS, 1)),
    ],
)
def test_sorting_active_pods_with_ranks(name: str, lesser: tuple[Pod, int], greater: tuple[Pod, int]) -> None:
    """controller_utils_test.go TestSortingActivePodsWithRanks, the inequality table (cases by
    index; 13 and 14 with pod-deletion-cost, set by the ``annotate`` timeline verb): the lesser pod, with
    its rank, is deleted before the greater one whichever order they come in."""
    pods, related = ranked(lesser, greater)
    assert order(pods, related) == [lesser[0].name, greater[0].name]
    assert order(pods[::-1], related) == [lesser[0].name, greater[0].name]


@pytest.mark.parametrize(
    ("name", "t1", "t2"),
    [
        case("Equality tests 9: created 5 and 8 hours ago", NOW - 5 * HOUR, NOW - 8 * HOUR),
        case("Equality tests 10: ready 5 and 8 hours ago", NOW - 5 * HOUR, NOW - 8 * HOUR),
    ],
)
def test_sorting_active_pods_with_ranks_log_scale_equality(name: str, t1: int, t2: int) -> None:
    """controller_utils_test.go TestSortingActivePodsWithRanks, equality cases
    {unscheduled5Hours, unscheduled8Hours} and {ready5Hours, ready10Hours (8 h)}: with
    LogarithmicScaleDown, 5 h and 8 h ago fall in the same power-of-two bucket of nanoseconds, so
    neither pod sorts before the other on that rule."""
    assert replicaset._log_rank_diff(t1, t2, NOW) == 0
    assert replicaset._log_rank_diff(NOW - 2 * HOUR, t1, NOW) != 0  # and 2 h is a different bucket


# --- TestActivePodFiltering ---------------------------------------------------------------------


def test_active_pod_filtering() -> None:
    """controller_utils_test.go TestActivePodFiltering, case "Filters active pods": Succeeded and
    Failed pods are not active."""
    pods = [
        Pod(name="pod-1", phase=SUCCEEDED),
        Pod(name="pod-2", phase=FAILED),
        Pod(name="pod-3", phase=RUNNING),
        Pod(name="pod-4", phase=RUNNING),
        Pod(name="pod-5", phase=RUNNING),
    ]
    assert [p.name for p in pods if p.active] == ["pod-3", "pod-4", "pod-5"]
