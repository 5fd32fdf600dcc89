"""What a custom invariant can see of a cluster: read-only records with a fixed set of fields.

:func:`environment` turns a :class:`~kmodel.state.Cluster` into the names an invariant expression
(:mod:`kmodel.expr`) may use: ``nodes``, ``pods``, ``deployments``, ``replicasets``,
``statefulsets`` and ``services`` (tuples of records, sorted by name) and ``now`` (the model clock
in seconds).

A record wraps one API object and computes each field when it is read, so building the
environment for a state costs one small object per API object. Only the fields listed in a
record's ``FIELDS`` table exist; everything else about the model (the settings, the controller
memory, the attrs classes themselves) stays out of reach.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

from kmodel.components.plugins.noderesources import in_cache, pod_request
from kmodel.namespaces import local_name, namespace_of
from kmodel.render.view import node_status, pod_status
from kmodel.state import COND_TRUE, Cluster, Labels, Node, Pod, Resources

ENV_NAMES: tuple[str, ...] = ("nodes", "pods", "deployments", "replicasets", "services", "now", "statefulsets")

Getter = Callable[[Any, Cluster], object]


class LabelMap(Mapping[str, str]):
    """Read-only labels (or a selector). ``labels.app`` and ``labels["app"]`` give the value of a
    label, or None when the object does not carry it."""

    __slots__ = ("_items",)

    def __init__(self, labels: Labels) -> None:
        self._items: dict[str, str] = dict(labels)

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def label(self, key: str) -> str | None:
        """The value of one label, None when absent."""
        return self._items.get(key)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self._items.items())
        return "{" + inner + "}"


class Record:
    """One API object as an invariant sees it. Subclasses set ``kind``, ``plural`` and ``FIELDS``."""

    __slots__ = ("_cluster", "_obj")

    kind: ClassVar[str] = "object"
    plural: ClassVar[str] = "objects"
    FIELDS: ClassVar[dict[str, Getter]] = {}

    def __init__(self, obj: Any, cluster: Cluster) -> None:
        self._obj = obj
        self._cluster = cluster

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(cls.FIELDS)

    def has_field(self, name: str) -> bool:
        return name in self.FIELDS

    def field(self, name: str) -> object:
        """The value of a declared field; KeyError for any other name."""
        return self.FIELDS[name](self._obj, self._cluster)

    def __getattr__(self, name: str) -> object:
        # Convenience for Python callers (``record.name``); the interpreter uses :meth:`field`.
        getter = type(self).FIELDS.get(name)
        if getter is None:
            raise AttributeError(name)
        return getter(self._obj, self._cluster)

    def __repr__(self) -> str:
        return f"{self.kind} {self._obj.name}"


# --- nodes --------------------------------------------------------------------------------------


def _heartbeat_age(node: Node, cluster: Cluster) -> int | None:
    if node.last_heartbeat is None:
        return None
    return cluster.now - node.last_heartbeat


def _requested(node: Node, cluster: Cluster) -> Resources:
    """What the pods assigned to ``node`` request, as the scheduler counts it (NodeResourcesFit):
    bound pods that have not finished, Terminating ones included; ``pods`` is their number."""
    total = Resources()
    for p in cluster.pods:
        if p.node_name == node.name and in_cache(p):
            total = total + pod_request(p) + Resources(pods=1)
    return total


def _percent(used: int, allocatable: int) -> int:
    """``kubectl describe node``'s "Allocated resources" percentage (describeNodeResource in
    staging/src/k8s.io/kubectl/pkg/describe/describe.go): the float quotient times 100, cut to a
    whole number (so 290m of 1 CPU shows 28%, as 0.29 * 100 is just under 29 in floating
    point); 0 when the node has none of the resource."""
    return int(float(used) / float(allocatable) * 100) if allocatable > 0 else 0


class NodeRecord(Record):
    """``status`` is kubectl's STATUS column ("Ready", "NotReady", with ",SchedulingDisabled" when
    cordoned, "Unknown" with no Ready condition yet); ``condition`` the Ready condition
    ("True"/"False"/"Unknown", "" for none); ``ready`` whether it is "True"; ``heartbeat_age``
    seconds since the kubelet last posted its status (which it does when the status changes;
    None: never posted); ``lease_age`` seconds since it last renewed its Lease (None: no Lease);
    ``runtime_ready`` whether its container runtime runs.

    What is requested on the node, counted as the scheduler counts it (the pods bound to it that
    have not finished, Terminating ones included): ``cpu_requested`` in millicores and
    ``memory_requested`` in bytes, next to ``cpu_allocatable`` and ``memory_allocatable``;
    ``cpu_requested_percent`` and ``memory_requested_percent`` as ``kubectl describe node``
    shows them (whole percent of allocatable, cut as kubectl cuts it); ``pod_count`` those pods' number and
    ``pods_allocatable`` how many the node takes."""

    __slots__ = ()
    kind = "node"
    plural = "nodes"
    FIELDS: ClassVar[dict[str, Getter]] = {
        "name": lambda n, c: n.name,
        "status": lambda n, c: node_status(n),
        "condition": lambda n, c: n.ready,
        "ready": lambda n, c: n.ready == COND_TRUE,
        "labels": lambda n, c: LabelMap(n.labels),
        "taints": lambda n, c: tuple(t.show() for t in n.taints),
        "zone": lambda n, c: n.zone,
        "unschedulable": lambda n, c: n.unschedulable,
        "powered": lambda n, c: n.powered,
        "kubelet_running": lambda n, c: n.kubelet_running,
        "partitioned": lambda n, c: n.partitioned,
        "control_plane": lambda n, c: n.control_plane,
        "runtime_ready": lambda n, c: n.runtime_ready,
        "heartbeat_age": _heartbeat_age,
        "lease_age": lambda n, c: None if n.lease_renew_time is None else c.now - n.lease_renew_time,
        "cpu_requested": lambda n, c: _requested(n, c).cpu,
        "cpu_allocatable": lambda n, c: n.capacity.cpu,
        "cpu_requested_percent": lambda n, c: _percent(_requested(n, c).cpu, n.capacity.cpu),
        "memory_requested": lambda n, c: _requested(n, c).memory,
        "memory_allocatable": lambda n, c: n.capacity.memory,
        "memory_requested_percent": lambda n, c: _percent(_requested(n, c).memory, n.capacity.memory),
        "pod_count": lambda n, c: _requested(n, c).pods,
        "pods_allocatable": lambda n, c: n.capacity.pods,
    }


# --- pods ---------------------------------------------------------------------------------------


def _pod_deployment(pod: Pod, cluster: Cluster) -> str | None:
    if pod.replicaset_owner is None:
        return None
    rs = cluster.replicaset(pod.replicaset_owner)
    return rs.owner if rs is not None else None


def _local(name: str | None) -> str | None:
    return None if name is None else local_name(name)


class PodRecord(Record):
    """``status`` is kubectl's STATUS column, ``ready`` the Ready condition, ``owner`` the ReplicaSet
    and ``deployment`` that ReplicaSet's Deployment (or None), ``age`` seconds since creation."""

    __slots__ = ()
    kind = "pod"
    plural = "pods"
    FIELDS: ClassVar[dict[str, Getter]] = {
        "name": lambda p, c: local_name(p.name),
        "node": lambda p, c: p.node_name,
        "status": lambda p, c: pod_status(p),
        "phase": lambda p, c: p.phase,
        "ready": lambda p, c: p.ready,
        "labels": lambda p, c: LabelMap(p.labels),
        "restarts": lambda p, c: p.restarts,
        "owner": lambda p, c: _local(p.owner),
        "deployment": lambda p, c: _local(_pod_deployment(p, c)),
        "terminating": lambda p, c: p.terminating,
        "age": lambda p, c: c.now - p.created,
        "namespace": lambda p, c: namespace_of(p.name),
    }


