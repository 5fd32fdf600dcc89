"""NodeUnschedulable (plugins/nodeunschedulable): a cordoned node takes only pods that
tolerate the ``node.kubernetes.io/unschedulable:NoSchedule`` taint."""

from __future__ import annotations

from kmodel.components.plugins.framework import CycleState, Status
from kmodel.state import NO_SCHEDULE, TAINT_UNSCHEDULABLE, Node, Taint

NAME = "NodeUnschedulable"
REASON = "node(s) were unschedulable"


def filter(state: CycleState, node: Node) -> Status | None:
    if not node.unschedulable:
        return None
    probe = Taint(key=TAINT_UNSCHEDULABLE, effect=NO_SCHEDULE)
    if any(t.tolerates(probe) for t in state.pod.tolerations):
        return None
    return Status(NAME, (REASON,))
