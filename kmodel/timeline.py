"""Timeline events: ``"<time> <verb> <target> [args]"``, in a scenario or on the command line.

Verbs and targets::

    stop|start   node/NAME            power a machine off / on
    stop|start   kubelet/NAME         the kubelet service on a node
    stop|start   runtime/NAME         the container runtime on a node (the kubelet reports NotReady)
    stop|start   apiserver | etcd | scheduler | controller-manager | control-plane
                 (with a controlPlane section: PROCESS@MACHINE for one machine's, e.g.
                 scheduler@cp-2; without @ the process on every control-plane machine; kmodel.ha)
    partition|heal node/NAME          cut a node off from the apiserver / reconnect it
    partition|heal zone/ZONE          cut a zone from the rest / reconnect it (kmodel.partitions)
    partition|heal node/NAME from node/B,node/C | from etcd
                 cut control-plane machines off from each other / reconnect them (kmodel.hapartition)
    join         node/NAME [key=value ...]   a new machine's kubelet registers it, with those labels
    kill         pod/NAME             kill the pod's containers and sandbox on its node
    delete       pod/NAME | node/NAME | deployment/NAME | replicaset/NAME | service/NAME | statefulset/NAME
                 | daemonset/NAME | job/NAME | horizontalpodautoscaler/NAME (pod names may be glob
                 | daemonset/NAME | job/NAME | poddisruptionbudget/NAME (pod names may be glob
                 patterns: pod/hello-world-*;
                 add --force, or --grace-period=0 --force, for pods: the object is removed at
                 once, whatever its kubelet does)
    scale        deployment/NAME N | replicaset/NAME N | statefulset/NAME N
    apply        FILE                 relative to the scenario file
    cordon|uncordon node/NAME
    drain        node/NAME [--timeout=DUR] [--ignore-daemonsets] [--force] [--delete-emptydir-data]
                 [--disable-eviction]   cordon, then evict the node's pods through the eviction API
                 (kmodel.components.drain: retries a 429 every 5 s, waits for the pods to go)
    taint        node/NAME key[=value]:Effect ... [--overwrite]   (key:Effect- or key- removes)
    label        node/NAME | pod/NAME key=value ... key- ... [--overwrite]
    annotate     node/NAME | pod/NAME | deployment/NAME | replicaset/NAME | service/NAME
                 key=value ... key- ... [--overwrite]
    fail-probe|pass-probe  readiness|liveness|startup  pod/NAME | deployment/NAME | replicaset/NAME
                 the application starts failing / passes again that probe (every pod of the
                 workload at that moment; pod names may be glob patterns)
    taint        node/NAME key[=value]:Effect[-]
    rollout      restart|pause|resume deployment/NAME
    rollout      undo deployment/NAME [--to-revision=N]
    set          image deployment/NAME CONTAINER=IMAGE

Any event may end in ``-n NAMESPACE`` (or ``--namespace NAMESPACE``, ``--namespace=NAMESPACE``),
as with kubectl: the event acts on the object of that name in that namespace, and without ``-n``
in ``default`` (kubectl's context namespace); where there is no such object it finds nothing
(kubectl's ``NotFound``). Nodes and control-plane processes belong to no namespace, as in
Kubernetes. ``apply -n NAMESPACE`` puts the file's objects that name no namespace in that one
(kmodel.namespaces).

Parsing checks everything that can be known before running (verb, target shape, numbers, the
file to apply, node names); what only the run can tell (a pod that does not exist at that time)
becomes a ``NotFound`` event, as kubectl would print.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from pathlib import Path

import attrs
from attrs import frozen

from kmodel import apivalidation, faults, hapartition, limits, namespaces, partitions, useractions
from kmodel.components import drain
from kmodel.errors import KmodelError, cut, kind_of, shown
from kmodel.fieldpolicy import BEHAVIOUR_ANNOTATIONS, Finding
from kmodel.manifests import Manifest, Rejected, Skipped, load_documents, read_manifests
from kmodel.probespec import PROBE_KINDS
from kmodel.settings import model_duration
from kmodel.state import TAINT_EFFECTS, Cluster, Taint
from kmodel.transition import Event, Outcome
from kmodel.versions import DEFAULT_VERSION

VERBS = (
    "stop",
    "start",
    "partition",
    "heal",
    "join",
    "kill",
    "delete",
    "scale",
    "apply",
    "cordon",
    "uncordon",
    "taint",
    "label",
    "annotate",
    "fail-probe",
    "pass-probe",
    "rollout",
    "set",
    "drain",
)
PROBE_VERBS = ("fail-probe", "pass-probe")
PROBE_TARGETS = ("pod", "deployment", "replicaset")
LABEL_KINDS = ("node", "pod")
ANNOTATE_KINDS = ("node", "pod", "deployment", "replicaset", "service")
ROLLOUT_VERBS = ("restart", "undo", "pause", "resume")
COMPONENT_TARGETS = ("apiserver", "etcd", "scheduler", "controller-manager", "control-plane")
DELETE_KINDS = (
    "pod",
    "node",
    "deployment",
    "replicaset",
    "service",
    "statefulset",
    "job",
    "daemonset",
    "horizontalpodautoscaler",
    "poddisruptionbudget",
)
NAMESPACED_KINDS = (*DELETE_KINDS[:1], *DELETE_KINDS[2:])  # every kind but node
# kubectl delete pod/NAME --force (with or without --grace-period=0): the object goes at once
FORCE_DELETE_ARGS = (("--force",), ("--grace-period=0", "--force"), ("--force", "--grace-period=0"))
SOURCE = "fault"
MAX_EVENT_TEXT = 5000  # characters of one event (a file path is at most 4096)

_TAINT = re.compile(r"^([A-Za-z0-9./_-]+)(?:=([A-Za-z0-9._-]*))?:([A-Za-z]+)(-?)$")


@frozen
class TimedEvent:
    at: int
    verb: str
    target: str  # "node/x", "scheduler", "file.yaml", ...
    args: tuple[str, ...] = ()
    text: str = ""
    manifests: tuple[Manifest, ...] = ()  # for apply
    rejected: tuple[Rejected, ...] = ()  # apply: objects of the file the apiserver refuses
    ignored: tuple[Finding, ...] = ()  # apply, with allow_unmodelled: the fields left out
    skipped: tuple[Skipped, ...] = ()  # apply: objects of kinds that change nothing kmodel models
    namespace: str | None = None  # -n NAMESPACE, as written
    elsewhere: bool = False  # -n names a namespace the scenario has no object in: nothing is found

    @property
    def kind(self) -> str:
        # "scheduler@cp-2": one machine's process (kmodel.ha)
        return self.target.split("/", 1)[0] if "/" in self.target else self.target.split("@", 1)[0]

    @property
    def name(self) -> str:
        """The target's name as kmodel stores it: keyed by the event's namespace (``-n``,
        ``default`` when not given) for a namespaced kind (kmodel.namespaces)."""
        local = self.target.split("/", 1)[1] if "/" in self.target else ""
        return namespaces.key(self.namespace, local) if self.kind in NAMESPACED_KINDS else local


def _kind_of(value: object) -> str:
    return kind_of(value)


def parse_event(
    text: object,
    *,
    file: str,
    line: int | None,
    where: str,
    base_dir: Path,
    version: str | None = None,
    allow_unmodelled: bool = False,
) -> TimedEvent:
    """One event; an ``apply`` reads its file as the apiserver of ``version`` would (an invalid
    object is refused when the event runs) under the field policy (``allow_unmodelled``)."""

    def bad(message: str, fix: str) -> KmodelError:
        return KmodelError(message, file=file, line=line, where=where, fix=fix)

    if not isinstance(text, str):
        raise bad(
            f"an event must be a string, got {_kind_of(text)}",
            'write it like "60s stop node/worker-1"',
        )
    if len(text) > MAX_EVENT_TEXT:
        raise bad(f"the event is {len(text)} characters long (at most {MAX_EVENT_TEXT})", "shorten it")
    shown_text = shown(text)
    words = text.split()
    if len(words) < 2:
        raise bad(
            f"incomplete event {shown_text}", 'write "<time> <verb> <target> [args]", e.g. "60s stop node/worker-1"'
        )
    try:
        at = model_duration(words[0])
    except ValueError as err:
        fix = getattr(err, "fix", "start the event with a time like 0s, 90s or 5m")
        raise bad(f"bad time {shown(words[0])} in {shown_text}: {err}", fix) from None
    verb = words[1]
    if verb not in VERBS:
        raise bad(f"unknown event verb {shown(verb)} in {shown_text}", f"use one of: {', '.join(VERBS)}")
    if len(words) < 3:
        raise bad(f"{verb} needs a target in {shown_text}", "add a target such as node/NAME or pod/NAME")
    if verb in ("rollout", "set"):
        return _rollout_event(at, verb, words, text, bad)
    target = words[2]
    args, namespace = _namespace_option(words[3:], bad)
    if verb in PROBE_VERBS:
        # "<time> fail-probe KIND TARGET": the probe kind first, as the verb reads
        if target not in PROBE_KINDS:
            raise bad(
                f"{verb} needs a probe kind, got {shown(target)} in {shown_text}",
                f'write e.g. "{cut(words[0], 20)} {verb} readiness pod/NAME" (kinds: {", ".join(PROBE_KINDS)})',
            )
        if len(args) != 1:
            raise bad(
                f"{verb} {target} takes one target, got {len(args)} in {shown_text}",
                f"write {verb} {target} pod/NAME, deployment/NAME or replicaset/NAME",
            )
        target, args = args[0], (target,)
    kind = target.split("/", 1)[0] if "/" in target else target.split("@", 1)[0]
    if len(target.split("/", 1)[-1]) > limits.MAX_NAME:
        raise bad(f"the name in {shown(target)} is longer than {limits.MAX_NAME} characters", "use the object's name")

    def expect(kinds: tuple[str, ...], nargs: int = 0) -> None:
        if kind not in kinds or ("/" not in target and kind not in COMPONENT_TARGETS):
            raise bad(
                f"{verb} cannot take {shown(target)}",
                f"{verb} takes {' or '.join(k if k in COMPONENT_TARGETS else k + '/NAME' for k in kinds)}",
            )
        if "/" in target and not target.split("/", 1)[1]:
            raise bad(f"missing name in {shown(target)}", f"write {kind}/NAME")
        if len(args) != nargs:
            raise bad(
                f"{verb} {shown(target)} takes {nargs} argument(s), got {len(args)} in {shown_text}",
                "see 'kmodel simulate --help' for the event syntax",
            )

    manifests: tuple[Manifest, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    ignored: tuple[Finding, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    if verb in ("stop", "start"):
        expect(("node", "kubelet", "runtime", *COMPONENT_TARGETS))
    elif verb in ("partition", "heal") and args[:1] == ("from",) and kind == "node":
        problem = hapartition.parse_args(args)  # a cut between control-plane machines
        if problem is not None:
            raise bad(f"{verb} {shown(target)} from ...: {problem} in {shown_text}", hapartition.SYNTAX)
    elif verb in ("partition", "heal") and args and kind == "node":
        raise bad(
            f"{verb} between two machines ({shown_text}): kmodel models no traffic between nodes (no "
            "kube-proxy, no CNI, no client requests), so such a cut changes nothing it can see",
            f"write {verb} node/NAME (the node and the control plane) or {verb} zone/ZONE",
        )
    elif verb in ("partition", "heal"):
        expect(("node", "zone"))
    elif verb == "join":
        if kind != "node" or "/" not in target or not target.split("/", 1)[1]:
            raise bad(f"join cannot take {shown(target)}", "write join node/NAME [key=value ...]")
        for word in args:
            key, eq, _value = word.partition("=")
            if not eq or not key:
                raise bad(f"join takes labels key=value, got {shown(word)} in {shown_text}", "write key=value")
    elif verb in ("cordon", "uncordon"):
        expect(("node",))
    elif verb == "drain":
        expect(("node",), len(args))
        try:
            drain.parse_flags(args, model_duration)
        except ValueError as err:
            example = 'write e.g. "60s drain node/worker-1 --ignore-daemonsets --timeout=2m"'
            raise bad(f"drain: {err} in {shown_text}", example) from None
    elif verb == "kill":
        expect(("pod",))
    elif verb == "delete":
        if args in FORCE_DELETE_ARGS and kind == "pod":
            pass
        else:
            expect(DELETE_KINDS)
    elif verb == "scale":
        expect(("deployment", "replicaset", "statefulset"), 1)
        if not re.fullmatch(r"[0-9]{1,18}", args[0]):  # ASCII digits ("²".isdigit() is true)
            raise bad(
                f"replica count must be a whole number >= 0, got {shown(args[0])}",
                f'write e.g. "{cut(words[0], 20)} scale {cut(target, 60)} 3"',
            )
        if int(args[0]) > limits.current().max_replicas:
            raise bad(limits.exceeded("max_replicas", "the replica count", int(args[0])), limits.fix("max_replicas"))
    elif verb in ("taint", "label", "annotate"):
        changes = tuple(a for a in args if a != "--overwrite")
        expect(("node",) if verb == "taint" else LABEL_KINDS if verb == "label" else ANNOTATE_KINDS, len(args))
        if not changes:
            what = "key[=value]:Effect" if verb == "taint" else "key=value"
            raise bad(
                f"{verb} {shown(target)} needs at least one {what} in {shown_text}", f"write {verb} {target} {what}"
            )
        for word in changes:
            if verb == "taint":
                _taint_change(word, bad)
            else:
                _key_change(verb, word, bad)
    elif verb in PROBE_VERBS:
        expect(PROBE_TARGETS, 1)
    elif verb == "apply":
        if args:
            raise bad(f"apply takes one file, got {shown_text}", 'write "<time> apply FILE"')
        path = base_dir / target
        try:
            found = path.exists()
        except (OSError, ValueError):
            found = False
        if not found:
            raise bad(f"apply: file {shown(target, 80)} not found", "give a path relative to the scenario file")
        docs = load_documents(path)
        reading = read_manifests(
            docs,
            str(path),
            version=version or DEFAULT_VERSION,
            allow_unmodelled=allow_unmodelled,
            keep_invalid=True,
        )
        manifests, rejected, ignored = reading.manifests, reading.rejected, reading.ignored
        skipped = reading.skipped
        if namespace is not None:
            manifests = _into_namespace(manifests, namespace, bad)
    return TimedEvent(
        at=at,
        verb=verb,
        target=target,
        args=args,
        text=text.strip(),
        manifests=manifests,
        rejected=rejected,
        ignored=ignored,
        skipped=skipped,
        namespace=namespace,
    )


def _rollout_event(
    at: int, verb: str, words: list[str], text: str, bad: Callable[[str, str], KmodelError]
) -> TimedEvent:
    """``rollout restart|pause|resume|undo deployment/NAME [--to-revision=N]`` and
    ``set image deployment/NAME CONTAINER=IMAGE``: the event's args are (subcommand, ...)."""
    sub = words[2]
    subs = ROLLOUT_VERBS if verb == "rollout" else ("image",)
    example = "rollout restart deployment/web" if verb == "rollout" else "set image deployment/web app=nginx:1.27"
    if sub not in subs:
        raise bad(f"unknown {verb} subcommand {shown(sub)} in {shown(text)}", f"use one of: {', '.join(subs)}")
    rest, namespace = _namespace_option(words[3:], bad)
    if not rest or not rest[0].startswith("deployment/") or not rest[0].split("/", 1)[1]:
        raise bad(f"{verb} {sub} needs deployment/NAME in {shown(text)}", f'write e.g. "{words[0]} {example}"')
    target, args = rest[0], rest[1:]
    if len(target.split("/", 1)[1]) > limits.MAX_NAME:
        raise bad(f"the name in {shown(target)} is longer than {limits.MAX_NAME} characters", "use the object's name")
    if verb == "set":
        if len(args) != 1 or "=" not in args[0] or not all(args[0].split("=", 1)):
            raise bad(f"set image takes one CONTAINER=IMAGE in {shown(text)}", f'write e.g. "{words[0]} {example}"')
    elif sub == "undo":
        if len(args) > 1 or (args and not re.fullmatch(r"--to-revision=[0-9]{1,9}", args[0])):
            raise bad(f"bad rollout undo arguments in {shown(text)}", "add at most --to-revision=N")
    elif args:
        raise bad(
            f"rollout {sub} takes no arguments, got {shown(' '.join(args))}",
            f'write "{words[0]} rollout {sub} {target}"',
        )
    return TimedEvent(at=at, verb=verb, target=target, args=(sub, *args), text=text.strip(), namespace=namespace)


