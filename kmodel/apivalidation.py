"""Validate manifests as the Kubernetes apiserver would, before kmodel reads them.

Two layers, both for the release the scenario's ``kubernetesVersion`` names:

1. the OpenAPI schema of the object (the strict JSON schemas that the ``kubernetes-validate``
   package ships for Kubernetes 1.25 to 1.37: unknown fields, wrong types, missing required
   fields), checked with the ``jsonschema`` validator that package depends on. Releases older
   than 1.25 (kmodel follows 1.16 on) are validated against the 1.25 schema, the oldest shipped;
   the fields kmodel reads are the same in those releases;
2. the semantic checks of the apiserver's validation (``pkg/apis/core/validation``,
   ``pkg/apis/apps/validation``) that kmodel's behaviour depends on: names, labels, selectors
   that match their template, replicas, rolling-update bounds, tolerations, taints and resource
   quantities.

Messages read like the apiserver's (``The Deployment "web" is invalid: spec.replicas: Invalid
value: -1: must be greater than or equal to 0``); the first problem of an object is reported,
with the count of the others. :func:`validate` raises :class:`Invalid`, a one-line
:class:`~kmodel.errors.KmodelError` that also names the file and line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

from kmodel import versions
from kmodel.errors import KmodelError
from kmodel.labels import LABEL_OPERATORS, Requirement

OLDEST_SCHEMA_MINOR = 25
NEWEST_SCHEMA_MINOR = 37
SCHEMA_PACKAGE = "kubernetes_validate"

GROUP_VERSION = {
    "Pod": "v1",
    "Service": "v1",
    "Node": "v1",
    "Deployment": "apps/v1",
    "ReplicaSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "PriorityClass": "scheduling.k8s.io/v1",
    "StatefulSet": "apps/v1",
    "Job": "batch/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "PodDisruptionBudget": "policy/v1",
}
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")

# --- the schemas ---------------------------------------------------------------------------------


def schema_minor(version: str) -> int:
    """The release whose schema validates ``version``: itself, or 1.25 for older ones."""
    minor = versions.minor_of(version)
    return min(max(minor, OLDEST_SCHEMA_MINOR), NEWEST_SCHEMA_MINOR)


def _schema_dir(minor: int) -> Any:
    return resources.files(SCHEMA_PACKAGE).joinpath("kubernetes-json-schema", f"v1.{minor}.0-local-strict")


@lru_cache(maxsize=4)
def definitions(minor: int) -> dict[str, Any]:
    """The ``_definitions.json`` of a release: ``{"$defs": {name: schema}, ...}``."""
    return json.loads(_schema_dir(minor).joinpath("_definitions.json").read_text())


def _schema_file(kind: str) -> str:
    group, _, version = GROUP_VERSION[kind].rpartition("/")
    api = f"{group.split('.')[0]}-{version}" if group else version
    return f"{kind.lower()}-{api}.json"


@lru_cache(maxsize=32)
def object_schema(minor: int, kind: str) -> dict[str, Any]:
    return json.loads(_schema_dir(minor).joinpath(_schema_file(kind)).read_text())


@lru_cache(maxsize=32)
def _validator(minor: int, kind: str) -> jsonschema.protocols.Validator:
    schema = object_schema(minor, kind)
    registry: Registry = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(definitions(minor)) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


def definition_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def resolve(minor: int, schema: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any]]:
    """Follow a ``$ref``: (the definition's full name or None, its schema)."""
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return None, schema
    name = definition_name(ref)
    return name, definitions(minor)["$defs"][name]


# --- problems -----------------------------------------------------------------------------------


class Invalid(KmodelError):
    """An object the apiserver would reject; ``apiserver`` is the apiserver's message alone."""

    def __init__(self, apiserver: str, *, file: str, line: int | None, obj: str, fix: str) -> None:
        self.apiserver = apiserver
        self.obj = obj
        super().__init__(apiserver, file=file, line=line, fix=fix)


def _short(value: Any) -> str:
    """A value as the apiserver prints it, cut to a short prefix."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value)
    elif isinstance(value, int | float):
        text = str(value)
    elif isinstance(value, dict):
        inner = ",".join(f"{json.dumps(str(k))}:{json.dumps(str(v))}" for k, v in value.items())
        text = f"map[string]string{{{inner}}}"
    else:
        text = json.dumps(value, default=str)
    return text if len(text) <= 48 else text[:45] + "..."


class _Problem:
    """One field error: path (``spec.replicas``), the apiserver's text, the fix, and how to
    locate it in the document (a list of keys and indexes)."""

    def __init__(
        self, where: list[Any], text: str, fix: str, decode: bool = False, at: list[Any] | None = None
    ) -> None:
        self.where = where
        self.text = text
        self.fix = fix
        self.decode = decode  # a decoding error (unknown field, wrong type): not "is invalid"
        self.at = at if at is not None else where  # where in the document (a map key the path leaves out)


def field_path(where: list[Any]) -> str:
    out = ""
    for part in where:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, tuple):  # a map key
            out += f"[{part[0]}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _line(doc: Any, where: list[Any]) -> int | None:
    """The line of the deepest part of ``where`` found in the document."""
    node, line = doc, getattr(doc, "line", None)
    for part in where:
        key = part[0] if isinstance(part, tuple) else part
        if isinstance(node, dict) and key in node:
            line = getattr(node, "lines", {}).get(key, line)
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            lines = getattr(node, "lines", [])
            line = lines[key] if key < len(lines) else line
            node = node[key]
        else:
            break
    return line


def invalid(where: list[Any], value: Any, detail: str, fix: str, at: list[Any] | None = None) -> _Problem:
    return _Problem(where, f"{field_path(where)}: Invalid value: {_short(value)}: {detail}", fix, at=at)


def required(where: list[Any], fix: str, detail: str = "") -> _Problem:
    return _Problem(where, f"{field_path(where)}: Required value{': ' + detail if detail else ''}", fix)


def unsupported(where: list[Any], value: Any, supported: tuple[str, ...]) -> _Problem:
    values = ", ".join(json.dumps(v) for v in supported)
    return _Problem(
        where,
        f"{field_path(where)}: Unsupported value: {_short(value)}: supported values: {values}",
        f"use one of {', '.join(supported)}",
    )


# --- schema errors -> apiserver wording ---------------------------------------------------------

_JSON_KIND = {str: "string", bool: "bool", int: "number", float: "number", list: "array", dict: "object"}


def _go_type(minor: int, schema: Mapping[str, Any]) -> str:
    name, target = resolve(minor, schema)
    if name is not None:
        short = name.rsplit(".", 1)[-1]
        if short in ("Quantity", "IntOrString", "Time"):
            return {"Quantity": "resource.Quantity", "IntOrString": "intstr.IntOrString", "Time": "v1.Time"}[short]
        return f"v1.{short}"
    types = target.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "integer" in types:
        return str(target.get("format", "int"))
    if "number" in types:
        return "float64"
    if "boolean" in types:
        return "bool"
    if "string" in types:
        return "string"
    if "array" in types:
        return "[]" + _go_type(minor, target.get("items", {}))
    if "object" in types:
        return "map[string]" + _go_type(minor, target.get("additionalProperties", {"type": "string"}))
    return "value"


def _struct_at(minor: int, kind: str, path: list[Any]) -> tuple[str, Mapping[str, Any]]:
    """The Go struct holding the last field of ``path``, and that field's schema."""
    struct, schema = kind, object_schema(minor, kind)
    for part in path:
        name, schema = resolve(minor, schema)
        if isinstance(part, int):
            schema = schema.get("items", {})
            continue
        if name is not None:
            struct = name.rsplit(".", 1)[-1]
        props = schema.get("properties", {})
        if part in props:
            schema = props[part]
        else:
            schema = schema.get("additionalProperties", {}) or {}
    return struct, schema


def _schema_problem(minor: int, kind: str, err: jsonschema.ValidationError) -> _Problem:
    where = list(err.absolute_path)
    path = field_path(where)
    if err.validator == "additionalProperties":
        allowed = set(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in allowed] if isinstance(err.instance, dict) else []
        name = str(extra[0]) if extra else "?"
        full = f"{path}.{name}" if path else name
        explain = ".".join(str(p) for p in where if not isinstance(p, int))
        target = f"{kind.lower()}.{explain}" if explain else kind.lower()
        return _Problem(
            [*where, name],
            f'strict decoding error: unknown field "{full}"',
            f"check the spelling against `kubectl explain {target}`",
            decode=True,
        )
    if err.validator == "required":
        missing = re.match(r"'([^']+)'", err.message)
        name = missing.group(1) if missing else "?"
        return required([*where, name], "add it")
    if err.validator in ("type", "oneOf"):
        struct, schema = _struct_at(minor, kind, where)
        json_kind = _JSON_KIND.get(type(err.instance), "value")
        go = _go_type(minor, schema)
        return _Problem(
            where,
            f"json: cannot unmarshal {json_kind} into Go struct field {struct}.{path} of type {go}",
            f"write {path} as a {go.replace('int32', 'whole number').replace('int64', 'whole number')}",
            decode=True,
        )
    if err.validator == "enum":
        return unsupported(where, err.instance, tuple(str(v) for v in err.validator_value if v is not None))
    return invalid(where, err.instance, err.message, "correct the value")


# --- semantic checks ---------------------------------------------------------------------------

DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN = rf"{DNS1123_LABEL}(\.{DNS1123_LABEL})*"
DNS1035_LABEL = r"[a-z]([-a-z0-9]*[a-z0-9])?"
QUALIFIED_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    f"'{DNS1123_SUBDOMAIN}')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    f"'{DNS1123_LABEL}')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    f"validation is '{DNS1035_LABEL}')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    f"'{QUALIFIED_NAME}')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    f"validation is '{LABEL_VALUE}')"
)
QUANTITY_MSG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
PERCENT_MSG = (
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex "
    "used for validation is '[0-9]+%')"
)


