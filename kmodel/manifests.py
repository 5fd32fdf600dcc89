"""Kubernetes manifests (multi-document YAML) -> model objects, with line-accurate errors.

Supported kinds: v1 Node, v1 Pod, apps/v1 Deployment, apps/v1 ReplicaSet, apps/v1 StatefulSet,
apps/v1 DaemonSet, v1 Service, scheduling.k8s.io/v1 PriorityClass, batch/v1 Job,
policy/v1 PodDisruptionBudget, and the
kmodel ``Scenario`` document (handled in :mod:`kmodel.scenario`). :func:`read_manifests` takes
each object through three steps:

1. :mod:`kmodel.apivalidation`: the apiserver of the scenario's ``kubernetesVersion`` would accept
   it (schema and semantic validation; the apiserver's message otherwise);
2. :mod:`kmodel.fieldpolicy`: every field present is modelled or descriptive; a field that
   changes behaviour and is not modelled is refused, or with ``allow_unmodelled`` recorded as
   ignored;
3. :func:`parse_object`: the model object, from a document the first two steps passed.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import attrs

from kmodel import apivalidation, fieldpolicy, kinds, limits
from kmodel.errors import KmodelError, cut, kind_of, shown
from kmodel.labels import (
    DOES_NOT_EXIST,
    EXISTS,
    GT,
    IN,
    LABEL_OPERATORS,
    LT,
    NOT_IN,
    LabelSelector,
    Requirement,
    parse_whole,
)
from kmodel.probespec import (
    DEFAULT_FAILURE_THRESHOLD,
    DEFAULT_PERIOD,
    DEFAULT_SUCCESS_THRESHOLD,
    DEFAULT_TIMEOUT,
    LIVENESS,
    READINESS,
    STARTUP,
    Probe,
    ProbeSpec,
)
from kmodel.safeyaml import MarkedDict, MarkedList
from kmodel.safeyaml import load_documents as load_documents
from kmodel.schedulingspec import (
    PREEMPT_LOWER_PRIORITY,
    HostPort,
    NodeAffinity,
    NodeSelectorTerm,
    PodAffinity,
    PodAffinityTerm,
    PreferredSchedulingTerm,
    SchedulingSpec,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
)
from kmodel.state import (
    LABEL_ARCH,
    LABEL_CONTROL_PLANE,
    LABEL_HOSTNAME,
    LABEL_OS,
    DaemonSet,
    Deployment,
    HorizontalPodAutoscaler,
    Job,
    Labels,
    MetricTarget,
    Node,
    Pod,
    PodDisruptionBudget,
    PodTemplate,
    PriorityClass,
    ReplicaSet,
    Resources,
    ScalingPolicy,
    ScalingRules,
    Service,
    StatefulSet,
    Taint,
    Toleration,
    labels_of,
)

# --- field access with context -------------------------------------------------------------------


@attrs.frozen
class Ctx:
    """Where we are: file, the object's kind/name, and the field path."""

    file: str
    obj: str
    path: str = ""
    line: int | None = None

    def at(self, mapping: object, key: str) -> Ctx:
        line = self.line
        if isinstance(mapping, MarkedDict) and key in mapping.lines:
            line = mapping.lines[key]
        path = f"{self.path}.{key}" if self.path else key
        return Ctx(self.file, self.obj, path, line)

    def item(self, seq: object, i: int) -> Ctx:
        line = self.line
        if isinstance(seq, MarkedList) and i < len(seq.lines):
            line = seq.lines[i]
        return Ctx(self.file, self.obj, f"{self.path}[{i}]", line)

    def error(self, message: str, fix: str) -> KmodelError:
        where = f"{self.obj} {self.path}".strip() if self.path else self.obj
        return KmodelError(message, file=self.file, line=self.line, where=where, fix=fix)


def mapping(ctx: Ctx, value: object, required: bool = False) -> dict[str, Any]:
    if value is None:
        if required:
            raise ctx.error("is missing", "add it")
        return MarkedDict()
    if not isinstance(value, dict):
        raise ctx.error(f"must be a mapping, got {kind_of(value)}", "write it as key: value lines")
    return value


def sequence(ctx: Ctx, value: object) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ctx.error(f"must be a list, got {kind_of(value)}", "write it as a YAML list ('- item')")
    return value


def string(ctx: Ctx, value: object, required: bool = False) -> str:
    if value is None:
        if required:
            raise ctx.error("is missing", "add it")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ctx.error(f"must be a string, got {kind_of(value)}", "write a plain string")
    return str(value)


def integer(ctx: Ctx, value: object, default: int, minimum: int = 0, limit: str | None = None) -> int:
    """A whole number >= ``minimum`` (``default`` when absent), at most the limit named ``limit``."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.error(f"must be a whole number, got {shown(value)}", f"write a whole number >= {minimum}")
    if value < minimum:
        raise ctx.error(f"must be >= {minimum}, got {shown(value)}", f"write a whole number >= {minimum}")
    if limit is not None and value > getattr(limits.current(), limit):
        raise ctx.error(limits.exceeded(limit, "the value", shown(value)), limits.fix(limit))
    return value


def string_map(ctx: Ctx, value: object) -> Labels:
    m = mapping(ctx, value)
    if len(m) > limits.current().max_labels:
        raise ctx.error(limits.exceeded("max_labels", "the number of entries", len(m)), limits.fix("max_labels"))
    for k, v in m.items():
        if v is None or isinstance(v, dict | list):
            raise ctx.at(m, str(k)).error("label values must be strings", 'quote the value, e.g. "true"')
    return labels_of({str(k): str(v) for k, v in m.items()})


# --- quantities ------------------------------------------------------------------------------


def cpu_millis(ctx: Ctx, value: object) -> int:
    """A validated CPU quantity in millicores, rounded up as Kubernetes' MilliValue does."""
    q = apivalidation.parse_quantity(value)
    if q is None:
        raise ctx.error(apivalidation.QUANTITY_MSG, 'write cores like "2" or "0.5", or millicores like "500m"')
    return math.ceil(q * 1000)


def memory_bytes(ctx: Ctx, value: object) -> int:
    """A validated memory quantity in bytes, rounded up as Kubernetes' Value does."""
    q = apivalidation.parse_quantity(value)
    if q is None:
        raise ctx.error(apivalidation.QUANTITY_MSG, 'write it like "128Mi", "4Gi" or "1G"')
    return math.ceil(q)


def is_scalar_resource(name: str) -> bool:
    """``schedutil.IsScalarResourceName``: an extended resource (``example.com/foo`` outside
    ``kubernetes.io/``), a ``hugepages-*`` size, or a ``kubernetes.io/``-prefixed native one; the
    scheduler counts each as a whole number."""
    return name.startswith("hugepages-") or "/" in name


