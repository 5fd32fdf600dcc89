"""PrioritySort, the scheduling queue's order: pkg/scheduler/framework/plugins/queuesort/
priority_sort_test.go, TestLess. ``Timestamp`` is the time the pod entered the queue (t1 one
second before t2)."""

from __future__ import annotations

import pytest

from kmodel.components import scheduler
from kmodel.components.plugins import queuesort
from kmodel.schedulingspec import SchedulingSpec
from kmodel.state import Pod
from tests.k8s.conftest import mkcluster, mknode

LOW, HIGH = 10, 100
T1, T2 = 0, 1


def pod(name: str, priority: int, created: int = 0) -> Pod:
    return Pod(name=name, created=created, scheduling=SchedulingSpec(priority=priority))


@pytest.mark.parametrize(
    ("p1", "p2", "t1", "t2", "expected"),
    [
        pytest.param(pod("a", LOW), pod("b", HIGH), None, None, False, id="p1.priority less than p2.priority"),
        pytest.param(pod("a", HIGH), pod("b", LOW), None, None, True, id="p1.priority greater than p2.priority"),
        pytest.param(
            pod("a", HIGH),
            pod("b", HIGH),
            T1,
            T2,
            True,
            id="equal priority. p1 is added to schedulingQ earlier than p2",
        ),
        pytest.param(
            pod("a", HIGH),
            pod("b", HIGH),
            T2,
            T1,
            False,
            id="equal priority. p2 is added to schedulingQ earlier than p1",
        ),
    ],
)
def test_less(p1: Pod, p2: Pod, t1: int | None, t2: int | None, expected: bool) -> None:
    """priority_sort_test.go TestLess."""
    assert queuesort.less(p1, p2, t1, t2) is expected


def test_the_scheduler_queue_pops_by_priority_then_age() -> None:
    """The queue kmodel's scheduler pops from follows Less: the high-priority pod created last
    goes first, then the older of two equal ones."""
    pods = [pod("old-low", LOW, created=0), pod("new-low", LOW, created=5), pod("new-high", HIGH, created=9)]
    c = mkcluster(mknode("n"), pods=pods, now=10)
    assert [p.name for p in scheduler.queue(c)] == ["new-high", "old-low", "new-low"]


def test_less_orders_by_the_queue_timestamps_not_the_creation_times() -> None:
    """priority_sort.go Less: ``(p1 > p2) || (p1 == p2 && podInfo1.Timestamp.Before(podInfo2.Timestamp))``.
    The timestamps are when the pods entered the queue, which need not follow their creation:
    a pod created later but queued first goes first. Before is strict: equal timestamps are not
    less either way."""
    late, early = pod("a", HIGH, created=5), pod("b", HIGH, created=0)
    assert queuesort.less(late, early, T1, T2) is True
    assert queuesort.less(early, late, T2, T1) is False
    assert queuesort.less(late, early, T1, T1) is False
    assert queuesort.less(early, late, T1, T1) is False
