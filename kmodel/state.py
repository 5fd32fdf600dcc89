"""The cluster as immutable data.

Everything the model knows about a cluster at one instant is a :class:`Cluster`: the API objects
the apiserver stores in etcd (nodes, pods, ReplicaSets, Deployments, Services), the facts of the
physical world that no API object records (is a machine powered, is a kubelet process running,
which containers really run on a node, is a node cut off from the apiserver), the up/down flags of
the control-plane processes, the in-memory state of the controller-manager (which, like the real
one, is lost when it restarts), and the clock.

All classes are frozen attrs classes holding tuples sorted by name, so states hash and compare by
value and a transition rebuilds only the objects it touches (``attrs.evolve``).
Times are whole seconds on the model clock.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any, TypeVar

import attrs
from attrs import frozen

from kmodel.frozen import evolve, identity_eq
from kmodel.labels import LabelSelector
from kmodel.podseq import ChunkedSeq
from kmodel.probespec import ProbeRuntime, ProbeSpec
from kmodel.schedulingspec import SchedulingSpec

# --- well-known names -------------------------------------------------------------------------

LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_OS = "kubernetes.io/os"
LABEL_ARCH = "kubernetes.io/arch"
LABEL_ZONE = "topology.kubernetes.io/zone"
# the region label and the deprecated keys of both, which Kubernetes still reads first
# (component-helpers/node/topology GetZoneKey)
LABEL_REGION = "topology.kubernetes.io/region"
LABEL_ZONE_DEPRECATED = "failure-domain.beta.kubernetes.io/zone"
LABEL_REGION_DEPRECATED = "failure-domain.beta.kubernetes.io/region"
LABEL_CONTROL_PLANE = "node-role.kubernetes.io/control-plane"

TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
TAINT_OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"

NO_SCHEDULE = "NoSchedule"
PREFER_NO_SCHEDULE = "PreferNoSchedule"
NO_EXECUTE = "NoExecute"
TAINT_EFFECTS = (NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE)

# Node Ready condition values (as in v1.ConditionStatus); COND_NONE: the node has no Ready
# condition yet (its kubelet never posted status).
COND_TRUE = "True"
COND_FALSE = "False"
COND_UNKNOWN = "Unknown"
COND_NONE = ""

# Pod phases.
PENDING = "Pending"
RUNNING = "Running"
SUCCEEDED = "Succeeded"
FAILED = "Failed"


# --- small value types ------------------------------------------------------------------------


Scalars = tuple[tuple[str, int], ...]


def _add_scalars(a: Scalars, b: Scalars) -> Scalars:
    if not a:
        return b
    if not b:
        return a
    total = dict(a)
    for name, value in b:
        total[name] = total.get(name, 0) + value
    return tuple(sorted(total.items()))


@frozen(cache_hash=True)
class Resources:
    """CPU in millicores, memory and ephemeral-storage in bytes, (for node capacity) the pod
    count, and the scalar resources (``ScalarResources`` in the scheduler: extended resources
    such as ``nvidia.com/gpu`` and ``hugepages-*``) as (name, whole number) pairs sorted by name,
    zero amounts left out."""

    cpu: int = 0
    memory: int = 0
    pods: int = 0
    ephemeral_storage: int = 0
    scalar: Scalars = ()

    def __add__(self, other: Resources) -> Resources:
        if not self.scalar and not other.scalar:
            return Resources(
                self.cpu + other.cpu,
                self.memory + other.memory,
                self.pods + other.pods,
                self.ephemeral_storage + other.ephemeral_storage,
            )
        return Resources(
            self.cpu + other.cpu,
            self.memory + other.memory,
            self.pods + other.pods,
            self.ephemeral_storage + other.ephemeral_storage,
            _add_scalars(self.scalar, other.scalar),
        )

    def get(self, name: str) -> int:
        """A scalar resource's amount (0 when absent)."""
        for k, v in self.scalar:
            if k == name:
                return v
        return 0


@frozen
class Taint:
    key: str
    effect: str
    value: str = ""
    time_added: int | None = None  # set for NoExecute taints, as the API does

    def same(self, other: Taint) -> bool:
        """Taints are identified by key and effect (``Taint.MatchTaint`` in k8s)."""
        return self.key == other.key and self.effect == other.effect

    def show(self) -> str:
        value = f"={self.value}" if self.value else ""
        return f"{self.key}{value}:{self.effect}"