def _qualified_name_errors(key: str) -> list[str]:
    prefix, sep, name = key.rpartition("/")
    errors = []
    if sep:
        if not prefix:
            errors.append("prefix part must be non-empty")
        elif len(prefix) > 253 or not re.fullmatch(DNS1123_SUBDOMAIN, prefix):
            errors.append("prefix part " + SUBDOMAIN_MSG)
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    elif not re.fullmatch(QUALIFIED_NAME, name):
        errors.append(NAME_PART_MSG)
    return errors


def _label_value_errors(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not re.fullmatch(LABEL_VALUE, value):
        errors.append(LABEL_VALUE_MSG)
    return errors


def label_value_errors(value: str) -> list[str]:
    """``validation.IsValidLabelValue``: what is wrong with a label value (empty: nothing)."""
    return _label_value_errors(value)


def _labels(where: list[Any], labels: Any) -> Iterator[_Problem]:
    if not isinstance(labels, dict):
        return
    # ValidateLabels names the map, not the key: "metadata.labels: Invalid value: ..."
    for key, value in labels.items():
        at = [*where, (key,)]
        for msg in _qualified_name_errors(str(key)):
            yield invalid(where, str(key), msg, "use a key like app or example.com/tier", at=at)
        if value is None:
            continue
        for msg in _label_value_errors(str(value)):
            yield invalid(where, str(value), msg, "use a value of letters, digits, '-', '_' and '.'", at=at)


def _name(kind: str, meta: Any) -> Iterator[_Problem]:
    name = meta.get("name") if isinstance(meta, dict) else None
    if not name:
        yield required(["metadata", "name"], "add metadata.name", "name or generateName is required")
        return
    name = str(name)
    if kind == "Service":
        if len(name) > 63:
            yield invalid(["metadata", "name"], name, "must be no more than 63 characters", "use a shorter name")
        elif not re.fullmatch(DNS1035_LABEL, name):
            yield invalid(["metadata", "name"], name, DNS1035_MSG, "use lower-case letters, digits and '-'")
    elif len(name) > 253:
        yield invalid(["metadata", "name"], name, "must be no more than 253 characters", "use a shorter name")
    elif not re.fullmatch(DNS1123_SUBDOMAIN, name):
        yield invalid(["metadata", "name"], name, SUBDOMAIN_MSG, "use lower-case letters, digits, '-' and '.'")


def _meta(where: list[Any], meta: Any) -> Iterator[_Problem]:
    if not isinstance(meta, dict):
        return
    yield from _labels([*where, "labels"], meta.get("labels"))
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        for key in annotations:
            at = [*where, "annotations", (key,)]
            for msg in _qualified_name_errors(str(key)):
                yield invalid([*where, "annotations"], str(key), msg, "use a key like example.com/note", at=at)


# quantities (k8s.io/apimachinery/pkg/api/resource)
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}


MAX_QUANTITY_DIGITS = 100  # digits of a quantity's number; no resource needs more