def resources(ctx: Ctx, value: object, with_pods: bool = False, base: Resources | None = None) -> Resources:
    """cpu, memory, ephemeral-storage, the scalar resources (extended resources such as
    ``nvidia.com/gpu``, ``hugepages-*``) and a node's pods; each resource given replaces the one
    in ``base``."""
    m = mapping(ctx, value)
    r = base or Resources()
    if "cpu" in m:
        r = attrs.evolve(r, cpu=cpu_millis(ctx.at(m, "cpu"), m["cpu"]))
    if "memory" in m:
        r = attrs.evolve(r, memory=memory_bytes(ctx.at(m, "memory"), m["memory"]))
    if "ephemeral-storage" in m:
        r = attrs.evolve(r, ephemeral_storage=memory_bytes(ctx.at(m, "ephemeral-storage"), m["ephemeral-storage"]))
    scalars = {str(k): v for k, v in m.items() if is_scalar_resource(str(k))}
    if scalars:
        merged = dict(r.scalar)
        for name, raw in scalars.items():
            merged[name] = memory_bytes(ctx.at(m, name), raw)  # Quantity.Value(): rounded up
        r = attrs.evolve(r, scalar=tuple(sorted((k, v) for k, v in merged.items() if v)))
    if with_pods and "pods" in m:
        pods = apivalidation.parse_quantity(m["pods"])
        if pods is None or pods < 1:
            raise ctx.at(m, "pods").error(f"must be a whole number >= 1, got {shown(m['pods'])}", "write e.g. 110")
        r = attrs.evolve(r, pods=math.floor(pods))
    return r


# --- objects (from documents that passed apivalidation) ----------------------------------------


def taint(ctx: Ctx, raw: object) -> Taint:
    m = mapping(ctx, raw)
    return Taint(
        key=string(ctx.at(m, "key"), m.get("key")),
        effect=string(ctx.at(m, "effect"), m.get("effect")),
        value=string(ctx.at(m, "value"), m.get("value")),
    )


def toleration(ctx: Ctx, raw: object) -> Toleration:
    m = mapping(ctx, raw)
    seconds = m.get("tolerationSeconds")
    return Toleration(
        key=string(ctx.at(m, "key"), m.get("key")),
        operator=string(ctx.at(m, "operator"), m.get("operator")) or "Equal",
        value=string(ctx.at(m, "value"), m.get("value")),
        effect=string(ctx.at(m, "effect"), m.get("effect")),
        toleration_seconds=seconds if isinstance(seconds, int) and not isinstance(seconds, bool) else None,
    )


def container_requests(ctx: Ctx, cm: dict[str, Any]) -> Resources:
    """One container's requests, each resource with a limit and no request requested at its
    limit (the apiserver's defaulting, per resource)."""
    res = mapping(ctx.at(cm, "resources"), cm.get("resources"))
    rctx = ctx.at(cm, "resources")
    requests = mapping(rctx.at(res, "requests"), res.get("requests"))
    limited = mapping(rctx.at(res, "limits"), res.get("limits"))
    defaulted = resources(rctx.at(res, "limits"), {k: v for k, v in limited.items() if k not in requests})
    return defaulted + resources(rctx.at(res, "requests"), requests)


def _largest(a: Resources, b: Resources) -> Resources:
    scalar = dict(a.scalar)
    for name, value in b.scalar:
        scalar[name] = max(scalar.get(name, 0), value)
    return Resources(
        cpu=max(a.cpu, b.cpu),
        memory=max(a.memory, b.memory),
        pods=max(a.pods, b.pods),
        ephemeral_storage=max(a.ephemeral_storage, b.ephemeral_storage),
        scalar=tuple(sorted(scalar.items())),
    )


def pod_spec(ctx: Ctx, raw: object) -> dict[str, Any]:
    spec = mapping(ctx, raw, required=True)
    containers = sequence(ctx.at(spec, "containers"), spec.get("containers"))
    total = Resources()
    images = []
    names = []
    for i, c in enumerate(containers):
        cctx = ctx.at(spec, "containers").item(containers, i)
        cm = mapping(cctx, c)
        images.append(string(cctx.at(cm, "image"), cm.get("image")))
        names.append(str(cm.get("name", "")))
        total = total + container_requests(cctx, cm)
    # init containers run one at a time before the others, so the pod needs, of each resource,
    # the most any init container needs or the sum of the others, whichever is larger
    # (k8s.io/component-helpers/resource PodRequests; restartable "sidecar" init containers,
    # which run on beside the others, are refused by the field policy's Container.restartPolicy)
    inits = sequence(ctx.at(spec, "initContainers"), spec.get("initContainers"))
    for i, c in enumerate(inits):
        cctx = ctx.at(spec, "initContainers").item(inits, i)
        cm = mapping(cctx, c)
        for field in PROBE_FIELDS.values():
            if cm.get(field) is not None:
                # the apiserver's validateInitContainers: probes need a restartable (sidecar)
                # init container, and those are refused by the field policy
                raise cctx.at(cm, field).error(
                    "Forbidden: may not be set for init containers without restartPolicy=Always",
                    f"move the {field} to a regular container",
                )
        total = _largest(total, container_requests(cctx, cm))
    tolerations = tuple(
        toleration(ctx.at(spec, "tolerations").item(spec.get("tolerations"), i), t)
        for i, t in enumerate(sequence(ctx.at(spec, "tolerations"), spec.get("tolerations")))
    )
    return {
        "probes": probe_spec(ctx, spec),
        "requests": total,
        "images": tuple(images),
        "containers": tuple(names),
        "tolerations": tolerations,
        "node_selector": string_map(ctx.at(spec, "nodeSelector"), spec.get("nodeSelector")),
        "node_name": string(ctx.at(spec, "nodeName"), spec.get("nodeName")) or None,
        "grace": integer(ctx.at(spec, "terminationGracePeriodSeconds"), spec.get("terminationGracePeriodSeconds"), 30),
        "scheduling": scheduling_spec(ctx, spec),
        "empty_dir": any(
            isinstance(v, dict) and v.get("emptyDir") is not None
            for v in sequence(ctx.at(spec, "volumes"), spec.get("volumes"))
        ),
    }


# --- containers[].readinessProbe / livenessProbe / startupProbe -----------------------------------

PROBE_FIELDS = {READINESS: "readinessProbe", LIVENESS: "livenessProbe", STARTUP: "startupProbe"}
PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")


def probe(ctx: Ctx, raw: object, kind: str) -> Probe:
    """One probe, defaulted as the apiserver does (SetDefaults_Probe) and checked as it
    validates it (validateProbe: exactly one handler, positive period and thresholds, and a
    successThreshold of 1 for liveness and startup probes)."""
    m = mapping(ctx, raw)
    handlers = [h for h in PROBE_HANDLERS if m.get(h) is not None]
    if len(handlers) != 1:
        raise ctx.error(
            "must specify a handler type" if not handlers else f"may not specify more than 1 handler type ({handlers})",
            f"give exactly one of {', '.join(PROBE_HANDLERS)}",
        )
    period = integer(ctx.at(m, "periodSeconds"), m.get("periodSeconds"), DEFAULT_PERIOD, minimum=1)
    failure = integer(ctx.at(m, "failureThreshold"), m.get("failureThreshold"), DEFAULT_FAILURE_THRESHOLD, minimum=1)
    success = integer(ctx.at(m, "successThreshold"), m.get("successThreshold"), DEFAULT_SUCCESS_THRESHOLD, minimum=1)
    if kind != READINESS and success != 1:
        raise ctx.at(m, "successThreshold").error("must be 1", "liveness and startup probes need successThreshold 1")
    return Probe(
        initial_delay=integer(ctx.at(m, "initialDelaySeconds"), m.get("initialDelaySeconds"), 0),
        period=period,
        failure_threshold=failure,
        success_threshold=success,
        timeout=integer(ctx.at(m, "timeoutSeconds"), m.get("timeoutSeconds"), DEFAULT_TIMEOUT, minimum=1),
    )


