"""Faults: what happens to machines and processes, as transitions.

None of these needs the apiserver: they are things that happen *to* the cluster. Each returns the
next state (or ``None`` when the fault does not apply, e.g. powering off a node that is off).

- power a node off: its containers stop; a control-plane node takes the control-plane processes
  with it (they run again when it is powered on);
- power a node on: its kubelet starts (if its service is enabled) and will restart the pods bound
  to it; nothing runs on it until then;
- stop / start the kubelet on a node (``systemctl stop kubelet``): running containers keep running;
- stop / start the container runtime on a node (``systemctl stop containerd``): running
  containers keep running, but the kubelet reports Ready=False (KubeletNotReady) and syncs no
  pod until the runtime is back;
- stop / start apiserver, etcd, scheduler, controller-manager; stopping the controller-manager
  (or losing its host) loses its in-memory state, so it starts afresh;
- partition / heal a node: the node and the apiserver cannot reach each other;
- kill a pod's container / sandbox: the containers stop; the kubelet recreates them;
- a pod's readiness, liveness or startup probe starts failing / passing again.
"""

from __future__ import annotations

import attrs

from kmodel import ha, informer
from kmodel.components import prober
from kmodel.state import Cluster, ControllerMemory

COMPONENTS = ("apiserver", "etcd", "scheduler", "controller-manager")


def _field(component: str) -> str:
    return component.replace("-", "_")


def _forget_controller_memory(before: Cluster, after: Cluster) -> Cluster:
    """A controller-manager that stops running (process stopped or host down) loses its memory;
    a controller-manager or scheduler that stops loses its informers and the expectations it
    kept (:func:`kmodel.informer.stopped`)."""
    after = informer.stopped(before, after)
    was = before.control_plane.controller_manager and before.control_plane_host_up
    now = after.control_plane.controller_manager and after.control_plane_host_up
    if was and not now:
        return attrs.evolve(after, memory=ControllerMemory())
    return after


def power_off(cluster: Cluster, node_name: str) -> Cluster | None:
    node = cluster.node(node_name)
    if node is None or not node.powered:
        return None
    after = cluster.with_node(attrs.evolve(node, powered=False, running=frozenset()))
    if after.ha is not None:
        return ha.on_power_off(after, node_name)
    return _forget_controller_memory(cluster, after)


def power_on(cluster: Cluster, node_name: str) -> Cluster | None:
    node = cluster.node(node_name)
    if node is None or node.powered:
        return None
    return cluster.with_node(attrs.evolve(node, powered=True, running=frozenset()))


def set_kubelet(cluster: Cluster, node_name: str, running: bool) -> Cluster | None:
    node = cluster.node(node_name)
    if node is None or node.kubelet_running == running:
        return None
    return cluster.with_node(attrs.evolve(node, kubelet_running=running))


def set_runtime(cluster: Cluster, node_name: str, running: bool) -> Cluster | None:
    node = cluster.node(node_name)
    if node is None or node.runtime_ready == running:
        return None
    return cluster.with_node(attrs.evolve(node, runtime_ready=running))


def set_component(cluster: Cluster, component: str, running: bool) -> Cluster | None:
    """Stop or start one control-plane process, or all of them with ``control-plane``; with
    several control-plane machines ``scheduler@cp-2`` names one machine's (kmodel.ha)."""
    if cluster.ha is not None:
        return ha.set_process(cluster, component, running)
    names = COMPONENTS if component == "control-plane" else (component,)
    cp = cluster.control_plane
    changes = {_field(n): running for n in names if getattr(cp, _field(n)) != running}
    if not changes:
        return None
    after = attrs.evolve(cluster, control_plane=attrs.evolve(cp, **changes))
    return _forget_controller_memory(cluster, after)


def set_partitioned(cluster: Cluster, node_name: str, partitioned: bool) -> Cluster | None:
    node = cluster.node(node_name)
    if node is None or node.partitioned == partitioned:
        return None
    return cluster.with_node(attrs.evolve(node, partitioned=partitioned))


def kill_pod(cluster: Cluster, pod_name: str) -> Cluster | None:
    """Kill a pod's containers and sandbox on its node (``crictl stop`` / ``ctr task kill``)."""
    pod = cluster.pod(pod_name)
    if pod is None or pod.node_name is None:
        return None
    node = cluster.node(pod.node_name)
    if node is None or pod_name not in node.running:
        return None
    return cluster.with_node(attrs.evolve(node, running=node.running - {pod_name}))


def set_probe(cluster: Cluster, pod_name: str, kind: str, failing: bool) -> Cluster | None:
    """The application in a pod starts failing (or passing) its ``kind`` probe (readiness,
    liveness or startup): a fact of the world the kubelet's probes observe. ``None`` when the pod
    is gone, has no such probe, or already answers so."""
    pod = cluster.pod(pod_name)
    if pod is None or pod.probes is None or pod.probes.get(kind) is None:
        return None
    after = prober.set_answer(pod, kind, failing, cluster.now)
    return cluster.with_pod(after) if after is not None else None