@frozen(cache_hash=True)
class Toleration:
    key: str = ""
    operator: str = "Equal"  # "Equal" or "Exists"; an empty operator means Equal
    value: str = ""
    effect: str = ""  # empty matches every effect
    toleration_seconds: int | None = None

    def tolerates(self, taint: Taint) -> bool:
        """``Toleration.ToleratesTaint`` from k8s.io/api/core/v1/toleration.go."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator == "Exists":
            return True
        # Equal (or empty): an empty key is only valid with Exists, so the key matched above.
        return self.key == taint.key and self.value == taint.value


def tolerates_all(tolerations: Iterable[Toleration], taint: Taint) -> bool:
    return any(t.tolerates(taint) for t in tolerations)


Labels = tuple[tuple[str, str], ...]


def labels_of(mapping: dict[str, str] | None) -> Labels:
    return tuple(sorted((mapping or {}).items()))


def label(labels: Labels, key: str) -> str | None:
    for k, v in labels:
        if k == key:
            return v
    return None


def selector_matches(selector: Labels | LabelSelector, labels: Labels) -> bool:
    """A Service's selector (a label map) or a workload's (:class:`kmodel.labels.LabelSelector`,
    set-based). An empty selector matches nothing here, as for a Service or ReplicaSet (the API
    rejects empty workload selectors; a Service without a selector gets no endpoints)."""
    if isinstance(selector, LabelSelector):
        return not selector.empty and selector.matches(labels)
    if not selector:
        return False
    have = dict(labels)
    return all(have.get(k) == v for k, v in selector)


# --- API objects ------------------------------------------------------------------------------


@frozen(cache_hash=True)
class PodTemplate:
    labels: Labels = ()
    tolerations: tuple[Toleration, ...] = ()
    node_selector: Labels = ()
    requests: Resources = Resources()
    termination_grace_seconds: int = 30
    # a stable hash of the whole template as written in the manifest (kmodel.manifests.spec_hash):
    # any change to it starts a rollout, as the pod-template-hash does; "" for built templates
    spec_hash: str = ""
    scheduling: SchedulingSpec = SchedulingSpec()  # affinity, spread, host ports, priority
    images: tuple[str, ...] = ()  # the containers' images, for display (kubectl get rs -o wide)
    # spec.nodeName: every pod created from the template is bound to that node at once (the
    # scheduler never sees it; the node's kubelet admits or rejects it)
    node_name: str | None = None
    # the containers' readiness, liveness and startup probes (None: none)
    probes: ProbeSpec | None = None
    # the containers' names (aligned with ``images``), the hash and the images as written in the
    # manifest, and the kubectl.kubernetes.io/restartedAt annotation kubectl rollout restart
    # sets: kubectl set image / rollout restart recompute ``spec_hash`` from them
    # (kmodel.manifests.edited_hash), so they change it the way a manifest change does, and
    # setting the written images back gives the written hash again
    containers: tuple[str, ...] = ()
    spec_base: str = ""
    written_images: tuple[str, ...] = ()
    restarted_at: str = ""
    # a volume of the template is an emptyDir (kubectl drain needs --delete-emptydir-data)
    empty_dir: bool = False

    def new_pod(self, name: str, owner: str, owner_kind: str, **changes: object) -> Pod:
        """A pod of this template, owned by ``owner`` (of kind ``owner_kind``): everything the
        template says about each of its pods (labels, tolerations, node selection, requests,
        grace period, the scheduling fields, spec.nodeName, probes), with ``changes`` on top (the
        labels a controller adds, its tolerations...). Every workload controller makes its pods
        here, so that none drops a field the template carries."""
        fields: dict[str, object] = {
            "labels": self.labels,
            "tolerations": self.tolerations,
            "node_selector": self.node_selector,
            "requests": self.requests,
            "termination_grace_seconds": self.termination_grace_seconds,
            "scheduling": self.scheduling,
            "node_name": self.node_name,
            "probes": self.probes,
            "empty_dir": self.empty_dir,
        }
        fields.update(changes)
        return Pod(name=name, owner=owner, owner_kind=owner_kind, **fields)  # type: ignore[arg-type]


@frozen(cache_hash=True)
class Node:
    name: str
    labels: Labels = ()
    taints: tuple[Taint, ...] = ()
    unschedulable: bool = False
    capacity: Resources = Resources(cpu=2000, memory=4 * 1024**3, pods=110)
    created: int = 0  # metadata.creationTimestamp
    # status, as posted by the kubelet and rewritten by the node lifecycle controller
    ready: str = COND_TRUE  # COND_NONE until the kubelet first posts status
    ready_reason: str = "KubeletReady"
    last_heartbeat: int | None = 0  # the Ready condition's lastHeartbeatTime; None: never posted
    # spec.renewTime of the node's Lease in kube-node-lease (None: no Lease yet); the kubelet
    # renews it every nodeLeaseDurationSeconds / 4 whatever its status does
    lease_renew_time: int | None = 0
    # the physical world
    control_plane: bool = False
    powered: bool = True
    kubelet_running: bool = True
    runtime_ready: bool = True  # the container runtime answers (else the kubelet reports Ready=False)
    partitioned: bool = False  # cut off from the apiserver (and it from the node)
    running: frozenset[str] = frozenset()  # pods whose containers really run on this machine

    @property
    def zone(self) -> str:
        """The node's failure zone as the node lifecycle controller groups nodes
        (``GetZoneKey``): the deprecated ``failure-domain.beta.kubernetes.io`` zone and region
        labels when present, else the ``topology.kubernetes.io`` ones; "" with neither. Shown as
        ``ZONE``, or ``REGION:ZONE`` when a region is set (Kubernetes joins them with ``:\\x00:``;
        a label value holds no ``:``, so the shorter form is as unique)."""
        zone = label(self.labels, LABEL_ZONE_DEPRECATED)
        if zone is None:
            zone = label(self.labels, LABEL_ZONE) or ""
        region = label(self.labels, LABEL_REGION_DEPRECATED)
        if region is None:
            region = label(self.labels, LABEL_REGION) or ""
        return f"{region}:{zone}" if region else zone

    def has_taint(self, key: str, effect: str) -> bool:
        return any(t.key == key and t.effect == effect for t in self.taints)


@frozen(cache_hash=True)
class Pod:
    name: str
    owner: str | None = None  # the name in the pod's controllerRef (None: an orphan)
    labels: Labels = ()
    node_name: str | None = None
    phase: str = PENDING
    ready: bool = False  # the pod's Ready condition (what endpoints use)
    # containerStatuses[].ready as the kubelet last reported it (kubectl's READY column). The
    # node controller's MarkPodsNotReady flips only the condition, so a pod on a lost node still
    # shows 1/1 (seed 000: "1/1 Running" on a NotReady node).
    containers_ready: bool = False
    deletion_timestamp: int | None = None
    tolerations: tuple[Toleration, ...] = ()
    node_selector: Labels = ()
    requests: Resources = Resources()
    restarts: int = 0
    created: int = 0
    ready_since: int | None = None
    disruption_target: bool = False  # condition DisruptionTarget=True (set by taint eviction)
    termination_grace_seconds: int = 30
    scheduling: SchedulingSpec = SchedulingSpec()  # affinity, spread, host ports, priority
    # status.reason and status.message: set when the kubelet rejects the pod at admission
    # (phase Failed, reason e.g. OutOfcpu, message "Pod was rejected: ...")
    status_reason: str = ""
    status_message: str = ""
    # status.nominatedNodeName: the node the scheduler's preemption made room on for this pending
    # pod (it is tried first at the next attempt, and lower-priority pods leave that room alone)
    nominated_node_name: str | None = None
    # status.startTime: when the kubelet first started the pod (None: not started yet, or not
    # recorded: kmodel records it only when pod priorities can differ, see kubelet._start_time);
    # the scheduler's preemption reprieves longer-running pods of equal priority first
    start_time: int | None = None
    # the reason of a DisruptionTarget=True condition the scheduler set (PreemptionByScheduler);
    # taint eviction's DisruptionTarget is ``disruption_target``
    disruption_reason: str = ""
    # the kind in the controllerRef: ReplicaSet, or another workload controller's kind
    owner_kind: str = "ReplicaSet"
    # -- containers that finish (Job pods; kmodel.components.job) ------------------------------
    # spec.restartPolicy: Always (the default and the only one outside Jobs), OnFailure or Never
    restart_policy: str = "Always"
    # how the containers behave (the Scenario's ``workloads`` section); None: they run forever
    behaviour: ContainerBehaviour | None = None
    # when the current container run started (only pods with a behaviour record it)
    run_started: int | None = None
    # when the last container run ended: the finish time of a Succeeded / Failed pod, or, for an
    # OnFailure pod waiting in CrashLoopBackOff, the start of that wait
    finished_at: int | None = None
    # the containers' probes (None: none) and, for a pod with probes or one a fail-probe event
    # touched, what its probes answer and what the kubelet remembers of its container
    # (kmodel.probespec; kmodel.components.prober)
    probes: ProbeSpec | None = None
    probe: ProbeRuntime | None = None
    # the controller.kubernetes.io/pod-deletion-cost annotation (set by `annotate`; 0: none):
    # the ReplicaSet controller deletes pods with a lower cost first
    deletion_cost: int = 0
    # a volume is an emptyDir: data on the node that a drain deletes (--delete-emptydir-data)
    empty_dir: bool = False

    @property
    def replicaset_owner(self) -> str | None:
        """The owning ReplicaSet's name (None: an orphan, or a pod another kind controls)."""
        return self.owner if self.owner_kind == "ReplicaSet" else None

    def owned_by(self, kind: str, name: str) -> bool:
        return self.owner == name and self.owner_kind == kind

    @property
    def priority(self) -> int:
        """``spec.priority`` as the Priority admission plugin resolved it (0 when unset)."""
        return self.scheduling.priority

    @property
    def terminating(self) -> bool:
        return self.deletion_timestamp is not None

    @property
    def active(self) -> bool:
        """``controller.IsPodActive``: not finished and not being deleted."""
        return self.phase not in (SUCCEEDED, FAILED) and self.deletion_timestamp is None


