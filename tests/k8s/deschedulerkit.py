"""Builders for the descheduler's Go table tests (kubernetes-sigs/descheduler v0.36.0,
``test/test_utils.go``), and a harness that runs one plugin the way the Go tests do: on the
nodes the test lists (``plugin.Balance(ctx, tc.nodes)`` / ``Deschedule``), with the test's
DefaultEvictor arguments and eviction limits, counting the evictions (``podEvictor.TotalEvicted()``).

Translation notes (the same for every file):
- ``BuildTestPod(name, cpu, mem, node, ...)`` is a pod bound to ``node`` requesting ``cpu``
  millicores and ``mem`` bytes, in namespace default, with no tolerations; ``MakeBestEffortPod``
  drops the requests.
- ``SetRSOwnerRef`` is a ReplicaSet ``replicaset-1``, ``SetDSOwnerRef`` a DaemonSet,
  ``SetNormalOwnerRef`` an owner of kind Pod.
- kmodel has no mirror pods: a Go test's mirror pod (kept by the DefaultEvictor as a mirror pod)
  is a bare pod here, which the DefaultEvictor keeps too (no controller); the expected counts
  do not change. ``SetHostPathEmptyDirVolumeSource`` is ``local_storage=True`` (kmodel reads
  of a pod's volumes only whether one is a hostPath or emptyDir). kmodel has one namespace: a
  test that puts pods in another namespace to exclude them excludes ``default`` instead, with
  the same pods.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kmodel.components import descheduler
from kmodel.components.descheduler_plugins.framework import Handle
from kmodel.deschedulertypes import DefaultEvictorArgs, DeschedulerPolicy, PluginArgs, Profile
from kmodel.schedulingspec import SchedulingSpec
from kmodel.settings import Settings
from kmodel.state import Cluster, Node, Pod, Resources, Taint, Toleration, labels_of

REPO = "kubernetes-sigs/descheduler v0.36.0"
RS = ("ReplicaSet", "replicaset-1")
DS = ("DaemonSet", "daemonset-1")
NORMAL = ("Pod", "owner-pod")
SYSTEM_CRITICAL = 2_000_000_000


def node(
    name: str,
    cpu: int = 2000,
    mem: int = 3000,
    pods: int = 10,
    *,
    unschedulable: bool = False,
    labels: dict[str, str] | None = None,
    taints: tuple[Taint, ...] = (),
) -> Node:
    """``BuildTestNode(name, millicpu, mem, pods, ...)``: Ready, allocatable = capacity."""
    return Node(
        name=name,
        capacity=Resources(cpu=cpu, memory=mem, pods=pods),
        unschedulable=unschedulable,
        labels=labels_of(labels),
        taints=taints,
    )


def pod(
    name: str,
    cpu: int,
    mem: int,
    node_name: str | None,
    *,
    owner: tuple[str, str] | None = RS,
    priority: int = 0,
    best_effort: bool = False,
    labels: dict[str, str] | None = None,
    node_selector: dict[str, str] | None = None,
    tolerations: tuple[Toleration, ...] = (),
    scheduling: SchedulingSpec | None = None,
    terminating: bool = False,
    local_storage: bool = False,
) -> Pod:
    """``BuildTestPod``; ``local_storage``: ``SetHostPathEmptyDirVolumeSource``."""
    spec = attrs.evolve(scheduling or SchedulingSpec(), priority=priority, local_storage=local_storage)
    return Pod(
        name=name,
        owner=owner[1] if owner else None,
        owner_kind=owner[0] if owner else "ReplicaSet",
        labels=labels_of(labels),
        node_name=node_name,
        phase="Running",
        ready=True,
        requests=Resources() if best_effort else Resources(cpu=cpu, memory=mem),
        node_selector=labels_of(node_selector),
        tolerations=tolerations,
        scheduling=spec,
        deletion_timestamp=0 if terminating else None,
    )


def run_plugin(
    run: Callable[[Handle, PluginArgs], None],
    args: PluginArgs,
    nodes: list[Node],
    pods: list[Pod],
    evictor: DefaultEvictorArgs | None = None,
    *,
    max_per_node: int | None = None,
    max_per_namespace: int | None = None,
    max_total: int | None = None,
) -> list[str]:
    """The names of the pods the plugin evicts, in order."""
    cluster = Cluster(settings=Settings(), nodes=tuple(sorted(nodes, key=lambda n: n.name)))
    for p in pods:
        cluster = cluster.with_pod(p)
    profile = Profile("test", evictor or DefaultEvictorArgs(), (), (), ())
    policy = DeschedulerPolicy((profile,), max_per_node, max_per_namespace, max_total)
    handle = Handle(cluster, list(nodes), policy, descheduler._evict, profile=profile)
    run(handle, args)
    return [p.name for p, _ in handle.evicted]
