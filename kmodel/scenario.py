"""Scenario files: Kubernetes manifests plus an optional ``kind: Scenario`` document.

::

    apiVersion: kmodel.dev/v1alpha1
    kind: Scenario
    metadata: {name: node-failure}
    description: one worker is powered off
    settings: {nodeMonitorGracePeriod: 50s}      # camelCase flag names, durations like 50s, 5m
    until: 15m                                   # how long `kmodel simulate` runs by default
    timeline: ["60s stop node/worker-1"]         # see kmodel.timeline for the event syntax
    faults: {powerOffNode: 1, stopComponent: 1}  # what a checker may inject (kmodel check)
    workloads:                                   # how a Job's containers behave (default: forever)
      job/pi: {runFor: 30s}                      # each run lasts 30 s and exits 0
      job/flaky: {runFor: 10s, exitCode: 1, failures: 2}  # the first 2 runs exit 1, later ones 0
    faultRules:                                  # faults the cluster's own state sets off
      - {name: overload, forEach: node, when: "n.cpu_requested_percent >= 98", action: crash,
         rebootAfter: 2m, max: 2}                # see kmodel.faultrules for actions and semantics
    controlPlane: {machines: [cp-1, cp-2, cp-3]} # several control-plane machines (kmodel.ha):
                                                 # etcd: stacked|external, etcdMachines: [...]
    load:                                        # what the metrics server reports (kmodel.loadmodel)
      deployment/web: {cpu: 300m}                # per pod; or a timeline [{at: 0s, cpu: 200m}, ...],
                                                 # total: {cpu: 2000m} (spread over ready pods),
                                                 # startup: {cpu: 900m, for: 60s}, {oneOf: [...]}

A file with manifests only is a valid scenario: default settings apply, and without Node
manifests the cluster is kind's default shape: a tainted control-plane node and two workers.
Nodes listed in the file are running and Ready when the scenario starts; every other object is
applied at t=0, so the controllers and the scheduler bring it up as they would on a real cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from kmodel import deschedulerpolicy, faultrules, ha, hapartition, limits, namespaces, partitions, watchcache
from kmodel.deschedulerpolicy import DeschedulerSetup
from kmodel.errors import KmodelError, shown
from kmodel.fieldpolicy import Finding
from kmodel.loadmodel import WorkloadLoad, parse_load
from kmodel.manifests import (
    Ctx,
    Manifest,
    MarkedDict,
    Skipped,
    load_documents,
    mapping,
    read_manifests,
    sequence,
    string,
)
from kmodel.settings import LimitError, Settings, SettingsError, model_duration, settings_from
from kmodel.state import (
    LABEL_ARCH,
    LABEL_CONTROL_PLANE,
    LABEL_HOSTNAME,
    LABEL_OS,
    NO_SCHEDULE,
    Cluster,
    ContainerBehaviour,
    DaemonSet,
    Deployment,
    Job,
    Node,
    Pod,
    ReplicaSet,
    StatefulSet,
    Taint,
    labels_of,
)
from kmodel.timeline import TimedEvent, parse_event
from kmodel.useractions import apply_object, forbidden, register_running_node

SCENARIO_API = "kmodel.dev/v1alpha1"
DEFAULT_UNTIL = 15 * 60

FAULT_KINDS = (
    "powerOffNode",
    "stopKubelet",
    "stopRuntime",
    "stopComponent",
    "partitionNode",
    "partitionZone",
    "partitionControlPlane",
    "deletePod",
    "killPod",
    "failProbe",
    "drainNode",
)
SCENARIO_KEYS = (
    "apiVersion",
    "kind",
    "metadata",
    "description",
    "settings",
    "until",
    "timeline",
    "faults",
    "workloads",
    "faultRules",
    "descheduler",
    "load",
    "controlPlane",
)
BEHAVIOUR_KEYS = ("runFor", "exitCode", "failures")


@frozen
class Scenario:
    path: str
    name: str
    description: str
    settings: Settings
    manifests: tuple[Manifest, ...]
    nodes: tuple[Node, ...]
    timeline: tuple[TimedEvent, ...]
    until: int
    faults: tuple[tuple[str, int], ...] | None  # None: not declared (the checker's default)
    default_cluster: bool
    # with allow_unmodelled: the unmodelled fields left out (of the file and of applied files)
    ignored: tuple[Finding, ...] = ()
    # objects of kinds that change nothing kmodel models (ConfigMap, Secret, ...): left out
    skipped: tuple[Skipped, ...] = ()
    # the faultRules section (kmodel.faultrules)
    fault_rules: tuple[faultrules.FaultRule, ...] = ()
    # the descheduler, when a DeschedulerPolicy enables it (kmodel.deschedulerpolicy)
    descheduler: DeschedulerSetup | None = None
    # the load model (the Scenario's load: section; kmodel.loadmodel)
    loads: tuple[WorkloadLoad, ...] = ()
    # several control-plane machines (the controlPlane section; kmodel.ha), None: the single one
    control_plane: ha.HAControlPlane | None = None

    @property
    def warnings(self) -> tuple[str, ...]:
        """One line per object or field left out: ``ignoring deployment/web
        spec.template.spec.affinity at app.yaml:31; kmodel needs ...``, ``ignoring
        configmap/settings at app.yaml:2 (a ConfigMap changes nothing kmodel models: ...)``.
        Every report shows them."""
        return (
            tuple(s.warning() for s in self.skipped)
            + tuple(f.warning() for f in self.ignored)
            + self._job_assumptions()
            + self._load_assumptions()
        )

    def _load_assumptions(self) -> tuple[str, ...]:
        """A HorizontalPodAutoscaler whose target the ``load`` section says nothing about gets
        no metrics (the metrics server reports no usage for its pods, so it never rescales on
        them): named, so that an autoscaler that never acts is not a surprise."""
        every = (*self.manifests, *(m for ev in self.timeline for m in ev.manifests))
        loaded = {(w.kind, w.name) for w in self.loads}
        out = []
        for m in every:
            if m.kind != "HorizontalPodAutoscaler" or m.obj is None:
                continue
            target = (m.obj.target_kind.lower(), m.obj.target_name)
            if target not in loaded:
                out.append(
                    f"assuming no metrics for {target[0]}/{target[1]} (the target of horizontalpodautoscaler/"
                    f"{m.name}, which then never rescales on them): the Scenario's load section has no "
                    f"{target[0]}/{target[1]} entry (add one, e.g. `{target[0]}/{target[1]}: {{cpu: 300m}}`)"
                )
        return tuple(out)

    def _job_assumptions(self) -> tuple[str, ...]:
        """A Job the ``workloads`` section says nothing about runs containers that never exit:
        named, so that a Job that never completes is not a surprise."""
        jobs = [m for m in (*self.manifests, *(m for ev in self.timeline for m in ev.manifests)) if m.kind == "Job"]
        return tuple(
            f"assuming the containers of job/{key} never exit: the Scenario's workloads section has no "
            f"job/{key} entry (add one, e.g. `job/{key}: {{runFor: 30s}}`)"
            for m in jobs
            if getattr(m.obj, "behaviour", None) is None
            for key in [_job_key(m)]
        )

    def ignoring(self) -> str:
        """What a verdict rests on having left out, for the end of a verdict line: ``(ignoring
        affinity at app.yaml:31)``; "" when nothing was."""
        return ignoring_note(self.ignored)

    def initial_state(self) -> Cluster:
        """The cluster at t=0: the nodes up and Ready, every other object just applied."""
        cluster = Cluster(settings=self.settings, loads=self.loads)
        for node in self.nodes:
            cluster = register_running_node(cluster, node)
        for m in sorted(self.manifests, key=lambda m: m.kind != "PriorityClass"):
            if m.kind == "Node":
                continue
            cluster, _ = apply_object(cluster, m)
            if isinstance(m.obj, Pod) and m.obj.node_name:
                # a bare pod that names its node is bound already (no scheduling)
                pod = cluster.pod(namespaces.key(m.namespace, m.obj.name))
                assert pod is not None
                cluster = cluster.with_pod(attrs.evolve(pod, node_name=m.obj.node_name))
        if self.descheduler is not None:
            cluster = attrs.evolve(cluster, descheduler=self.descheduler.initial())
        if self.control_plane is not None:
            cluster = ha.start(cluster, self.control_plane)
        return cluster

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for m in self.manifests:
            if m.kind != "Node":
                counts[m.kind] = counts.get(m.kind, 0) + 1
        parts = [f"{len(self.nodes)} node{'s' if len(self.nodes) != 1 else ''}"]
        parts += [f"{n} {k}{('es' if k.endswith('s') else 's') if n != 1 else ''}" for k, n in sorted(counts.items())]
        if self.default_cluster:
            parts[0] += " (default cluster)"
        if self.descheduler is not None:
            parts.append(self.descheduler.summary())
        return f"{Path(self.path).name}: {', '.join(parts)}"


def _check_admission(file: str, manifests: tuple[Manifest, ...], settings: Settings) -> None:
    """Objects admission would refuse when the file is applied (a pod naming a PriorityClass
    that does not exist, a second globalDefault class): the apiserver's error, at the object.
    PriorityClasses are applied first (as a cluster set up before its workloads has them)."""
    cluster = Cluster(settings=settings)
    for m in sorted(manifests, key=lambda m: m.kind != "PriorityClass"):
        error = forbidden(cluster, m)
        if error is not None:
            raise KmodelError(
                f"the apiserver refuses it: {error}",
                file=file,
                line=m.line,
                where=f"{m.kind.lower()}/{m.name}",
                fix="create the PriorityClass it names (or name an existing one); keep one globalDefault class",
            )
        cluster, _ = apply_object(cluster, m)


def default_nodes() -> tuple[Node, ...]:
    """kind's default cluster: one control-plane node (tainted NoSchedule) and two workers."""

    def node(name: str, cp: bool) -> Node:
        labels = {LABEL_HOSTNAME: name, LABEL_OS: "linux", LABEL_ARCH: "amd64"}
        taints: tuple[Taint, ...] = ()
        if cp:
            labels[LABEL_CONTROL_PLANE] = ""
            taints = (Taint(key=LABEL_CONTROL_PLANE, effect=NO_SCHEDULE),)
        return Node(name=name, labels=labels_of(labels), taints=taints, control_plane=cp)

    return (node("kind-control-plane", True), node("kind-worker", False), node("kind-worker2", False))