def pod_available(pod: Pod, min_ready_seconds: int, now: int) -> bool:
    """``IsPodAvailable`` (pkg/api/v1/pod/util.go): the pod is Ready, and either minReadySeconds
    is 0 or the Ready condition turned true at least minReadySeconds ago (its
    lastTransitionTime + minReadySeconds <= now; a Ready condition without a transition time
    counts only when minReadySeconds is 0)."""
    if not pod.ready:
        return False
    if min_ready_seconds == 0:
        return True
    return pod.ready_since is not None and pod.ready_since + min_ready_seconds <= now


@frozen
class ReplicaSet:
    name: str
    replicas: int
    selector: Labels | LabelSelector  # matchLabels only: a label map
    template: PodTemplate
    owner: str | None = None  # owning Deployment (its controllerRef; None: an orphan)
    labels: Labels = ()  # metadata.labels: what a Deployment's selector adopts it by
    revision: int = 1
    next_pod: int = 0  # sequence number for generated pod names
    # spec.minReadySeconds: how long a pod must have been ready to count as available
    min_ready_seconds: int = 0
    # status (written by the ReplicaSet controller)
    status_replicas: int = 0
    status_ready: int = 0
    status_available: int = 0
    # the annotations deployment.kubernetes.io/desired-replicas and max-replicas the Deployment
    # controller keeps on its ReplicaSets (None: absent), read by proportional scaling
    desired_replicas: int | None = None
    max_replicas: int | None = None


@frozen
class ContainerBehaviour:
    """How the containers of a Job's pods behave: the physical world, not an API object (the
    Scenario's ``workloads`` section, kmodel.scenario). Each container run lasts ``run_seconds``
    and then exits with ``exit_code``; with ``failures`` set, only the first ``failures`` runs
    of the Job's containers (counted over all its pods and restarts, ``Job.runs_failed``) exit
    with ``exit_code`` and every later run exits 0."""

    run_seconds: int = 0
    exit_code: int = 0
    failures: int | None = None


