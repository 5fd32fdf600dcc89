"""Endpoints controller (pkg/controller/endpoint, and EndpointSlice likewise).

A Service's ready endpoints are the pods that match its selector, are bound to a node, are not
Terminating and have the Ready condition. (The real controller lists terminating or not-ready
pods as not-ready addresses; only ready addresses receive traffic, and those are what the model
keeps.)
"""

from __future__ import annotations

import attrs

from kmodel.state import Cluster, selector_matches
from kmodel.transition import Outcome


def ready_endpoints(cluster: Cluster, selector: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    return tuple(
        p.name
        for p in cluster.pods
        if p.node_name and p.ready and not p.terminating and selector_matches(selector, p.labels)
    )


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    out = cluster
    notes = []
    for svc in cluster.services:
        want = ready_endpoints(cluster, svc.selector)
        if want != svc.endpoints:
            out = out.with_service(attrs.evolve(svc, endpoints=want))
            notes.append(f"service {svc.name} endpoints: {', '.join(want) or '<none>'}")
    if out == cluster:
        return []
    return [Outcome("endpoints", "; ".join(notes), out)]
