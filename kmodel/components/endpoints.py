"""Endpoints controller (pkg/controller/endpoint, and EndpointSlice likewise).

A Service's ready endpoints are the pods that match its selector, are bound to a node, are not
Terminating and have the Ready condition. (The real controller lists terminating or not-ready
pods as not-ready addresses; only ready addresses receive traffic, and those are what the model
keeps.) A Service with ``publishNotReadyAddresses`` lists every pod that has an IP and is not
finished as ready, Terminating and not-ready ones included (``ShouldPodBeInEndpoints`` with
includeTerminating, and tolerateUnreadyEndpoints, in endpoints_controller.go); a pod has an IP
once its kubelet started its sandbox (phase Running here).
"""

from __future__ import annotations

from kmodel.frozen import evolve
from kmodel.namespaces import same_namespace
from kmodel.state import RUNNING, Cluster, Service, selector_matches
from kmodel.transition import Outcome


def ready_endpoints(cluster: Cluster, svc: Service) -> tuple[str, ...]:
    if svc.publish_not_ready_addresses:
        return tuple(
            p.name
            for p in cluster.pods
            if p.node_name
            and p.phase == RUNNING
            and same_namespace(p.name, svc.name)
            and selector_matches(svc.selector, p.labels)
        )
    return tuple(
        p.name
        for p in cluster.pods
        if p.node_name
        and p.ready
        and not p.terminating
        and same_namespace(p.name, svc.name)
        and selector_matches(svc.selector, p.labels)
    )


def step(cluster: Cluster) -> list[Outcome]:
    if not cluster.controller_manager_active:
        return []
    out = cluster
    notes = []
    for svc in cluster.services:
        want = ready_endpoints(cluster, svc)
        if want != svc.endpoints:
            out = out.with_service(evolve(svc, endpoints=want))
            notes.append(f"service {svc.name} endpoints: {', '.join(want) or '<none>'}")
    if out == cluster:
        return []
    return [Outcome("endpoints", "; ".join(notes), out)]