# Job condition types (batch/v1 JobConditionType)
JOB_COMPLETE = "Complete"
JOB_FAILED = "Failed"
JOB_FAILURE_TARGET = "FailureTarget"
JOB_SUCCESS_CRITERIA_MET = "SuccessCriteriaMet"
JOB_SUSPENDED = "Suspended"


@frozen
class Job:
    """batch/v1 Job (NonIndexed completion mode), written by the Job controller."""

    name: str
    template: PodTemplate
    selector: Labels | LabelSelector
    completions: int | None = 1  # None: a work queue (done when one pod succeeds)
    parallelism: int = 1
    backoff_limit: int = 6
    active_deadline_seconds: int | None = None
    suspend: bool = False
    restart_policy: str = "Never"  # the template's: Never or OnFailure
    labels: Labels = ()
    next_pod: int = 0  # sequence number for generated pod names
    # the physical world: how its containers behave, and how many of their runs failed so far
    # (capped at behaviour.failures: only ``runs_failed < failures`` is ever read)
    behaviour: ContainerBehaviour | None = None
    runs_failed: int = 0
    # status (written by the Job controller)
    status_active: int = 0
    status_succeeded: int = 0
    status_failed: int = 0
    start_time: int | None = None
    completion_time: int | None = None
    # the conditions with status True, as (type, reason), in the order they were added
    conditions: tuple[tuple[str, str], ...] = ()
    # the pods the controller created and has not counted yet: what the real controller's
    # batch.kubernetes.io/job-tracking finalizer marks (kmodel.components.job)
    tracked: frozenset[str] = frozenset()

    def condition(self, kind: str) -> str | None:
        """The reason of the True condition ``kind`` ("" when it has none), None when absent."""
        for k, reason in self.conditions:
            if k == kind:
                return reason
        return None

    @property
    def finished(self) -> bool:
        """``IsJobFinished``: a Complete or Failed condition."""
        return any(k in (JOB_COMPLETE, JOB_FAILED) for k, _ in self.conditions)


@frozen
class Deployment:
    name: str
    replicas: int
    selector: Labels | LabelSelector  # matchLabels only: a label map
    template: PodTemplate
    max_surge: str = "25%"
    max_unavailable: str = "25%"
    min_ready_seconds: int = 0  # spec.minReadySeconds, copied to the ReplicaSets it creates
    # status (written by the Deployment controller)
    status_updated: int = 0
    status_ready: int = 0
    status_available: int = 0
    status_replicas: int = 0
    # spec.strategy.type, spec.revisionHistoryLimit (None: keep all), spec.progressDeadlineSeconds
    # (None: no deadline, i.e. unset or MaxInt32), spec.paused
    strategy: str = "RollingUpdate"
    revision_history_limit: int | None = 10
    progress_deadline_seconds: int | None = 600
    paused: bool = False
    # the deployment.kubernetes.io/revision annotation (the new ReplicaSet's revision)
    revision: int = 0
    # status.conditions: Progressing (status "True"/"False"/"Unknown", "" when absent, and its
    # reason) and Available ("" when absent). Condition times are left out except the
    # Progressing condition's lastUpdateTime, kept only while DeploymentTimedOut reads it (a
    # deadline is set and the reason is neither NewReplicaSetAvailable nor
    # ProgressDeadlineExceeded); the checkers see it as an age capped at the deadline
    progressing: str = ""
    progressing_reason: str = ""
    progress_time: int | None = None
    available: str = ""
    # whether the kubectl.kubernetes.io/last-applied-configuration of the last `kubectl apply`
    # had spec.replicas (kmodel.useractions: the three-way merge of replicas)
    applied_replicas: bool = True


@frozen
class StatefulSet:
    """apps/v1 StatefulSet: pods named ``<name>-<ordinal>`` with a stable identity, created and
    deleted in order (OrderedReady) or all at once (Parallel), updated from the highest ordinal
    down (RollingUpdate, to ``partition``) or when deleted by hand (OnDelete). Revisions are
    not API objects here: ``current_revision`` / ``current_template`` stand for the
    ControllerRevision that ``status.currentRevision`` names (see
    :mod:`kmodel.components.statefulset`)."""

    name: str
    replicas: int
    selector: Labels | LabelSelector
    template: PodTemplate
    service_name: str = ""
    pod_management_policy: str = "OrderedReady"  # or "Parallel"
    update_strategy: str = "RollingUpdate"  # or "OnDelete"
    partition: int = 0
    max_unavailable: str = "1"  # an int or a percentage, as written (RollingUpdate)
    min_ready_seconds: int = 0
    start_ordinal: int = 0  # spec.ordinals.start
    # status (written by the StatefulSet controller)
    current_revision: str = ""
    current_template: PodTemplate | None = None  # the template of current_revision
    update_revision: str = ""
    status_replicas: int = 0
    status_ready: int = 0
    status_available: int = 0
    status_current: int = 0
    status_updated: int = 0


@frozen
class DaemonSet:
    """apps/v1 DaemonSet: one pod of ``template`` on every node that should run one
    (:mod:`kmodel.components.daemonset`)."""

    name: str
    selector: Labels | LabelSelector
    template: PodTemplate
    labels: Labels = ()  # metadata.labels
    # spec.updateStrategy: "RollingUpdate" (maxUnavailable, maxSurge: a number or a percentage
    # of the nodes that should run a pod, both rounded up) or "OnDelete"
    strategy: str = "RollingUpdate"
    max_unavailable: str = "1"
    max_surge: str = "0"
    min_ready_seconds: int = 0
    next_pod: int = 0  # sequence number for generated pod names
    # status (written by the DaemonSet controller)
    status_desired: int = 0  # desiredNumberScheduled
    status_current: int = 0  # currentNumberScheduled
    status_misscheduled: int = 0  # numberMisscheduled
    status_ready: int = 0  # numberReady
    status_available: int = 0  # numberAvailable
    status_updated: int = 0  # updatedNumberScheduled