def parse_quantity(value: Any) -> Fraction | None:
    """A Kubernetes quantity (``"500m"``, ``"1.5Gi"``, ``"129e6"``, ``2``) as an exact number, or
    None when the apiserver would not parse it."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip() if isinstance(value, str) else repr(value)
    m = _QUANTITY.match(text)
    if not m:
        return None
    number, suffix = m.group(1), m.group(2)
    sign = -1 if number.startswith("-") else 1
    digits = number.lstrip("+-")
    if digits.count(".") > 1 or digits in ("", ".") or len(digits) > MAX_QUANTITY_DIGITS:
        return None
    try:
        base = Fraction(digits)
    except ValueError:
        return None
    if suffix in _BINARY:
        scale = Fraction(_BINARY[suffix])
    elif suffix in _DECIMAL:
        scale = _DECIMAL[suffix]
    elif re.fullmatch(r"[eE][-+]?[0-9]{1,3}", suffix):
        # at most three digits of exponent: Kubernetes keeps quantities within 64-bit scales,
        # and 10**(10**9) would take kmodel forever to compute
        scale = Fraction(10) ** int(suffix[1:])
    else:
        return None
    return sign * base * scale


def _quantities(where: list[Any], values: Any) -> Iterator[tuple[str, Fraction]]:
    """Yield (resource, value); raises nothing: bad ones are reported by :func:`_resource_problems`."""
    if not isinstance(values, dict):
        return
    for key, raw in values.items():
        q = parse_quantity(raw)
        if q is not None:
            yield str(key), q


STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")


def _resource_list(where: list[Any], values: Any, container: bool) -> Iterator[_Problem]:
    if not isinstance(values, dict):
        return
    for key, raw in values.items():
        here = [*where, (key,)]
        name = str(key)
        standard = name in (*STANDARD_CONTAINER_RESOURCES, "pods") or name.startswith("hugepages-")
        if not standard and "/" not in name:
            if container:
                yield invalid(here, name, "must be a standard resource for containers", "use cpu or memory")
                continue
        elif not standard:
            for msg in _qualified_name_errors(name):
                yield invalid(here, name, msg, "use a resource name like example.com/gpu")
        q = parse_quantity(raw)
        if q is None:
            yield _Problem(here, QUANTITY_MSG, 'write a quantity like "500m", "2", "128Mi" or "1Gi"', decode=True)
        elif q < 0:
            yield invalid(here, str(raw), "must be greater than or equal to 0", "use a quantity >= 0")


def is_extended_resource(name: str) -> bool:
    """``IsExtendedResourceName``: a domain-prefixed name outside ``kubernetes.io/``."""
    return "/" in name and not name.startswith("kubernetes.io/") and not name.startswith("requests.")


def _overcommit_allowed(name: str) -> bool:
    """``IsOvercommitAllowed``: native resources other than hugepages."""
    return not is_extended_resource(name) and not name.startswith("hugepages-")


def _resources(where: list[Any], res: Any) -> Iterator[_Problem]:
    if not isinstance(res, dict):
        return
    yield from _resource_list([*where, "limits"], res.get("limits"), True)
    yield from _resource_list([*where, "requests"], res.get("requests"), True)
    limits = dict(_quantities(where, res.get("limits")))
    for part in ("limits", "requests"):
        for name, q in _quantities(where, res.get(part)):
            if is_extended_resource(name) and q.denominator != 1:
                yield invalid([*where, part, (name,)], str(res[part][name]), "must be an integer", "use a whole number")
    for name, q in _quantities(where, res.get("requests")):
        if not _overcommit_allowed(name):
            if name not in limits:
                yield required(
                    [*where, "limits", (name,)],
                    f"set limits[{name}] (the request defaults to it)",
                    "Limit must be set for non overcommitable resources",
                )
            elif q != limits[name]:
                yield invalid(
                    [*where, "requests", (name,)],
                    str(res["requests"][name]),
                    f"must be equal to {name} limit of {res['limits'][name]}",
                    "give the same request and limit, or only the limit",
                )
            continue
        if name in limits and q > limits[name]:
            raw = res["requests"][name]
            yield invalid(
                [*where, "requests", (name,)],
                str(raw),
                f"must be less than or equal to {name} limit of {res['limits'][name]}",
                "raise the limit or lower the request",
            )


def _tolerations(where: list[Any], tolerations: Any) -> Iterator[_Problem]:
    if not isinstance(tolerations, list):
        return
    for i, t in enumerate(tolerations):
        if not isinstance(t, dict):
            continue
        here = [*where, i]
        key, op = str(t.get("key") or ""), t.get("operator") or "Equal"
        effect, value = t.get("effect") or "", str(t.get("value") or "")
        if key:
            for msg in _qualified_name_errors(key):
                yield invalid([*here, "key"], key, msg, "use a taint key like example.com/dedicated")
        if not key and op != "Exists":
            yield invalid(
                [*here, "operator"],
                op,
                'operator must be Exists when `key` is empty, which means "match all values and all keys"',
                "set operator: Exists or give a key",
            )
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            yield invalid(
                [*here, "effect"],
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
                "set effect: NoExecute or remove tolerationSeconds",
            )
        if op == "Equal":
            for msg in _label_value_errors(value):
                yield invalid([*here, "operator"], value, msg, "use a value of letters, digits, '-', '_' and '.'")
        elif op == "Exists":
            if value:
                yield invalid(
                    [*here, "operator"],
                    {"key": key, "value": value},
                    "value must be empty when `operator` is 'Exists'",
                    "remove the value, or use operator: Equal",
                )
        else:
            yield unsupported([*here, "operator"], op, ("Equal", "Exists"))
        if effect and effect not in TAINT_EFFECTS:
            yield unsupported([*here, "effect"], effect, TAINT_EFFECTS)


SCHEDULE_ACTIONS = ("DoNotSchedule", "ScheduleAnyway")
NODE_INCLUSION_POLICIES = ("Honor", "Ignore")


def _topology_spread(where: list[Any], constraints: Any) -> Iterator[_Problem]:
    """validateTopologySpreadConstraints: maxSkew and minDomains positive, minDomains only with
    DoNotSchedule, known whenUnsatisfiable and policies, no two constraints with the same
    {topologyKey, whenUnsatisfiable}, matchLabelKeys only with a labelSelector and not naming
    one of its keys (the selector's own operators are checked when it is read)."""
    if not isinstance(constraints, list):
        return
    items = [c if isinstance(c, dict) else {} for c in constraints]
    for i, c in enumerate(items):
        here = [*where, i]
        skew = c.get("maxSkew")
        if isinstance(skew, int) and not isinstance(skew, bool) and skew <= 0:
            yield invalid([*here, "maxSkew"], skew, "must be greater than zero", "use a maxSkew of 1 or more")
        key, action = c.get("topologyKey"), c.get("whenUnsatisfiable")
        if key == "":
            yield required(
                [*here, "topologyKey"], "name a node label, e.g. topology.kubernetes.io/zone", "can not be empty"
            )
        if isinstance(action, str) and action not in SCHEDULE_ACTIONS:
            yield unsupported([*here, "whenUnsatisfiable"], action, SCHEDULE_ACTIONS)
        if any(o.get("topologyKey") == key and o.get("whenUnsatisfiable") == action for o in items[i + 1 :]):
            dup = [*here, "{topologyKey, whenUnsatisfiable}"]
            yield _Problem(
                dup,
                f"{field_path(dup)}: Duplicate value: {_short(f'{{{key}, {action}}}')}",
                "merge the two constraints, or spread over another topologyKey",
                at=here,
            )
        domains = c.get("minDomains")
        if isinstance(domains, int) and not isinstance(domains, bool):
            if domains <= 0:
                yield invalid(
                    [*here, "minDomains"], domains, "must be greater than zero", "use a minDomains of 1 or more"
                )
            if action != "DoNotSchedule":
                yield invalid(
                    [*here, "minDomains"],
                    domains,
                    f"can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {action}",
                    "remove minDomains, or use whenUnsatisfiable: DoNotSchedule",
                )
        for policy in ("nodeAffinityPolicy", "nodeTaintsPolicy"):
            value = c.get(policy)
            if isinstance(value, str) and value not in NODE_INCLUSION_POLICIES:
                yield unsupported([*here, policy], value, NODE_INCLUSION_POLICIES)
        keys = c.get("matchLabelKeys")
        if not isinstance(keys, list) or not keys:
            continue
        selector = c.get("labelSelector")
        if not isinstance(selector, dict):
            mlk = [*here, "matchLabelKeys"]
            yield _Problem(
                mlk,
                f"{field_path(mlk)}: Forbidden: must not be specified when labelSelector is not set",
                "add a labelSelector, or remove matchLabelKeys",
            )
            continue
        taken = set(selector.get("matchLabels") or {}) if isinstance(selector.get("matchLabels"), dict) else set()
        exprs = selector.get("matchExpressions")
        taken |= {e.get("key") for e in exprs if isinstance(e, dict)} if isinstance(exprs, list) else set()
        for j, k in enumerate(keys):
            at = [*here, "matchLabelKeys", j]
            for msg in _qualified_name_errors(str(k)):
                yield invalid(at, str(k), msg, "use a label key like app or pod-template-hash")
            if k in taken:
                yield invalid(
                    at,
                    str(k),
                    "exists in both matchLabelKeys and labelSelector",
                    "remove the key from labelSelector or from matchLabelKeys",
                )


def _selector_labels(where: list[Any], selector: Any) -> Iterator[_Problem]:
    """ValidateLabelSelector's checks of keys and values (operators: manifests.requirement)."""
    if not isinstance(selector, dict):
        return
    yield from _labels([*where, "matchLabels"], selector.get("matchLabels"))
    exprs = selector.get("matchExpressions")
    for i, e in enumerate(exprs if isinstance(exprs, list) else []):
        if not isinstance(e, dict):
            continue
        key = str(e.get("key") or "")
        for msg in _qualified_name_errors(key):
            yield invalid([*where, "matchExpressions", i, "key"], key, msg, "use a label key like app")
        values = e.get("values")
        for j, v in enumerate(values if isinstance(values, list) else []):
            for msg in _label_value_errors(str(v)):
                yield invalid([*where, "matchExpressions", i, "values", j], str(v), msg, "use a valid label value")


def _label_key_lists(where: list[Any], term: Mapping[str, Any], pod_labels: Any) -> Iterator[_Problem]:
    """validateMatchLabelKeysAndMismatchLabelKeys, after the apiserver merged the keys of a new
    Pod into its selector (a template is checked as written)."""
    selector = term.get("labelSelector")
    lists = {}
    for name in ("matchLabelKeys", "mismatchLabelKeys"):
        keys = term.get(name)
        keys = [str(k) for k in keys] if isinstance(keys, list) else []
        lists[name] = keys
        if not keys:
            continue
        if selector is None:
            yield _Problem(
                [*where, name],
                f"{field_path([*where, name])}: Forbidden: must not be specified when labelSelector is not set",
                f"add a labelSelector or remove {name}",
            )
            continue
        for i, key in enumerate(keys):
            for msg in _qualified_name_errors(key):
                yield invalid([*where, name, i], key, msg, "use a label key like pod-template-hash")
    match = lists["matchLabelKeys"]
    if isinstance(selector, dict) and match:
        index = {k: i for i, k in enumerate(match)}
        labels = selector.get("matchLabels")
        seen = set(labels) if isinstance(labels, dict) else set()
        exprs = selector.get("matchExpressions")
        keys = [str(e.get("key") or "") for e in exprs if isinstance(e, dict)] if isinstance(exprs, list) else []
        if isinstance(pod_labels, dict):  # the keys merged when the pod is created
            keys += [k for k in match if k in pod_labels]
            keys += [k for k in lists["mismatchLabelKeys"] if k in pod_labels]
        for key in keys:
            if key in index and key in seen:
                yield invalid(
                    [*where, index[key]],
                    key,
                    "exists in both matchLabelKeys and labelSelector",
                    "drop the key from the labelSelector or from matchLabelKeys",
                )
            seen.add(key)
    mismatch = set(lists["mismatchLabelKeys"])
    for i, key in enumerate(match):
        if key in mismatch:
            yield invalid(
                [*where, "matchLabelKeys", i],
                key,
                "exists in both matchLabelKeys and mismatchLabelKeys",
                "keep the key in one of the two lists",
            )


def _pod_affinity_term(where: list[Any], term: Any, pod_labels: Any) -> Iterator[_Problem]:
    if not isinstance(term, dict):
        return
    yield from _selector_labels([*where, "labelSelector"], term.get("labelSelector"))
    yield from _selector_labels([*where, "namespaceSelector"], term.get("namespaceSelector"))
    names = term.get("namespaces")
    for name in names if isinstance(names, list) else []:
        name = str(name)
        if len(name) > 63 or not re.fullmatch(DNS1123_LABEL, name):
            yield invalid([*where, "namespace"], name, LABEL_MSG, "name a namespace (a lowercase RFC 1123 label)")
    yield from _label_key_lists(where, term, pod_labels)
    key = str(term.get("topologyKey") or "")
    if not key:
        yield required([*where, "topologyKey"], "name a node label, e.g. kubernetes.io/hostname", "can not be empty")
    for msg in _qualified_name_errors(key):
        yield invalid([*where, "topologyKey"], key, msg, "name a node label, e.g. kubernetes.io/hostname")


def _pod_affinity(where: list[Any], affinity: Any, pod_labels: Any) -> Iterator[_Problem]:
    """validatePodAffinity / validatePodAntiAffinity (pkg/apis/core/validation)."""
    if not isinstance(affinity, dict):
        return
    for which in ("podAffinity", "podAntiAffinity"):
        part = affinity.get(which)
        if not isinstance(part, dict):
            continue
        here = [*where, which]
        req = part.get("requiredDuringSchedulingIgnoredDuringExecution")
        for i, term in enumerate(req if isinstance(req, list) else []):
            yield from _pod_affinity_term(
                [*here, "requiredDuringSchedulingIgnoredDuringExecution", i], term, pod_labels
            )
        pref = part.get("preferredDuringSchedulingIgnoredDuringExecution")
        for j, wt in enumerate(pref if isinstance(pref, list) else []):
            if not isinstance(wt, dict):
                continue
            at = [*here, "preferredDuringSchedulingIgnoredDuringExecution", j]
            weight = wt.get("weight")
            if isinstance(weight, int) and not isinstance(weight, bool) and not 1 <= weight <= 100:
                yield invalid([*at, "weight"], weight, "must be in the range 1-100", "use a weight from 1 to 100")
            yield from _pod_affinity_term([*at, "podAffinityTerm"], wt.get("podAffinityTerm"), pod_labels)


def _pod_spec(where: list[Any], spec: Any, pod_labels: Any = None) -> Iterator[_Problem]:
    """A PodSpec; ``pod_labels``: a Pod's own labels (None for a template)."""
    if not isinstance(spec, dict):
        return
    yield from _pod_affinity([*where, "affinity"], spec.get("affinity"), pod_labels)
    yield from _topology_spread([*where, "topologySpreadConstraints"], spec.get("topologySpreadConstraints"))
    yield from _labels([*where, "nodeSelector"], spec.get("nodeSelector"))
    for group in ("containers", "initContainers"):
        containers = spec.get(group)
        if not isinstance(containers, list):
            continue
        if group == "containers" and not containers:
            yield required([*where, "containers"], "add a container with a name and an image")
        names: set[str] = set()
        for i, c in enumerate(containers):
            if not isinstance(c, dict):
                continue
            name = str(c.get("name") or "")
            if name in names:
                yield _Problem(
                    [*where, group, i, "name"],
                    f"{field_path([*where, group, i, 'name'])}: Duplicate value: {_short(name)}",
                    "give each container its own name",
                )
            names.add(name)
            if name and (len(name) > 63 or not re.fullmatch(DNS1123_LABEL, name)):
                yield invalid(
                    [*where, group, i, "name"],
                    name,
                    LABEL_MSG,
                    "use lower-case letters, digits and '-'",
                )
            if not c.get("image") and group == "containers":
                yield required([*where, group, i, "image"], "add the container's image")
            yield from _resources([*where, group, i, "resources"], c.get("resources"))
    yield from _tolerations([*where, "tolerations"], spec.get("tolerations"))
    yield from _pod_priority(where, spec)
    grace = spec.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and not isinstance(grace, bool) and grace < 0:
        yield invalid(
            [*where, "terminationGracePeriodSeconds"], grace, "must be greater than or equal to 0", "use seconds >= 0"
        )


# pkg/apis/scheduling: user-defined PriorityClasses may go up to this value; the names starting
# with the system prefix are the apiserver's own classes
HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
SYSTEM_PRIORITY_CLASSES = {"system-node-critical": 2_000_001_000, "system-cluster-critical": 2_000_000_000}
PREEMPTION_POLICIES = ("PreemptLowerPriority", "Never")  # ValidatePreemptionPolicy's order
INT32 = (-(2**31), 2**31 - 1)


def _int32(kind: str, where: list[Any], value: Any) -> Iterator[_Problem]:
    """A whole number that does not fit the int32 field (Go's JSON decoding refuses it)."""
    if isinstance(value, int) and not isinstance(value, bool) and not INT32[0] <= value <= INT32[1]:
        struct = "PriorityClass" if kind == "PriorityClass" else "PodSpec"
        yield _Problem(
            where,
            f"json: cannot unmarshal number {value} into Go struct field {struct}.{field_path(where)} of type int32",
            "write a whole number between -2147483648 and 2147483647",
            decode=True,
        )


def _preemption_policy(where: list[Any], value: Any) -> Iterator[_Problem]:
    if value is None:
        return
    if value == "":
        yield required(where, "write PreemptLowerPriority or Never")
    elif value not in PREEMPTION_POLICIES:
        yield unsupported(where, value, PREEMPTION_POLICIES)


def _pod_priority(where: list[Any], spec: Mapping[str, Any]) -> Iterator[_Problem]:
    """``ValidatePodSpec``'s priority fields (admission checks them against the class later)."""
    name = spec.get("priorityClassName")
    if isinstance(name, str) and name:
        if len(name) > 253:
            yield invalid(
                [*where, "priorityClassName"], name, "must be no more than 253 characters", "use a shorter name"
            )
        elif not re.fullmatch(DNS1123_SUBDOMAIN, name):
            yield invalid([*where, "priorityClassName"], name, SUBDOMAIN_MSG, "name an existing PriorityClass")
    yield from _int32("Pod", [*where, "priority"], spec.get("priority"))
    yield from _preemption_policy([*where, "preemptionPolicy"], spec.get("preemptionPolicy"))


def _priority_class(doc: Mapping[str, Any]) -> Iterator[_Problem]:
    """``ValidatePriorityClass``: the system prefix is reserved for the built-in classes, user
    values stop at 1000000000, and the preemption policy is one of the two."""
    meta = doc.get("metadata")
    name = str(meta.get("name") or "") if isinstance(meta, dict) else ""
    value = doc.get("value", 0)
    yield from _int32("PriorityClass", ["value"], value)
    if not isinstance(value, int) or isinstance(value, bool) or not INT32[0] <= value <= INT32[1]:
        return
    if name.startswith("system-"):
        known = SYSTEM_PRIORITY_CLASSES.get(name)
        if known is None:
            error = f"{name} is not a known system priority class"
        elif value != known:
            error = f"value of {name} PriorityClass must be {known}"
        elif doc.get("globalDefault") is True:
            error = f"globalDefault of {name} PriorityClass must be false"
        else:
            error = ""
        if error:
            yield _Problem(
                ["metadata", "name"],
                "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use "
                f"only. error: {error}",
                "choose a name that does not start with system-",
            )
    elif value > HIGHEST_USER_DEFINABLE_PRIORITY:
        yield _Problem(
            ["value"],
            f"value: Forbidden: maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}",
            f"use a value of at most {HIGHEST_USER_DEFINABLE_PRIORITY}",
        )
    yield from _preemption_policy(["preemptionPolicy"], doc.get("preemptionPolicy"))


def _selector_matches(selector: Any, labels: Any) -> bool:
    """Whether a workload selector (``matchLabels`` and well-formed ``matchExpressions``)
    selects the template's labels; malformed requirements are left to the loader's checks."""
    labels = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
    if not isinstance(selector, dict):
        return True
    match = selector.get("matchLabels")
    if isinstance(match, dict) and not all(k in labels and labels[k] == str(v) for k, v in match.items()):
        return False
    exprs = selector.get("matchExpressions")
    for e in exprs if isinstance(exprs, list) else []:
        if not isinstance(e, dict) or e.get("operator") not in LABEL_OPERATORS:
            continue
        values = e.get("values") if isinstance(e.get("values"), list) else []
        req = Requirement(str(e.get("key")), str(e.get("operator")), tuple(str(v) for v in values))
        if not req.matches(tuple(labels.items())):
            return False
    return True


def _percent(where: list[Any], value: Any) -> list[_Problem]:
    if value is None:
        return []
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]+%", value):
            return [invalid(where, value, PERCENT_MSG, 'write a count like 1 or a percentage like "25%"')]
        return []
    if isinstance(value, int) and value < 0:
        return [invalid(where, value, "must be greater than or equal to 0", "use a count >= 0")]
    return []


