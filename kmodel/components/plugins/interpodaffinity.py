"""InterPodAffinity (plugins/interpodaffinity): required pod affinity and anti-affinity filter
nodes, preferred terms score them. Not modelled yet: every node fits and scores 0."""

from __future__ import annotations

from kmodel.components.plugins.framework import CycleState, Status
from kmodel.state import Node

NAME = "InterPodAffinity"
WEIGHT = 2


def filter(state: CycleState, node: Node) -> Status | None:
    return None


def score(state: CycleState, nodes: list[Node]) -> dict[str, int]:
    return {n.name: 0 for n in nodes}