@frozen
class PriorityClass:
    """scheduling.k8s.io/v1 PriorityClass: the priority (and preemption policy) a pod naming it
    gets at admission; ``global_default``: the one pods naming no class get."""

    name: str
    value: int
    global_default: bool = False
    preemption_policy: str = "PreemptLowerPriority"
    description: str = ""


@frozen
class Service:
    name: str
    selector: Labels
    endpoints: tuple[str, ...] = ()  # ready pod names, written by the endpoints controller
    publish_not_ready_addresses: bool = False  # spec.publishNotReadyAddresses


# --- the HorizontalPodAutoscaler (kmodel.components.horizontalpodautoscaler) -------------------


@frozen
class MetricTarget:
    """One resource metric of an HPA: ``resource`` "cpu" or "memory"; ``kind`` "Utilization"
    (``value``: percent of the pods' requests) or "AverageValue" (``value``: millicores or
    bytes per pod)."""

    resource: str
    kind: str
    value: int


@frozen
class ScalingPolicy:
    kind: str  # "Pods" or "Percent"
    value: int
    period: int  # periodSeconds


@frozen
class ScalingRules:
    """``HPAScalingRules`` as the apiserver defaults them (autoscaling/v2 defaults.go): a
    stabilization window (None: the controller's --horizontal-pod-autoscaler-downscale-
    stabilization for scale-down), selectPolicy Max / Min / Disabled, the policies."""

    stabilization_window: int | None
    select_policy: str
    policies: tuple[ScalingPolicy, ...]


@frozen
class HorizontalPodAutoscaler:
    """autoscaling/v2 HorizontalPodAutoscaler with resource metrics. ``behavior``: None when
    the manifest has no spec.behavior (the controller then uses its older rules: the downscale
    stabilization flag and a scale-up limit of max(2 x current, 4) per sync)."""

    name: str
    target_kind: str  # "Deployment"
    target_name: str
    max_replicas: int
    min_replicas: int = 1
    metrics: tuple[MetricTarget, ...] = ()
    behavior: tuple[ScalingRules, ScalingRules] | None = None  # (scaleUp, scaleDown)
    # status (written by the HPA controller)
    current_replicas: int = 0
    desired_replicas: int = 0
    last_scale_time: int | None = None
    # status.conditions as (type, status, reason), in the order they were first set
    conditions: tuple[tuple[str, str, str], ...] = ()
    # the current metric values as (resource, value): utilization in percent, or the average
    current_metrics: tuple[tuple[str, int], ...] = ()
    # kmodel's record, not an API field: the target's spec.replicas at the controller's syncs,
    # (time, replicas), one entry per change, the newest last, those older than
    # settings.replica_history_window dropped (the newest always kept); what no-oscillation reads
    history: tuple[tuple[int, int], ...] = ()

    def condition(self, kind: str) -> tuple[str, str] | None:
        """(status, reason) of condition ``kind``, or None."""
        for k, status, reason in self.conditions:
            if k == kind:
                return status, reason
        return None

    @property
    def acted(self) -> bool:
        """The controller has synced it once with its target found (status.currentReplicas set)."""
        return bool(self.history)


@frozen
class HPAMemory:
    """The HPA controller's in-memory record of one HPA (lost when the controller-manager
    restarts, as in horizontal.go): its recent recommendations and scale events, (time, n)."""

    name: str
    recommendations: tuple[tuple[int, int], ...] = ()
    scale_up_events: tuple[tuple[int, int], ...] = ()
    scale_down_events: tuple[tuple[int, int], ...] = ()


@frozen
class PodDisruptionBudget:
    """policy/v1 PodDisruptionBudget: how many of the pods its selector matches may be disrupted
    voluntarily (through the eviction API) at once (:mod:`kmodel.components.disruption`)."""

    name: str
    # None (no selector) matches no pod; an empty one matches every pod for the disruption
    # controller and none for the eviction API and preemption (as in Kubernetes)
    selector: LabelSelector | None
    # spec.minAvailable / spec.maxUnavailable as written: a whole number or a percentage ("50%");
    # None when unset (the API refuses both at once)
    min_available: str | None = None
    max_unavailable: str | None = None
    # spec.unhealthyPodEvictionPolicy: "" (unset: IfHealthyBudget), "IfHealthyBudget" or "AlwaysAllow"
    unhealthy_pod_eviction_policy: str = ""
    labels: Labels = ()
    # status (written by the disruption controller; the eviction API decrements
    # disruptions_allowed and records the pods it evicts in disrupted_pods)
    observed: bool = False  # status.observedGeneration == metadata.generation
    current_healthy: int = 0
    desired_healthy: int = 0
    expected_pods: int = 0
    disruptions_allowed: int = 0
    disrupted_pods: tuple[tuple[str, int], ...] = ()  # pod -> when the eviction API let it go
    # the DisruptionAllowed condition: its status ("True"/"False", "" before the first sync) and reason
    allowed: str = ""
    allowed_reason: str = ""