def _is_zero(value: Any, default: str) -> bool:
    value = default if value is None else value
    if isinstance(value, str):
        digits = value.rstrip("%")
        return digits.isdigit() and int(digits) == 0
    return value == 0


def _workload_spec(kind: str, spec: Any) -> Iterator[_Problem]:
    if not isinstance(spec, dict):
        return
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas < 0:
        yield invalid(["spec", "replicas"], replicas, "must be greater than or equal to 0", "use a count >= 0")
    selector = spec.get("selector")
    if isinstance(selector, dict):
        yield from _labels(["spec", "selector", "matchLabels"], selector.get("matchLabels"))
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            yield invalid(
                ["spec", "selector"],
                selector,
                f"empty selector is invalid for {'statefulset' if kind == 'StatefulSet' else 'deployment'}",
                "add matchLabels that the template's labels carry",
            )
    template = spec.get("template")
    if isinstance(template, dict):
        meta = template.get("metadata")
        labels = meta.get("labels") if isinstance(meta, dict) else None
        if selector and not _selector_matches(selector, labels):
            yield invalid(
                ["spec", "template", "metadata", "labels"],
                labels or {},
                "`selector` does not match template `labels`",
                "make spec.template.metadata.labels satisfy every spec.selector requirement",
            )
        yield from _meta(["spec", "template", "metadata"], meta)
        tspec = template.get("spec")
        yield from _pod_spec(["spec", "template", "spec"], tspec)
        policy = tspec.get("restartPolicy") if isinstance(tspec, dict) else None
        if policy not in (None, "Always"):
            yield unsupported(["spec", "template", "spec", "restartPolicy"], policy, ("Always",))
        if isinstance(tspec, dict) and tspec.get("activeDeadlineSeconds") is not None:
            where = ["spec", "template", "spec", "activeDeadlineSeconds"]
            yield _Problem(
                where,
                f"{field_path(where)}: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported",
                "remove activeDeadlineSeconds from the template",
            )
    elif kind in ("Deployment", "StatefulSet"):
        yield required(["spec", "template"], "add the pod template")
    if kind == "Deployment":
        strategy = spec.get("strategy")
        if isinstance(strategy, dict):
            yield from _strategy(strategy)
    # ValidateDeploymentSpec / ValidateReplicaSetSpec: ValidateNonnegativeField after the strategy
    min_ready = spec.get("minReadySeconds")
    if isinstance(min_ready, int) and not isinstance(min_ready, bool) and min_ready < 0:
        yield invalid(["spec", "minReadySeconds"], min_ready, "must be greater than or equal to 0", "use seconds >= 0")
    if kind == "Deployment":
        yield from _deployment_limits(spec, min_ready)


