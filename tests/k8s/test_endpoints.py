"""Endpoints controller, translated from pkg/controller/endpoint/endpoints_controller_test.go.

kmodel keeps only a Service's ready addresses (``Service.endpoints``, the pods that receive
traffic); the Go tests' NotReadyAddresses have no counterpart, so only their ready counts are
compared. The Go tests' pods carry a pod IP but no nodeName; a pod only gets an IP once it is
bound and its sandbox runs, so the pods here are bound to a node.
"""

from __future__ import annotations

import pytest

from kmodel.components import endpoints
from kmodel.state import PENDING, RUNNING, Cluster, Service, labels_of
from tests.k8s.conftest import apply, case, mkcluster, mknode, mkpod

FOO_BAR = labels_of({"foo": "bar"})


def service(**kw: object) -> Service:
    return Service(name="foo", selector=FOO_BAR, **kw)  # type: ignore[arg-type]


def ready_addresses(c: Cluster) -> tuple[str, ...]:
    c, _ = apply(endpoints.step, c)
    svc = c.service("foo")
    assert svc is not None
    return svc.endpoints


# --- TestSyncServiceAddresses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "phase", "ready", "terminating", "expected_ready"),
    [
        case("pod running phase", RUNNING, True, False, 1),
        case("pod running phase being deleted", RUNNING, True, True, 0),
        case("pod unknown phase container ready", "Unknown", True, False, 1),
        case("pod unknown phase container ready being deleted", "Unknown", True, True, 0),
        case("pod pending phase container ready", PENDING, True, False, 1),
        case("pod pending phase container ready being deleted", PENDING, True, True, 0),
        case("pod unknown phase container not ready", "Unknown", False, False, 0),
        case("pod pending phase container not ready", PENDING, False, False, 0),
        case("pod failed phase", "Failed", False, False, 0),
        case("pod succeeded phase", "Succeeded", False, False, 0),
    ],
)
def test_sync_service_addresses(name: str, phase: str, ready: bool, terminating: bool, expected_ready: int) -> None:
    """endpoints_controller_test.go TestSyncServiceAddresses, the cases without
    publishNotReadyAddresses, named by ``name``: the number of ready addresses for one pod in the
    given phase, Ready condition and deletion state."""
    pod = mkpod(
        "fakepod",
        "node1",
        labels=FOO_BAR,
        phase=phase,
        ready=ready,
        deletion_timestamp=0 if terminating else None,
    )
    c = mkcluster(mknode("node1"), pods=[pod], services=(service(),))
    assert len(ready_addresses(c)) == expected_ready


@pytest.mark.parametrize(
    ("name", "phase", "terminating", "expected_ready"),
    [
        case("pod running phase and tolerate unready", RUNNING, False, 1),
        case("pod running phase and tolerate unready being deleted", RUNNING, True, 1),
        case("pod failed phase and tolerate unready", "Failed", False, 0),
    ],
)
def test_sync_service_addresses_publish_not_ready(
    name: str, phase: str, terminating: bool, expected_ready: int
) -> None:
    """endpoints_controller_test.go TestSyncServiceAddresses, publishNotReadyAddresses cases named
    by ``name``: a Service that tolerates unready endpoints lists a not-ready pod, even one being
    deleted, among its ready addresses; a finished pod still not."""
    pod = mkpod(
        "fakepod",
        "node1",
        labels=FOO_BAR,
        phase=phase,
        ready=False,
        deletion_timestamp=0 if terminating else None,
    )
    c = mkcluster(mknode("node1"), pods=[pod], services=(service(publish_not_ready_addresses=True),))
    assert len(ready_addresses(c)) == expected_ready


# --- TestSyncEndpointsItems and friends ---------------------------------------------------------


def test_sync_endpoints_items() -> None:
    """endpoints_controller_test.go TestSyncEndpointsItems: three ready pods matching the selector
    are the Service's addresses (pods with other labels are not)."""
    pods = [mkpod(f"pod{i}", "node1", labels=FOO_BAR) for i in range(3)]
    pods.append(mkpod("other", "node1", labels=labels_of({"foo": "baz"})))
    c = mkcluster(mknode("node1"), pods=pods, services=(service(),))
    assert ready_addresses(c) == ("pod0", "pod1", "pod2")


def test_sync_endpoints_items_preexisting_identical() -> None:
    """endpoints_controller_test.go TestSyncEndpointsItemsPreexistingIdentical: the Endpoints
    already list the one ready pod, so the sync sends no request (no outcome)."""
    c = mkcluster(
        mknode("node1"),
        pods=[mkpod("pod0", "node1", labels=FOO_BAR)],
        services=(service(endpoints=("pod0",)),),
    )
    assert endpoints.step(c) == []


def test_sync_endpoints_not_ready_pod_is_not_a_ready_address() -> None:
    """endpoints_controller_test.go TestSyncEndpointsItemsEmptySelectorSelectsAllNotReady (with a
    selector here: the Go test puts an empty, non-nil selector straight into the informer, while
    kmodel treats an empty selector as selecting nothing): a pod that is not ready goes to
    NotReadyAddresses, so the Service has no ready address."""
    c = mkcluster(
        mknode("node1"),
        pods=[mkpod("pod0", "node1", labels=FOO_BAR, ready=False)],
        services=(service(),),
    )
    assert ready_addresses(c) == ()