def _rollout_perform(cluster: Cluster, ev: TimedEvent) -> Outcome:
    sub, name = ev.args[0], ev.name
    if ev.verb == "set":
        container, image = ev.args[1].split("=", 1)
        return useractions.set_image(cluster, name, container, image)
    if sub == "restart":
        return useractions.rollout_restart(cluster, name)
    if sub in ("pause", "resume"):
        return useractions.rollout_pause(cluster, name, sub == "pause")
    to = int(ev.args[1].split("=", 1)[1]) if len(ev.args) > 1 else 0
    return useractions.rollout_undo(cluster, name, to)


def _namespace_option(words: list[str], bad: Callable[[str, str], KmodelError]) -> tuple[tuple[str, ...], str | None]:
    """The event's arguments without ``-n NS`` / ``--namespace NS`` / ``--namespace=NS``, and NS."""
    args: list[str] = []
    namespace: str | None = None
    i = 0
    while i < len(words):
        word = words[i]
        value: str | None = None
        if word in ("-n", "--namespace"):
            if i + 1 >= len(words):
                raise bad(f"{word} needs a namespace", f"write {word} NAMESPACE")
            value, i = words[i + 1], i + 2
        elif word.startswith("--namespace="):
            value, i = word.split("=", 1)[1], i + 1
        else:
            args.append(word)
            i += 1
            continue
        if namespace is not None:
            raise bad("the namespace is given twice", "give -n once")
        if not re.fullmatch(apivalidation.DNS1123_LABEL, value) or len(value) > 63:
            raise bad(f"{shown(value)} is not a namespace name", "write a lower-case RFC 1123 label, like team-a")
        namespace = value
    return tuple(args), namespace


