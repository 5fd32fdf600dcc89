"""DefaultEvictor (pkg/framework/plugins/defaultevictor) and the node fit check it uses
(pkg/descheduler/node ``NodeFit``, ``PodFitsAnyOtherNode``, ``PodFitsAnyNode``).

``filter`` (the Filter extension point) keeps a pod out of every strategy when it is
Terminating, or when one of the legacy protections applies (``legacyGetPodProtections``):
DaemonSet pods unless ``evictDaemonSetPods``; pods with a hostPath or emptyDir volume unless
``evictLocalStoragePods``; pods of system-critical priority (at least
2000000000) and pods whose priority is at least ``priorityThreshold`` (default: that same
SystemCriticalPriority) unless ``evictSystemCriticalPods``; pods without a controller (bare pods)
always, except failed ones when ``evictFailedBarePods``. ``pre_eviction_filter`` (the
PreEvictionFilter extension point), with ``nodeFit: true``, keeps a pod that fits no other ready
node: not cordoned, its nodeSelector and required node affinity, the NoSchedule and NoExecute
taints, its required pod anti-affinity against the pods on that node, and its requests
against what the node has left.

kmodel has no mirror or static pods, reads of a pod's volumes only whether one is local
storage (pods that mount a claim are refused, so ``ignorePvcPods`` changes nothing) and no
annotations (so neither ``descheduler.alpha.kubernetes.io/evict`` nor the no-eviction
annotation).
"""

from __future__ import annotations

from kmodel.components import apiserver
from kmodel.components.plugins import interpodaffinity, nodeaffinity, noderesources, tainttoleration
from kmodel.deschedulertypes import DefaultEvictorArgs
from kmodel.state import FAILED, NO_EXECUTE, NO_SCHEDULE, SUCCEEDED, Cluster, Node, Pod, Resources

NAME = "DefaultEvictor"
SYSTEM_CRITICAL_PRIORITY = apiserver.SYSTEM_CRITICAL_PRIORITY


def priority_threshold(args: DefaultEvictorArgs, cluster: Cluster) -> int | None:
    """``GetPriorityValueFromPriorityThreshold``: the value, the named class's value, or
    SystemCriticalPriority when neither is set; None when the named class does not exist (the
    real descheduler then fails to start, so it evicts nothing)."""
    if args.priority_threshold_value is not None:
        return args.priority_threshold_value
    if args.priority_threshold_name:
        pc = apiserver.priority_class(cluster, args.priority_threshold_name)
        return None if pc is None else min(pc.value, SYSTEM_CRITICAL_PRIORITY)
    return SYSTEM_CRITICAL_PRIORITY


def filter(args: DefaultEvictorArgs, cluster: Cluster, pod: Pod) -> bool:
    """``DefaultEvictor.Filter``: may the strategies consider ``pod`` at all."""
    if pod.terminating:
        return False
    if not args.evict_system_critical_pods:
        if pod.priority >= SYSTEM_CRITICAL_PRIORITY:
            return False
        threshold = priority_threshold(args, cluster)
        if threshold is None or pod.priority >= threshold:
            return False
    if pod.owner is None:
        if not args.evict_failed_bare_pods or pod.phase != FAILED:
            return False
    if not args.evict_daemonset_pods and pod.owner_kind == "DaemonSet" and pod.owner is not None:
        return False
    if not args.evict_local_storage_pods and pod.scheduling.local_storage:
        return False
    return True


def pre_eviction_filter(args: DefaultEvictorArgs, cluster: Cluster, nodes: list[Node], pod: Pod) -> bool:
    """``DefaultEvictor.PreEvictionFilter``: with ``nodeFit``, the pod must fit some other
    ready node."""
    if args.node_fit:
        return pod_fits_any_other_node(cluster, pod, nodes)
    return True


def _requests_on(cluster: Cluster, node_name: str) -> Resources:
    used = Resources()
    for p in cluster.pods_on(node_name):
        if p.phase not in (SUCCEEDED, FAILED):
            used = used + noderesources.pod_request(p) + Resources(pods=1)
    return used


def _anti_affinity_clash(cluster: Cluster, pod: Pod, node: Node) -> bool:
    """``podMatchesInterPodAntiAffinity``: a pod on ``node`` matches one of ``pod``'s required
    anti-affinity terms and the node has the term's topology key."""
    aff = pod.scheduling.pod_anti_affinity
    if aff is None or not aff.required:
        return False
    labels = dict(node.labels)
    others = [p for p in cluster.pods_on(node.name) if p.name != pod.name and p.phase not in (SUCCEEDED, FAILED)]
    for term in aff.required:
        t = interpodaffinity.term_of(term, pod)
        if term.topology_key in labels and any(t.matches(o) for o in others):
            return True
    return False


def node_fit(cluster: Cluster, pod: Pod, node: Node) -> str | None:
    """``NodeFit``: None when ``pod`` could run on ``node``, else the reason it cannot."""
    if node.unschedulable:
        return "node is not schedulable"
    if not nodeaffinity.required_matches(pod, node):
        return "pod node selector does not match the node label"
    if tainttoleration.untolerated_taint(pod, node, (NO_SCHEDULE, NO_EXECUTE)) is not None:
        return "pod does not tolerate taints on the node"
    if _anti_affinity_clash(cluster, pod, node):
        return "pod matches inter-pod anti-affinity rule of other pod on node"
    if pod.node_name != node.name:
        used = _requests_on(cluster, node.name)
        found = noderesources.insufficient(noderesources.pod_request(pod), node.capacity, used)
        if found:
            return found[0][0].lower()
    return None


def pod_fits_any_other_node(cluster: Cluster, pod: Pod, nodes: list[Node]) -> bool:
    return any(node_fit(cluster, pod, n) is None for n in nodes if n.name != pod.node_name)


def pod_fits_any_node(cluster: Cluster, pod: Pod, nodes: list[Node]) -> bool:
    return any(node_fit(cluster, pod, n) is None for n in nodes)