def probe_spec(ctx: Ctx, spec: dict[str, Any]) -> ProbeSpec | None:
    """The pod's probes. kmodel's pod runs one application that starts, restarts and is ready
    as a whole, so a probe kind on two containers is refused."""
    cctx = ctx.at(spec, "containers")
    containers = sequence(cctx, spec.get("containers"))
    found: dict[str, Probe] = {}
    for i, c in enumerate(containers):
        cm = mapping(cctx.item(containers, i), c)
        for kind, field in PROBE_FIELDS.items():
            if cm.get(field) is not None:
                pctx = cctx.item(containers, i).at(cm, field)
                if kind in found:
                    raise pctx.error(
                        f"is not modelled: kmodel needs one {field} per pod (another container has one); "
                        "its probes answer for the pod as a whole",
                        f"keep the {field} of one container",
                    )
                found[kind] = probe(pctx, cm.get(field), kind)
    if not found:
        return None
    return ProbeSpec(readiness=found.get(READINESS), liveness=found.get(LIVENESS), startup=found.get(STARTUP))


def scheduling_spec(ctx: Ctx, spec: dict[str, Any]) -> SchedulingSpec:
    """The PodSpec fields only the scheduler reads (:mod:`kmodel.schedulingspec`)."""
    priority = priority_fields(ctx, spec)
    return SchedulingSpec(
        priority_class_name=priority["priority_class_name"],
        requested_priority=priority["requested_priority"],
        requested_preemption_policy=priority["requested_preemption_policy"],
        node_affinity=node_affinity(ctx, spec),
        host_ports=host_ports(ctx, spec),
        pod_affinity=pod_affinity(ctx, spec, "podAffinity"),
        pod_anti_affinity=pod_affinity(ctx, spec, "podAntiAffinity"),
        topology_spread=topology_spread_constraints(ctx.at(spec, "topologySpreadConstraints"), spec),
        local_storage=_has_local_storage(spec),
    )


def _has_local_storage(spec: dict[str, Any]) -> bool:
    """A hostPath or emptyDir volume (the descheduler's ``IsPodWithLocalStorage``)."""
    volumes = spec.get("volumes")
    if not isinstance(volumes, list):
        return False
    return any(
        isinstance(v, dict) and (v.get("hostPath") is not None or v.get("emptyDir") is not None) for v in volumes
    )


# --- affinity.nodeAffinity (validated by apivalidation before this is read) ----------------------


def _strings(ctx: Ctx, raw: object) -> tuple[str, ...]:
    items = sequence(ctx, raw)
    return tuple(string(ctx.item(items, i), v) for i, v in enumerate(items))


def node_selector_term(ctx: Ctx, raw: object) -> NodeSelectorTerm:
    """A ``NodeSelectorTerm``; ``parse_error`` when the scheduler's parser would refuse one of its
    requirements (``labels.NewRequirement``: a value that is not a label value, a Gt/Lt bound
    that is not a whole number; a field requirement without exactly one value)."""
    m = mapping(ctx, raw)
    exprs, fields = [], []
    broken = False
    for key, out in (("matchExpressions", exprs), ("matchFields", fields)):
        items = sequence(ctx.at(m, key), m.get(key))
        for i, item in enumerate(items):
            ictx = ctx.at(m, key).item(items, i)
            im = mapping(ictx, item)
            req = Requirement(
                string(ictx.at(im, "key"), im.get("key")),
                string(ictx.at(im, "operator"), im.get("operator")),
                _strings(ictx.at(im, "values"), im.get("values")),
            )
            out.append(req)
            if key == "matchFields":
                broken = broken or req.operator not in (IN, NOT_IN) or len(req.values) != 1
            else:
                broken = broken or not _requirement_parses(req)
    return NodeSelectorTerm(tuple(exprs), tuple(fields), parse_error=broken)


def _requirement_parses(req: Requirement) -> bool:
    """``labels.NewRequirement`` accepts it (the apiserver has checked the key and operator)."""
    if any(apivalidation.label_value_errors(v) for v in req.values):
        return False
    if req.operator in (GT, LT):
        return len(req.values) == 1 and parse_whole(req.values[0]) is not None
    if req.operator in (IN, NOT_IN):
        return bool(req.values)
    return not req.values


def node_affinity(ctx: Ctx, spec: dict[str, Any]) -> NodeAffinity | None:
    """``affinity.nodeAffinity``: the required node selector terms and the preferred ones."""
    aff = mapping(ctx.at(spec, "affinity"), spec.get("affinity"))
    actx = ctx.at(spec, "affinity")
    if aff.get("nodeAffinity") is None:
        return None
    na = mapping(actx.at(aff, "nodeAffinity"), aff.get("nodeAffinity"))
    nctx = actx.at(aff, "nodeAffinity")
    req_key = "requiredDuringSchedulingIgnoredDuringExecution"
    required: tuple[NodeSelectorTerm, ...] | None = None
    if na.get(req_key) is not None:
        sel = mapping(nctx.at(na, req_key), na.get(req_key))
        tctx = nctx.at(na, req_key).at(sel, "nodeSelectorTerms")
        terms = sequence(tctx, sel.get("nodeSelectorTerms"))
        required = tuple(node_selector_term(tctx.item(terms, i), t) for i, t in enumerate(terms))
    pref_key = "preferredDuringSchedulingIgnoredDuringExecution"
    pctx = nctx.at(na, pref_key)
    prefs = sequence(pctx, na.get(pref_key))
    preferred = []
    for i, raw in enumerate(prefs):
        ictx = pctx.item(prefs, i)
        pm = mapping(ictx, raw)
        weight = integer(ictx.at(pm, "weight"), pm.get("weight"), 0)
        preferred.append(
            PreferredSchedulingTerm(weight, node_selector_term(ictx.at(pm, "preference"), pm.get("preference")))
        )
    return NodeAffinity(required=required, preferred=tuple(preferred))


# --- containers[].ports[].hostPort ----------------------------------------------------------------


