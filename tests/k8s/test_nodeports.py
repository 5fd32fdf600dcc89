"""NodePorts, translated from pkg/scheduler/framework/plugins/nodeports/node_ports_test.go
(TestNodePorts, TestFits).

The Go tests' ``newPod(host, "PROTOCOL/IP/PORT", ...)`` is a pod whose container binds those host
ports; the node runs one pod with the other list. The filter fails with ErrReason and
Unschedulable. Not translated: the case "TCP hostPort conflict from sidecar initContainer"
(kmodel refuses restartable init containers, see fieldpolicy's Container.restartPolicy); the
"non-sidecar initContainer using hostPort" case is covered by the loader, which reads no port of
an init container (tests/test_scheduler_manifests.py).
"""

from __future__ import annotations

import pytest

from kmodel.components.plugins import nodeports
from kmodel.components.plugins.framework import UNSCHEDULABLE, CycleState
from kmodel.schedulingspec import HostPort, SchedulingSpec
from kmodel.state import Node, Pod
from tests.k8s.conftest import case, mkcluster


def ports(*specs: str) -> tuple[HostPort, ...]:
    out = []
    for spec in specs:
        protocol, ip, port = spec.split("/")
        out.append(HostPort(int(port), protocol, ip))
    return tuple(out)


def pod_with(name: str, node: str | None, *specs: str, phase: str = "Pending") -> Pod:
    return Pod(name=name, node_name=node, phase=phase, scheduling=SchedulingSpec(host_ports=ports(*specs)))


def fits(want: tuple[str, ...], existing: tuple[str, ...]) -> bool:
    node = Node(name="m1")
    running = pod_with("existing", "m1", *existing, phase="Running")
    pod = pod_with("pod", None, *want)
    status = nodeports.filter(CycleState.of(mkcluster(node, pods=(running,)), pod), node)
    if status is not None:
        assert status.reasons == (nodeports.REASON,) and status.code == UNSCHEDULABLE
    return status is None


@pytest.mark.parametrize(
    ("name", "want", "existing", "ok"),
    [
        case("skip filter", (), (), True),
        case("other port", ("UDP/127.0.0.1/8080",), ("UDP/127.0.0.1/9090",), True),
        case("same udp port", ("UDP/127.0.0.1/8080",), ("UDP/127.0.0.1/8080",), False),
        case("same tcp port", ("TCP/127.0.0.1/8080",), ("TCP/127.0.0.1/8080",), False),
        case("different host ip", ("TCP/127.0.0.1/8080",), ("TCP/127.0.0.2/8080",), True),
        case("different protocol", ("UDP/127.0.0.1/8080",), ("TCP/127.0.0.1/8080",), True),
        case(
            "second udp port conflict",
            ("UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"),
            ("UDP/127.0.0.1/8080",),
            False,
        ),
        case(
            "first tcp port conflict",
            ("TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"),
            ("TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081"),
            False,
        ),
        case("first tcp port conflict due to 0.0.0.0 hostIP", ("TCP/0.0.0.0/8001",), ("TCP/127.0.0.1/8001",), False),
        case(
            "TCP hostPort conflict due to 0.0.0.0 hostIP",
            ("TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"),
            ("TCP/127.0.0.1/8001",),
            False,
        ),
        case("second tcp port conflict to 0.0.0.0 hostIP", ("TCP/127.0.0.1/8001",), ("TCP/0.0.0.0/8001",), False),
        case("second different protocol", ("UDP/127.0.0.1/8001",), ("TCP/0.0.0.0/8001",), True),
        case(
            "UDP hostPort conflict due to 0.0.0.0 hostIP",
            ("UDP/127.0.0.1/8001",),
            ("TCP/0.0.0.0/8001", "UDP/0.0.0.0/8001"),
            False,
        ),
    ],
)
def test_node_ports(name: str, want: tuple[str, ...], existing: tuple[str, ...], ok: bool) -> None:
    """node_ports_test.go TestNodePorts, case ``name``."""
    assert fits(want, existing) is ok