@frozen
class Drain:
    """A ``kubectl drain`` in progress or ended (:mod:`kmodel.components.drain`)."""

    node: str
    started: int
    timeout: int | None = None  # --timeout in seconds; None: 0, wait for ever
    disable_eviction: bool = False  # --disable-eviction: delete the pods instead of evicting them
    # the pods it still has to evict (or delete): chosen once, after the cordon, as kubectl lists them
    pending: tuple[str, ...] = ()
    # pods whose eviction (or delete) went through: kubectl waits for them to be gone
    waiting: tuple[str, ...] = ()
    # pod -> when kubectl tries its eviction again (after a 429 it sleeps 5 s)
    retry_at: tuple[tuple[str, int], ...] = ()
    errors: tuple[str, ...] = ()  # the pods' errors (kubectl reports them all at the end)
    # "" while running; "drained", or the error kubectl ended with
    outcome: str = ""
    ended: int | None = None

    @property
    def running(self) -> bool:
        return not self.outcome


# --- control plane ------------------------------------------------------------------------------


@frozen
class ControlPlane:
    """Whether each control-plane process is running (as a process; whether it can act also
    depends on its host being powered and on reaching the apiserver)."""

    apiserver: bool = True
    etcd: bool = True
    scheduler: bool = True
    controller_manager: bool = True
    # since when the apiserver has been unreachable (None: it answers); the controller-manager
    # loses its leader lease when it cannot renew it for leaderElectionRenewDeadline
    apiserver_down_since: int | None = None


@frozen
class NodeHealth:
    """The node lifecycle controller's private record of one node (``nodeHealthData``)."""

    name: str
    probe_time: int  # when the controller last saw the heartbeat or the Lease change
    seen_heartbeat: int | None  # the status heartbeat it saw then (None: node never reported)
    seen_ready: str  # the Ready status it last observed
    seen_lease: int | None = None  # the Lease renewTime it last saw (None: none yet)


@identity_eq
@frozen
class ControllerMemory:
    """In-memory state of kube-controller-manager; reset whenever it (re)starts."""

    node_health: tuple[NodeHealth, ...] = ()
    zone_states: tuple[tuple[str, str], ...] = ()
    # nodes waiting in a zone's rate-limited NoExecute tainting queue: (zone, node, enqueued at)
    taint_queue: tuple[tuple[str, str, int], ...] = ()
    # the time each zone's token bucket next has a token
    zone_next_token: tuple[tuple[str, int], ...] = ()
    # pod -> when the taint eviction controller will delete it (its timed worker queue: set when
    # the pod first needs eviction, kept while the node's taints change, dropped on cancel)
    scheduled_evictions: tuple[tuple[str, int], ...] = ()
    # node names seen missing by pod GC -> since when
    gc_quarantine: tuple[tuple[str, int], ...] = ()
    # legacy (pod-eviction-timeout) mode: node -> when it was first seen not Ready
    not_ready_since: tuple[tuple[str, int], ...] = ()
    # the Job controller's backoff records (backoffStore): (job, failuresAfterLastSuccess,
    # lastFailureTime); the failure count is capped where the backoff reaches its maximum
    job_backoff: tuple[tuple[str, int, int], ...] = ()
    # the DaemonSet controller's failedPodsBackoff: "daemonset/node" -> (delay, last update)
    daemon_backoff: tuple[tuple[str, tuple[int, int]], ...] = ()
    # the HPA controller's recommendations and scale events, per HPA (sorted by name)
    hpa: tuple[HPAMemory, ...] = ()


# --- the whole cluster -------------------------------------------------------------------------