def _deployment_limits(spec: Mapping[str, Any], min_ready: object) -> Iterator[_Problem]:
    """ValidateDeploymentSpec: revisionHistoryLimit and progressDeadlineSeconds are non-negative,
    and the deadline is longer than minReadySeconds."""

    def number(v: object) -> int | None:
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    limit = number(spec.get("revisionHistoryLimit"))
    if limit is not None and limit < 0:
        yield invalid(["spec", "revisionHistoryLimit"], limit, "must be greater than or equal to 0", "use a count >= 0")
    deadline = number(spec.get("progressDeadlineSeconds"))
    if deadline is None:
        return
    if deadline < 0:
        yield invalid(
            ["spec", "progressDeadlineSeconds"], deadline, "must be greater than or equal to 0", "use seconds >= 0"
        )
    elif deadline <= (number(min_ready) or 0):
        yield invalid(
            ["spec", "progressDeadlineSeconds"],
            deadline,
            "must be greater than minReadySeconds",
            "make the deadline longer than minReadySeconds",
        )


def _strategy(strategy: Mapping[str, Any]) -> Iterator[_Problem]:
    where = ["spec", "strategy"]
    stype = strategy.get("type") or "RollingUpdate"
    if stype not in ("RollingUpdate", "Recreate"):
        yield unsupported([*where, "type"], stype, ("Recreate", "RollingUpdate"))
        return
    ru = strategy.get("rollingUpdate")
    if stype == "Recreate":
        if ru is not None:
            yield _Problem(
                [*where, "rollingUpdate"],
                f"{field_path([*where, 'rollingUpdate'])}: Forbidden: may not be specified when strategy `type` is "
                "'Recreate'",
                "remove rollingUpdate, or use type: RollingUpdate",
            )
        return
    if not isinstance(ru, dict):
        return
    rwhere = [*where, "rollingUpdate"]
    surge, unavailable = ru.get("maxSurge"), ru.get("maxUnavailable")
    yield from _percent([*rwhere, "maxUnavailable"], unavailable)
    yield from _percent([*rwhere, "maxSurge"], surge)
    if _is_zero(unavailable, "25%") and _is_zero(surge, "25%"):
        yield invalid(
            [*rwhere, "maxUnavailable"],
            unavailable if unavailable is not None else "25%",
            "may not be 0 when `maxSurge` is 0",
            "let maxSurge or maxUnavailable be at least 1",
        )
    if isinstance(unavailable, str) and re.fullmatch(r"[0-9]+%", unavailable) and int(unavailable[:-1]) > 100:
        yield invalid([*rwhere, "maxUnavailable"], unavailable, "must not be greater than 100%", "use at most 100%")