def ignoring_note(ignored: tuple[Finding, ...], most: int = 3) -> str:
    if not ignored:
        return ""
    shown = [f.short() for f in ignored[:most]]
    more = len(ignored) - most
    rest = f" and {more} more unmodelled field{'s' if more > 1 else ''}" if more > 0 else ""
    return f"(ignoring {', '.join(shown)}{rest})"


def load(path: str | Path, extra_events: list[str] | None = None, allow_unmodelled: bool = False) -> Scenario:
    """Read and check a scenario file. Raises KmodelError (one line, exit code 2) on bad input,
    and on a field that changes behaviour but is not modelled, unless ``allow_unmodelled``: then
    each such field is left out and recorded in ``Scenario.ignored`` (and ``warnings``)."""
    p = Path(path)
    file = str(path)
    docs = load_documents(p, "scenario")
    if not docs:
        raise KmodelError(
            "no Kubernetes objects in the file",
            file=file,
            fix="add manifests (Node, Pod, Deployment, ReplicaSet, StatefulSet, Service) separated by ---",
        )
    scen_docs = [d for d in docs if d.get("apiVersion") == SCENARIO_API or d.get("kind") == "Scenario"]
    if len(scen_docs) > 1:
        raise KmodelError(
            "more than one Scenario document",
            file=file,
            line=scen_docs[1].line,
            fix="merge them into one kind: Scenario document",
        )
    scen: dict[str, Any] = scen_docs[0] if scen_docs else MarkedDict()
    sctx = Ctx(file, "Scenario", line=getattr(scen, "line", None))
    if scen_docs:
        if scen.get("apiVersion") != SCENARIO_API:
            raise sctx.at(scen, "apiVersion").error(
                f"a Scenario is {SCENARIO_API}", f"write apiVersion: {SCENARIO_API}"
            )
        if scen.get("kind") != "Scenario":
            raise sctx.at(scen, "kind").error(f"{SCENARIO_API} only has kind Scenario", "write kind: Scenario")
        for key in scen:
            if key not in SCENARIO_KEYS:
                raise sctx.at(scen, key).error(f"unknown field {shown(key)}", f"use {', '.join(SCENARIO_KEYS[2:])}")
    meta = mapping(sctx.at(scen, "metadata"), scen.get("metadata"))
    name = string(sctx.at(scen, "metadata").at(meta, "name"), meta.get("name")) or p.stem
    if len(name) > limits.MAX_NAME:
        raise (
            sctx.at(scen, "metadata")
            .at(meta, "name")
            .error(
                f"the name is {len(name)} characters long; names are at most {limits.MAX_NAME}", "use a shorter name"
            )
        )
    description = string(sctx.at(scen, "description"), scen.get("description"))

    raw_settings = mapping(sctx.at(scen, "settings"), scen.get("settings"))
    try:
        settings = settings_from(dict(raw_settings))
    except SettingsError as err:
        key = err.key if err.key in raw_settings else None
        ctx = sctx.at(scen, "settings")
        if key is not None:
            ctx = ctx.at(raw_settings, key)
        raise KmodelError(
            str(err),
            file=file,
            line=ctx.line,
            where="Scenario settings",
            fix="see `kmodel settings` for the keys, defaults and units",
        ) from None

    until = DEFAULT_UNTIL
    if "until" in scen:
        try:
            until = model_duration(scen["until"])
        except ValueError as err:
            if isinstance(err, LimitError):
                raise sctx.at(scen, "until").error(str(err), err.fix) from None
            raise sctx.at(scen, "until").error(
                f"{err} (got {shown(scen['until'])})", "write a duration like 15m"
            ) from None

    version = settings.kubernetes_version
    policy_docs = [d for d in docs if deschedulerpolicy.is_policy(d)]
    docs = [d for d in docs if not deschedulerpolicy.is_policy(d)]
    desched = deschedulerpolicy.setup(
        file, p.parent, policy_docs, scen.get("descheduler"), sctx.at(scen, "descheduler")
    )
    reading = read_manifests(docs, file, version=version, allow_unmodelled=allow_unmodelled)
    manifests = reading.manifests
    ignored = list(reading.ignored)
    skipped = list(reading.skipped)
    nodes = tuple(m.obj for m in manifests if isinstance(m.obj, Node))
    default_cluster = not nodes
    if default_cluster:
        nodes = default_nodes()
    node_names = {n.name for n in nodes}
    for m in manifests:
        pinned = m.obj.node_name if isinstance(m.obj, Pod) else None
        if isinstance(m.obj, Deployment | ReplicaSet | StatefulSet | DaemonSet):
            pinned = m.obj.template.node_name
        if pinned and pinned not in node_names:
            field = "spec.nodeName" if isinstance(m.obj, Pod) else "spec.template.spec.nodeName"
            raise KmodelError(
                f"{field} names node {pinned!r}, which is not in the scenario",
                file=file,
                line=m.node_name_line or m.line,
                where=f"{m.kind.lower()}/{m.name}",
                fix=f"add a Node manifest named {pinned} or use one of: {', '.join(sorted(node_names))}",
            )
    _check_admission(file, manifests, settings)
    control_plane = None
    if "controlPlane" in scen:
        control_plane = ha.parse(sctx.at(scen, "controlPlane"), scen.get("controlPlane"), node_names)
    watchcache.check_scenario(sctx.at(scen, "settings"), scen.get("settings"), settings, control_plane)

    timeline: list[TimedEvent] = []
    places: list[tuple[str, int | None, str]] = []
    tctx = sctx.at(scen, "timeline")
    raw_timeline = sequence(tctx, scen.get("timeline"))
    limits.check("max_events", len(raw_timeline) + len(extra_events or []), "timeline events", file=file)
    for i, text in enumerate(raw_timeline):
        ictx = tctx.item(raw_timeline, i)
        timeline.append(
            parse_event(
                text,
                file=file,
                line=ictx.line,
                where=f"timeline[{i}]",
                base_dir=p.parent,
                version=version,
                allow_unmodelled=allow_unmodelled,
            )
        )
        places.append((file, ictx.line, f"timeline[{i}]"))
    for i, text in enumerate(extra_events or []):
        timeline.append(
            parse_event(
                text,
                file="--event",
                line=None,
                where=f"event {i + 1}",
                base_dir=Path.cwd(),
                version=version,
                allow_unmodelled=allow_unmodelled,
            )
        )
        places.append(("--event", None, f"event {i + 1}"))
    # nodes that the timeline may add by apply are valid targets too
    known_nodes = node_names | {m.name for ev in timeline for m in ev.manifests if m.kind == "Node"}
    known_nodes |= {ev.name for ev in timeline if ev.verb == "join"}  # kmodel.partitions
    partitions.check_events(timeline, nodes, places)
    hapartition.check_events(timeline, control_plane, places)  # partition node/A from node/B
    for ev, (src, line, where) in zip(timeline, places, strict=True):
        if ev.verb in ("stop", "start") and "/" not in ev.target:
            ha.check_timeline_target(ev.target, control_plane, where, src, line)
        if (
            ev.kind in ("node", "kubelet", "runtime")
            and ev.name not in known_nodes
            and ev.verb != "delete"
            and not hapartition.is_between(ev)  # checked above; external etcd machines are no Nodes
        ):
            raise KmodelError(
                f"event {shown(ev.text)} names node {shown(ev.name)}, which is not in the scenario",
                file=src,
                line=line,
                where=where,
                fix=f"use one of: {', '.join(sorted(known_nodes))}",
            )
    timeline.sort(key=lambda e: e.at)  # stable: events at the same time keep their order
    for ev in timeline:
        ignored.extend(f for f in ev.ignored if f not in ignored)
        skipped.extend(s for s in ev.skipped if s not in skipped)
    _check_size(file, manifests, timeline)
    timeline = _namespaced(manifests, timeline)

    faults = _faults(sctx.at(scen, "faults"), scen.get("faults")) if "faults" in scen else None
    if "workloads" in scen:
        behaviours = _workloads(sctx.at(scen, "workloads"), scen.get("workloads"), manifests, timeline)
        manifests = tuple(_with_behaviour(m, behaviours) for m in manifests)
        timeline = [
            attrs.evolve(ev, manifests=tuple(_with_behaviour(m, behaviours) for m in ev.manifests)) for ev in timeline
        ]
    rules = faultrules.parse(sctx.at(scen, "faultRules"), scen.get("faultRules")) if "faultRules" in scen else ()
    loads = ()
    if "load" in scen:
        every = (*manifests, *(m for ev in timeline for m in ev.manifests))
        loads = parse_load(sctx.at(scen, "load"), scen.get("load"), every)
    scenario = Scenario(
        path=file,
        name=name,
        description=description,
        settings=settings,
        manifests=manifests,
        nodes=nodes,
        timeline=tuple(timeline),
        until=until,
        faults=faults,
        default_cluster=default_cluster,
        ignored=tuple(ignored),
        skipped=tuple(skipped),
        fault_rules=rules,
        descheduler=desched,
        loads=loads,
        control_plane=control_plane,
    )
    if rules:
        faultrules.validate(rules, scenario.initial_state(), file)
    return scenario