def host_ports(ctx: Ctx, spec: dict[str, Any]) -> tuple[HostPort, ...]:
    """The host ports the pod's containers bind (``schedutil.GetHostPorts``): every port with a
    ``hostPort`` of the regular containers; init containers' ports are not counted (restartable
    "sidecar" init containers, which would count, are refused by the field policy)."""
    out: list[HostPort] = []
    cctx = ctx.at(spec, "containers")
    containers = sequence(cctx, spec.get("containers"))
    for i, c in enumerate(containers):
        cm = mapping(cctx.item(containers, i), c)
        pctx = cctx.item(containers, i).at(cm, "ports")
        ports = sequence(pctx, cm.get("ports"))
        for j, raw in enumerate(ports):
            pm = mapping(pctx.item(ports, j), raw)
            port = pm.get("hostPort")
            if isinstance(port, int) and not isinstance(port, bool) and port > 0:
                protocol = string(pctx.item(ports, j).at(pm, "protocol"), pm.get("protocol")) or "TCP"
                host_ip = string(pctx.item(ports, j).at(pm, "hostIP"), pm.get("hostIP"))
                out.append(HostPort(port, protocol, host_ip))
    return tuple(out)


# --- affinity.podAffinity / podAntiAffinity ------------------------------------------------------


def pod_affinity_term(ctx: Ctx, raw: object) -> PodAffinityTerm:
    """One ``PodAffinityTerm`` (apivalidation has checked topologyKey and the label keys; the
    field policy refuses a non-empty namespaceSelector)."""
    m = mapping(ctx, raw)
    sel = m.get("labelSelector")
    ns_sel = m.get("namespaceSelector")
    names = sequence(ctx.at(m, "namespaces"), m.get("namespaces"))
    keys = {
        k: tuple(string(ctx.at(m, k).item(m.get(k), i), v) for i, v in enumerate(sequence(ctx.at(m, k), m.get(k))))
        for k in ("matchLabelKeys", "mismatchLabelKeys")
    }
    return PodAffinityTerm(
        topology_key=string(ctx.at(m, "topologyKey"), m.get("topologyKey")),
        label_selector=None if sel is None else label_selector(ctx.at(m, "labelSelector"), sel),
        namespaces=tuple(string(ctx.at(m, "namespaces").item(names, i), n) for i, n in enumerate(names)),
        namespace_selector=None if ns_sel is None else label_selector(ctx.at(m, "namespaceSelector"), ns_sel),
        match_label_keys=keys["matchLabelKeys"],
        mismatch_label_keys=keys["mismatchLabelKeys"],
    )


def pod_affinity(ctx: Ctx, spec: dict[str, Any], which: str) -> PodAffinity | None:
    """``affinity.podAffinity`` or ``affinity.podAntiAffinity`` (None: absent or without terms)."""
    affinity = mapping(ctx.at(spec, "affinity"), spec.get("affinity"))
    actx = ctx.at(spec, "affinity")
    m = mapping(actx.at(affinity, which), affinity.get(which))
    wctx = actx.at(affinity, which)
    req_key = "requiredDuringSchedulingIgnoredDuringExecution"
    pref_key = "preferredDuringSchedulingIgnoredDuringExecution"
    required = sequence(wctx.at(m, req_key), m.get(req_key))
    preferred = sequence(wctx.at(m, pref_key), m.get(pref_key))
    if not required and not preferred:
        return None
    weighted = []
    for i, raw in enumerate(preferred):
        ictx = wctx.at(m, pref_key).item(preferred, i)
        w = mapping(ictx, raw)
        weight = w.get("weight")
        weighted.append(
            WeightedPodAffinityTerm(
                weight=weight if isinstance(weight, int) and not isinstance(weight, bool) else 0,
                term=pod_affinity_term(ictx.at(w, "podAffinityTerm"), w.get("podAffinityTerm")),
            )
        )
    return PodAffinity(
        required=tuple(pod_affinity_term(wctx.at(m, req_key).item(required, i), t) for i, t in enumerate(required)),
        preferred=tuple(weighted),
    )


def priority_fields(ctx: Ctx, spec: dict[str, Any]) -> dict[str, Any]:
    """``priorityClassName`` and the ``priority`` / ``preemptionPolicy`` a manifest wrote itself
    (checked by the apiserver's validation first; the Priority admission plugin resolves them)."""
    raw_priority = spec.get("priority")
    policy = spec.get("preemptionPolicy")
    return {
        "priority_class_name": string(ctx.at(spec, "priorityClassName"), spec.get("priorityClassName")),
        "requested_priority": raw_priority
        if isinstance(raw_priority, int) and not isinstance(raw_priority, bool)
        else None,
        "requested_preemption_policy": policy if isinstance(policy, str) else None,
    }


def priority_class(name: str, doc: dict[str, Any]) -> PriorityClass:
    """A scheduling.k8s.io/v1 PriorityClass (validated: ``value`` is a 32-bit whole number)."""
    value = doc.get("value")
    policy = doc.get("preemptionPolicy")
    description = doc.get("description")
    return PriorityClass(
        name=name,
        value=value if isinstance(value, int) and not isinstance(value, bool) else 0,
        global_default=doc.get("globalDefault") is True,
        preemption_policy=policy if isinstance(policy, str) else PREEMPT_LOWER_PRIORITY,
        description=description if isinstance(description, str) else "",
    )


def topology_spread_constraints(ctx: Ctx, spec: dict[str, Any]) -> tuple[TopologySpreadConstraint, ...]:
    """``topologySpreadConstraints`` (already checked by :mod:`kmodel.apivalidation`: maxSkew,
    whenUnsatisfiable, minDomains, the policies, duplicates, matchLabelKeys). An absent
    ``labelSelector`` stays None: it selects no pod."""
    raw = sequence(ctx, spec.get("topologySpreadConstraints"))
    out = []
    for i, item in enumerate(raw):
        ictx = ctx.item(raw, i)
        m = mapping(ictx, item)
        sel = m.get("labelSelector")
        min_domains = m.get("minDomains")
        out.append(
            TopologySpreadConstraint(
                max_skew=integer(ictx.at(m, "maxSkew"), m.get("maxSkew"), 1, minimum=1),
                topology_key=string(ictx.at(m, "topologyKey"), m.get("topologyKey"), required=True),
                when_unsatisfiable=string(ictx.at(m, "whenUnsatisfiable"), m.get("whenUnsatisfiable"), required=True),
                label_selector=None if sel is None else label_selector(ictx.at(m, "labelSelector"), sel),
                min_domains=None
                if min_domains is None
                else integer(ictx.at(m, "minDomains"), min_domains, 1, minimum=1),
                node_affinity_policy=string(ictx.at(m, "nodeAffinityPolicy"), m.get("nodeAffinityPolicy")) or "Honor",
                node_taints_policy=string(ictx.at(m, "nodeTaintsPolicy"), m.get("nodeTaintsPolicy")) or "Ignore",
                match_label_keys=tuple(
                    string(ictx.at(m, "matchLabelKeys").item(m.get("matchLabelKeys"), j), k)
                    for j, k in enumerate(sequence(ictx.at(m, "matchLabelKeys"), m.get("matchLabelKeys")))
                ),
            )
        )
    return tuple(out)


