"""What kmodel reads from a manifest, what it may ignore, and what it must refuse.

Every field of the objects kmodel reads (Pod, Deployment, ReplicaSet, StatefulSet, Service, Node, PriorityClass,
and the pod template and containers inside them) is in one of three columns of :data:`POLICY`:

- **modelled**: kmodel reads it and its behaviour follows it;
- **descriptive**: it changes nothing the control plane does with pods and nodes in kmodel's
  world (container command, env, ports, the Service's type and ports, security contexts...), so
  ignoring it cannot change a verdict. Some of these rest on an assumption that the note states
  (e.g. a referenced ConfigMap exists, an image pulls);
- **refused**: it changes what the control plane does and kmodel does not model it. The note
  says what kmodel would need. Some entries depend on the value: the value kmodel assumes is
  accepted, any other is refused (``paused: false`` is fine, ``true`` is not).

:func:`check_document` walks every present field of a document against the table. A refused
field, or a field the table does not know at all, is a :class:`Finding`: the loader turns it into a
one-line error, or, with ``--allow-unmodelled``, into a warning carried by every report. The
table is keyed by the Kubernetes OpenAPI definition names (``PodSpec``, ``Container``...), and
``tests/test_fieldpolicy.py`` walks the OpenAPI schemas so that a field Kubernetes adds shows up
as a test failure, never as a silent drop.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from attrs import frozen

MODELLED = "modelled"
DESCRIPTIVE = "descriptive"
REFUSED = "refused"

ALLOW_FIX = "remove it, or pass --allow-unmodelled to check without it"


@frozen
class Rule:
    """The policy of one field.

    ``status`` is the column; ``note`` says how kmodel uses it (modelled), why it changes
    nothing kmodel models (descriptive), or what kmodel would need (refused). ``part`` names
    the table of the fields inside it (a mapping, or each item of a list). ``keys`` decides the
    rule of each key of a map (annotations, resource lists). ``accepts`` makes the rule
    value-dependent: values it accepts follow ``status``; others are refused, ``assumed`` being
    what kmodel assumes and ``need`` what it would need for other values.
    """

    status: str
    note: str
    part: str | None = None
    keys: Callable[[str], Rule] | None = None
    accepts: Callable[[Any], bool] | None = None
    assumed: str = ""
    need: str = ""


def modelled(note: str, part: str | None = None, keys: Callable[[str], Rule] | None = None) -> Rule:
    return Rule(MODELLED, note, part=part, keys=keys)


def descriptive(note: str, part: str | None = None) -> Rule:
    return Rule(DESCRIPTIVE, note, part=part)


def refused(need: str) -> Rule:
    return Rule(REFUSED, need)


def only(values: tuple[Any, ...], assumed: str, need: str, note: str = "", status: str = MODELLED) -> Rule:
    """Accepted when the value is one of ``values`` (absent counts as the default)."""

    def accepts(value: Any) -> bool:
        return value is None or any(value == v and type(value) is type(v) for v in values)

    return Rule(status, note or f"kmodel assumes {assumed}", accepts=accepts, assumed=assumed, need=need)


# --- map keys ------------------------------------------------------------------------------------

# Annotations that change what a controller or the scheduler does. Every other annotation is
# descriptive: annotations are free-form, and Kubernetes' own controllers read only these.
BEHAVIOUR_ANNOTATIONS: Mapping[str, str] = {
    "controller.kubernetes.io/pod-deletion-cost": (
        "the pod-deletion-cost of a pod as written in a manifest (the ReplicaSet's scale-down ranking "
        "honours it when the annotate timeline verb sets it)"
    ),
    "deployment.kubernetes.io/desired-replicas": "proportional scaling of a Deployment's ReplicaSets",
    "deployment.kubernetes.io/max-replicas": "proportional scaling of a Deployment's ReplicaSets",
    "deployment.kubernetes.io/revision": "Deployment revisions read from the objects (kmodel numbers them itself)",
    "deployment.kubernetes.io/revision-history": "Deployment revision history",
    "service.alpha.kubernetes.io/tolerate-unready-endpoints": "endpoints that include pods that are not ready",
    "kubernetes.io/psp": "PodSecurityPolicy admission",
    "scheduler.alpha.kubernetes.io/critical-pod": "critical-pod admission and priority",
    "scheduler.alpha.kubernetes.io/preferAvoidPods": "the NodePreferAvoidPods score",
    # read by the descheduler's DefaultEvictor (kmodel.components.descheduler_plugins.defaultevictor)
    "descheduler.alpha.kubernetes.io/evict": (
        "the descheduler's evict annotation (it lifts the DefaultEvictor's protections)"
    ),
    "descheduler.alpha.kubernetes.io/prefer-no-eviction": "the descheduler's no-eviction policy",
}


def annotation_rule(key: str) -> Rule:
    need = BEHAVIOUR_ANNOTATIONS.get(key)
    if need is not None:
        return refused(f"needs {need}")
    return descriptive("an annotation no control-plane component reads")


MODELLED_RESOURCES = ("cpu", "memory", "ephemeral-storage")


def request_rule(key: str) -> Rule:
    if key in MODELLED_RESOURCES:
        return modelled(f"the container's {key} request: the scheduler's NodeResourcesFit filter")
    return modelled(
        f"the container's {key} request, a scalar resource (extended resource or hugepages) in the "
        "NodeResourcesFit filter and the kubelet's admission"
    )


def limit_rule(key: str) -> Rule:
    return modelled(f"the {key} request when the container gives no request (requests default to limits)")


def capacity_rule(key: str) -> Rule:
    return modelled(f"the node's {key}: the scheduler's fit check and the kubelet's admission")


def _ready_conditions(value: Any) -> bool:
    """Node conditions kmodel can start from: Ready=True, pressure and network conditions False."""
    if value is None:
        return True
    if not isinstance(value, list):
        return False
    for c in value:
        if not isinstance(c, dict):
            return False
        kind, status = c.get("type"), c.get("status")
        if kind == "Ready" and status == "True":
            continue
        if kind in ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable") and status == "False":
            continue
        return False
    return True


def _int_target_port(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _linux(value: Any) -> bool:
    return value is None or (isinstance(value, dict) and value.get("name") == "linux")


SERVER_SET = "set by the apiserver; a value in a manifest is ignored when the object is created"
STATUS = "written by the controllers and the kubelet; the apiserver ignores it when the object is created"
ASSUMES_EXISTS = "kmodel assumes the object it names exists"
PROBE_ANSWER = (
    "how the probe asks; whether it succeeds is not in the manifest: probes succeed unless a fail-probe "
    "timeline event (or the failProbe fault) says otherwise"
)
IN_TREE_VOLUME = (
    "needs the scheduler's volume filters (NodeVolumeLimits, VolumeRestrictions, VolumeZone) and attach/detach"
)

# --- the table -----------------------------------------------------------------------------------

POLICY: Mapping[str, Mapping[str, Rule]] = {
    # top-level objects
    "Pod": {
        "apiVersion": modelled("must be v1"),
        "kind": modelled("the kind of object"),
        "metadata": modelled("name, labels, annotations", part="ObjectMeta"),
        "spec": modelled("the pod", part="PodSpec"),
        "status": descriptive(STATUS),
    },
    "Deployment": {
        "apiVersion": modelled("must be apps/v1"),
        "kind": modelled("the kind of object"),
        "metadata": modelled("name, labels, annotations", part="ObjectMeta"),
        "spec": modelled("the Deployment", part="DeploymentSpec"),
        "status": descriptive(STATUS),
    },
    "ReplicaSet": {
        "apiVersion": modelled("must be apps/v1"),
        "kind": modelled("the kind of object"),
        "metadata": modelled("name, labels, annotations", part="ObjectMeta"),
        "spec": modelled("the ReplicaSet", part="ReplicaSetSpec"),
        "status": descriptive(STATUS),
    },
    "DaemonSet": {
        "apiVersion": modelled("must be apps/v1"),
        "kind": modelled("the kind of object"),
        "metadata": modelled("name, labels, annotations", part="ObjectMeta"),
        "spec": modelled("the DaemonSet", part="DaemonSetSpec"),
        "status": descriptive(STATUS),
    },
    "Service": {
        "apiVersion": modelled("must be v1"),
        "kind": modelled("the kind of object"),
        "metadata": modelled("name, labels, annotations", part="ObjectMeta"),
        "spec": modelled("the Service", part="ServiceSpec"),
        "status": descriptive(STATUS),
    },
    "Node": {
        "apiVersion": modelled("must be v1"),
        "kind": modelled("the kind of object"),
        "metadata": modelled("name, labels, annotations", part="ObjectMeta"),
        "spec": modelled("taints and unschedulable", part="NodeSpec"),
        "status": modelled("capacity, allocatable and conditions", part="NodeStatus"),
    },
    "Job": {
        "apiVersion": modelled("must be batch/v1"),
        "kind": modelled("the kind of object"),
        "metadata": modelled("name, labels, annotations", part="ObjectMeta"),
        "spec": modelled("the Job", part="JobSpec"),
        "status": descriptive(STATUS),
    },
    "PodDisruptionBudget": {
        "apiVersion": modelled("must be policy/v1"),
        "kind": modelled("the kind of object"),
        "metadata": modelled("name, labels, annotations", part="ObjectMeta"),
        "spec": modelled("the budget", part="PodDisruptionBudgetSpec"),
        "status": descriptive(STATUS),
    },
    "PodDisruptionBudgetSpec": {
        "selector": modelled("the pods the budget covers", part="LabelSelector"),
        "minAvailable": modelled("how many matched pods must stay healthy (a count or a percentage, rounded up)"),
        "maxUnavailable": modelled(
            "how many of the expected pods may be unhealthy (a count or a percentage of the controllers' scale, "
            "rounded up)"
        ),
        "unhealthyPodEvictionPolicy": modelled(
            "IfHealthyBudget (the default) or AlwaysAllow: whether a pod that is not ready may be evicted when the "
            "budget is not met"
        ),
    },
    "PriorityClass": {
        "apiVersion": modelled("must be scheduling.k8s.io/v1"),
        "kind": modelled("the kind of object"),
        "metadata": modelled("name, labels, annotations", part="ObjectMeta"),
        "value": modelled("the priority of the pods that name the class"),
        "globalDefault": modelled("the class of the pods that name none (only one may be the default)"),
        "preemptionPolicy": modelled("PreemptLowerPriority, or Never: its pods never preempt"),
        "description": descriptive("free text for people"),
    },
    "ObjectMeta": {
        "name": modelled("the object's name"),
        "labels": modelled("selectors, nodeSelector, zones"),
        "annotations": modelled("only the annotations listed in BEHAVIOUR_ANNOTATIONS matter", keys=annotation_rule),
        "namespace": modelled("objects are keyed by namespace and name; selectors stay in their namespace"),
        "generateName": refused("needs generated names (give metadata.name)"),
        "finalizers": refused("needs finalizers: a deleted object stays until each finalizer is removed"),
        "ownerReferences": refused("needs ownerReferences set by hand (ControllerRef adoption and garbage collection)"),
        "creationTimestamp": descriptive(SERVER_SET),
        "deletionGracePeriodSeconds": descriptive(SERVER_SET),
        "deletionTimestamp": descriptive(SERVER_SET),
        "generation": descriptive(SERVER_SET),
        "managedFields": descriptive(SERVER_SET),
        "resourceVersion": descriptive(SERVER_SET),
        "selfLink": descriptive(SERVER_SET),
        "uid": descriptive(SERVER_SET),
    },
    "PodTemplateSpec": {
        "metadata": modelled("the pods' labels and annotations", part="ObjectMeta"),
        "spec": modelled("the pods' spec", part="PodSpec"),
    },
    "PodSpec": {
        "containers": modelled("requests and images", part="Container"),
        "nodeName": modelled(
            "the pod is bound to that node without the scheduler (in a template: every pod the ReplicaSet "
            "creates); its kubelet admits it or rejects it (Failed)"
        ),
        "nodeSelector": modelled("the scheduler's NodeAffinity filter (nodeSelector part)"),
        "tolerations": modelled("the TaintToleration filter and taint-based eviction", part="Toleration"),
        "terminationGracePeriodSeconds": modelled("how long a deleted pod may take to stop"),
        "restartPolicy": only(("Always",), "Always", "needs containers that exit (Never and OnFailure pods complete)"),
        "schedulerName": only(
            ("default-scheduler",), "default-scheduler", "needs a second scheduler (kmodel has only the default one)"
        ),
        "priority": modelled(
            "checked by Priority admission: it must equal the value of the pod's PriorityClass (admission sets it)"
        ),
        "preemptionPolicy": modelled(
            "checked by Priority admission against the class's; Never: the pod waits instead of preempting"
        ),
        "priorityClassName": modelled(
            "Priority admission gives the pod the class's priority: the scheduling queue's order and preemption"
        ),
        "affinity": modelled("the scheduler's affinity filters and scores", part="Affinity"),
        "topologySpreadConstraints": modelled(
            "the PodTopologySpread filter (DoNotSchedule) and score (ScheduleAnyway)", part="TopologySpreadConstraint"
        ),
        "hostNetwork": only(
            (False,),
            "false",
            "needs host ports: a hostNetwork pod claims its container ports on the node (the NodePorts filter)",
        ),
        "initContainers": modelled(
            "their requests, as the scheduler counts them (of each resource, the largest init container's request "
            "or the sum of the containers', whichever is more); kmodel assumes they complete at once and succeed, "
            "as it assumes containers start at once",
            part="Container",
        ),
        "ephemeralContainers": refused("needs ephemeral containers (kubectl debug); they cannot be set on create"),
        "overhead": refused("needs RuntimeClass overhead added to the pod's requests"),
        "runtimeClassName": refused("needs RuntimeClasses: their overhead and node scheduling constraints"),
        "resourceClaims": refused("needs dynamic resource allocation (ResourceClaims and the DynamicResources plugin)"),
        "resources": refused("needs pod-level resources (they replace the sum of the containers' requests)"),
        "readinessGates": refused("needs readiness gates: the pod is Ready only when each gate's condition is True"),
        "schedulingGates": refused("needs scheduling gates: the pod stays SchedulingGated until they are removed"),
        "schedulingGroup": refused("needs gang scheduling (the pod's scheduling group)"),
        "workloadRef": refused("needs gang scheduling (the pod's Workload; Kubernetes 1.35)"),
        "evictionResponders": refused("needs eviction responders (the EvictionRequest API)"),
        "activeDeadlineSeconds": refused("needs active deadlines: the kubelet fails the pod after that many seconds"),
        "volumes": descriptive("see the Volume table", part="Volume"),
        "os": Rule(
            DESCRIPTIVE,
            "kmodel's nodes run linux",
            accepts=_linux,
            assumed="os.name: linux",
            need="needs Windows nodes",
        ),
        "automountServiceAccountToken": descriptive("a kubelet mount; no scheduling or controller effect"),
        "dnsConfig": descriptive("the pod's resolv.conf"),
        "dnsPolicy": descriptive("the pod's resolv.conf"),
        "enableServiceLinks": descriptive("environment variables in the containers"),
        "hostAliases": descriptive("the pod's /etc/hosts"),
        "hostIPC": descriptive("a Linux namespace of the containers"),
        "hostPID": descriptive("a Linux namespace of the containers"),
        "hostUsers": descriptive("a Linux namespace of the containers"),
        "hostname": descriptive("the pod's hostname"),
        "hostnameOverride": descriptive("the pod's hostname"),
        "subdomain": descriptive("the pod's DNS name"),
        "setHostnameAsFQDN": descriptive("the pod's hostname"),
        "imagePullSecrets": descriptive("kmodel assumes every image pulls"),
        "securityContext": descriptive("process security settings of the containers"),
        "serviceAccount": descriptive(ASSUMES_EXISTS),
        "serviceAccountName": descriptive(ASSUMES_EXISTS),
        "shareProcessNamespace": descriptive("a Linux namespace of the containers"),
    },
    "Container": {
        "name": descriptive("names the container"),
        "image": modelled("part of the pod template: a new image starts a rollout; shown by -o wide"),
        "resources": modelled("cpu and memory requests", part="ResourceRequirements"),
        "ports": modelled("host ports (see the ContainerPort table)", part="ContainerPort"),
        "livenessProbe": modelled(
            "failureThreshold failures in a row restart the container, with CrashLoopBackOff delays", part="Probe"
        ),
        "readinessProbe": modelled(
            "the pod is Ready only once the probe succeeds, and not Ready after failureThreshold failures",
            part="Probe",
        ),
        "startupProbe": modelled(
            "the other probes and readiness wait for it; failureThreshold failures restart the container",
            part="Probe",
        ),
        "lifecycle": descriptive("see the Lifecycle table", part="Lifecycle"),
        "restartPolicy": refused("needs per-container restart policies (sidecars, restart rules)"),
        "restartPolicyRules": refused("needs per-container restart rules"),
        "args": descriptive("what the container runs"),
        "command": descriptive("what the container runs"),
        "env": descriptive("what the container runs (kmodel assumes referenced ConfigMaps and Secrets exist)"),
        "envFrom": descriptive("what the container runs (kmodel assumes referenced ConfigMaps and Secrets exist)"),
        "workingDir": descriptive("what the container runs"),
        "imagePullPolicy": descriptive("kmodel assumes every image pulls"),
        "securityContext": descriptive("process security settings"),
        "stdin": descriptive("the container's terminal"),
        "stdinOnce": descriptive("the container's terminal"),
        "tty": descriptive("the container's terminal"),
        "terminationMessagePath": descriptive("where the container writes its last words"),
        "terminationMessagePolicy": descriptive("where the container writes its last words"),
        "volumeMounts": descriptive("where volumes appear in the container"),
        "volumeDevices": descriptive("where block volumes appear (their claims are refused in volumes)"),
        "resizePolicy": descriptive("in-place resize, which only an update of a running pod's resources starts"),
    },
    "ContainerPort": {
        "containerPort": descriptive("documentation: a container listens on any port it likes"),
        "name": descriptive("documentation (named Service targetPorts are refused)"),
        "protocol": modelled("with a hostPort: the protocol it binds (NodePorts filter); else documentation"),
        "hostPort": modelled("the port bound on the node: the NodePorts filter and the kubelet's admission"),
        "hostIP": modelled("the node address the hostPort binds (empty: 0.0.0.0, which conflicts with every address)"),
    },
    "Probe": {
        "initialDelaySeconds": modelled("no probe before the container has run that long"),
        "periodSeconds": modelled("seconds between two probes (default 10)"),
        "failureThreshold": modelled("failures in a row before the probe counts as failed (default 3)"),
        "successThreshold": modelled("successes in a row before the probe counts as succeeded (default 1)"),
        "timeoutSeconds": descriptive(PROBE_ANSWER),
        "exec": descriptive(PROBE_ANSWER),
        "httpGet": descriptive(PROBE_ANSWER),
        "tcpSocket": descriptive(PROBE_ANSWER),
        "grpc": descriptive(PROBE_ANSWER),
        "terminationGracePeriodSeconds": descriptive(
            "the grace period of a container killed by this probe (kmodel's containers stop promptly)"
        ),
    },
    "Lifecycle": {
        "postStart": refused("needs postStart hooks: the container is Running only after the hook returns"),
        "preStop": refused(
            "needs preStop hooks: kmodel's containers exit at once on SIGTERM; a hook delays that by up to the "
            "grace period"
        ),
        "stopSignal": descriptive("which signal stops the container (kmodel's containers stop promptly)"),
    },
    "Affinity": {
        "nodeAffinity": modelled("the NodeAffinity filter and score", part="NodeAffinity"),
        "podAffinity": modelled("the InterPodAffinity filter and score", part="PodAffinity"),
        "podAntiAffinity": modelled("the InterPodAffinity filter and score", part="PodAntiAffinity"),
    },
    "NodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": modelled(
            "the NodeAffinity filter (and the kubelet's admission)", part="NodeSelector"
        ),
        "preferredDuringSchedulingIgnoredDuringExecution": modelled(
            "the NodeAffinity score", part="PreferredSchedulingTerm"
        ),
    },
    "NodeSelector": {
        "nodeSelectorTerms": modelled("a node must match one of them", part="NodeSelectorTerm"),
    },
    "NodeSelectorTerm": {
        "matchExpressions": modelled("requirements on the node's labels", part="NodeSelectorRequirement"),
        "matchFields": modelled("requirements on the node's name (metadata.name)", part="NodeSelectorRequirement"),
    },
    "NodeSelectorRequirement": {
        "key": modelled("the label (or field) the requirement reads"),
        "operator": modelled("In, NotIn, Exists, DoesNotExist, Gt, Lt"),
        "values": modelled("the values the operator compares with"),
    },
    "PreferredSchedulingTerm": {
        "weight": modelled("added to the NodeAffinity score of the nodes the preference matches"),
        "preference": modelled("the nodes it prefers", part="NodeSelectorTerm"),
    },
    "ResourceRequirements": {
        "requests": modelled("cpu, memory, ephemeral-storage and scalar resources", keys=request_rule),
        "limits": modelled("the requests when none are given", keys=limit_rule),
        "claims": refused("needs dynamic resource allocation (ResourceClaims)"),
    },
    "Toleration": {
        "key": modelled("which taint it tolerates"),
        "operator": modelled("Equal or Exists"),
        "value": modelled("which taint value it tolerates"),
        "effect": modelled("which taint effect it tolerates"),
        "tolerationSeconds": modelled("how long taint-based eviction waits"),
    },
    "Volume": {
        "name": descriptive("names the volume"),
        "configMap": descriptive(ASSUMES_EXISTS),
        "secret": descriptive(ASSUMES_EXISTS),
        "downwardAPI": descriptive("files about the pod, written by the kubelet"),
        "projected": descriptive(ASSUMES_EXISTS),
        "emptyDir": modelled(
            "a scratch directory on the node: kubectl drain refuses such pods without --delete-emptydir-data "
            "(kubelet disk eviction is not modelled)"
        ),
        "hostPath": descriptive("a directory of the node"),
        "image": descriptive("kmodel assumes every image pulls"),
        "gitRepo": descriptive("a checkout made by the kubelet"),
        "nfs": descriptive("a network mount made by the kubelet (kmodel assumes it succeeds)"),
        "cephfs": descriptive("a network mount made by the kubelet (kmodel assumes it succeeds)"),
        "glusterfs": descriptive("a network mount made by the kubelet (kmodel assumes it succeeds)"),
        "azureFile": descriptive("a network mount made by the kubelet (kmodel assumes it succeeds)"),
        "quobyte": descriptive("a network mount made by the kubelet (kmodel assumes it succeeds)"),
        "flexVolume": descriptive("a driver called by the kubelet (kmodel assumes it succeeds)"),
        "flocker": descriptive("a mount made by the kubelet (kmodel assumes it succeeds)"),
        "fc": descriptive("a fibre-channel disk attached by the kubelet (kmodel assumes it succeeds)"),
        "persistentVolumeClaim": refused(
            "needs PersistentVolumeClaims: volume binding (the VolumeBinding filter) and attach/detach"
        ),
        "ephemeral": refused("needs generic ephemeral volumes: a PersistentVolumeClaim per pod and volume binding"),
        "csi": refused("needs CSI volumes: the NodeVolumeLimits filter and the driver's mounts"),
        "awsElasticBlockStore": refused(IN_TREE_VOLUME),
        "gcePersistentDisk": refused(IN_TREE_VOLUME),
        "azureDisk": refused(IN_TREE_VOLUME),
        "cinder": refused(IN_TREE_VOLUME),
        "rbd": refused(IN_TREE_VOLUME),
        "iscsi": refused(IN_TREE_VOLUME),
        "vsphereVolume": refused(IN_TREE_VOLUME),
        "photonPersistentDisk": refused(IN_TREE_VOLUME),
        "portworxVolume": refused(IN_TREE_VOLUME),
        "scaleIO": refused(IN_TREE_VOLUME),
        "storageos": refused(IN_TREE_VOLUME),
    },
    "PodAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": modelled(
            "InterPodAffinity filter: a node must share each term's domain with a matching pod", part="PodAffinityTerm"
        ),
        "preferredDuringSchedulingIgnoredDuringExecution": modelled(
            "InterPodAffinity score", part="WeightedPodAffinityTerm"
        ),
    },
    "PodAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": modelled(
            "InterPodAffinity filter: no matching pod in the node's domain, both ways", part="PodAffinityTerm"
        ),
        "preferredDuringSchedulingIgnoredDuringExecution": modelled(
            "InterPodAffinity score", part="WeightedPodAffinityTerm"
        ),
    },
    "WeightedPodAffinityTerm": {
        "weight": modelled("the term's weight in the InterPodAffinity score"),
        "podAffinityTerm": modelled("the term", part="PodAffinityTerm"),
    },
    "PodAffinityTerm": {
        "labelSelector": modelled("the pods the term matches (absent: none)", part="LabelSelector"),
        "namespaces": modelled("kmodel's pods are all in default: the term matches them if the list names it"),
        "namespaceSelector": Rule(
            MODELLED,
            "{} selects every namespace",
            accepts=lambda v: (
                v is None or (isinstance(v, dict) and not v.get("matchLabels") and not v.get("matchExpressions"))
            ),
            assumed="an empty namespaceSelector ({}: every namespace)",
            need="needs Namespace objects and their labels to select namespaces by label (kmodel has only default)",
        ),
        "topologyKey": modelled("the node label whose values are the term's domains"),
        "matchLabelKeys": modelled("merged into the selector from the pod's labels (1.31+, as the apiserver does)"),
        "mismatchLabelKeys": modelled("merged into the selector from the pod's labels (1.31+, as the apiserver does)"),
    },
    "TopologySpreadConstraint": {
        "maxSkew": modelled("the largest allowed difference from the global minimum"),
        "topologyKey": modelled("the node label whose values are the domains"),
        "whenUnsatisfiable": modelled("DoNotSchedule filters nodes, ScheduleAnyway scores them"),
        "labelSelector": modelled("the pods counted in each domain (unset: none)", part="LabelSelector"),
        "matchLabelKeys": modelled("the incoming pod's values of these labels narrow the selector (since 1.27)"),
        "minDomains": modelled("the global minimum is 0 while fewer domains are eligible (since 1.27)"),
        "nodeAffinityPolicy": modelled("Honor: only nodes the pod's node selection accepts are domains (since 1.26)"),
        "nodeTaintsPolicy": modelled("Honor: nodes with taints the pod does not tolerate are not domains (since 1.26)"),
    },
    "LabelSelector": {
        "matchLabels": modelled("which pods the controller owns"),
        "matchExpressions": modelled("set-based requirements (In, NotIn, Exists, DoesNotExist)"),
    },
    "DeploymentSpec": {
        "replicas": modelled("the desired number of pods"),
        "selector": modelled("the pods and ReplicaSets it owns", part="LabelSelector"),
        "template": modelled("the pods it creates (any change starts a rollout)", part="PodTemplateSpec"),
        "strategy": modelled("RollingUpdate or Recreate", part="DeploymentStrategy"),
        "minReadySeconds": modelled("a pod counts as available only once it has been ready this long"),
        "paused": modelled("a paused Deployment only scales; no rollout until it is resumed"),
        "progressDeadlineSeconds": modelled("the Progressing condition times out (ProgressDeadlineExceeded)"),
        "revisionHistoryLimit": modelled("how many old ReplicaSets with 0 replicas are kept"),
    },
    "JobSpec": {
        "template": modelled(
            "the pods it creates; their restartPolicy (OnFailure or Never) is modelled", part="PodTemplateSpec"
        ),
        "completions": modelled("how many pods must succeed (unset: a work queue, done when one succeeds)"),
        "parallelism": modelled("how many pods run at once"),
        "backoffLimit": modelled("how many failed pods (or OnFailure restarts) fail the Job"),
        "activeDeadlineSeconds": modelled("the Job fails with DeadlineExceeded after that long"),
        "suspend": modelled("a suspended Job has no pods"),
        "completionMode": only(("NonIndexed",), "NonIndexed", "needs Indexed Jobs (completion indexes)"),
        "ttlSecondsAfterFinished": refused("needs the TTL-after-finished controller (it deletes finished Jobs)"),
        "podFailurePolicy": refused("needs pod failure policies (exit-code and condition rules)"),
        "backoffLimitPerIndex": refused("needs Indexed Jobs and per-index backoff limits"),
        "maxFailedIndexes": refused("needs Indexed Jobs and per-index backoff limits"),
        "successPolicy": refused("needs success policies (Indexed Jobs)"),
        "podReplacementPolicy": only(
            ("TerminatingOrFailed",),
            "TerminatingOrFailed",
            "needs podReplacementPolicy Failed (replacements wait for terminating pods to finish)",
        ),
        "managedBy": only(
            ("kubernetes.io/job-controller",),
            "kubernetes.io/job-controller",
            "needs Jobs managed by an external controller",
        ),
        "selector": refused("needs manual Job selectors (kmodel's Jobs own the pods they create)"),
        "manualSelector": only(
            (False,), "false", "needs manual Job selectors (kmodel's Jobs own the pods they create)"
        ),
        "scheduling": refused("needs workload-aware (gang) scheduling of Jobs"),
    },
    "DeploymentStrategy": {
        "type": modelled("RollingUpdate or Recreate"),
        "rollingUpdate": modelled("maxSurge and maxUnavailable", part="RollingUpdateDeployment"),
    },
    "RollingUpdateDeployment": {
        "maxSurge": modelled("how many pods above replicas a rollout may run"),
        "maxUnavailable": modelled("how many pods below replicas a rollout may leave unavailable"),
    },
    "DaemonSetSpec": {
        "selector": modelled("the pods it owns", part="LabelSelector"),
        "template": modelled(
            "the pods it creates, one per eligible node (any change starts an update)", part="PodTemplateSpec"
        ),
        "updateStrategy": modelled("RollingUpdate or OnDelete", part="DaemonSetUpdateStrategy"),
        "minReadySeconds": modelled("a pod counts as available only once it has been ready this long"),
        "revisionHistoryLimit": descriptive(
            "how many old ControllerRevisions are kept for rollback; kmodel has no rollback, "
            "and the pods do not depend on it"
        ),
    },
    "DaemonSetUpdateStrategy": {
        "type": modelled("RollingUpdate (old pods replaced within maxUnavailable / maxSurge) or OnDelete"),
        "rollingUpdate": modelled("maxUnavailable and maxSurge", part="RollingUpdateDaemonSet"),
    },
    "RollingUpdateDaemonSet": {
        "maxUnavailable": modelled("how many nodes may be without an available pod during an update"),
        "maxSurge": modelled("how many nodes may run an old and a new pod at once during an update"),
    },
    "ReplicaSetSpec": {
        "replicas": modelled("the desired number of pods"),
        "selector": modelled("the pods it owns", part="LabelSelector"),
        "template": modelled("the pods it creates", part="PodTemplateSpec"),
        "minReadySeconds": modelled("a pod counts as available only once it has been ready this long"),
    },
    # --- StatefulSet (kmodel.components.statefulset) ---
    "StatefulSet": {
        "apiVersion": modelled("must be apps/v1"),
        "kind": modelled("the kind of object"),
        "metadata": modelled("name, labels, annotations", part="ObjectMeta"),
        "spec": modelled("the StatefulSet", part="StatefulSetSpec"),
        "status": descriptive(STATUS),
    },
    "StatefulSetSpec": {
        "replicas": modelled("the desired number of pods, ordinals start .. start + replicas - 1"),
        "selector": modelled("the pods it owns", part="LabelSelector"),
        "template": modelled("the pods it creates (any change is a new revision)", part="PodTemplateSpec"),
        "serviceName": descriptive("the pods' DNS subdomain (the headless Service); endpoints follow the Services"),
        "podManagementPolicy": modelled("OrderedReady: one pod at a time, in ordinal order; Parallel: all at once"),
        "updateStrategy": modelled(
            "RollingUpdate (partition, maxUnavailable) or OnDelete", part="StatefulSetUpdateStrategy"
        ),
        "minReadySeconds": modelled(
            "a pod counts as available only once it has been ready this long (1.23 on; the apiserver drops it before)"
        ),
        "revisionHistoryLimit": descriptive(
            "how many old ControllerRevisions are kept; kmodel keeps no ControllerRevision objects, only the "
            "current and update revisions, so rollouts do not depend on it"
        ),
        "volumeClaimTemplates": refused(
            "needs PersistentVolumeClaims: a claim per pod, volume binding (the VolumeBinding filter) and attach/detach"
        ),
        "persistentVolumeClaimRetentionPolicy": descriptive(
            "what happens to the claims of volumeClaimTemplates, which are refused: without them it changes nothing",
            part="StatefulSetPersistentVolumeClaimRetentionPolicy",
        ),
        "ordinals": modelled(
            "start: the first ordinal (1.27 on; the apiserver drops it before)", part="StatefulSetOrdinals"
        ),
    },
    "StatefulSetUpdateStrategy": {
        "type": modelled("RollingUpdate replaces pods from the highest ordinal down; OnDelete when deleted by hand"),
        "rollingUpdate": modelled("partition and maxUnavailable", part="RollingUpdateStatefulSetStrategy"),
    },
    "RollingUpdateStatefulSetStrategy": {
        "partition": modelled("pods with a lower ordinal keep the current revision"),
        "maxUnavailable": modelled(
            "how many pods a rolling update may take down at once (MaxUnavailableStatefulSet: beta and on from "
            "1.35; before that the apiserver drops it and the update goes one pod at a time)"
        ),
    },
    "StatefulSetOrdinals": {
        "start": modelled("the first ordinal of the pods' names"),
    },
    "StatefulSetPersistentVolumeClaimRetentionPolicy": {
        "whenDeleted": descriptive("claims of volumeClaimTemplates, which are refused"),
        "whenScaled": descriptive("claims of volumeClaimTemplates, which are refused"),
    },
    "ServiceSpec": {
        "selector": modelled("the pods whose addresses are the endpoints"),
        "publishNotReadyAddresses": modelled("endpoints list pods that are not ready or are terminating too"),
        "ports": descriptive("see the ServicePort table", part="ServicePort"),
        "type": descriptive("how clients reach the Service (kube-proxy, load balancers); endpoints are the same"),
        "clusterIP": descriptive("the virtual IP (kube-proxy)"),
        "clusterIPs": descriptive("the virtual IPs (kube-proxy)"),
        "externalIPs": descriptive("kube-proxy routing"),
        "externalName": descriptive("a DNS alias"),
        "externalTrafficPolicy": descriptive("kube-proxy routing"),
        "internalTrafficPolicy": descriptive("kube-proxy routing"),
        "healthCheckNodePort": descriptive("load-balancer health checks"),
        "ipFamilies": descriptive("the virtual IPs' families"),
        "ipFamilyPolicy": descriptive("the virtual IPs' families"),
        "loadBalancerClass": descriptive("which load-balancer implementation"),
        "loadBalancerIP": descriptive("the load balancer's address"),
        "loadBalancerSourceRanges": descriptive("load-balancer firewalling"),
        "allocateLoadBalancerNodePorts": descriptive("node ports of a load balancer"),
        "sessionAffinity": descriptive("kube-proxy routing"),
        "sessionAffinityConfig": descriptive("kube-proxy routing"),
        "trafficDistribution": descriptive("kube-proxy routing hints"),
    },
    "ServicePort": {
        "port": descriptive("the Service's port (kube-proxy)"),
        "name": descriptive("names the port"),
        "protocol": descriptive("kube-proxy routing"),
        "appProtocol": descriptive("a hint for implementations"),
        "nodePort": descriptive("kube-proxy routing"),
        "targetPort": Rule(
            DESCRIPTIVE,
            "a numeric targetPort: the endpoints are every ready matching pod",
            accepts=_int_target_port,
            assumed="a numeric targetPort",
            need="needs named ports: a named targetPort's endpoints are only the pods that declare a port of that name",
        ),
    },
    "NodeSpec": {
        "taints": modelled("the TaintToleration filter and taint-based eviction", part="Taint"),
        "unschedulable": modelled("cordoned: the NodeUnschedulable filter"),
        "podCIDR": descriptive("pod networking"),
        "podCIDRs": descriptive("pod networking"),
        "providerID": descriptive("the cloud provider's name for the machine"),
        "externalID": descriptive("deprecated, unused"),
        "configSource": descriptive("deprecated, unused (DynamicKubeletConfig was removed)"),
        "podPreemptionPolicy": refused("needs node-level pod preemption policies (alpha)"),
    },
    "Taint": {
        "key": modelled("the taint's key"),
        "value": modelled("the taint's value"),
        "effect": modelled("NoSchedule, PreferNoSchedule or NoExecute"),
        "timeAdded": descriptive("kmodel stamps a NoExecute taint with the time it is applied"),
    },
    "NodeStatus": {
        "capacity": modelled(
            "cpu, memory, ephemeral-storage, pods and scalar resources (nvidia.com/gpu...)", keys=capacity_rule
        ),
        "allocatable": modelled("the same resources; each one given overrides capacity", keys=capacity_rule),
        "conditions": Rule(
            MODELLED,
            "a node in the file starts Ready",
            accepts=_ready_conditions,
            assumed="Ready=True and no pressure",
            need="needs a node that starts not Ready or under pressure (the pressure conditions and their taints)",
        ),
        "addresses": descriptive(STATUS),
        "daemonEndpoints": descriptive(STATUS),
        "declaredFeatures": descriptive(STATUS),
        "features": descriptive(STATUS),
        "images": descriptive(STATUS),
        "nodeInfo": descriptive(STATUS),
        "phase": descriptive("deprecated, unused"),
        "runtimeHandlers": descriptive(STATUS),
        "volumesAttached": descriptive(STATUS),
        "volumesInUse": descriptive(STATUS),
        "config": descriptive("deprecated, unused (DynamicKubeletConfig was removed)"),
    },
}

# --- HorizontalPodAutoscaler (kmodel.components.horizontalpodautoscaler) ---

HPA_METRICS = (
    "needs {} metrics (a custom or external metrics API); kmodel's metrics are cpu and memory resource metrics"
)

POLICY = {
    **POLICY,
    "HorizontalPodAutoscaler": {
        "apiVersion": modelled("must be autoscaling/v2"),
        "kind": modelled("the kind of object"),
        "metadata": modelled("name, labels, annotations", part="ObjectMeta"),
        "spec": modelled("the autoscaler", part="HorizontalPodAutoscalerSpec"),
        "status": descriptive(STATUS),
    },
    "HorizontalPodAutoscalerSpec": {
        "scaleTargetRef": modelled("the workload whose scale it writes", part="CrossVersionObjectReference"),
        "minReplicas": modelled("the lowest count it sets"),
        "maxReplicas": modelled("the highest count it sets"),
        "metrics": modelled("resource metrics (cpu, memory) from the Scenario's load model", part="MetricSpec"),
        "behavior": modelled("scale-up and scale-down rules", part="HorizontalPodAutoscalerBehavior"),
    },
    "CrossVersionObjectReference": {
        "apiVersion": modelled("the target's API group"),
        "kind": only(
            ("Deployment", "ReplicaSet", "StatefulSet"),
            "a Deployment, ReplicaSet or StatefulSet",
            "needs the scale subresource of other kinds",
        ),
        "name": modelled("the target's name"),
    },
    "MetricSpec": {
        "type": only(
            ("Resource",), "Resource metrics", HPA_METRICS.format("Pods, Object, External or ContainerResource")
        ),
        "resource": modelled("a cpu or memory target", part="ResourceMetricSource"),
        "containerResource": refused(
            "needs per-container usage (the load model gives each pod's usage, not each container's)"
        ),
        "object": refused(HPA_METRICS.format("object")),
        "pods": refused(HPA_METRICS.format("pods")),
        "external": refused(HPA_METRICS.format("external")),
    },
    "ResourceMetricSource": {
        "name": only(("cpu", "memory"), "cpu or memory", "needs usage of other resources in the load model"),
        "target": modelled("Utilization (percent of requests) or AverageValue", part="MetricTarget"),
    },
    "MetricTarget": {
        "type": only(("Utilization", "AverageValue"), "Utilization or AverageValue", "needs Value targets"),
        "averageUtilization": modelled("the target percentage of the pods' requests"),
        "averageValue": modelled("the target usage per pod"),
        "value": refused("needs Value targets (object and external metrics)"),
    },
    "HorizontalPodAutoscalerBehavior": {
        "scaleUp": modelled("the scale-up rules", part="HPAScalingRules"),
        "scaleDown": modelled("the scale-down rules", part="HPAScalingRules"),
    },
    "HPAScalingRules": {
        "stabilizationWindowSeconds": modelled("how long recommendations are remembered"),
        "selectPolicy": modelled("Max, Min or Disabled"),
        "policies": modelled("the rate limits", part="HPAScalingPolicy"),
        "tolerance": refused("needs per-HPA tolerances (the HPAConfigurableTolerance feature); kmodel uses the flag"),
    },
    "HPAScalingPolicy": {
        "type": modelled("Pods or Percent"),
        "value": modelled("how many pods, or what percentage"),
        "periodSeconds": modelled("the period the limit counts over"),
    },
}

KINDS = (
    "Pod",
    "Deployment",
    "ReplicaSet",
    "Service",
    "Node",
    "PriorityClass",
    "StatefulSet",
    "Job",
    "DaemonSet",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
)

# A Job's pods finish, so its template's restartPolicy may be OnFailure or Never (the apiserver's
# validation refuses Always there): kmodel models both, for Job templates only
JOB_RESTART_POLICY = "spec.template.spec.restartPolicy"


# --- walking a document ----------------------------------------------------------------------


@frozen
class Finding:
    """A field kmodel does not model, present in a document."""

    file: str
    line: int | None
    obj: str  # "deployment/web"
    path: str  # "spec.template.spec.affinity"; "" for the whole object (a kind kmodel does not model)
    need: str  # what kmodel would need
    value: str = ""  # for a value-dependent rule: the value, shortened
    assumed: str = ""  # for a value-dependent rule: what kmodel assumes

    @property
    def place(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    @property
    def field(self) -> str:
        """The last segment of the path: ``affinity``, ``requests[nvidia.com/gpu]``."""
        if not self.path:
            return self.obj
        last = self.path.rsplit(".", 1)[-1]
        if last.endswith("]") and "[" in last and last[last.index("[") + 1 : -1].isdigit():
            last = last[: last.index("[")]
        return last

    def problem(self) -> str:
        if self.value:
            return f"{self.value} is not modelled (kmodel assumes {self.assumed}): kmodel {self.need}"
        return f"is not modelled: kmodel {self.need}"

    def warning(self) -> str:
        shown = f": {self.value} (kmodel assumes {self.assumed})" if self.value else ""
        what = f"{self.obj} {self.path}".strip()
        return f"ignoring {what}{shown} at {self.place}; kmodel {self.need}"

    def short(self) -> str:
        return f"{self.field} at {self.place}"


def _show(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, str) else str(value).replace("'", '"')
    if isinstance(value, bool):
        text = "true" if value else "false"
    return text if len(text) <= 40 else text[:37] + "..."


def _line_of(mapping: Any, key: Any, default: int | None) -> int | None:
    lines = getattr(mapping, "lines", None)
    if isinstance(lines, dict) and key in lines:
        return int(lines[key])
    return default


def _item_line(seq: Any, i: int, default: int | None) -> int | None:
    lines = getattr(seq, "lines", None)
    if isinstance(lines, list) and i < len(lines):
        return int(lines[i])
    return default


def check_document(doc: Mapping[str, Any], file: str, obj: str) -> list[Finding]:
    """Every refused or unknown field present in ``doc`` (one of :data:`KINDS`), in file order."""
    kind = str(doc.get("kind"))
    out: list[Finding] = []
    _walk(doc, POLICY[kind], "", getattr(doc, "line", None), file, obj, out)
    if kind == "Job":
        out = [f for f in out if f.path != JOB_RESTART_POLICY]
    return out


def _walk(
    value: Mapping[str, Any],
    table: Mapping[str, Rule],
    path: str,
    line: int | None,
    file: str,
    obj: str,
    out: list[Finding],
) -> None:
    for key, child in value.items():
        here = f"{path}.{key}" if path else str(key)
        at = _line_of(value, key, line)
        rule = table.get(str(key))
        if rule is None:
            need = "does not know this field: it needs an entry in kmodel/fieldpolicy.py"
            out.append(Finding(file, at, obj, here, need))
            continue
        _apply(rule, child, here, at, file, obj, out)


def _apply(rule: Rule, value: Any, path: str, line: int | None, file: str, obj: str, out: list[Finding]) -> None:
    if rule.status == REFUSED:
        out.append(Finding(file, line, obj, path, rule.note))
        return
    if rule.accepts is not None and not rule.accepts(value):
        out.append(Finding(file, line, obj, path, rule.need, value=_show(value), assumed=rule.assumed))
        return
    if rule.keys is not None and isinstance(value, dict):
        for key, child in value.items():
            sub = rule.keys(str(key))
            _apply(sub, child, f"{path}[{key}]", _line_of(value, key, line), file, obj, out)
        return
    if rule.part is None:
        return
    table = POLICY[rule.part]
    if isinstance(value, dict):
        _walk(value, table, path, line, file, obj, out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                _walk(item, table, f"{path}[{i}]", _item_line(value, i, line), file, obj, out)


def counts() -> dict[str, int]:
    """How many fields the table lists in each column (map keys and value-dependent entries
    counted once, by their field)."""
    out = {MODELLED: 0, DESCRIPTIVE: 0, REFUSED: 0}
    for table in POLICY.values():
        for rule in table.values():
            out[rule.status] += 1
    return out
