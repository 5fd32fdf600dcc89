"""kube-apiserver (with etcd behind it): availability, admission, and the write paths.

Mirrors:
- availability: every other component reads and writes only through the apiserver, which only
  works while etcd does (seeds 003, 004);
- ``plugin/pkg/admission/defaulttolerationseconds``: new pods get NoExecute tolerations for
  ``node.kubernetes.io/not-ready`` and ``node.kubernetes.io/unreachable`` for 300 s, unless they
  already tolerate those taints;
- ``plugin/pkg/admission/nodetaint``: a new Node gets ``node.kubernetes.io/not-ready:NoSchedule``;
- ``plugin/pkg/admission/priority``: a new pod gets ``spec.priority`` and ``spec.preemptionPolicy``
  from the PriorityClass it names (the built-in ``system-cluster-critical`` and
  ``system-node-critical`` included), or from the ``globalDefault`` class (the lowest-valued one
  if several) when it names none (priority 0 and PreemptLowerPriority when there is none); a pod
  naming a class that does not exist, or writing a priority or preemption policy that differs
  from the class's, is refused (``pods "x" is forbidden: ...``). A second ``globalDefault``
  class is refused too. Every pod creation path (kubectl apply, the ReplicaSet controller) goes
  through :func:`try_create_pod`;
- ``pkg/registry/core/pod/strategy.go``: graceful delete sets ``deletionTimestamp``; a pod that is
  not bound to a node (or is already finished) is removed at once;
- name generation (``generateName``): ``<prefix><5 random characters>``; here the characters
  are derived from a counter so that runs are reproducible.

Left out: authentication, authorization, other admission plugins, resource versions and
optimistic concurrency (the model's steps are atomic).
"""

from __future__ import annotations

import hashlib
import uuid

import attrs

from kmodel.schedulingspec import PREEMPT_LOWER_PRIORITY
from kmodel.state import (
    FAILED,
    NO_EXECUTE,
    NO_SCHEDULE,
    SUCCEEDED,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    Cluster,
    Node,
    Pod,
    PriorityClass,
    Taint,
    Toleration,
)

# k8s.io/apimachinery/pkg/util/rand: the alphabet generated names are drawn from (no vowels,
# no confusable characters).
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

REFUSED_MESSAGE = "The connection to the server 192.168.49.2:8443 was refused - did you specify the right host or port?"


def available(cluster: Cluster) -> bool:
    return cluster.apiserver_available


def name_suffix(seed: str, n: int, length: int = 5) -> str:
    """A reproducible stand-in for the random suffix of a generated name."""
    digest = hashlib.sha256(f"{seed}/{n}".encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:length])


def template_hash(text: str) -> str:
    """A stand-in for the pod-template-hash label (10 characters from the same alphabet)."""
    return name_suffix(text, 0, length=10)


def default_tolerations(pod: Pod, cluster: Cluster) -> Pod:
    """DefaultTolerationSeconds admission."""
    s = cluster.settings
    tolerations = list(pod.tolerations)
    for key, seconds in (
        (TAINT_NOT_READY, s.default_not_ready_toleration_seconds),
        (TAINT_UNREACHABLE, s.default_unreachable_toleration_seconds),
    ):
        probe = Taint(key=key, effect=NO_EXECUTE)
        if not any(t.tolerates(probe) for t in tolerations):
            tolerations.append(Toleration(key=key, operator="Exists", effect=NO_EXECUTE, toleration_seconds=seconds))
    return attrs.evolve(pod, tolerations=tuple(tolerations))


def admit_node(node: Node, now: int) -> Node:
    """NodeTaint admission: a Node is created with the not-ready:NoSchedule taint."""
    if node.has_taint(TAINT_NOT_READY, NO_SCHEDULE):
        return node
    return attrs.evolve(node, taints=(*node.taints, Taint(key=TAINT_NOT_READY, effect=NO_SCHEDULE)))


def uid(name: str) -> str:
    """A reproducible stand-in for an object's ``metadata.uid`` (a random UUID in Kubernetes)."""
    return str(uuid.UUID(bytes=hashlib.sha256(name.encode()).digest()[:16], version=4))


# pkg/apis/scheduling/types.go: the classes the apiserver creates at start-up
# (SystemCriticalPriority = 2 * HighestUserDefinablePriority), and the user limits
HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY
SYSTEM_PRIORITY_CLASS_PREFIX = "system-"
SYSTEM_PRIORITY_CLASSES = (
    PriorityClass(
        "system-cluster-critical",
        SYSTEM_CRITICAL_PRIORITY,
        description="Used for system critical pods that must run in the cluster, but can be moved to another node "
        "if necessary.",
    ),
    PriorityClass(
        "system-node-critical",
        SYSTEM_CRITICAL_PRIORITY + 1000,
        description="Used for system critical pods that must not be moved from their current node.",
    ),
)