def _into_namespace(
    manifests: tuple[Manifest, ...], namespace: str, bad: Callable[[str, str], KmodelError]
) -> tuple[Manifest, ...]:
    """``kubectl apply -n NS``: objects that name no namespace go into NS; one that names
    another is refused, as kubectl refuses it."""
    out = []
    for m in manifests:
        if m.namespace and m.namespace != namespace:
            raise bad(
                f'the namespace from the provided object "{m.namespace}" does not match the namespace "{namespace}"',
                f"pass -n {m.namespace} to apply {m.kind.lower()}/{m.name}, or drop its metadata.namespace",
            )
        out.append(m if m.namespace or m.kind == "Node" else attrs.evolve(m, namespace=namespace))
    return tuple(out)


def _fault(cluster: Cluster, after: Cluster | None, label: str, obj: str) -> Outcome:
    if after is None:
        event = Event(cluster.now, SOURCE, "NoChange", obj, f"{label}: nothing to do (already in that state)")
        return Outcome("fault", f"{label} (no change)", cluster, (event,))
    return Outcome("fault", label, after, (Event(cluster.now, SOURCE, "Fault", obj, label, "Warning"),))


def _missing_node(cluster: Cluster, name: str, label: str) -> Outcome:
    event = Event(cluster.now, SOURCE, "NotFound", f"node/{name}", f"{label}: there is no node {name}", "Warning")
    return Outcome("fault", f"{label} (no such node)", cluster, (event,))


