"""TaintToleration (plugins/tainttoleration): NoSchedule and NoExecute taints the pod does not
tolerate filter the node out; fewer untolerated PreferNoSchedule taints score higher."""

from __future__ import annotations

from collections.abc import Iterable

from kmodel import versions
from kmodel.components.plugins.framework import CycleState, Status, normalize
from kmodel.state import NO_EXECUTE, NO_SCHEDULE, PREFER_NO_SCHEDULE, Node, Pod, Taint

NAME = "TaintToleration"
WEIGHT = 3


def untolerated_taint(pod: Pod, node: Node, effects: Iterable[str]) -> Taint | None:
    """``FindMatchingUntoleratedTaint``: the first taint with one of ``effects`` that no
    toleration of the pod tolerates."""
    wanted = tuple(effects)
    for taint in node.taints:
        if taint.effect in wanted and not any(t.tolerates(taint) for t in pod.tolerations):
            return taint
    return None


def filter(state: CycleState, node: Node) -> Status | None:
    taint = untolerated_taint(state.pod, node, (NO_SCHEDULE, NO_EXECUTE))
    if taint is None:
        return None
    version = state.cluster.settings.kubernetes_version
    return Status(NAME, (versions.taint_filter_reason(version, taint.key, taint.value),))


def raw_score(pod: Pod, node: Node) -> int:
    """The number of PreferNoSchedule taints that no PreferNoSchedule (or any-effect)
    toleration of the pod tolerates."""
    return sum(
        1
        for t in node.taints
        if t.effect == PREFER_NO_SCHEDULE
        and not any(tol.tolerates(t) for tol in pod.tolerations if tol.effect in ("", PREFER_NO_SCHEDULE))
    )


def score(state: CycleState, nodes: list[Node]) -> dict[str, int]:
    return normalize({n.name: raw_score(state.pod, n) for n in nodes}, reverse=True)