def _namespaced(manifests: tuple[Manifest, ...], timeline: list[TimedEvent]) -> list[TimedEvent]:
    """Events with ``-n`` a namespace no object of the scenario is in find nothing there."""
    every = [m for m in (*manifests, *(m for ev in timeline for m in ev.manifests)) if m.kind != "Node"]
    known = {m.namespace for m in every if m.namespace}
    if not every or any(not m.namespace for m in every):
        known.add("default")
    return [attrs.evolve(ev, elsewhere=True) if ev.namespace and ev.namespace not in known else ev for ev in timeline]


def _check_size(file: str, manifests: tuple[Manifest, ...], timeline: list[TimedEvent]) -> None:
    """The scenario's nodes and pods (in the file and in the files its timeline applies) within
    the limits maxNodes and maxPods."""
    every = (*manifests, *(m for ev in timeline for m in ev.manifests))
    nodes = {m.name for m in every if m.kind == "Node"}
    limits.check("max_nodes", len(nodes), "the scenario's nodes", file=file)
    pods: dict[tuple[str, str], int] = {}
    for m in every:
        if isinstance(m.obj, Pod):
            pods[(m.kind, m.name)] = 1
        elif isinstance(m.obj, Deployment | ReplicaSet | StatefulSet):
            pods[(m.kind, m.name)] = max(pods.get((m.kind, m.name), 0), m.obj.replicas)
        elif isinstance(m.obj, Job):
            pods[(m.kind, m.name)] = max(pods.get((m.kind, m.name), 0), m.obj.parallelism)
        elif isinstance(m.obj, DaemonSet):
            pods[(m.kind, m.name)] = max(len(nodes), 1)  # at most one a node (two while surging)
    limits.check("max_pods", sum(pods.values()), "the pods the scenario asks for (bare pods and replicas)", file=file)