def perform(cluster: Cluster, ev: TimedEvent) -> Outcome:
    """Carry out one timeline event on the cluster as it is now."""
    out = _perform(cluster, ev)
    if not ev.namespace or ev.namespace == namespaces.DEFAULT:
        return out
    # kubectl names the object without its namespace in what it prints ("deployment.apps/web
    # scaled"); the events' objects keep it (shown in a NAMESPACE column)
    prefix, keyed = ev.namespace + "/", f"{ev.kind}/{ev.name}"
    events = tuple(
        attrs.evolve(e, object=keyed if e.object == ev.target else e.object, message=e.message.replace(prefix, ""))
        for e in out.events
    )
    return attrs.evolve(out, label=out.label.replace(prefix, ""), events=events)


def _perform(cluster: Cluster, ev: TimedEvent) -> Outcome:
    verb, kind, name = ev.verb, ev.kind, ev.name
    if ev.elsewhere and kind in NAMESPACED_KINDS:
        return _elsewhere(cluster, ev)
    if verb in ("stop", "start"):
        on = verb == "start"
        if kind == "node":
            label = f"power {'on' if on else 'off'} {name}"
            if cluster.node(name) is None:
                return _missing_node(cluster, name, label)
            after = faults.power_on(cluster, name) if on else faults.power_off(cluster, name)
            return _fault(cluster, after, label, f"node/{name}")
        if kind in ("kubelet", "runtime"):
            label = f"{verb} {'kubelet' if kind == 'kubelet' else 'container runtime'} on {name}"
            if cluster.node(name) is None:
                return _missing_node(cluster, name, label)
            change = faults.set_kubelet if kind == "kubelet" else faults.set_runtime
            return _fault(cluster, change(cluster, name, on), label, f"node/{name}")
        label = f"{verb} {ev.target}"
        return _fault(cluster, faults.set_component(cluster, ev.target, on), label, f"component/{ev.target}")
    if verb in ("partition", "heal") and kind == "zone":
        label = f"{verb} zone/{name}"
        return _fault(cluster, partitions.partition_zone(cluster, name, verb == "partition"), label, f"zone/{name}")
    if verb == "join":
        label = f"join node/{name}"
        labels = dict(word.split("=", 1) for word in ev.args)
        if not cluster.apiserver_available:
            text = f"{label}: the kubelet cannot register the node, the apiserver is unavailable"
            event = Event(cluster.now, SOURCE, "RegistrationFailed", f"node/{name}", text, "Warning")
            return Outcome("fault", f"{label} (apiserver unavailable)", cluster, (event,))
        return _fault(cluster, partitions.join_node(cluster, name, labels), label, f"node/{name}")
    if hapartition.is_between(ev):  # kmodel.hapartition: control-plane machines cut from each other
        label, after = hapartition.perform(cluster, ev)
        return _fault(cluster, after, label, f"node/{name}")
    if verb in ("partition", "heal"):
        label = f"{verb} {name}"
        if cluster.node(name) is None:
            return _missing_node(cluster, name, label)
        return _fault(cluster, faults.set_partitioned(cluster, name, verb == "partition"), label, f"node/{name}")
    if verb == "kill":
        names = _matching_pods(cluster, name)
        if not names:
            event = Event(cluster.now, SOURCE, "NotFound", f"pod/{name}", f"kill pod/{name}: no such pod", "Warning")
            return Outcome("fault", f"kill pod/{name} (not found)", cluster, (event,))
        out = cluster
        for n in names:
            out = faults.kill_pod(out, n) or out
        return _fault(cluster, out if out != cluster else None, f"kill containers of {', '.join(names)}", f"pod/{name}")
    if verb == "delete":
        if kind == "pod":
            names = _matching_pods(cluster, name)
        else:
            names = [name] if _exists(cluster, kind, name) else []
        return useractions.delete(cluster, kind, names, name, force="--force" in ev.args)
    if verb in ("rollout", "set"):
        return _rollout_perform(cluster, ev)
    if verb == "scale":
        return useractions.scale(cluster, kind, name, int(ev.args[0]))
    if verb == "apply":
        refusals = tuple((r.obj, r.message) for r in ev.rejected)
        return useractions.apply(cluster, ev.manifests, ev.target, refusals)
    if verb in ("cordon", "uncordon"):
        return useractions.cordon(cluster, name, verb == "cordon")
    if verb == "drain":
        return drain.start(cluster, name, drain.parse_flags(ev.args, model_duration))
    if verb == "taint":
        bad = _never_bad
        changes = tuple(_taint_change(w, bad) for w in ev.args if w != "--overwrite")
        return useractions.taint_all(cluster, name, changes, overwrite="--overwrite" in ev.args)
    if verb in ("label", "annotate"):
        pairs = tuple(_key_change(verb, w, _never_bad) for w in ev.args if w != "--overwrite")
        overwrite = "--overwrite" in ev.args
        if kind == "pod":
            names = _matching_pods(cluster, name)
        else:
            names = [name] if _exists(cluster, kind, name) else []
        return useractions.relabel(cluster, verb, kind, names, name, pairs, overwrite)
    if verb in PROBE_VERBS:
        return _probe_event(cluster, ev)
    raise AssertionError(f"unhandled verb {verb}")