@pytest.mark.parametrize(
    ("name", "want", "existing", "ok"),
    [
        case("non-conflicting ports", ("TCP/127.0.0.1/80",), ("TCP/127.0.0.1/9090",), True),
        case(
            "multiple non-conflicting ports",
            ("TCP/127.0.0.1/80", "TCP/127.0.1.1/80", "TCP/127.0.1.1/90", "TCP/127.0.1.1/100"),
            ("TCP/127.0.0.1/9090", "TCP/127.0.0.1/9191", "TCP/127.0.1.1/8080"),
            True,
        ),
        case("same ports on different protocols", ("TCP/127.0.0.1/80",), ("UDP/127.0.0.1/80",), True),
        case("conflicting ports", ("TCP/127.0.0.1/80",), ("TCP/127.0.0.1/80",), False),
        case(
            "multiple ports, some conflicting",
            ("TCP/127.0.0.1/80", "TCP/127.0.1.1/80", "TCP/127.0.1.1/90", "TCP/127.0.1.1/100"),
            ("TCP/127.0.0.1/9090", "TCP/127.0.1.1/90", "TCP/127.0.1.1/8080"),
            False,
        ),
    ],
)
def test_fits(name: str, want: tuple[str, ...], existing: tuple[str, ...], ok: bool) -> None:
    """node_ports_test.go TestFits, case ``name``."""
    assert fits(want, existing) is ok


def test_empty_host_ip_and_protocol_mean_any_address_and_tcp() -> None:
    """HostPortInfo.sanitize: an empty hostIP is 0.0.0.0 (conflicts with every address), an empty
    protocol TCP."""
    node = Node(name="m1")
    running = Pod(
        name="existing",
        node_name="m1",
        phase="Running",
        scheduling=SchedulingSpec(host_ports=(HostPort(8080, "", ""),)),
    )
    pod = pod_with("pod", None, "TCP/10.1.2.3/8080")
    assert nodeports.filter(CycleState.of(mkcluster(node, pods=(running,)), pod), node) is not None


def test_terminating_pods_hold_their_ports_finished_ones_do_not() -> None:
    """A terminating pod stays in the scheduler's cache (its ports stay used) until the object is
    gone; a Failed pod is not in the cache."""
    node = Node(name="m1")
    pod = pod_with("pod", None, "TCP/0.0.0.0/80")
    terminating = Pod(
        name="old",
        node_name="m1",
        phase="Running",
        deletion_timestamp=0,
        scheduling=SchedulingSpec(host_ports=ports("TCP/0.0.0.0/80")),
    )
    assert nodeports.filter(CycleState.of(mkcluster(node, pods=(terminating,)), pod), node) is not None
    failed = pod_with("old", "m1", "TCP/0.0.0.0/80", phase="Failed")
    assert nodeports.filter(CycleState.of(mkcluster(node, pods=(failed,)), pod), node) is None


def test_port_zero_never_conflicts_and_port_one_does() -> None:
    """types.go HostPortInfo.CheckConflict: ``if port <= 0 { return false }`` -- a port of 0 (a
    container port with no host port) conflicts with nothing, not even another 0; the lowest real
    port, 1, conflicts as any other."""
    zero = (nodeports.ANY_IP, "TCP", 0)
    assert not nodeports.conflicts(ports("TCP/0.0.0.0/0"), {zero})
    assert nodeports.conflicts(ports("TCP/0.0.0.0/1"), {(nodeports.ANY_IP, "TCP", 1)})
    assert nodeports.conflicts(ports("TCP/127.0.0.1/1"), {("127.0.0.1", "TCP", 1)})


def test_a_wildcard_port_conflicts_with_the_same_port_on_any_address() -> None:
    """HostPortInfo.CheckConflict for 0.0.0.0: it conflicts with the same protocol and port on
    any address, whatever other ports are in use; the same port under another protocol is no
    conflict."""
    used = {("127.0.0.2", "TCP", 8080), (nodeports.ANY_IP, "TCP", 9090)}
    assert nodeports.conflicts(ports("TCP/0.0.0.0/8080"), used)
    assert not nodeports.conflicts(ports("UDP/0.0.0.0/8080"), used)
    assert not nodeports.conflicts(ports("UDP/0.0.0.0/9090"), used)