def _workloads(
    ctx: Ctx, raw: object, manifests: tuple[Manifest, ...], timeline: list[TimedEvent]
) -> dict[str, ContainerBehaviour]:
    """The ``workloads`` section: for each ``job/NAME``, how its containers behave (runFor: how
    long each container run lasts; exitCode: what it exits with, default 0; failures: only the
    first N runs of the Job exit with exitCode, later ones exit 0)."""
    m = mapping(ctx, raw)
    jobs = {_job_key(x) for x in (*manifests, *(y for ev in timeline for y in ev.manifests)) if x.kind == "Job"}
    out: dict[str, ContainerBehaviour] = {}
    for key, value in m.items():
        kctx = ctx.at(m, key)
        kind, _, name = str(key).partition("/")
        if kind != "job" or not name:
            raise kctx.error(
                f"unknown workload {shown(key)}", "name a Job as job/NAME (job/NAMESPACE/NAME outside default)"
            )
        if "/" not in name:
            # job/NAME: the Job of that name in default, or the only Job of that name in any namespace
            named = sorted(j for j in jobs if j.rpartition("/")[2] == name)
            if len(named) > 1 and name not in named:
                raise kctx.error(
                    f"job/{name} is ambiguous: {', '.join(named)} are Jobs of that name",
                    f"name one as job/NAMESPACE/NAME ({', '.join(f'job/{j}' for j in named)})",
                )
            if len(named) == 1:
                name = named[0]
        if name not in jobs:
            known = ", ".join(sorted(jobs)) or "none"
            raise kctx.error(f"no Job named {shown(name)} in the scenario", f"use one of the Jobs ({known})")
        spec = mapping(kctx, value, required=True)
        for field in spec:
            if field not in BEHAVIOUR_KEYS:
                raise kctx.at(spec, field).error(f"unknown field {shown(field)}", f"use {', '.join(BEHAVIOUR_KEYS)}")
        if "runFor" not in spec:
            raise kctx.error("runFor is missing", "say how long each container run lasts, e.g. runFor: 30s")
        try:
            run = model_duration(spec["runFor"])
        except ValueError as err:
            raise kctx.at(spec, "runFor").error(
                f"{err} (got {shown(spec['runFor'])})", "write a duration like 30s"
            ) from None
        code = spec.get("exitCode", 0)
        if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code <= 255:
            raise kctx.at(spec, "exitCode").error(f"must be a whole number 0..255, got {shown(code)}", "write e.g. 1")
        failures = spec.get("failures")
        if failures is not None:
            if isinstance(failures, bool) or not isinstance(failures, int) or failures < 0:
                raise kctx.at(spec, "failures").error(
                    f"must be a count >= 0, got {shown(failures)}", "write how many runs fail before they succeed"
                )
            if code == 0:
                raise kctx.at(spec, "failures").error(
                    "failures needs a non-zero exitCode", "give exitCode, e.g. 1, or leave failures out"
                )
        out[name] = ContainerBehaviour(run_seconds=run, exit_code=code, failures=failures)
    return out


def _job_key(m: Manifest) -> str:
    """How the workloads section names a Job: NAME in default, NAMESPACE/NAME elsewhere."""
    return namespaces.key(m.namespace, m.name)


def _with_behaviour(m: Manifest, behaviours: dict[str, ContainerBehaviour]) -> Manifest:
    key = _job_key(m)
    if isinstance(m.obj, Job) and key in behaviours:
        return attrs.evolve(m, obj=attrs.evolve(m.obj, behaviour=behaviours[key]))
    return m


def _faults(ctx: Ctx, raw: object) -> tuple[tuple[str, int], ...]:
    m = mapping(ctx, raw)
    out = []
    for key, value in m.items():
        if key not in FAULT_KINDS:
            raise ctx.at(m, key).error(f"unknown fault kind {shown(key)}", f"use {', '.join(FAULT_KINDS)}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ctx.at(m, key).error(
                f"must be a count >= 0, got {shown(value)}", "write how many times the fault may happen"
            )
        if value > limits.current().max_faults:
            raise ctx.at(m, key).error(limits.exceeded("max_faults", "the count", value), limits.fix("max_faults"))
        out.append((str(key), value))
    return tuple(sorted(out))