# --- workloads and services ---------------------------------------------------------------------


class DeploymentRecord(Record):
    """``replicas`` is the desired count; ``ready``, ``available`` and ``updated`` come from status;
    ``progressing`` is the Progressing condition's reason ("" when absent), ``paused`` spec.paused,
    ``revision`` the deployment.kubernetes.io/revision annotation."""

    __slots__ = ()
    kind = "deployment"
    plural = "deployments"
    FIELDS: ClassVar[dict[str, Getter]] = {
        "name": lambda d, c: local_name(d.name),
        "replicas": lambda d, c: d.replicas,
        "ready": lambda d, c: d.status_ready,
        "available": lambda d, c: d.status_available,
        "updated": lambda d, c: d.status_updated,
        "progressing": lambda d, c: d.progressing_reason,
        "paused": lambda d, c: d.paused,
        "revision": lambda d, c: d.revision,
        "namespace": lambda d, c: namespace_of(d.name),
    }


class ReplicaSetRecord(Record):
    """``replicas`` is the desired count, ``ready`` the status count, ``owner`` the Deployment."""

    __slots__ = ()
    kind = "replicaset"
    plural = "replicasets"
    FIELDS: ClassVar[dict[str, Getter]] = {
        "name": lambda r, c: local_name(r.name),
        "replicas": lambda r, c: r.replicas,
        "owner": lambda r, c: _local(r.owner),
        "ready": lambda r, c: r.status_ready,
        "namespace": lambda r, c: namespace_of(r.name),
    }


class StatefulSetRecord(Record):
    """``replicas`` is the desired count; ``ready``, ``available``, ``current`` and ``updated``
    come from status."""

    __slots__ = ()
    kind = "statefulset"
    plural = "statefulsets"
    FIELDS: ClassVar[dict[str, Getter]] = {
        "name": lambda s, c: local_name(s.name),
        "replicas": lambda s, c: s.replicas,
        "ready": lambda s, c: s.status_ready,
        "available": lambda s, c: s.status_available,
        "current": lambda s, c: s.status_current,
        "updated": lambda s, c: s.status_updated,
        "namespace": lambda s, c: namespace_of(s.name),
    }


class ServiceRecord(Record):
    """``endpoints`` are the names of the ready pods the endpoints controller selected."""

    __slots__ = ()
    kind = "service"
    plural = "services"
    FIELDS: ClassVar[dict[str, Getter]] = {
        "name": lambda s, c: local_name(s.name),
        "selector": lambda s, c: LabelMap(s.selector),
        "endpoints": lambda s, c: tuple(local_name(e) for e in s.endpoints),
        "namespace": lambda s, c: namespace_of(s.name),
    }


# --- the environment ----------------------------------------------------------------------------


def _records(kind: type[Record], objs: Iterable[object], cluster: Cluster) -> tuple[Record, ...]:
    return tuple(kind(o, cluster) for o in objs)


def environment(cluster: Cluster) -> dict[str, object]:
    """The names an invariant can use, bound to records of ``cluster``."""
    return {
        "nodes": _records(NodeRecord, cluster.nodes, cluster),
        "pods": _records(PodRecord, cluster.pods, cluster),
        "deployments": _records(DeploymentRecord, cluster.deployments, cluster),
        "replicasets": _records(ReplicaSetRecord, cluster.replicasets, cluster),
        "services": _records(ServiceRecord, cluster.services, cluster),
        "now": cluster.now,
        "statefulsets": _records(StatefulSetRecord, cluster.statefulsets, cluster),
    }