# --- taint / label / annotate arguments, fail-probe / pass-probe ---------------------------------

_TAINT_KEY_ONLY = re.compile(r"^([A-Za-z0-9./_-]+)-$")


def _never_bad(message: str, fix: str) -> KmodelError:
    raise AssertionError(f"an event that parsed does not parse again: {message}")


def _taint_change(word: str, bad: Callable[[str, str], KmodelError]) -> tuple[Taint | str, bool]:
    """One ``kubectl taint`` argument: (the taint, remove it?); ``key-`` removes every taint
    with that key: (the key, True)."""
    m = _TAINT.match(word)
    if m and m.group(3) in TAINT_EFFECTS:
        return Taint(key=m.group(1), value=m.group(2) or "", effect=m.group(3)), bool(m.group(4))
    k = _TAINT_KEY_ONLY.match(word)
    if k and not apivalidation._qualified_name_errors(k.group(1)):
        return k.group(1), True
    raise bad(
        f"bad taint {shown(word)}",
        f"write key[=value]:Effect (Effect one of {', '.join(TAINT_EFFECTS)}); key:Effect- or key- removes",
    )


def _key_change(verb: str, word: str, bad: Callable[[str, str], KmodelError]) -> tuple[str, str | None]:
    """One ``kubectl label`` / ``annotate`` argument: (key, value), or (key, None) for ``key-``."""
    if word.endswith("-") and "=" not in word:
        key, value = word[:-1], None
    elif "=" in word:
        key, _, value = word.partition("=")
    else:
        raise bad(f"bad {verb} argument {shown(word)}", "write key=value to set it, or key- to remove it")
    problems = apivalidation._qualified_name_errors(key)
    if problems:
        raise bad(f"bad key {shown(key)} in {verb}: {problems[0]}", "use a key like app or example.com/team")
    if verb == "label" and value is not None:
        value_problems = apivalidation.label_value_errors(value)
        if value_problems:
            raise bad(f"bad label value {shown(value)}: {value_problems[0]}", "use a value like v1 or blue")
    if key == useractions.POD_DELETION_COST and value is not None:
        if not re.fullmatch(r"-?[0-9]{1,10}", value) or not -(2**31) <= int(value) < 2**31:
            raise bad(f"{key}: Invalid value: {shown(value)}: must be a 32-bit integer", "write a whole number")
    if verb == "annotate" and key in BEHAVIOUR_ANNOTATIONS and key not in useractions.MODELLED_ANNOTATIONS:
        raise bad(
            f"annotation {shown(key)} is not modelled: kmodel {BEHAVIOUR_ANNOTATIONS[key]}",
            "drop the event, or check what the annotation does with a real cluster",
        )
    return key, value


