"""What the plugins share (pkg/scheduler/framework): the per-cycle state and a filter's status."""

from __future__ import annotations

from typing import Any

from attrs import field, frozen

from kmodel.state import Cluster, Node, Pod

MAX_NODE_SCORE = 100

# framework.Code
UNSCHEDULABLE = "Unschedulable"  # preemption might make room
UNRESOLVABLE = "UnschedulableAndUnresolvable"  # preemption cannot help on this node


@frozen
class Status:
    """A filter's verdict on one node: the reasons (as ``0/N nodes are available`` counts
    them) and whether removing pods could change it."""

    plugin: str
    reasons: tuple[str, ...]
    code: str = UNRESOLVABLE


@frozen
class CycleState:
    """One scheduling attempt for ``pod``: the cluster as the scheduler's cache sees it and
    what PreFilter/PreScore computed once for every node (``cache``, keyed by plugin)."""

    cluster: Cluster
    pod: Pod
    nodes: dict[str, Node] = field(factory=dict)
    cache: dict[str, Any] = field(factory=dict)

    @classmethod
    def of(cls, cluster: Cluster, pod: Pod) -> CycleState:
        return cls(cluster, pod, {n.name: n for n in cluster.nodes})

    def memo(self, key: str, compute: Any) -> Any:
        """``compute()`` once per cycle (the PreFilter/PreScore state of a plugin)."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


def normalize(raw: dict[str, int], reverse: bool = False) -> dict[str, int]:
    """``helper.DefaultNormalizeScore``: scale to 0..MAX_NODE_SCORE by the highest raw score
    (all 0 stay 0, or all MAX when ``reverse``); ``reverse`` turns "more is worse" around."""
    high = max(raw.values(), default=0)
    if high == 0:
        return {name: MAX_NODE_SCORE if reverse else 0 for name in raw}
    out = {}
    for name, v in raw.items():
        score = MAX_NODE_SCORE * v // high
        out[name] = MAX_NODE_SCORE - score if reverse else score
    return out
