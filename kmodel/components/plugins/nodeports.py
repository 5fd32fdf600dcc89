"""NodePorts (plugins/nodeports): a pod asking a host port that a pod on the node already
binds does not fit. Host ports are not modelled yet: every node fits."""

from __future__ import annotations

from kmodel.components.plugins.framework import CycleState, Status
from kmodel.state import Node

NAME = "NodePorts"
REASON = "node(s) didn't have free ports for the requested pod ports"


def filter(state: CycleState, node: Node) -> Status | None:
    return None