def spec_hash(template: object) -> str:
    """A stable hash of the pod template as written: any change to it (an image, an env var, an
    annotation) gives another hash, as Kubernetes' pod-template-hash does."""
    text = json.dumps(template, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def edited_hash(t: PodTemplate) -> str:
    """``spec_hash`` of a template after kubectl set image / rollout restart: the hash as
    written when its images and restartedAt are as written, else a hash of that and of the
    images by container name and restartedAt."""
    if t.images == t.written_images and not t.restarted_at:
        return t.spec_base
    extra = {"images": [list(x) for x in zip(t.containers, t.images, strict=False)], "restartedAt": t.restarted_at}
    return spec_hash({"base": t.spec_base, **extra})


def pod_template(ctx: Ctx, raw: object) -> tuple[PodTemplate, str | None]:
    t = mapping(ctx, raw, required=True)
    meta = mapping(ctx.at(t, "metadata"), t.get("metadata"))
    spec = pod_spec(ctx.at(t, "spec"), t.get("spec"))
    template = PodTemplate(
        labels=string_map(ctx.at(t, "metadata").at(meta, "labels"), meta.get("labels")),
        tolerations=spec["tolerations"],
        node_selector=spec["node_selector"],
        requests=spec["requests"],
        termination_grace_seconds=spec["grace"],
        spec_hash=spec_hash(t),
        scheduling=spec["scheduling"],
        images=spec["images"],
        node_name=spec["node_name"],
        probes=spec["probes"],
        containers=spec["containers"],
        spec_base=spec_hash(t),
        written_images=spec["images"],
        empty_dir=spec["empty_dir"],
    )
    return template, spec["node_name"]


def job(name: str, labels: Labels, sctx: Ctx, spec: dict[str, Any]) -> Job:
    """A batch/v1 Job, with the apiserver's defaults (``SetDefaults_Job``): completions and
    parallelism 1 when neither is given, parallelism 1 when only completions is (completions
    left unset with parallelism given: a work queue), backoffLimit 6. The pods' restartPolicy
    is OnFailure or Never (checked by apivalidation). The selector the apiserver generates
    (the controller-uid label) is left out: the Job owns the pods it creates."""
    template, _ = pod_template(sctx.at(spec, "template"), spec.get("template"))
    if template.probes is not None:
        # the kubelet's probe restarts and a Job container's own exits would each run a
        # CrashLoopBackOff of their own in kmodel; until they share one, refuse the mix
        raise sctx.at(spec, "template").error(
            "has container probes, which kmodel does not model for Job pods",
            "remove the probes from the Job's pod template",
        )
    tspec = spec.get("template", {}).get("spec", {})
    restart = tspec.get("restartPolicy") if isinstance(tspec, dict) else None
    raw_completions, raw_parallelism = spec.get("completions"), spec.get("parallelism")
    completions: int | None
    if raw_completions is None and raw_parallelism is None:
        completions, parallelism = 1, 1
    else:
        parallelism = integer(sctx.at(spec, "parallelism"), raw_parallelism, 1, limit="max_replicas")
        completions = (
            None
            if raw_completions is None
            else integer(sctx.at(spec, "completions"), raw_completions, 1, limit="max_replicas")
        )
    deadline = spec.get("activeDeadlineSeconds")
    return Job(
        name=name,
        template=template,
        selector=template.labels,
        completions=completions,
        parallelism=parallelism,
        backoff_limit=integer(sctx.at(spec, "backoffLimit"), spec.get("backoffLimit"), 6),
        active_deadline_seconds=integer(sctx.at(spec, "activeDeadlineSeconds"), deadline, 0)
        if deadline is not None
        else None,
        suspend=spec.get("suspend") is True,
        restart_policy=restart if isinstance(restart, str) else "Never",
        labels=labels,
    )


def requirement(ctx: Ctx, raw: object, operators: tuple[str, ...] = LABEL_OPERATORS) -> Requirement:
    """One ``matchExpressions`` item, checked as the apiserver checks it
    (ValidateLabelSelectorRequirement; for node selectors ValidateNodeSelectorRequirement)."""
    m = mapping(ctx, raw)
    key = string(ctx.at(m, "key"), m.get("key"), required=True)
    op = string(ctx.at(m, "operator"), m.get("operator"), required=True)
    values = tuple(
        string(ctx.at(m, "values").item(m.get("values"), i), v)
        for i, v in enumerate(sequence(ctx.at(m, "values"), m.get("values")))
    )
    if op not in operators:
        raise ctx.at(m, "operator").error(
            f"Unsupported value: {shown(op)}: supported values: {', '.join(repr(o) for o in operators)}",
            f"use one of {', '.join(operators)}",
        )
    if op in (IN, NOT_IN) and not values:
        raise ctx.at(m, "values").error(
            "Required value: must be specified when `operator` is 'In' or 'NotIn'", "list at least one value"
        )
    if op in (EXISTS, DOES_NOT_EXIST) and values:
        raise ctx.at(m, "values").error(
            "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'", "remove the values"
        )
    if op in (GT, LT) and (len(values) != 1 or not values[0].isascii() or not values[0].lstrip("+-").isdigit()):
        raise ctx.at(m, "values").error(
            "Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
            'give one whole number, e.g. values: ["2"]',
        )
    return Requirement(key, op, values)


def label_selector(ctx: Ctx, raw: object, operators: tuple[str, ...] = LABEL_OPERATORS) -> LabelSelector:
    """A ``metav1.LabelSelector``: ``matchLabels`` and ``matchExpressions``."""
    m = mapping(ctx, raw)
    exprs = sequence(ctx.at(m, "matchExpressions"), m.get("matchExpressions"))
    return LabelSelector(
        string_map(ctx.at(m, "matchLabels"), m.get("matchLabels")),
        tuple(requirement(ctx.at(m, "matchExpressions").item(exprs, i), e, operators) for i, e in enumerate(exprs)),
    )


def selector(ctx: Ctx, raw: object) -> Labels | LabelSelector:
    """A workload's selector: a plain label map when it has only ``matchLabels``."""
    mapping(ctx, raw, required=True)
    sel = label_selector(ctx, raw)
    return sel if sel.match_expressions else sel.match_labels


KIND_API = {
    "Node": "v1",
    "Pod": "v1",
    "Service": "v1",
    "Deployment": "apps/v1",
    "ReplicaSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "PriorityClass": "scheduling.k8s.io/v1",
    "StatefulSet": "apps/v1",
    "Job": "batch/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "PodDisruptionBudget": "policy/v1",
}


HPA = HorizontalPodAutoscaler
ManifestObject = (
    Node
    | Pod
    | Deployment
    | ReplicaSet
    | Service
    | PriorityClass
    | StatefulSet
    | Job
    | DaemonSet
    | HPA
    | PodDisruptionBudget
)


@attrs.frozen
class Manifest:
    kind: str
    name: str
    obj: ManifestObject
    file: str
    line: int
    node_name_line: int | None = None
    namespace: str = ""  # metadata.namespace as written ("" when not given)
    namespace_line: int | None = None


@attrs.frozen
class Skipped:
    """An object of a kind that changes nothing kmodel models (:mod:`kmodel.kinds`): accepted,
    left out, and named in every report's header."""

    kind: str
    name: str
    file: str
    line: int | None
    note: str

    def warning(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        what = f"{self.kind.lower()}/{self.name}"
        return f"ignoring {what} at {place} (a {self.kind} changes nothing kmodel models: {self.note})"


def _kind_and_api(doc: MarkedDict, file: str) -> tuple[str, str]:
    base = Ctx(file, "document", line=doc.line)
    kind = string(base.at(doc, "kind"), doc.get("kind"), required=True)
    api = string(base.at(doc, "apiVersion"), doc.get("apiVersion"), required=True)
    return kind, api


def check_kind(doc: MarkedDict, file: str) -> str:
    """The document's kind, when kmodel models it with that apiVersion."""
    kind, api = _kind_and_api(doc, file)
    base = Ctx(file, "document", line=doc.line)
    if kind not in KIND_API:
        raise base.at(doc, "kind").error(f"kmodel does not model kind {shown(kind)}", _KINDS_FIX)
    if api != KIND_API[kind]:
        raise base.at(doc, "apiVersion").error(
            f"{kind} is {KIND_API[kind]}, not {shown(api)}", f"write apiVersion: {KIND_API[kind]}"
        )
    return kind


_KINDS_FIX = (
    f"kmodel models {', '.join(kinds.known(kinds.MODELLED))} (and kmodel.dev/v1alpha1 Scenario), and ignores "
    "kinds that change nothing it models (see `kmodel kinds`)"
)


def sort_kind(doc: MarkedDict, file: str) -> str | Skipped | fieldpolicy.Finding:
    """A document's place by its kind (:mod:`kmodel.kinds`): the kind when kmodel models it, a
    :class:`Skipped` when it changes nothing kmodel models, or a Finding (a kind kmodel would
    need to model, or does not know)."""
    kind, api = _kind_and_api(doc, file)
    rule = kinds.rule_of(doc)
    if rule is not None and rule.status == kinds.MODELLED:
        return check_kind(doc, file)
    meta = doc.get("metadata")
    raw_name = meta.get("name") if isinstance(meta, dict) else None
    name = cut(raw_name, 80) if isinstance(raw_name, str) and raw_name else "(no name)"
    obj = f"{cut(kind.lower(), 60)}/{name}"
    base = Ctx(file, "document", line=doc.line)
    line = base.at(doc, "kind").line
    if rule is None:
        need = f"does not model kind {shown(kind)} ({shown(api)}): {_KINDS_FIX}"
        return fieldpolicy.Finding(file, line, obj, "", need)
    if kinds.group_of(api) != rule.group:
        group = f"{rule.group}/v1" if rule.group else "v1"
        raise base.at(doc, "apiVersion").error(
            f"{kind} is in the API group {rule.group or 'core (v1)'}, not {shown(api)}", f"write apiVersion: {group}"
        )
    need = rule.note if rule.status == kinds.REFUSED else kinds.refusal_note(rule, doc)
    if need is not None:
        return fieldpolicy.Finding(file, line, obj, "", need)
    return Skipped(kind, name, file, line, rule.note)


def parse_object(doc: MarkedDict, file: str) -> Manifest:
    """The model object of a document that passed :func:`check_kind` and :mod:`kmodel.apivalidation`."""
    kind = check_kind(doc, file)
    base = Ctx(file, "document", line=doc.line)
    meta = mapping(base.at(doc, "metadata"), doc.get("metadata"), required=True)
    name = string(base.at(doc, "metadata").at(meta, "name"), meta.get("name"), required=True)
    ctx = Ctx(file, f"{kind.lower()}/{name}", line=doc.line)
    labels = string_map(ctx.at(doc, "metadata").at(meta, "labels"), meta.get("labels"))
    spec = mapping(ctx.at(doc, "spec"), doc.get("spec"), required=kind not in ("Node", "PriorityClass"))
    sctx = ctx.at(doc, "spec")
    obj: ManifestObject
    if kind == "PriorityClass":
        obj = priority_class(name, doc)
    elif kind == "Job":
        obj = job(name, labels, sctx, spec)
    elif kind == "Node":
        status = mapping(ctx.at(doc, "status"), doc.get("status"))
        stctx = ctx.at(doc, "status")
        cap = Node(name=name).capacity
        cap = resources(stctx.at(status, "capacity"), status.get("capacity"), with_pods=True, base=cap)
        cap = resources(stctx.at(status, "allocatable"), status.get("allocatable"), with_pods=True, base=cap)
        taints = tuple(
            taint(sctx.at(spec, "taints").item(spec.get("taints"), i), t)
            for i, t in enumerate(sequence(sctx.at(spec, "taints"), spec.get("taints")))
        )
        all_labels = dict(labels)
        all_labels.setdefault(LABEL_HOSTNAME, name)
        all_labels.setdefault(LABEL_OS, "linux")
        all_labels.setdefault(LABEL_ARCH, "amd64")
        obj = Node(
            name=name,
            labels=labels_of(all_labels),
            taints=taints,
            unschedulable=spec.get("unschedulable") is True,
            capacity=cap,
            control_plane=LABEL_CONTROL_PLANE in all_labels,
        )
    elif kind == "Pod":
        ps = pod_spec(sctx, spec)
        obj = Pod(
            name=name,
            labels=labels,
            node_name=ps["node_name"],
            tolerations=ps["tolerations"],
            node_selector=ps["node_selector"],
            requests=ps["requests"],
            termination_grace_seconds=ps["grace"],
            scheduling=ps["scheduling"],
            probes=ps["probes"],
            empty_dir=ps["empty_dir"],
        )
    elif kind in ("Deployment", "ReplicaSet"):
        replicas = integer(sctx.at(spec, "replicas"), spec.get("replicas"), 1, limit="max_replicas")
        template, _ = pod_template(sctx.at(spec, "template"), spec.get("template"))
        sel = selector(sctx.at(spec, "selector"), spec.get("selector"))
        # the apiserver's validation: minReadySeconds >= 0 (ValidateNonnegativeField)
        min_ready = integer(sctx.at(spec, "minReadySeconds"), spec.get("minReadySeconds"), 0)
        if kind == "ReplicaSet":
            obj = ReplicaSet(
                name=name,
                replicas=replicas,
                selector=sel,
                template=template,
                labels=labels,
                min_ready_seconds=min_ready,
            )
        else:
            strategy = mapping(sctx.at(spec, "strategy"), spec.get("strategy"))
            ru = mapping(sctx.at(spec, "strategy").at(strategy, "rollingUpdate"), strategy.get("rollingUpdate"))
            obj = Deployment(
                name=name,
                replicas=replicas,
                selector=sel,
                template=template,
                max_surge=str(ru.get("maxSurge", "25%")),
                max_unavailable=str(ru.get("maxUnavailable", "25%")),
                min_ready_seconds=min_ready,
                applied_replicas="replicas" in spec,
                **deployment_spec_extras(sctx, spec, strategy),
            )
    elif kind == "StatefulSet":
        obj = statefulset(name, sctx, spec)
    elif kind == "DaemonSet":
        obj = daemonset(name, labels, sctx, spec)
    elif kind == "HorizontalPodAutoscaler":
        obj = horizontal_pod_autoscaler(name, sctx, spec)
    elif kind == "PodDisruptionBudget":
        obj = pod_disruption_budget(name, labels, sctx, spec)
    else:  # Service
        sel = string_map(sctx.at(spec, "selector"), spec.get("selector"))
        # a boolean by the schema (validated before this is read)
        obj = Service(name=name, selector=sel, publish_not_ready_addresses=spec.get("publishNotReadyAddresses") is True)
    nn_line = sctx.at(spec, "nodeName").line if kind == "Pod" and "nodeName" in spec else None
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"):
        tmpl = spec.get("template")
        tspec = tmpl.get("spec") if isinstance(tmpl, dict) else None
        if isinstance(tspec, dict) and "nodeName" in tspec:
            nn_line = sctx.at(spec, "template").at(tmpl, "spec").at(tspec, "nodeName").line
    return Manifest(
        kind=kind,
        name=name,
        obj=obj,
        file=file,
        line=doc.line,
        node_name_line=nn_line,
        namespace=string(base.at(meta, "namespace"), meta.get("namespace")),
        namespace_line=base.at(doc, "metadata").at(meta, "namespace").line,
    )


def statefulset(name: str, sctx: Ctx, spec: dict[str, Any]) -> StatefulSet:
    """An apps/v1 StatefulSet (validated by :mod:`kmodel.apivalidation`), with the apiserver's
    defaults: OrderedReady, RollingUpdate with partition 0 and maxUnavailable 1."""
    replicas = integer(sctx.at(spec, "replicas"), spec.get("replicas"), 1, limit="max_replicas")
    template, _ = pod_template(sctx.at(spec, "template"), spec.get("template"))
    strategy = mapping(sctx.at(spec, "updateStrategy"), spec.get("updateStrategy"))
    uctx = sctx.at(spec, "updateStrategy")
    ru = mapping(uctx.at(strategy, "rollingUpdate"), strategy.get("rollingUpdate"))
    rctx = uctx.at(strategy, "rollingUpdate")
    ordinals = mapping(sctx.at(spec, "ordinals"), spec.get("ordinals"))
    return StatefulSet(
        name=name,
        replicas=replicas,
        selector=selector(sctx.at(spec, "selector"), spec.get("selector")),
        template=template,
        service_name=string(sctx.at(spec, "serviceName"), spec.get("serviceName")),
        pod_management_policy=string(sctx.at(spec, "podManagementPolicy"), spec.get("podManagementPolicy"))
        or "OrderedReady",
        update_strategy=string(uctx.at(strategy, "type"), strategy.get("type")) or "RollingUpdate",
        partition=integer(rctx.at(ru, "partition"), ru.get("partition"), 0),
        max_unavailable=str(ru.get("maxUnavailable", 1)),
        min_ready_seconds=integer(sctx.at(spec, "minReadySeconds"), spec.get("minReadySeconds"), 0),
        start_ordinal=integer(sctx.at(spec, "ordinals").at(ordinals, "start"), ordinals.get("start"), 0),
    )


def daemonset(name: str, labels: Labels, sctx: Ctx, spec: dict[str, Any]) -> DaemonSet:
    """An apps/v1 DaemonSet (validated first: the strategy's type and its maxUnavailable /
    maxSurge are values the apiserver accepts; defaults RollingUpdate, 1 and 0)."""
    template, _ = pod_template(sctx.at(spec, "template"), spec.get("template"))
    strategy = mapping(sctx.at(spec, "updateStrategy"), spec.get("updateStrategy"))
    ru = mapping(sctx.at(spec, "updateStrategy").at(strategy, "rollingUpdate"), strategy.get("rollingUpdate"))
    return DaemonSet(
        name=name,
        selector=selector(sctx.at(spec, "selector"), spec.get("selector")),
        template=template,
        labels=labels,
        strategy=str(strategy.get("type") or "RollingUpdate"),
        max_unavailable=str(ru.get("maxUnavailable", 1)),
        max_surge=str(ru.get("maxSurge", 0)),
        min_ready_seconds=integer(sctx.at(spec, "minReadySeconds"), spec.get("minReadySeconds"), 0),
    )


def horizontal_pod_autoscaler(name: str, sctx: Ctx, spec: dict[str, Any]) -> HorizontalPodAutoscaler:
    """An autoscaling/v2 HorizontalPodAutoscaler (validated first; the field policy has refused
    every metric but cpu and memory resource metrics). The apiserver's defaults: minReplicas 1,
    one cpu metric at 80% utilization when none is given, and, when spec.behavior is given,
    its missing parts from GenerateHPAScaleUpRules / GenerateHPAScaleDownRules."""
    from kmodel.components.horizontalpodautoscaler import DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP

    ref = mapping(sctx.at(spec, "scaleTargetRef"), spec.get("scaleTargetRef"), required=True)
    metrics = []
    raw_metrics = sequence(sctx.at(spec, "metrics"), spec.get("metrics"))
    for i, m in enumerate(raw_metrics):
        mctx = sctx.at(spec, "metrics").item(raw_metrics, i)
        res = mapping(mctx.at(m, "resource"), m.get("resource"), required=True)
        rname = string(mctx.at(m, "resource").at(res, "name"), res.get("name"), required=True)
        tctx = mctx.at(m, "resource").at(res, "target")
        target = mapping(tctx, res.get("target"), required=True)
        ttype = string(tctx.at(target, "type"), target.get("type"), required=True)
        if ttype == "Utilization":
            if "averageUtilization" not in target:
                raise tctx.error("averageUtilization is missing", "give the target percentage, e.g. 60")
            value = integer(tctx.at(target, "averageUtilization"), target.get("averageUtilization"), 0, minimum=1)
        else:
            if "averageValue" not in target:
                raise tctx.error("averageValue is missing", "give the target usage per pod, e.g. 500m")
            parse = cpu_millis if rname == "cpu" else memory_bytes
            value = parse(tctx.at(target, "averageValue"), target.get("averageValue"))
        metrics.append(MetricTarget(rname, ttype, value))
    if not raw_metrics:
        metrics.append(MetricTarget("cpu", "Utilization", 80))
    behavior = None
    if spec.get("behavior") is not None:
        bctx = sctx.at(spec, "behavior")
        b = mapping(bctx, spec.get("behavior"))
        behavior = (
            _scaling_rules(bctx.at(b, "scaleUp"), b.get("scaleUp"), DEFAULT_SCALE_UP),
            _scaling_rules(bctx.at(b, "scaleDown"), b.get("scaleDown"), DEFAULT_SCALE_DOWN),
        )
    return HorizontalPodAutoscaler(
        name=name,
        target_kind=string(sctx.at(spec, "scaleTargetRef").at(ref, "kind"), ref.get("kind"), required=True),
        target_name=string(sctx.at(spec, "scaleTargetRef").at(ref, "name"), ref.get("name"), required=True),
        min_replicas=integer(sctx.at(spec, "minReplicas"), spec.get("minReplicas"), 1, minimum=1),
        max_replicas=integer(sctx.at(spec, "maxReplicas"), spec.get("maxReplicas"), 1, minimum=1, limit="max_replicas"),
        metrics=tuple(metrics),
        behavior=behavior,
    )


def _scaling_rules(ctx: Ctx, raw: object, default: ScalingRules) -> ScalingRules:
    """HPAScalingRules with the apiserver's defaults for what is not given."""
    if raw is None:
        return default
    r = mapping(ctx, raw)
    policies = default.policies
    if r.get("policies") is not None:
        raw_policies = sequence(ctx.at(r, "policies"), r.get("policies"))
        policies = tuple(
            ScalingPolicy(
                str(p.get("type")),
                integer(ctx.at(r, "policies").item(raw_policies, i).at(p, "value"), p.get("value"), 1, minimum=1),
                integer(
                    ctx.at(r, "policies").item(raw_policies, i).at(p, "periodSeconds"),
                    p.get("periodSeconds"),
                    1,
                    minimum=1,
                ),
            )
            for i, p in enumerate(raw_policies)
        )
    window = default.stabilization_window
    if r.get("stabilizationWindowSeconds") is not None:
        window = integer(ctx.at(r, "stabilizationWindowSeconds"), r.get("stabilizationWindowSeconds"), 0)
    select = string(ctx.at(r, "selectPolicy"), r.get("selectPolicy")) or default.select_policy
    return ScalingRules(window, select, policies)


def _int_or_percent(value: object) -> str | None:
    """An IntOrString as written (validated already): "2", "50%", or None when unset."""
    return None if value is None else str(value)


def pod_disruption_budget(name: str, labels: Labels, sctx: Ctx, spec: dict[str, Any]) -> PodDisruptionBudget:
    """A policy/v1 PodDisruptionBudget (validated first: minAvailable and maxUnavailable are not
    both set, each is a count >= 0 or a percentage up to 100%). A missing selector matches no
    pod and an empty one every pod, as the disruption controller reads them."""
    raw = spec.get("selector")
    sel = label_selector(sctx.at(spec, "selector"), raw) if raw is not None else None
    return PodDisruptionBudget(
        name=name,
        selector=sel,
        min_available=_int_or_percent(spec.get("minAvailable")),
        max_unavailable=_int_or_percent(spec.get("maxUnavailable")),
        unhealthy_pod_eviction_policy=str(spec.get("unhealthyPodEvictionPolicy") or ""),
        labels=labels,
    )


MAX_INT32 = 2**31 - 1


def deployment_spec_extras(ctx: Ctx, spec: dict[str, Any], strategy: dict[str, Any]) -> dict[str, Any]:
    """strategy.type, revisionHistoryLimit (default 10), progressDeadlineSeconds (default 600;
    MaxInt32 means no deadline, as deploymentutil.HasProgressDeadline reads it) and paused."""
    limit = integer(ctx.at(spec, "revisionHistoryLimit"), spec.get("revisionHistoryLimit"), 10)
    deadline = integer(ctx.at(spec, "progressDeadlineSeconds"), spec.get("progressDeadlineSeconds"), 600)
    return {
        "strategy": str(strategy.get("type") or "RollingUpdate"),
        "revision_history_limit": None if limit == MAX_INT32 else limit,
        "progress_deadline_seconds": None if deadline == MAX_INT32 else deadline,
        "paused": spec.get("paused") is True,
    }


# --- reading a file's objects ---------------------------------------------------------------------


@attrs.frozen
class Rejected:
    """An object the apiserver would refuse (kept for a timeline ``apply``, which refuses it when
    it runs, as kubectl applies the valid objects of a file and reports the others)."""

    obj: str  # "deployment/web"
    message: str  # the apiserver's message
    file: str
    line: int | None


@attrs.frozen
class Reading:
    manifests: tuple[Manifest, ...]
    ignored: tuple[fieldpolicy.Finding, ...] = ()  # unmodelled fields and kinds, with allow_unmodelled
    rejected: tuple[Rejected, ...] = ()  # invalid objects, with keep_invalid
    skipped: tuple[Skipped, ...] = ()  # objects of kinds that change nothing kmodel models


def refusal(finding: fieldpolicy.Finding) -> KmodelError:
    return KmodelError(
        finding.problem(),
        file=finding.file,
        line=finding.line,
        where=f"{finding.obj} {finding.path}".strip(),
        fix=fieldpolicy.ALLOW_FIX,
    )


def read_manifests(
    docs: list[MarkedDict],
    file: str,
    *,
    version: str,
    allow_unmodelled: bool = False,
    keep_invalid: bool = False,
) -> Reading:
    """The Kubernetes objects of a file (the kmodel documents skipped), validated for the
    apiserver of ``version`` and checked against the field policy. Raises KmodelError for the
    first problem; with ``allow_unmodelled`` unmodelled fields (and objects of kinds kmodel
    would need to model) are returned as ignored, and with ``keep_invalid`` objects the
    apiserver would refuse are returned as rejected. Objects of kinds that change nothing kmodel
    models are returned as skipped."""
    manifests: list[Manifest] = []
    ignored: list[fieldpolicy.Finding] = []
    rejected: list[Rejected] = []
    skipped: list[Skipped] = []
    seen: dict[tuple[str, str], int] = {}
    for doc in docs:
        if doc.get("apiVersion") == "kmodel.dev/v1alpha1":
            continue
        kind = sort_kind(doc, file)
        if isinstance(kind, Skipped):
            skipped.append(kind)
            continue
        if isinstance(kind, fieldpolicy.Finding):
            if not allow_unmodelled:
                raise refusal(kind)
            ignored.append(kind)
            continue
        try:
            apivalidation.validate(doc, file, version)
        except apivalidation.Invalid as err:
            if not keep_invalid:
                raise
            rejected.append(Rejected(err.obj, err.apiserver, file, err.line))
            continue
        name = str(doc["metadata"]["name"])
        findings = fieldpolicy.check_document(doc, file, f"{kind.lower()}/{name}")
        if findings and not allow_unmodelled:
            raise refusal(findings[0])
        ignored.extend(findings)
        m = parse_object(doc, file)
        key = (m.kind, m.namespace or "default", m.name)  # two namespaces may hold the same name
        if key in seen:
            where = f" in namespace {m.namespace}" if m.namespace else ""
            raise KmodelError(
                f"{m.kind.lower()}/{m.name} is defined twice{where} (first at line {seen[key]})",
                file=file,
                line=m.line,
                fix="give each object a unique name",
            )
        seen[key] = m.line
        manifests.append(m)
    return Reading(tuple(manifests), tuple(ignored), tuple(rejected), tuple(skipped))
