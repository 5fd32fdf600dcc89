"""Kubernetes manifests (multi-document YAML) -> model objects, with line-accurate errors.

Supported kinds: v1 Node, v1 Pod, apps/v1 Deployment, apps/v1 ReplicaSet, v1 Service, and the
kmodel ``Scenario`` document (handled in :mod:`kmodel.scenario`). Fields the model does not use
(images, ports, probes, ...) are accepted and ignored; fields it uses are checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import yaml

from kmodel.errors import KmodelError
from kmodel.state import (
    LABEL_ARCH,
    LABEL_CONTROL_PLANE,
    LABEL_HOSTNAME,
    LABEL_OS,
    TAINT_EFFECTS,
    Deployment,
    Labels,
    Node,
    Pod,
    PodTemplate,
    ReplicaSet,
    Resources,
    Service,
    Taint,
    Toleration,
    labels_of,
    selector_matches,
)

# --- YAML with line numbers ---------------------------------------------------------------------


class MarkedDict(dict):  # type: ignore[type-arg]
    """A mapping that remembers the line of itself and of each key's value."""

    line: int = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines: dict[Any, int] = {}


class MarkedList(list):  # type: ignore[type-arg]
    line: int = 0

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lines: list[int] = []


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    out = MarkedDict()
    out.line = node.start_mark.line + 1
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is repeated (first at line {out.lines[key]})", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> MarkedList:
    out = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_documents(path: Path) -> list[MarkedDict]:
    """Read every YAML document of a file; errors name the file and line."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise KmodelError("file not found", file=str(path), fix="check the path") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as err:
        raise KmodelError(
            f"cannot read: {err.__class__.__name__}", file=str(path), fix="pass a readable YAML file"
        ) from None
    try:
        docs = list(yaml.load_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        if err.context_mark is not None and "end of stream" in (err.problem or ""):
            mark = err.context_mark
        line = mark.line + 1 if mark else None
        problem = (err.problem or "invalid YAML").strip()
        raise KmodelError(
            f"YAML syntax error: {problem}",
            file=str(path),
            line=line,
            fix="correct the YAML at that line (indentation, ':' or quotes)",
        ) from None
    except yaml.YAMLError as err:
        raise KmodelError(f"YAML error: {err}", file=str(path), fix="correct the YAML") from None
    out = []
    for i, doc in enumerate(docs):
        if doc is None:
            continue
        if not isinstance(doc, MarkedDict):
            raise KmodelError(
                f"document {i + 1} is not a mapping",
                file=str(path),
                line=getattr(doc, "line", None),
                fix="each document must be a Kubernetes object with apiVersion and kind",
            )
        out.append(doc)
    return out


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
        raise ctx.error(f"must be a mapping, got {type(value).__name__}", "write it as key: value lines")
    return value


def sequence(ctx: Ctx, value: object) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ctx.error(f"must be a list, got {type(value).__name__}", "write it as a YAML list ('- item')")
    return value


def string(ctx: Ctx, value: object, required: bool = False) -> str:
    if value is None:
        if required:
            raise ctx.error("is missing", "add it")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ctx.error(f"must be a string, got {type(value).__name__}", "write a plain string")
    return str(value)


def integer(ctx: Ctx, value: object, default: int, minimum: int = 0) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.error(f"must be a whole number, got {value!r}", f"write a whole number >= {minimum}")
    if value < minimum:
        raise ctx.error(f"must be >= {minimum}, got {value}", f"write a whole number >= {minimum}")
    return value


def string_map(ctx: Ctx, value: object) -> Labels:
    m = mapping(ctx, value)
    for k, v in m.items():
        if v is None or isinstance(v, dict | list):
            raise ctx.at(m, str(k)).error("label values must be strings", 'quote the value, e.g. "true"')
    return labels_of({str(k): str(v) for k, v in m.items()})


# --- quantities ------------------------------------------------------------------------------

_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)$")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}
_DECIMAL = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "m": 10**-3}


def cpu_millis(ctx: Ctx, value: object) -> int:
    m = _QUANTITY.match(str(value).strip()) if value is not None else None
    if not m or m.group(2) not in ("", "m"):
        raise ctx.error(f"invalid CPU quantity {value!r}", 'write cores like "2" or "0.5", or millicores like "500m"')
    number = float(m.group(1))
    return round(number if m.group(2) == "m" else number * 1000)


def memory_bytes(ctx: Ctx, value: object) -> int:
    m = _QUANTITY.match(str(value).strip()) if value is not None else None
    if not m or (m.group(2) not in _BINARY and m.group(2) not in _DECIMAL):
        raise ctx.error(f"invalid memory quantity {value!r}", 'write it like "128Mi", "4Gi" or "1G"')
    scale = _BINARY.get(m.group(2)) or _DECIMAL[m.group(2)]
    return int(float(m.group(1)) * scale)


def resources(ctx: Ctx, value: object, with_pods: bool = False, base: Resources | None = None) -> Resources:
    m = mapping(ctx, value)
    r = base or Resources()
    for key in m:
        if key not in ("cpu", "memory", "pods", "ephemeral-storage") and "/" not in str(key):
            raise ctx.at(m, key).error(f"unknown resource {key!r}", "use cpu, memory or pods")
    if "cpu" in m:
        r = attrs.evolve(r, cpu=cpu_millis(ctx.at(m, "cpu"), m["cpu"]))
    if "memory" in m:
        r = attrs.evolve(r, memory=memory_bytes(ctx.at(m, "memory"), m["memory"]))
    if with_pods and "pods" in m:
        raw = m["pods"]
        count = int(raw) if isinstance(raw, str) and raw.isdigit() else raw
        r = attrs.evolve(r, pods=integer(ctx.at(m, "pods"), count, 110, 1))
    return r


# --- objects ----------------------------------------------------------------------------------


def taint(ctx: Ctx, raw: object) -> Taint:
    m = mapping(ctx, raw)
    key = string(ctx.at(m, "key"), m.get("key"), required=True)
    effect = string(ctx.at(m, "effect"), m.get("effect"), required=True)
    if effect not in TAINT_EFFECTS:
        raise ctx.at(m, "effect").error(f"unknown taint effect {effect!r}", f"use one of {', '.join(TAINT_EFFECTS)}")
    return Taint(key=key, effect=effect, value=string(ctx.at(m, "value"), m.get("value")))


def toleration(ctx: Ctx, raw: object) -> Toleration:
    m = mapping(ctx, raw)
    op = string(ctx.at(m, "operator"), m.get("operator")) or "Equal"
    if op not in ("Equal", "Exists"):
        raise ctx.at(m, "operator").error(f"unknown operator {op!r}", "use Equal or Exists")
    effect = string(ctx.at(m, "effect"), m.get("effect"))
    if effect and effect not in TAINT_EFFECTS:
        raise ctx.at(m, "effect").error(
            f"unknown effect {effect!r}", f"use one of {', '.join(TAINT_EFFECTS)} or leave it out"
        )
    key = string(ctx.at(m, "key"), m.get("key"))
    if not key and op != "Exists":
        raise ctx.at(m, "operator").error("an empty key needs operator Exists", "set operator: Exists or give a key")
    seconds = m.get("tolerationSeconds")
    if seconds is not None:
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise ctx.at(m, "tolerationSeconds").error(
                f"must be a whole number, got {seconds!r}", "write seconds as a number"
            )
        if effect != "NoExecute":
            raise ctx.at(m, "tolerationSeconds").error(
                "only applies to effect NoExecute", "set effect: NoExecute or remove tolerationSeconds"
            )
    return Toleration(
        key=key,
        operator=op,
        value=string(ctx.at(m, "value"), m.get("value")),
        effect=effect,
        toleration_seconds=seconds,
    )


def pod_spec(ctx: Ctx, raw: object) -> dict[str, Any]:
    spec = mapping(ctx, raw, required=True)
    containers = sequence(ctx.at(spec, "containers"), spec.get("containers"))
    if not containers:
        raise ctx.at(spec, "containers").error(
            "a pod needs at least one container", "add spec.containers with a name and image"
        )
    total = Resources()
    for i, c in enumerate(containers):
        cctx = ctx.at(spec, "containers").item(containers, i)
        cm = mapping(cctx, c)
        res = mapping(cctx.at(cm, "resources"), cm.get("resources"))
        req = res.get("requests")
        if req is None:
            req = res.get("limits")  # requests default to limits
        total = total + resources(cctx.at(cm, "resources").at(res, "requests"), req)
    tolerations = tuple(
        toleration(ctx.at(spec, "tolerations").item(spec.get("tolerations"), i), t)
        for i, t in enumerate(sequence(ctx.at(spec, "tolerations"), spec.get("tolerations")))
    )
    return {
        "requests": total,
        "tolerations": tolerations,
        "node_selector": string_map(ctx.at(spec, "nodeSelector"), spec.get("nodeSelector")),
        "node_name": string(ctx.at(spec, "nodeName"), spec.get("nodeName")) or None,
        "grace": integer(ctx.at(spec, "terminationGracePeriodSeconds"), spec.get("terminationGracePeriodSeconds"), 30),
    }


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
    )
    return template, spec["node_name"]


def selector(ctx: Ctx, raw: object, template_labels: Labels) -> Labels:
    m = mapping(ctx, raw, required=True)
    if "matchExpressions" in m:
        raise ctx.at(m, "matchExpressions").error("matchExpressions is not supported by kmodel yet", "use matchLabels")
    sel = string_map(ctx.at(m, "matchLabels"), m.get("matchLabels"))
    if not sel:
        raise ctx.at(m, "matchLabels").error(
            "an empty selector selects nothing", "add matchLabels that the template's labels carry"
        )
    if not selector_matches(sel, template_labels):
        raise ctx.error(
            "selector does not match template labels",
            "make spec.template.metadata.labels include every spec.selector.matchLabels entry",
        )
    return sel


KIND_API = {
    "Node": "v1",
    "Pod": "v1",
    "Service": "v1",
    "Deployment": "apps/v1",
    "ReplicaSet": "apps/v1",
}

NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


@attrs.frozen
class Manifest:
    kind: str
    name: str
    obj: Node | Pod | Deployment | ReplicaSet | Service
    file: str
    line: int
    node_name_line: int | None = None


def parse_object(doc: MarkedDict, file: str) -> Manifest:
    base = Ctx(file, "document", line=doc.line)
    kind = string(base.at(doc, "kind"), doc.get("kind"), required=True)
    api = string(base.at(doc, "apiVersion"), doc.get("apiVersion"), required=True)
    if kind not in KIND_API:
        known = ", ".join(sorted(KIND_API))
        raise base.at(doc, "kind").error(
            f"unknown kind {kind!r}", f"kmodel models {known} (and kmodel.dev/v1alpha1 Scenario)"
        )
    if api != KIND_API[kind]:
        raise base.at(doc, "apiVersion").error(
            f"{kind} is {KIND_API[kind]}, not {api!r}", f"write apiVersion: {KIND_API[kind]}"
        )
    meta = mapping(base.at(doc, "metadata"), doc.get("metadata"), required=True)
    mctx = base.at(doc, "metadata")
    name = string(mctx.at(meta, "name"), meta.get("name"), required=True)
    if not NAME_RE.match(name) or len(name) > 253:
        raise mctx.at(meta, "name").error(f"invalid name {name!r}", "use lower-case letters, digits, '-' and '.'")
    ctx = Ctx(file, f"{kind.lower()}/{name}", line=doc.line)
    labels = string_map(ctx.at(doc, "metadata").at(meta, "labels"), meta.get("labels"))
    spec = mapping(ctx.at(doc, "spec"), doc.get("spec"), required=kind not in ("Node",))
    sctx = ctx.at(doc, "spec")
    obj: Node | Pod | Deployment | ReplicaSet | Service
    if kind == "Node":
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
        unsched = spec.get("unschedulable", False)
        if not isinstance(unsched, bool):
            raise sctx.at(spec, "unschedulable").error("must be true or false", "write true or false")
        obj = Node(
            name=name,
            labels=labels_of(all_labels),
            taints=taints,
            unschedulable=unsched,
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
        )
    elif kind in ("Deployment", "ReplicaSet"):
        replicas = integer(sctx.at(spec, "replicas"), spec.get("replicas"), 1)
        template, node_name = pod_template(sctx.at(spec, "template"), spec.get("template"))
        if node_name:
            raise sctx.at(spec, "template").error("spec.nodeName in a template is not supported", "use nodeSelector")
        sel = selector(sctx.at(spec, "selector"), spec.get("selector"), template.labels)
        if kind == "ReplicaSet":
            obj = ReplicaSet(name=name, replicas=replicas, selector=sel, template=template, labels=labels)
        else:
            strategy = mapping(sctx.at(spec, "strategy"), spec.get("strategy"))
            stype = string(sctx.at(spec, "strategy").at(strategy, "type"), strategy.get("type")) or "RollingUpdate"
            if stype != "RollingUpdate":
                raise sctx.at(spec, "strategy").error(
                    f"strategy {stype!r} is not modelled", "use RollingUpdate (the default)"
                )
            ru = mapping(sctx.at(spec, "strategy").at(strategy, "rollingUpdate"), strategy.get("rollingUpdate"))
            rctx = sctx.at(spec, "strategy").at(strategy, "rollingUpdate")
            surge = _int_or_percent(rctx.at(ru, "maxSurge"), ru.get("maxSurge"), "25%")
            unavailable = _int_or_percent(rctx.at(ru, "maxUnavailable"), ru.get("maxUnavailable"), "25%")
            obj = Deployment(
                name=name,
                replicas=replicas,
                selector=sel,
                template=template,
                max_surge=surge,
                max_unavailable=unavailable,
            )
    else:  # Service
        sel = string_map(sctx.at(spec, "selector"), spec.get("selector"))
        obj = Service(name=name, selector=sel)
    nn_line = sctx.at(spec, "nodeName").line if kind == "Pod" and "nodeName" in spec else None
    return Manifest(kind=kind, name=name, obj=obj, file=file, line=doc.line, node_name_line=nn_line)


def _int_or_percent(ctx: Ctx, value: object, default: str) -> str:
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and re.fullmatch(r"\d+%", value):
        return value
    raise ctx.error(
        f"must be a count or a percentage, got {value!r}", 'write a number like 1 or a percentage like "25%"'
    )


def iter_manifests(docs: list[MarkedDict], file: str) -> Iterator[Manifest]:
    seen: dict[tuple[str, str], int] = {}
    for doc in docs:
        if doc.get("apiVersion") == "kmodel.dev/v1alpha1":
            continue
        m = parse_object(doc, file)
        key = (m.kind, m.name)
        if key in seen:
            raise KmodelError(
                f"{m.kind.lower()}/{m.name} is defined twice (first at line {seen[key]})",
                file=file,
                line=m.line,
                fix="give each object a unique name",
            )
        seen[key] = m.line
        yield m
