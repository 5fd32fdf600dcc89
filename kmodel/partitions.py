"""Network partitions between machines, zones, and nodes joining the cluster.

What a partition cuts, and what kmodel can see of it:

- **A kubelet cut from the apiserver, not from its pods' clients** (``partition node/N``, the
  ``partitionNode`` fault): the node's kubelet can neither post status nor renew its Lease nor see
  its pods' changes; the apiserver cannot reach it. Its containers keep running (``Node.running``
  is untouched) and so keep answering whoever can still reach them. This is the only kind of
  partition the control plane notices, and the one ``Node.partitioned`` is.
- **A node cut from other nodes, not from the control plane**: only pod-to-pod and
  client-to-pod traffic crosses it. kmodel models none of that traffic: no kube-proxy, no CNI, no
  request that reaches a pod. Endpoints (``service-has-endpoint``) follow the pods' Ready
  conditions as the apiserver holds them, and a pod's readiness is its kubelet's local probe,
  so no modelled component would act differently. Such a partition is refused (a one-line
  error), not accepted as a no-op: "the Service still has endpoints" would be a confident
  answer about traffic kmodel does not see.
- **One zone cut from the rest** (``partition zone/Z``, ``heal zone/Z``, the ``partitionZone``
  fault): every node on the far side of the cut from the control plane is partitioned at once.
  With the control plane outside zone Z those are the nodes of zone Z; with the control plane
  inside zone Z (its machine labelled with that zone), they are every worker outside it. A
  zone is named as :attr:`kmodel.state.Node.zone` shows it (``ZONE``, or ``REGION:ZONE``), or
  by the zone label's value alone. Healing a zone reconnects the nodes that side holds at that
  moment (a node partitioned by itself in that zone is healed too). kmodel has one control
  plane: control-plane machines in several zones are refused (an HA control plane and its
  partitions are another module's business).

Joining: ``join node/NAME [key=value ...]`` is a new machine whose kubelet registers it
(pkg/kubelet/kubelet_node_status.go ``initialNode``, then ``setNodeStatus``): the Node is created
with its status, whose Ready condition is False (KubeletNotReady: the kubelet's first runtime
and network checks have not run yet), no Lease until the kubelet renews one, and, through the
NodeTaint admission plugin (plugin/pkg/admission/nodetaint, "TaintNodesAtCreation")
the taint ``node.kubernetes.io/not-ready:NoSchedule``. The kubelet itself does not post that
taint (pkg/kubelet/kubelet_node_status.go ``initialNode`` adds only ``unschedulable`` and
``--register-with-taints``); with ``nodeTaintAdmission: false`` (Kubernetes before the plugin)
the node has no taint until the node lifecycle controller's next pass sees it NotReady, and the
scheduler may bind pods there first (kubernetes#72129).
"""

from __future__ import annotations

from typing import Any

import attrs

from kmodel.errors import KmodelError, shown
from kmodel.state import COND_FALSE, LABEL_ZONE, Cluster, Node, labels_of
from kmodel.useractions import register_new_node


class ZoneError(ValueError):
    """A zone partition kmodel cannot model (control-plane machines in several zones)."""


def in_zone(node: Node, zone: str) -> bool:
    """``zone`` names the node's zone: its zone key, or the zone label's value alone."""
    return node.zone == zone or node.zone.endswith(f":{zone}")


def zones(cluster: Cluster) -> list[str]:
    """The zones a ``partitionZone`` fault may cut: every zone holding a worker."""
    return sorted({n.zone for n in cluster.nodes if not n.control_plane})


def far_side(cluster: Cluster, zone: str) -> list[str]:
    """The workers a cut around ``zone`` separates from the control plane."""
    cp_zones = {n.zone for n in cluster.nodes if n.control_plane}
    inside = any(in_zone(n, zone) for n in cluster.nodes if n.control_plane)
    if inside and len(cp_zones) > 1:
        raise ZoneError(
            f"control-plane machines in several zones ({', '.join(sorted(cp_zones))}): kmodel has one control "
            "plane and cannot tell which side of the cut it is on"
        )
    workers = [n for n in cluster.nodes if not n.control_plane]
    return [n.name for n in workers if in_zone(n, zone) != inside]


def partition_zone(cluster: Cluster, zone: str, partitioned: bool) -> Cluster | None:
    """Cut zone ``zone`` from the rest (or heal the cut): ``None`` when nothing changes."""
    try:
        names = far_side(cluster, zone)
    except ZoneError:
        return None
    out = cluster
    for name in names:
        node = out.node(name)
        if node is not None and node.partitioned != partitioned:
            out = out.with_node(attrs.evolve(node, partitioned=partitioned))
    return out if out is not cluster else None


def join_node(cluster: Cluster, name: str, labels: dict[str, str]) -> Cluster | None:
    """A new machine's kubelet registers Node ``name`` (``None`` if it exists already)."""
    if cluster.node(name) is not None:
        return None
    all_labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    all_labels.update(labels)
    out = register_new_node(cluster, Node(name=name, labels=labels_of(all_labels)))
    node = out.node(name)
    assert node is not None
    # initialNode + setNodeStatus: the kubelet creates the Node with its status, and before its
    # first runtime and network checks its Ready condition is False (KubeletNotReady)
    return out.with_node(attrs.evolve(node, ready=COND_FALSE, ready_reason="KubeletNotReady", last_heartbeat=out.now))


def check_events(timeline: list[Any], nodes: tuple[Node, ...], places: list[tuple[str, int | None, str]]) -> None:
    """Load-time checks of ``partition|heal zone/Z`` and ``join``: the zone holds a node of the
    scenario (or one the timeline joins or applies), and the control plane is in one zone."""
    joined = [
        Node(name=ev.name, labels=labels_of(dict(w.split("=", 1) for w in ev.args)))
        for ev in timeline
        if ev.verb == "join"
    ]
    applied = [m.obj for ev in timeline for m in ev.manifests if m.kind == "Node"]
    every = (*nodes, *joined, *applied)
    for ev, (src, line, where) in zip(timeline, places, strict=True):
        if ev.kind != "zone":
            continue
        known = sorted({n.zone for n in every})
        if not any(in_zone(n, ev.name) for n in every):
            raise KmodelError(
                f"event {shown(ev.text)} names zone {shown(ev.name)}, which no node of the scenario is in",
                file=src,
                line=line,
                where=where,
                fix=f"use one of: {', '.join(z or '<no zone>' for z in known)} (a node's {LABEL_ZONE} label)",
            )
        cp_zones = sorted({n.zone for n in every if n.control_plane})
        if len(cp_zones) > 1:
            raise KmodelError(
                f"event {shown(ev.text)}: control-plane machines in several zones ({', '.join(cp_zones)}); kmodel "
                "has one control plane and cannot tell which side of the cut it is on",
                file=src,
                line=line,
                where=where,
                fix="put the control-plane machines in one zone",
            )