def _statefulset_spec(spec: Mapping[str, Any]) -> Iterator[_Problem]:
    """``ValidateStatefulSetSpec``: the pod management policy, the update strategy, the partition,
    maxUnavailable and the start ordinal (the schema has checked the types)."""
    policy = spec.get("podManagementPolicy")
    if policy is not None and policy not in ("OrderedReady", "Parallel"):
        yield invalid(
            ["spec", "podManagementPolicy"],
            policy,
            "must be 'OrderedReady' or 'Parallel'",
            "use OrderedReady or Parallel",
        )
    strategy = spec.get("updateStrategy")
    if isinstance(strategy, dict):
        where = ["spec", "updateStrategy"]
        stype = strategy.get("type") or "RollingUpdate"
        ru = strategy.get("rollingUpdate")
        if stype not in ("RollingUpdate", "OnDelete"):
            yield invalid(
                [*where, "type"], stype, "must be 'RollingUpdate' or 'OnDelete'", "use RollingUpdate or OnDelete"
            )
        elif stype == "OnDelete" and ru is not None:
            yield invalid(
                [*where, "rollingUpdate"],
                ru,
                "only allowed for updateStrategy 'RollingUpdate'",
                "remove rollingUpdate, or use type: RollingUpdate",
            )
        if isinstance(ru, dict):
            partition = ru.get("partition")
            if isinstance(partition, int) and not isinstance(partition, bool) and partition < 0:
                yield invalid(
                    [*where, "rollingUpdate", "partition"],
                    partition,
                    "must be greater than or equal to 0",
                    "use a partition >= 0",
                )
            mu = ru.get("maxUnavailable")
            mwhere = [*where, "rollingUpdate", "maxUnavailable"]
            yield from _percent(mwhere, mu)
            if mu is not None and _is_zero(mu, "1"):
                yield invalid(mwhere, mu, "must be greater than 0", "use 1 or more")
            if isinstance(mu, str) and re.fullmatch(r"[0-9]+%", mu) and int(mu[:-1]) > 100:
                yield invalid(mwhere, mu, "must not be greater than 100%", "use at most 100%")
    ordinals = spec.get("ordinals")
    if isinstance(ordinals, dict):
        start = ordinals.get("start")
        if isinstance(start, int) and not isinstance(start, bool) and start < 0:
            yield invalid(
                ["spec", "ordinals", "start"], start, "must be greater than or equal to 0", "use a start >= 0"
            )


def _daemonset_spec(spec: Any) -> Iterator[_Problem]:
    """``ValidateDaemonSetSpec``: the workload checks (selector, template labels, pod spec,
    restartPolicy Always, minReadySeconds) and ``ValidateDaemonSetUpdateStrategy``."""
    if not isinstance(spec, dict):
        return
    for problem in _workload_spec("DaemonSet", spec):
        if problem.text.endswith("empty selector is invalid for deployment"):
            problem.text = problem.text.replace("for deployment", "for daemonset")
        yield problem
    strategy = spec.get("updateStrategy")
    if not isinstance(strategy, dict):
        return
    where = ["spec", "updateStrategy"]
    stype = strategy.get("type") or "RollingUpdate"
    if stype not in ("RollingUpdate", "OnDelete"):
        yield unsupported([*where, "type"], stype, ("OnDelete", "RollingUpdate"))
        return
    ru = strategy.get("rollingUpdate")
    if stype != "RollingUpdate" or not isinstance(ru, dict):
        return
    rwhere = [*where, "rollingUpdate"]
    unavailable, surge = ru.get("maxUnavailable", 1), ru.get("maxSurge", 0)
    yield from _percent([*rwhere, "maxUnavailable"], unavailable)
    yield from _percent([*rwhere, "maxSurge"], surge)
    for name, value in (("maxUnavailable", unavailable), ("maxSurge", surge)):
        if isinstance(value, str) and re.fullmatch(r"[0-9]+%", value) and int(value[:-1]) > 100:
            yield invalid([*rwhere, name], value, "must not be greater than 100%", "use at most 100%")
    has_unavailable, has_surge = not _is_zero(unavailable, "1"), not _is_zero(surge, "0")
    if has_unavailable and has_surge:
        yield invalid(
            [*rwhere, "maxSurge"],
            surge,
            "may not be set when maxUnavailable is non-zero",
            "set maxUnavailable: 0 to surge, or leave maxSurge out",
        )
    elif not has_unavailable and not has_surge:
        yield required(
            [*rwhere, "maxUnavailable"],
            "let maxUnavailable or maxSurge be at least 1",
            "cannot be 0 when maxSurge is 0",
        )


def _taints(taints: Any) -> Iterator[_Problem]:
    if not isinstance(taints, list):
        return
    seen: set[tuple[str, str]] = set()
    for i, t in enumerate(taints):
        if not isinstance(t, dict):
            continue
        here = ["spec", "taints", i]
        key, effect, value = str(t.get("key") or ""), str(t.get("effect") or ""), str(t.get("value") or "")
        for msg in _qualified_name_errors(key):
            yield invalid([*here, "key"], key, msg, "use a taint key like example.com/dedicated")
        for msg in _label_value_errors(value):
            yield invalid([*here, "value"], value, msg, "use a value of letters, digits, '-', '_' and '.'")
        if not effect:
            yield required([*here, "effect"], f"use one of {', '.join(TAINT_EFFECTS)}")
        elif effect not in TAINT_EFFECTS:
            yield unsupported([*here, "effect"], effect, TAINT_EFFECTS)
        if (key, effect) in seen:
            yield _Problem(
                here,
                f"{field_path(here)}: Duplicate value: {_short(key + ':' + effect)}: taints must be unique by key and "
                "effect pair",
                "keep one taint per key and effect",
            )
        seen.add((key, effect))