@identity_eq
@frozen
class Cluster:
    settings: Settings
    now: int = 0
    nodes: tuple[Node, ...] = ()
    pods: tuple[Pod, ...] = ()
    replicasets: tuple[ReplicaSet, ...] = ()
    deployments: tuple[Deployment, ...] = ()
    services: tuple[Service, ...] = ()
    priority_classes: tuple[PriorityClass, ...] = ()  # user-defined; the system ones are built in
    statefulsets: tuple[StatefulSet, ...] = ()
    jobs: tuple[Job, ...] = ()  # batch/v1 Jobs
    daemonsets: tuple[DaemonSet, ...] = ()
    control_plane: ControlPlane = ControlPlane()
    memory: ControllerMemory = ControllerMemory()
    # implicit control-plane host, used when no Node carries the control-plane label
    implicit_host_powered: bool = True
    # components that already took their step in the current tick
    ran: frozenset[str] = frozenset()
    # pods the scheduler already tried (and failed to place) in the current tick
    sched_attempted: frozenset[str] = frozenset()
    pod_serial: int = 0  # counter for names of pods created without a controller
    # state-dependent fault rules (kmodel.faultrules): how often each rule that has a `max:` has
    # fired, by rule name; and the recoveries the rules scheduled, as (due time, action, subject)
    rule_fired: tuple[tuple[str, int], ...] = ()
    rule_timers: tuple[tuple[int, str, str], ...] = ()
    # the descheduler (kubernetes-sigs/descheduler), when the scenario enables it: its policy,
    # when it runs next and the bookkeeping of no-eviction-cycle (kmodel.components.descheduler)
    descheduler: DeschedulerState | None = None
    # autoscaling/v2 HorizontalPodAutoscalers, and the load model of the Scenario (the usage the
    # metrics server reports; the physical world, kmodel.loadmodel)
    hpas: tuple[HorizontalPodAutoscaler, ...] = ()
    loads: tuple[WorkloadLoad, ...] = ()
    # informer caches that lag: a kmodel.informer.Informers (not named here: that module imports
    # this one), None when every view is the store
    informers: Any = None
    pdbs: tuple[PodDisruptionBudget, ...] = ()  # policy/v1 PodDisruptionBudgets
    drains: tuple[Drain, ...] = ()  # kubectl drain runs, by node (kmodel.components.drain)
    # several control-plane machines (a kmodel.ha.HAControlPlane: leader election, etcd quorum,
    # the load balancer); None: the single ControlPlane above
    ha: Any = None
    # an apiserver watch cache that lags etcd (a kmodel.watchcache.WatchCaches); None: none lags
    watch_cache: Any = None

    # -- lookups -------------------------------------------------------------------------------

    def node(self, name: str) -> Node | None:
        return find(self.nodes, name)

    def pod(self, name: str) -> Pod | None:
        return find(self.pods, name)

    def replicaset(self, name: str) -> ReplicaSet | None:
        return find(self.replicasets, name)

    def deployment(self, name: str) -> Deployment | None:
        return find(self.deployments, name)

    def service(self, name: str) -> Service | None:
        return find(self.services, name)

    def priority_class(self, name: str) -> PriorityClass | None:
        return find(self.priority_classes, name)

    def statefulset(self, name: str) -> StatefulSet | None:
        return find(self.statefulsets, name)

    def job(self, name: str) -> Job | None:
        return find(self.jobs, name)

    def daemonset(self, name: str) -> DaemonSet | None:
        return find(self.daemonsets, name)

    def pdb(self, name: str) -> PodDisruptionBudget | None:
        return find(self.pdbs, name)

    def drain(self, node: str) -> Drain | None:
        for d in self.drains:
            if d.node == node:
                return d
        return None

    def pods_on(self, node_name: str) -> list[Pod]:
        return list(pods_by_node(self.pods).get(node_name, ()))

    # -- derived facts about the control plane ---------------------------------------------------

    @property
    def control_plane_nodes(self) -> tuple[Node, ...]:
        return _control_plane_nodes(self.nodes)

    @property
    def control_plane_host_up(self) -> bool:
        """Some machine that runs the control plane is powered on."""
        if self.ha is not None:
            return bool(self.ha.host_up(self))
        cps = self.control_plane_nodes
        if not cps:
            return self.implicit_host_powered
        return any(n.powered for n in cps)

    @property
    def apiserver_available(self) -> bool:
        """The apiserver answers requests: it runs, etcd runs, and their host is on."""
        return _process_facts(self)[0]

    @property
    def scheduler_active(self) -> bool:
        return _process_facts(self)[1]

    @property
    def controller_manager_active(self) -> bool:
        return _process_facts(self)[2]

    def kubelet_connected(self, node: Node) -> bool:
        """The node's kubelet runs and can reach the apiserver."""
        return node.powered and node.kubelet_running and not node.partitioned and self.apiserver_available

    # -- updates ---------------------------------------------------------------------------------

    def with_node(self, node: Node) -> Cluster:
        nodes = upsert(self.nodes, node)
        old = find(self.nodes, node.name)
        if old is not None and not old.control_plane and not node.control_plane:
            carry_control_plane_nodes(self.nodes, nodes)
        return evolve(self, nodes=nodes)

    def with_pod(self, pod: Pod) -> Cluster:
        if type(self.pods) is ChunkedSeq:  # (simulate's pods: the write finds the pod it replaces)
            pods, old = self.pods.upsert_found(pod)
        else:
            pods, old = upsert(self.pods, pod), find(self.pods, pod.name)
        podindex.derive(self.pods, pods, old, pod)  # kmodel.podindex
        return evolve(self, pods=pods)

    def with_pods(self, pods: list[Pod]) -> Cluster:
        """:meth:`with_pod` of each of ``pods`` (distinct names) in turn. In simulate's states
        (the pods a ChunkedSeq) they are written at once: each chunk and each index group they
        touch is copied once (kmodel.podindex.derive_many)."""
        if type(self.pods) is not ChunkedSeq or len(pods) < 2:
            out = self
            for pod in pods:
                out = out.with_pod(pod)
            return out
        written, olds = self.pods.upsert_many(pods)
        podindex.derive_many(self.pods, written, list(zip(olds, pods, strict=True)))
        return evolve(self, pods=written)

    def without_pod(self, name: str) -> Cluster:
        pods = remove(self.pods, name)
        if pods is not self.pods:
            podindex.derive(self.pods, pods, find(self.pods, name), None)
        return evolve(self, pods=pods)

    def with_replicaset(self, rs: ReplicaSet) -> Cluster:
        return evolve(self, replicasets=upsert(self.replicasets, rs))

    def with_deployment(self, d: Deployment) -> Cluster:
        return evolve(self, deployments=upsert(self.deployments, d))

    def with_service(self, s: Service) -> Cluster:
        return evolve(self, services=upsert(self.services, s))

    def with_priority_class(self, pc: PriorityClass) -> Cluster:
        return evolve(self, priority_classes=upsert(self.priority_classes, pc))

    def with_statefulset(self, s: StatefulSet) -> Cluster:
        return evolve(self, statefulsets=upsert(self.statefulsets, s))

    def with_job(self, job: Job) -> Cluster:
        return evolve(self, jobs=upsert(self.jobs, job))

    def with_daemonset(self, ds: DaemonSet) -> Cluster:
        return evolve(self, daemonsets=upsert(self.daemonsets, ds))

    def hpa(self, name: str) -> HorizontalPodAutoscaler | None:
        return find(self.hpas, name)

    def with_hpa(self, hpa: HorizontalPodAutoscaler) -> Cluster:
        return evolve(self, hpas=upsert(self.hpas, hpa))

    def with_pdb(self, pdb: PodDisruptionBudget) -> Cluster:
        return evolve(self, pdbs=upsert(self.pdbs, pdb))

    def with_drain(self, drain: Drain) -> Cluster:
        kept = tuple(d for d in self.drains if d.node != drain.node)
        return evolve(self, drains=tuple(sorted((*kept, drain), key=attrgetter("node"))))

    def with_memory(self, **changes: object) -> Cluster:
        return evolve(self, memory=evolve(self.memory, **changes))


