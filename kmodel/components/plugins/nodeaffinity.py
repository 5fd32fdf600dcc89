"""NodeAffinity (plugins/nodeaffinity): the pod's ``nodeSelector`` (every key equal) and, once
modelled, its required node affinity filter nodes; preferred terms score them."""

from __future__ import annotations

from kmodel.components.plugins.framework import CycleState, Status
from kmodel.state import Node

NAME = "NodeAffinity"
WEIGHT = 2
REASON = "node(s) didn't match Pod's node affinity/selector"


def filter(state: CycleState, node: Node) -> Status | None:
    pod = state.pod
    if pod.node_selector:
        have = dict(node.labels)
        if any(have.get(k) != v for k, v in pod.node_selector):
            return Status(NAME, (REASON,))
    return None


def score(state: CycleState, nodes: list[Node]) -> dict[str, int]:
    """No preferred terms: every node scores 0."""
    return {n.name: 0 for n in nodes}