def semantic_problems(kind: str, doc: Mapping[str, Any]) -> Iterator[_Problem]:
    """The apiserver's validation of the parts kmodel's behaviour depends on."""
    meta = doc.get("metadata")
    yield from _name(kind, meta)
    yield from _meta(["metadata"], meta)
    spec = doc.get("spec")
    if kind == "PriorityClass":
        yield from _priority_class(doc)
    elif kind == "Pod":
        labels = meta.get("labels") if isinstance(meta, dict) else None
        yield from _pod_spec(["spec"], spec, labels if isinstance(labels, dict) else {})
    elif kind in ("Deployment", "ReplicaSet"):
        yield from _workload_spec(kind, spec)
    elif kind == "StatefulSet":
        yield from _workload_spec(kind, spec)
        if isinstance(spec, dict):
            yield from _statefulset_spec(spec)
    elif kind == "Job":
        yield from _job_spec(spec)
    elif kind == "DaemonSet":
        yield from _daemonset_spec(spec)
    elif kind == "HorizontalPodAutoscaler":
        yield from _hpa_spec(spec)
    elif kind == "PodDisruptionBudget":
        yield from _pdb_spec(spec)
    elif kind == "Service" and isinstance(spec, dict):
        yield from _labels(["spec", "selector"], spec.get("selector"))
    elif kind == "Node":
        if isinstance(spec, dict):
            yield from _taints(spec.get("taints"))
        status = doc.get("status")
        if isinstance(status, dict):
            for part in ("capacity", "allocatable"):
                yield from _resource_list(["status", part], status.get(part), False)


UNHEALTHY_POD_EVICTION_POLICIES = ("AlwaysAllow", "IfHealthyBudget")


def _pdb_spec(spec: Any) -> Iterator[_Problem]:
    """``ValidatePodDisruptionBudgetSpec`` (pkg/apis/policy/validation): minAvailable and
    maxUnavailable not both set, each a count >= 0 or a percentage of at most 100%, a valid
    selector, and a known unhealthyPodEvictionPolicy."""
    if not isinstance(spec, dict):
        return
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        yield invalid(
            ["spec"],
            spec,
            "minAvailable and maxUnavailable cannot be both set",
            "keep one of minAvailable and maxUnavailable",
            at=["spec", "maxUnavailable"],
        )
    for name in ("minAvailable", "maxUnavailable"):
        value = spec.get(name)
        yield from _percent(["spec", name], value)
        if isinstance(value, str) and re.fullmatch(r"[0-9]+%", value) and int(value[:-1]) > 100:
            yield invalid(["spec", name], value, "must not be greater than 100%", "use at most 100%")
    yield from _selector_labels(["spec", "selector"], spec.get("selector"))
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in UNHEALTHY_POD_EVICTION_POLICIES:
        yield unsupported(["spec", "unhealthyPodEvictionPolicy"], policy, UNHEALTHY_POD_EVICTION_POLICIES)


JOB_RESTART_POLICIES = ("OnFailure", "Never")


def _job_spec(spec: Any) -> Iterator[_Problem]:
    """``validateJobSpec`` (pkg/apis/batch/validation): the counts are non-negative, the pod
    template is valid, and its restartPolicy is OnFailure or Never (an omitted one is defaulted
    to Always first, which is refused)."""
    if not isinstance(spec, dict):
        return
    for key in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished"):
        value = spec.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            yield invalid(["spec", key], value, "must be greater than or equal to 0", "use a whole number >= 0")
    mode = spec.get("completionMode")
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        yield unsupported(["spec", "completionMode"], mode, ("NonIndexed", "Indexed"))
    template = spec.get("template")
    if not isinstance(template, dict):
        yield required(["spec", "template"], "add the pod template")
        return
    meta = template.get("metadata")
    yield from _meta(["spec", "template", "metadata"], meta)
    tspec = template.get("spec")
    yield from _pod_spec(["spec", "template", "spec"], tspec)
    policy = (tspec.get("restartPolicy") if isinstance(tspec, dict) else None) or "Always"
    if policy not in JOB_RESTART_POLICIES:
        yield unsupported(["spec", "template", "spec", "restartPolicy"], policy, JOB_RESTART_POLICIES)


# --- node affinity and host ports (ValidateNodeSelector, validateContainerPorts) ---------------

NODE_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
SUPPORTED_PORT_PROTOCOLS = ("SCTP", "TCP", "UDP")
PORT_RANGE_MSG = "must be between 1 and 65535, inclusive"


def _pod_specs(kind: str, doc: Mapping[str, Any]) -> Iterator[tuple[list[Any], Mapping[str, Any]]]:
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return
    if kind == "Pod":
        yield ["spec"], spec
    elif kind in ("Deployment", "ReplicaSet", "StatefulSet", "Job", "DaemonSet"):
        template = spec.get("template")
        tspec = template.get("spec") if isinstance(template, dict) else None
        if isinstance(tspec, dict):
            yield ["spec", "template", "spec"], tspec


def _forbidden(where: list[Any], detail: str, fix: str) -> _Problem:
    return _Problem(where, f"{field_path(where)}: Forbidden: {detail}", fix)


def _node_selector_requirement(where: list[Any], req: Any, check_values: bool) -> Iterator[_Problem]:
    """``ValidateNodeSelectorRequirement`` (label values checked in required terms since 1.33)."""
    if not isinstance(req, dict):
        return
    op, values = req.get("operator"), req.get("values") or []
    if op in ("In", "NotIn"):
        if not values:
            yield required(
                [*where, "values"], "list at least one value", "must be specified when `operator` is 'In' or 'NotIn'"
            )
    elif op in ("Exists", "DoesNotExist"):
        if values:
            yield _forbidden(
                [*where, "values"],
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                "remove the values",
            )
    elif op in ("Gt", "Lt"):
        if len(values) != 1:
            yield required(
                [*where, "values"],
                'give one whole number, e.g. values: ["2"]',
                "must be specified single value when `operator` is 'Lt' or 'Gt'",
            )
    else:
        yield invalid(
            [*where, "operator"],
            op,
            "not a valid selector operator",
            f"use one of {', '.join(NODE_SELECTOR_OPERATORS)}",
        )
    key = str(req.get("key") or "")
    for msg in _qualified_name_errors(key):
        yield invalid([*where, "key"], key, msg, "use a label key like example.com/disk")
    if check_values:
        for i, value in enumerate(values):
            for msg in _label_value_errors(str(value)):
                yield invalid(
                    [*where, "values", i], str(value), msg, "use a value of letters, digits, '-', '_' and '.'"
                )


def _node_field_requirement(where: list[Any], req: Any) -> Iterator[_Problem]:
    """``ValidateNodeFieldSelectorRequirement``: metadata.name, In or NotIn, one value."""
    if not isinstance(req, dict):
        return
    op, values = req.get("operator"), req.get("values") or []
    if op in ("In", "NotIn"):
        if len(values) != 1:
            yield required(
                [*where, "values"],
                "give exactly one node name",
                "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
            )
    else:
        yield invalid([*where, "operator"], op, "not a valid selector operator", "use In or NotIn")
    key = req.get("key")
    if key != "metadata.name":
        yield invalid([*where, "key"], key, "not a valid field selector key", "use key: metadata.name")
        return
    for i, value in enumerate(values):
        value = str(value)
        if len(value) > 253:
            yield invalid([*where, "values", i], value, "must be no more than 253 characters", "give a node name")
        elif not re.fullmatch(DNS1123_SUBDOMAIN, value):
            yield invalid([*where, "values", i], value, SUBDOMAIN_MSG, "give a node name")


def _node_selector_term(where: list[Any], term: Any, check_values: bool) -> Iterator[_Problem]:
    if not isinstance(term, dict):
        return
    for i, req in enumerate(term.get("matchExpressions") or []):
        yield from _node_selector_requirement([*where, "matchExpressions", i], req, check_values)
    for i, req in enumerate(term.get("matchFields") or []):
        yield from _node_field_requirement([*where, "matchFields", i], req)


