"""The kubelet's admission of a pod bound to its node (pkg/kubelet/lifecycle/predicate.go).

Before it starts a new pod, the kubelet runs the scheduler's node-local checks against the pods it
already runs (``AdmissionCheck`` with every failure, then the NoExecute taints):

1. NodeResourcesFit over the node's allocatable, in the order pods, cpu, memory,
   ephemeral-storage, scalar resources; extended resources the node does not advertise at all
   are dropped from the request first (``removeMissingExtendedResources``: cluster-level and DRA
   resources);
2. NodeAffinity (the nodeSelector and the required node affinity);
3. NodeName (always true: the pod names this node);
4. NodePorts;
5. since 1.22 (kubernetes#101218), a NoExecute taint the pod does not tolerate: the
   TaintToleration plugin's ``node(s) had taints that the pod didn't tolerate``.

The first failure names the rejection: ``OutOfcpu``, ``OutOfmemory``, ``OutOfephemeral-storage``,
``OutOfpods``, ``OutOf<resource>`` with ``Node didn't have enough resource: <name>, requested: N,
used: N, capacity: N``, or the plugin name (``NodeAffinity``, ``NodePorts``,
``TaintToleration``) with ``Predicate <plugin> failed: <reason>``. A rejected pod gets phase
Failed, that reason, and the message ``Pod was rejected: <message>``; a Warning event with the
reason and message is recorded. The kubelet never starts its containers.

Pods that reach a kubelet without the scheduler are those that name their node: bare pods with
``spec.nodeName`` and the pods of a template that sets it. A pod the scheduler placed passes
these checks unless the node changed in between: with ``informerLagNodes`` (kmodel.informer) the
scheduler may bind on a view of the node that misses a new taint, and these checks catch it.
Left out: the OS label and field checks (kmodel's nodes and pods are linux), the
SupplementalGroupsPolicy check, the device manager's allocation, and the retry with a fresh Node
object when node affinity alone fails.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs
from attrs import frozen

from kmodel import versions
from kmodel.components.plugins import nodeaffinity, nodeports, noderesources
from kmodel.components.plugins.tainttoleration import untolerated_taint
from kmodel.state import NO_EXECUTE, Node, Pod, Resources

TAINT_REASON = "node(s) had taints that the pod didn't tolerate"  # tainttoleration.ErrReasonNotMatch

# InsufficientResourceError.ResourceName of each NodeResourcesFit reason
_RESOURCE_OF = {
    noderesources.TOO_MANY_PODS: "pods",
    noderesources.INSUFFICIENT_CPU: "cpu",
    noderesources.INSUFFICIENT_MEMORY: "memory",
    noderesources.INSUFFICIENT_EPHEMERAL_STORAGE: "ephemeral-storage",
}


@frozen
class Rejection:
    reason: str  # the pod's status.reason and the event's reason
    message: str  # the event's message; the pod's status.message is "Pod was rejected: " + this


def _amounts(resource: str, want: Resources, used: Resources, have: Resources) -> tuple[int, int, int]:
    if resource == "pods":
        return 1, used.pods, have.pods
    if resource == "cpu":
        return want.cpu, used.cpu, have.cpu
    if resource == "memory":
        return want.memory, used.memory, have.memory
    if resource == "ephemeral-storage":
        return want.ephemeral_storage, used.ephemeral_storage, have.ephemeral_storage
    return want.get(resource), used.get(resource), have.get(resource)


def _without_missing_extended(want: Resources, node: Node) -> Resources:
    """``removeMissingExtendedResources``: extended resources the node has no entry for."""
    if not want.scalar:
        return want
    advertised = {name for name, _ in node.capacity.scalar}
    kept = tuple(
        (name, v)
        for name, v in want.scalar
        if name in advertised or name.startswith("hugepages-") or name.startswith("kubernetes.io/")
    )
    return attrs.evolve(want, scalar=kept)


def admit(pod: Pod, node: Node, others: Iterable[Pod], version: str) -> Rejection | None:
    """The kubelet's verdict on ``pod`` next to the pods it already runs (None: admitted)."""
    used = Resources()
    ports: set[nodeports.Binding] = set()
    for p in others:
        used = with_pod(used, ports, p)
    return admit_on(pod, node, used, ports, version)


def with_pod(used: Resources, ports: set[nodeports.Binding], p: Pod) -> Resources:
    """What the pods admitted use with ``p`` admitted too (``ports``, their host ports, is
    updated in place)."""
    ports.update(nodeports.binding(hp) for hp in p.scheduling.host_ports)
    return used + noderesources.pod_request(p) + Resources(pods=1)


def admit_on(pod: Pod, node: Node, used: Resources, ports: set[nodeports.Binding], version: str) -> Rejection | None:
    """:func:`admit`, given what the pods already running use (their requests, and one pod
    each) and their host ports."""
    want = _without_missing_extended(noderesources.pod_request(pod), node)
    for reason, _ in noderesources.insufficient(want, node.capacity, used):
        resource = _RESOURCE_OF.get(reason, reason.removeprefix(noderesources.INSUFFICIENT))
        requested, in_use, capacity = _amounts(resource, want, used, node.capacity)
        return Rejection(
            f"OutOf{resource}",
            f"Node didn't have enough resource: {resource}, requested: {requested}, used: {in_use}, "
            f"capacity: {capacity}",
        )
    failed: list[tuple[str, str]] = []
    if not nodeaffinity.required_matches(pod, node):
        failed.append((nodeaffinity.NAME, nodeaffinity.REASON))
    if pod.scheduling.host_ports and nodeports.conflicts(pod.scheduling.host_ports, ports):
        failed.append((nodeports.NAME, nodeports.REASON))
    if versions.kubelet_checks_no_execute(version) and untolerated_taint(pod, node, (NO_EXECUTE,)) is not None:
        failed.append(("TaintToleration", TAINT_REASON))
    if not failed:
        return None
    plugin, reason = failed[0]
    return Rejection(plugin, f"Predicate {plugin} failed: {reason}")