# --- indexes ------------------------------------------------------------------------------------

# the last cluster asked whether its apiserver, scheduler and controller-manager act, and the
# answers: each component's step asks one to three times, about twenty times per state the
# explorer visits, and the answers are a function of the (frozen) cluster
_facts_of: list[tuple[Cluster, tuple[bool, bool, bool]]] = []


def _process_facts(c: Cluster) -> tuple[bool, bool, bool]:
    if _facts_of and _facts_of[0][0] is c:
        return _facts_of[0][1]
    if c.ha is not None:
        facts = (
            bool(c.ha.apiserver_available(c)),
            bool(c.ha.scheduler_active(c)),
            bool(c.ha.controller_manager_active(c)),
        )
    else:
        cp = c.control_plane
        up = c.control_plane_host_up
        api = cp.apiserver and cp.etcd and up
        facts = (api, cp.scheduler and up and api, cp.controller_manager and up and api)
    _facts_of[:] = [(c, facts)]
    return facts


# the control-plane nodes of a nodes tuple, by the tuple's identity (the entry holds the tuple, so
# an identity is never reused while it is kept): every kubelet step and every component's "is my
# process up" asks, and a scan of the nodes each time made a tick of a big cluster quadratic
_cp_memo: dict[int, tuple[tuple[Node, ...], tuple[Node, ...]]] = {}


def _control_plane_nodes(nodes: tuple[Node, ...]) -> tuple[Node, ...]:
    found = _cp_memo.get(id(nodes))
    if found is not None and found[0] is nodes:
        return found[1]
    cps = tuple(n for n in nodes if n.control_plane)
    _remember_cp(nodes, cps)
    return cps


def _remember_cp(nodes: tuple[Node, ...], cps: tuple[Node, ...]) -> None:
    if len(_cp_memo) >= 64:
        _cp_memo.clear()
    _cp_memo[id(nodes)] = (nodes, cps)


def carry_control_plane_nodes(before: tuple[Node, ...], after: tuple[Node, ...]) -> None:
    """``after`` differs from ``before`` only in nodes that are not control-plane nodes, before
    and after: it has the same control-plane nodes (known without a scan when ``before``'s are)."""
    found = _cp_memo.get(id(before))
    if found is not None and found[0] is before:
        _remember_cp(after, found[1])


def pods_by_node(pods: tuple[Pod, ...]) -> dict[str | None, tuple[Pod, ...]]:
    """Pods grouped by node name (None: unbound), each group in name order (read-only: the
    groups are kmodel.podindex's, shared between the indexes of successive pods tuples)."""
    return podindex.index(pods).by_node


# --- sorted-tuple helpers ----------------------------------------------------------------------

T = TypeVar("T")
_name: Callable[[object], str] = attrgetter("name")


def find(items: tuple[T, ...], name: str) -> T | None:
    if type(items) is ChunkedSeq:  # kmodel.podseq: simulate's pods
        return items.find(name)  # type: ignore[no-any-return]
    i = bisect_left(items, name, key=_name)
    if i < len(items) and _name(items[i]) == name:
        return items[i]
    return None


def upsert(items: tuple[T, ...], item: T) -> tuple[T, ...]:
    if type(items) is ChunkedSeq:
        return items.upsert(item)  # type: ignore[return-value]
    name = _name(item)
    i = bisect_left(items, name, key=_name)
    # (one list copy and one tuple: a third quicker than joining slices, at 3 items and at 5,000)
    out = list(items)
    if i < len(items) and _name(items[i]) == name:
        out[i] = item
    else:
        out.insert(i, item)
    return tuple(out)


def remove(items: tuple[T, ...], name: str) -> tuple[T, ...]:
    if type(items) is ChunkedSeq:
        return items.remove(name)  # type: ignore[return-value]
    i = bisect_left(items, name, key=_name)
    if i < len(items) and _name(items[i]) == name:
        return items[:i] + items[i + 1 :]
    return items


V = TypeVar("V")


def pairs_get(pairs: tuple[tuple[str, V], ...], key: str) -> V | None:
    for k, v in pairs:
        if k == key:
            return v
    return None


def pairs_set(pairs: tuple[tuple[str, V], ...], key: str, value: V | None) -> tuple[tuple[str, V], ...]:
    """Set (or with ``None`` drop) a key in a sorted tuple of (key, value) pairs."""
    kept = [(k, v) for k, v in pairs if k != key]
    if value is not None:
        kept.append((key, value))
    return tuple(sorted(kept))


# Settings live in their own module; imported last to keep the annotation above resolvable.
from kmodel import podindex  # noqa: E402
from kmodel.deschedulertypes import DeschedulerState  # noqa: E402
from kmodel.loadmodel import WorkloadLoad  # noqa: E402
from kmodel.settings import Settings  # noqa: E402

attrs.resolve_types(Cluster)
attrs.resolve_types(Pod)