def _node_affinity(where: list[Any], na: Any, check_values: bool) -> Iterator[_Problem]:
    """``validateNodeAffinity``: the required node selector (at least one term) and the weights of
    the preferred terms (1-100)."""
    if not isinstance(na, dict):
        return
    req = na.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(req, dict):
        here = [*where, "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]
        terms = req.get("nodeSelectorTerms") or []
        if not terms:
            yield required(here, "add a term with matchExpressions", "must have at least one node selector term")
        for i, term in enumerate(terms):
            yield from _node_selector_term([*here, i], term, check_values)
    for i, pref in enumerate(na.get("preferredDuringSchedulingIgnoredDuringExecution") or []):
        if not isinstance(pref, dict):
            continue
        here = [*where, "preferredDuringSchedulingIgnoredDuringExecution", i]
        weight = pref.get("weight")
        if isinstance(weight, int) and not isinstance(weight, bool) and not 1 <= weight <= 100:
            yield invalid([*here, "weight"], weight, "must be in the range 1-100", "use a weight from 1 to 100")
        yield from _node_selector_term([*here, "preference"], pref.get("preference"), check_values=False)


def _host_ports(where: list[Any], spec: Mapping[str, Any]) -> Iterator[_Problem]:
    """``validateContainerPorts`` for host ports, and ``AccumulateUniqueHostPorts``: a hostPort
    and protocol may appear once in a pod (whatever the hostIP)."""
    seen: set[str] = set()
    for group in ("initContainers", "containers"):
        containers = spec.get(group)
        if not isinstance(containers, list):
            continue
        for i, c in enumerate(containers):
            ports = c.get("ports") if isinstance(c, dict) else None
            if not isinstance(ports, list):
                continue
            for j, port in enumerate(ports):
                if not isinstance(port, dict):
                    continue
                here = [*where, group, i, "ports", j]
                protocol = port.get("protocol") or "TCP"
                if protocol not in SUPPORTED_PORT_PROTOCOLS:
                    yield unsupported([*here, "protocol"], protocol, SUPPORTED_PORT_PROTOCOLS)
                host_port = port.get("hostPort")
                if not isinstance(host_port, int) or isinstance(host_port, bool) or host_port == 0:
                    continue
                if not 1 <= host_port <= 65535:
                    yield invalid([*here, "hostPort"], host_port, PORT_RANGE_MSG, "use a port from 1 to 65535")
                    continue
                key = f"{host_port}/{protocol}"
                if key in seen:
                    yield _Problem(
                        [*here, "hostPort"],
                        f"{field_path([*here, 'hostPort'])}: Duplicate value: {_short(key)}",
                        "bind each host port and protocol once per pod",
                    )
                seen.add(key)


def scheduling_problems(kind: str, doc: Mapping[str, Any], version: str) -> Iterator[_Problem]:
    """The apiserver's checks of the pod fields the scheduler reads (node affinity, host ports)."""
    check_values = versions.node_affinity_values_validated(version)
    for where, spec in _pod_specs(kind, doc):
        affinity = spec.get("affinity")
        if isinstance(affinity, dict):
            na = affinity.get("nodeAffinity")
            yield from _node_affinity([*where, "affinity", "nodeAffinity"], na, check_values)
        yield from _host_ports(where, spec)


# --- the entry point ----------------------------------------------------------------------------


def validate(doc: Mapping[str, Any], file: str, version: str) -> None:
    """Raise :class:`Invalid` when the apiserver of ``version`` would reject ``doc`` (one of
    Pod, Deployment, ReplicaSet, Service, Node with the right apiVersion)."""
    kind = str(doc["kind"])
    minor = schema_minor(version)
    problems: list[_Problem] = [
        _schema_problem(minor, kind, err) for err in _validator(minor, kind).iter_errors(dict(doc))
    ]
    if not problems:
        problems = list(semantic_problems(kind, doc))
        problems.extend(scheduling_problems(kind, doc, version))
    if not problems:
        return
    problems.sort(key=lambda p: (_line(doc, p.at) or 0, not p.decode))
    first = problems[0]
    meta = doc.get("metadata")
    name = str(meta.get("name") or "") if isinstance(meta, dict) else ""
    name = name if len(name) <= 63 else name[:40] + "..."
    group_version = GROUP_VERSION[kind].rsplit("/", 1)[-1]
    if first.decode:
        message = f'{kind} in version "{group_version}" cannot be handled as a {kind}: {first.text}'
    else:
        message = f'The {kind} "{name}" is invalid: {first.text}'
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more error{'s' if len(problems) > 2 else ''})"
    raise Invalid(message, file=file, line=_line(doc, first.at), obj=f"{kind.lower()}/{name}", fix=first.fix)


# --- HorizontalPodAutoscaler (pkg/apis/autoscaling/validation) ------------------------------------


def _hpa_spec(spec: Any) -> Iterator[_Problem]:
    """``validateHorizontalPodAutoscalerSpec``: minReplicas >= 1, maxReplicas >= minReplicas,
    the target's kind and name, utilization and value targets > 0, and the behavior's
    windows (0..3600 s), policy periods (1..1800 s) and values (> 0)."""
    if not isinstance(spec, dict):
        return
    minimum = spec.get("minReplicas", 1)
    if isinstance(minimum, int) and minimum < 1:
        yield invalid(["spec", "minReplicas"], minimum, "must be greater than or equal to 1", "use 1 or more")
    maximum = spec.get("maxReplicas")
    if isinstance(maximum, int) and isinstance(minimum, int) and maximum < minimum:
        yield invalid(
            ["spec", "maxReplicas"], maximum, "must be greater than or equal to `minReplicas`", "raise maxReplicas"
        )
    ref = spec.get("scaleTargetRef")
    if isinstance(ref, dict):
        for key in ("kind", "name"):
            if not ref.get(key):
                yield required(["spec", "scaleTargetRef", key], f"give the target's {key}")
    for i, metric in enumerate(spec.get("metrics") or ()):
        if not isinstance(metric, dict) or not isinstance(metric.get("resource"), dict):
            continue
        target = metric["resource"].get("target")
        if not isinstance(target, dict):
            continue
        where = ["spec", "metrics", i, "resource", "target"]
        util = target.get("averageUtilization")
        if isinstance(util, int) and util <= 0:
            yield invalid([*where, "averageUtilization"], util, "must be greater than 0", "use a percentage > 0")
    behavior = spec.get("behavior")
    if not isinstance(behavior, dict):
        return
    for side in ("scaleUp", "scaleDown"):
        rules = behavior.get(side)
        if not isinstance(rules, dict):
            continue
        where = ["spec", "behavior", side]
        window = rules.get("stabilizationWindowSeconds")
        if isinstance(window, int) and not 0 <= window <= 3600:
            yield invalid(
                [*where, "stabilizationWindowSeconds"], window, "must be less than or equal to 3600", "use 0..3600"
            )
        select = rules.get("selectPolicy")
        if select is not None and select not in ("Max", "Min", "Disabled"):
            yield unsupported([*where, "selectPolicy"], select, ("Disabled", "Max", "Min"))
        for j, policy in enumerate(rules.get("policies") or ()):
            if not isinstance(policy, dict):
                continue
            pwhere = [*where, "policies", j]
            if policy.get("type") not in ("Pods", "Percent"):
                yield unsupported([*pwhere, "type"], policy.get("type"), ("Percent", "Pods"))
            period = policy.get("periodSeconds")
            if isinstance(period, int) and not 0 < period <= 1800:
                yield invalid(
                    [*pwhere, "periodSeconds"],
                    period,
                    "must be greater than zero and less than or equal to 1800",
                    "use 1..1800",
                )
            value = policy.get("value")
            if isinstance(value, int) and value <= 0:
                yield invalid([*pwhere, "value"], value, "must be greater than zero", "use a value > 0")
