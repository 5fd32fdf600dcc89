"""Pod availability, translated from pkg/api/v1/pod/util_test.go TestIsPodAvailable.

The Go test's ``newPod(now, ready, beforeSec)`` is a pod whose Ready condition has status
``ready`` and lastTransitionTime ``beforeSec`` seconds before ``now``. In kmodel the Ready
condition is ``Pod.ready`` and its transition to true is ``Pod.ready_since``; a pod that is not
ready has no ``ready_since``. ``now`` is t=100 on the model clock (any instant would do).
"""

from __future__ import annotations

import pytest

from kmodel.state import RUNNING, Pod, pod_available
from tests.k8s.conftest import case

NOW = 100


def new_pod(ready: bool, before_sec: int) -> Pod:
    return Pod(
        name="p",
        phase=RUNNING,
        ready=ready,
        containers_ready=ready,
        ready_since=NOW - before_sec if ready else None,
    )


@pytest.mark.parametrize(
    ("name", "ready", "before_sec", "min_ready_seconds", "expected"),
    [
        # the Go table has no case names: these are its rows in order, tc #0 to #3
        case("tc #0: not ready", False, 0, 0, False),
        case("tc #1: ready just now, minReadySeconds 1", True, 0, 1, False),
        case("tc #2: ready just now, minReadySeconds 0", True, 0, 0, True),
        case("tc #3: ready 51s ago, minReadySeconds 50", True, 51, 50, True),
    ],
)
def test_is_pod_available(name: str, ready: bool, before_sec: int, min_ready_seconds: int, expected: bool) -> None:
    """util_test.go TestIsPodAvailable, every table row."""
    assert pod_available(new_pod(ready, before_sec), min_ready_seconds, NOW) is expected


def test_available_exactly_min_ready_seconds_after_becoming_ready() -> None:
    """util.go IsPodAvailable (the source, not a Go test row): lastTransitionTime +
    minReadySeconds <= now, so the pod is available at the very instant, not a second later."""
    assert pod_available(new_pod(True, 30), 30, NOW) is True
    assert pod_available(new_pod(True, 29), 30, NOW) is False


def test_ready_without_transition_time_is_available_only_with_min_ready_zero() -> None:
    """util.go IsPodAvailable: ``minReadySeconds == 0 || (!LastTransitionTime.IsZero() && ...)``."""
    pod = Pod(name="p", phase=RUNNING, ready=True, containers_ready=True, ready_since=None)
    assert pod_available(pod, 0, NOW) is True
    assert pod_available(pod, 10, NOW) is False
