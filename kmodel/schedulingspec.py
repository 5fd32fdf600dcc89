"""The PodSpec fields only the scheduler reads (k8s.io/api/core/v1 types.go).

A :class:`SchedulingSpec` rides on every :class:`kmodel.state.Pod` and
:class:`kmodel.state.PodTemplate` (``scheduling``), so a new scheduler feature adds a field here and
the pod creation paths (the ReplicaSet controller, the loader, the properties' template pod) carry
it without change. ``nodeSelector``, tolerations and requests stay on the pod itself: other
components read them too.

Every class is frozen and hashable, so states that hold them still compare by value.
"""

from __future__ import annotations

from attrs import frozen

from kmodel.labels import LabelSelector, Requirement

# TopologySpreadConstraint.whenUnsatisfiable
DO_NOT_SCHEDULE = "DoNotSchedule"
SCHEDULE_ANYWAY = "ScheduleAnyway"
# nodeAffinityPolicy / nodeTaintsPolicy
HONOR = "Honor"
IGNORE = "Ignore"
# preemptionPolicy
PREEMPT_LOWER_PRIORITY = "PreemptLowerPriority"
PREEMPT_NEVER = "Never"


@frozen
class NodeSelectorTerm:
    """``matchExpressions`` over the node's labels and ``matchFields`` over its fields (only
    ``metadata.name`` exists); both must hold. A term with neither matches no node."""

    match_expressions: tuple[Requirement, ...] = ()
    match_fields: tuple[Requirement, ...] = ()
    # the scheduler could not parse it (``labels.NewRequirement`` refused a key or value the
    # apiserver let through, as releases before 1.33 did for values): it matches no node
    parse_error: bool = False


@frozen
class PreferredSchedulingTerm:
    weight: int
    preference: NodeSelectorTerm


@frozen
class NodeAffinity:
    """``requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`` (None: not set; a node
    must match one term) and the weighted ``preferredDuringScheduling...`` terms."""

    required: tuple[NodeSelectorTerm, ...] | None = None
    preferred: tuple[PreferredSchedulingTerm, ...] = ()


@frozen
class PodAffinityTerm:
    """Pods matching ``label_selector`` (None: matches no pod) in ``namespaces`` (empty: the pod's
    own namespace), counted per value of the node label ``topology_key``."""

    topology_key: str
    label_selector: LabelSelector | None = None
    namespaces: tuple[str, ...] = ()
    namespace_selector: LabelSelector | None = None
    match_label_keys: tuple[str, ...] = ()
    mismatch_label_keys: tuple[str, ...] = ()


@frozen
class WeightedPodAffinityTerm:
    weight: int
    term: PodAffinityTerm


@frozen
class PodAffinity:
    """Pod affinity or anti-affinity: required terms (all must hold) and weighted preferred ones."""

    required: tuple[PodAffinityTerm, ...] = ()
    preferred: tuple[WeightedPodAffinityTerm, ...] = ()


@frozen
class TopologySpreadConstraint:
    max_skew: int
    topology_key: str
    when_unsatisfiable: str
    label_selector: LabelSelector | None = None
    min_domains: int | None = None
    node_affinity_policy: str = HONOR
    node_taints_policy: str = IGNORE
    match_label_keys: tuple[str, ...] = ()


@frozen
class HostPort:
    """A container port bound on the node (``ports[].hostPort``): ``host_ip`` "" means 0.0.0.0."""

    port: int
    protocol: str = "TCP"
    host_ip: str = ""


@frozen(cache_hash=True)
class SchedulingSpec:
    node_affinity: NodeAffinity | None = None
    pod_affinity: PodAffinity | None = None
    pod_anti_affinity: PodAffinity | None = None
    topology_spread: tuple[TopologySpreadConstraint, ...] = ()
    host_ports: tuple[HostPort, ...] = ()
    # spec.priority and spec.preemptionPolicy as the Priority admission plugin resolves them from
    # the PriorityClass (kmodel.components.apiserver.admit_priority); priority_class_name is the
    # class the pod names, or the global default class admission filled in
    priority: int = 0
    priority_class_name: str = ""
    preemption_policy: str = PREEMPT_LOWER_PRIORITY
    # the values a manifest wrote itself (None: not written): admission refuses a pod whose
    # written value differs from the one it computes from the class
    requested_priority: int | None = None
    requested_preemption_policy: str | None = None
    # the pod has a hostPath or emptyDir volume (local storage): the descheduler's DefaultEvictor
    # keeps such pods unless evictLocalStoragePods (kmodel.components.descheduler_plugins)
    local_storage: bool = False


def features(spec: SchedulingSpec) -> list[str]:
    """The manifest fields ``spec`` sets, by their PodSpec names (for refusals: an engine that
    does not encode a feature names it)."""
    used = []
    if spec.node_affinity is not None:
        used.append("affinity.nodeAffinity")
    if spec.pod_affinity is not None:
        used.append("affinity.podAffinity")
    if spec.pod_anti_affinity is not None:
        used.append("affinity.podAntiAffinity")
    if spec.topology_spread:
        used.append("topologySpreadConstraints")
    if spec.host_ports:
        used.append("containers[].ports[].hostPort")
    if spec.priority or spec.priority_class_name or spec.requested_priority:
        used.append("priorityClassName")
    if PREEMPT_NEVER in (spec.preemption_policy, spec.requested_preemption_policy):
        used.append("preemptionPolicy")
    return used
