"""NodePorts (plugins/nodeports): a pod whose containers ask for a host port that a pod already
on the node binds does not fit.

The ports of a pod are its containers' ``ports[]`` with a ``hostPort`` (``GetHostPorts``; init
containers' ports do not count, restartable "sidecar" ones would but kmodel refuses them). A node's
used ports are those of the pods in the scheduler's cache there: bound, not finished, terminating
ones included (``NodeInfo.UsedPorts``). Two bindings conflict when they have the same port and
protocol and the same address, or either address is 0.0.0.0 (an empty ``hostIP`` means 0.0.0.0,
an empty protocol TCP: ``HostPortInfo.CheckConflict``). The status is Unschedulable: evicting the
pod holding the port would free it. Pods without host ports skip the plugin (PreFilter Skip).
"""

from __future__ import annotations

from collections.abc import Iterable

from kmodel.components.plugins.framework import UNSCHEDULABLE, CycleState, Status
from kmodel.components.plugins.noderesources import in_cache
from kmodel.schedulingspec import HostPort
from kmodel.state import Cluster, Node, pods_by_node

NAME = "NodePorts"
REASON = "node(s) didn't have free ports for the requested pod ports"
ANY_IP = "0.0.0.0"  # noqa: S104 (an address, not a bind)

# (address, protocol, port) as HostPortInfo keeps them
Binding = tuple[str, str, int]


def binding(port: HostPort) -> Binding:
    """``HostPortInfo.sanitize``: empty address 0.0.0.0, empty protocol TCP."""
    return (port.host_ip or ANY_IP, port.protocol or "TCP", port.port)


def conflicts(want: Iterable[HostPort], used: set[Binding]) -> bool:
    """``fitsPorts``: some wanted port conflicts with a used one."""
    for port in want:
        ip, protocol, number = binding(port)
        if number <= 0:
            continue
        if ip == ANY_IP:
            if any(p == protocol and n == number for _, p, n in used):
                return True
        elif (ip, protocol, number) in used or (ANY_IP, protocol, number) in used:
            return True
    return False


def used_ports(cluster: Cluster) -> dict[str, set[Binding]]:
    """Each node's used host ports (nodes without any left out)."""
    out: dict[str, set[Binding]] = {}
    for name, pods in pods_by_node(cluster.pods).items():
        if name is None:
            continue
        for p in pods:
            if p.scheduling.host_ports and in_cache(p):
                out.setdefault(name, set()).update(binding(hp) for hp in p.scheduling.host_ports)
    return out


def filter(state: CycleState, node: Node) -> Status | None:
    want = state.pod.scheduling.host_ports
    if not want:
        return None
    used = state.memo("ports", lambda: used_ports(state.cluster)).get(node.name)
    if used and conflicts(want, used):
        return Status(NAME, (REASON,), UNSCHEDULABLE)
    return None