def probe_pods(cluster: Cluster, kind: str, name: str) -> list[str]:
    """The pods a fail-probe / pass-probe event acts on: a pod (or a glob of pod names), or every
    pod a ReplicaSet or a Deployment (through its ReplicaSets) owns at that moment."""
    if kind == "pod":
        return _matching_pods(cluster, name)
    owners = {name} if kind == "replicaset" else {rs.name for rs in cluster.replicasets if rs.owner == name}
    return [p.name for p in cluster.pods if p.replicaset_owner in owners]


def _probe_event(cluster: Cluster, ev: TimedEvent) -> Outcome:
    probe_kind, failing = ev.args[0], ev.verb == "fail-probe"
    label = f"{ev.verb} {probe_kind} {ev.target}"
    names = probe_pods(cluster, ev.kind, ev.name)
    if not names:
        event = Event(cluster.now, SOURCE, "NotFound", ev.target, f"{label}: no such pod", "Warning")
        return Outcome("fault", f"{label} (not found)", cluster, (event,))
    out = cluster
    changed = []
    for n in names:
        after = faults.set_probe(out, n, probe_kind, failing)
        if after is not None:
            out = after
            changed.append(n)
    word = "fails" if failing else "passes"
    return _fault(
        cluster,
        out if changed else None,
        f"{probe_kind} probe of {', '.join(changed or names)} {word}",
        ev.target,
    )