def priority_class(cluster: Cluster, name: str) -> PriorityClass | None:
    """The PriorityClass called ``name``: a built-in system class or one the user created."""
    for pc in SYSTEM_PRIORITY_CLASSES:
        if pc.name == name:
            return pc
    return cluster.priority_class(name)


def default_priority_class(cluster: Cluster) -> PriorityClass | None:
    """``getDefaultPriorityClass``: the globalDefault class; if a race let several in, the one
    with the lowest value."""
    defaults = [pc for pc in cluster.priority_classes if pc.global_default]
    return min(defaults, key=lambda pc: pc.value) if defaults else None


def admit_priority(pod: Pod, cluster: Cluster) -> Pod | str:
    """Priority admission of a new pod: the pod with its priority, preemption policy and class
    resolved, or the reason it is forbidden (the text after ``pods "x" is forbidden: ``)."""
    spec = pod.scheduling
    if not spec.priority_class_name:
        pc = default_priority_class(cluster)
        name = pc.name if pc is not None else ""
        value = pc.value if pc is not None else 0
        policy = pc.preemption_policy if pc is not None else PREEMPT_LOWER_PRIORITY
    else:
        found = priority_class(cluster, spec.priority_class_name)
        if found is None:
            return f"no PriorityClass with name {spec.priority_class_name} was found"
        name, value, policy = found.name, found.value, found.preemption_policy
    if spec.requested_priority is not None and spec.requested_priority != value:
        return (
            f"the integer value of priority ({spec.requested_priority}) must not be provided in pod spec; priority "
            f"admission controller computed {value} from the given PriorityClass name"
        )
    if spec.requested_preemption_policy is not None and spec.requested_preemption_policy != policy:
        return (
            f"the string value of PreemptionPolicy ({spec.requested_preemption_policy}) must not be provided in pod "
            f"spec; priority admission controller computed {policy} from the given PriorityClass name"
        )
    if spec.priority == value and spec.priority_class_name == name and spec.preemption_policy == policy:
        return pod  # (already resolved: a pod from a template that was)
    resolved = attrs.evolve(spec, priority=value, priority_class_name=name, preemption_policy=policy)
    return attrs.evolve(pod, scheduling=resolved)


def admit_priority_class(cluster: Cluster, pc: PriorityClass) -> str | None:
    """Priority admission of a new PriorityClass: only one globalDefault class may exist (the
    text after ``priorityclasses.scheduling.k8s.io "x" is forbidden: ``), else None."""
    if pc.global_default:
        other = default_priority_class(cluster)
        if other is not None and other.name != pc.name:
            return f"PriorityClass {other.name} is already marked as default. Only one default can exist"
    return None


def forbidden(resource: str, name: str, reason: str) -> str:
    """``apierrors.NewForbidden``'s text: ``pods "web-" is forbidden: ...``."""
    return f'{resource} "{name}" is forbidden: {reason}'


def admit_pod(cluster: Cluster, pod: Pod, generate_name: str | None = None) -> Pod | str:
    """A new pod as admission stores it (created now), or the apiserver's error when admission
    refuses it, which names ``generate_name`` when the pod asked for a generated name (name
    generation comes after admission). Admission reads the PriorityClasses and the settings,
    never the other pods."""
    admitted = admit_priority(pod, cluster)
    if isinstance(admitted, str):
        return forbidden("pods", generate_name or pod.name, admitted)
    if admitted.created != cluster.now:
        admitted = attrs.evolve(admitted, created=cluster.now)
    return default_tolerations(admitted, cluster)


def try_create_pod(cluster: Cluster, pod: Pod, generate_name: str | None = None) -> tuple[Cluster, str | None]:
    """Admit and store a new pod (created now). When admission refuses it: the cluster unchanged
    and the apiserver's error (see :func:`admit_pod`)."""
    admitted = admit_pod(cluster, pod, generate_name)
    if isinstance(admitted, str):
        return cluster, admitted
    return cluster.with_pod(admitted), None


def create_pod(cluster: Cluster, pod: Pod) -> Cluster:
    """Admit and store a new pod (created now); a pod admission refuses is not created."""
    return try_create_pod(cluster, pod)[0]


def delete_pod(cluster: Cluster, name: str, force: bool = False) -> Cluster:
    """Graceful DELETE of a pod: Terminating if a kubelet must stop it, else gone at once."""
    pod = cluster.pod(name)
    if pod is None:
        return cluster
    if force or pod.node_name is None or pod.phase in (SUCCEEDED, FAILED):
        return cluster.without_pod(name)
    if pod.deletion_timestamp is not None:
        return cluster
    return cluster.with_pod(attrs.evolve(pod, deletion_timestamp=cluster.now))