def _elsewhere(cluster: Cluster, ev: TimedEvent) -> Outcome:
    """An event in a namespace where the scenario has no object: kubectl finds nothing there."""
    label = f"{ev.verb} {ev.target} -n {ev.namespace}"
    if ev.verb in ("kill",):
        event = Event(cluster.now, SOURCE, "NotFound", ev.target, f"{label}: no such pod", "Warning")
        return Outcome("fault", f"{label} (not found)", cluster, (event,))
    if not cluster.apiserver_available:
        return useractions.refused(cluster, f"kubectl {label}", ev.target)
    msg = useractions.not_found_message(ev.kind, ev.name)
    event = Event(cluster.now, useractions.SOURCE, "NotFound", ev.target, msg, "Warning")
    return Outcome("user", f"kubectl {label} (not found)", cluster, (event,))


def _matching_pods(cluster: Cluster, pattern: str) -> list[str]:
    if any(ch in pattern for ch in "*?["):
        # a glob matches pods of the event's namespace only (the pattern is keyed by it)
        ns = namespaces.namespace_of(pattern)
        return [
            p.name
            for p in cluster.pods
            if namespaces.namespace_of(p.name) == ns
            and fnmatch.fnmatchcase(namespaces.local_name(p.name), namespaces.local_name(pattern))
        ]
    return [pattern] if cluster.pod(pattern) is not None else []


def _exists(cluster: Cluster, kind: str, name: str) -> bool:
    lookup = {
        "node": cluster.node,
        "deployment": cluster.deployment,
        "replicaset": cluster.replicaset,
        "service": cluster.service,
        "statefulset": cluster.statefulset,
        "job": cluster.job,
        "daemonset": cluster.daemonset,
        "horizontalpodautoscaler": cluster.hpa,
        "poddisruptionbudget": cluster.pdb,
    }[kind]
    return lookup(name) is not None
