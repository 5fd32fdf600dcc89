"""Input limits: how big, deep and long the input kmodel reads may be.

Every limit keeps a hostile or mistaken input from running out of memory or time; each breach
is a one-line error (exit code 2) that names the limit and how to raise it. The defaults leave
room for any scenario kmodel can usefully run; a user who needs more raises a limit with
``kmodel --limit NAME=VALUE COMMAND ...`` (repeatable, before the command) or with the
environment variable ``KMODEL_LIMITS="NAME=VALUE,NAME=VALUE"`` (the option wins). ``kmodel
limits`` lists them with their defaults.

Two bounds are not limits of kmodel's own and cannot be raised: object names (Kubernetes'
253 characters, 63 for Services and label values), and whole numbers in a manifest (64 bits,
as the apiserver stores them).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import attrs
from attrs import field, frozen

from kmodel.errors import KmodelError

ENV = "KMODEL_LIMITS"
MAX_INT64 = 2**63 - 1  # the largest whole number a manifest may hold (Go's int64)
MAX_NAME = 253  # Kubernetes' longest object name (a DNS subdomain)
LIMIT_FIX = "raise the limit with `kmodel --limit {name}=N ...` (or KMODEL_LIMITS), or shrink the input"


def _positive(_inst: object, attribute: attrs.Attribute, value: int) -> None:  # type: ignore[type-arg]
    if value < 1:
        raise ValueError(f"{camel(attribute.name)} must be at least 1")


@frozen
class Limits:
    """The limits and their defaults; ``DOCS`` says what each bounds."""

    max_file_size: int = field(default=4 * 2**20, validator=_positive)
    max_trace_size: int = field(default=16 * 2**20, validator=_positive)
    max_yaml_depth: int = field(default=64, validator=_positive)
    max_yaml_alias_nodes: int = field(default=10_000, validator=_positive)
    max_nodes: int = field(default=500, validator=_positive)
    max_replicas: int = field(default=500, validator=_positive)
    max_pods: int = field(default=1000, validator=_positive)
    max_labels: int = field(default=100, validator=_positive)
    max_duration: int = field(default=24 * 3600, validator=_positive)
    max_events: int = field(default=1000, validator=_positive)
    max_faults: int = field(default=100, validator=_positive)
    max_pod_slots: int = field(default=32, validator=_positive)
    max_smt_depth: int = field(default=1000, validator=_positive)


DOCS: dict[str, str] = {
    "max_file_size": "bytes of a scenario, an applied manifest file or a property file (regular files only)",
    "max_trace_size": "bytes of an ITF trace file (render, replay)",
    "max_yaml_depth": "nesting levels of a YAML document (mappings and lists)",
    "max_yaml_alias_nodes": "YAML nodes that aliases (*name) may repeat in one file: the alias-bomb budget",
    "max_nodes": "Nodes in a scenario (the file and the files its timeline applies)",
    "max_replicas": "replicas of one Deployment or ReplicaSet, in a manifest or a `scale` event",
    "max_pods": "pods a scenario asks for: bare Pods plus the replicas of every Deployment and ReplicaSet",
    "max_labels": "entries of one label map (labels, selectors, nodeSelector)",
    "max_duration": "model time in seconds: `until`, --until, --at, timeline times and timing settings",
    "max_events": "timeline events (the scenario's and --event)",
    "max_faults": "count of one fault kind in a fault budget (faults:, --faults)",
    "max_pod_slots": "--pod-slots of the Z3 workload slice and --pods of `kmodel prove`",
    "max_smt_depth": "steps Z3 unrolls: --max-depth of `check --engine smt` and `synth`, --k of `prove`",
}


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(w.capitalize() for w in rest)


NAMES: dict[str, str] = {camel(f.name): f.name for f in attrs.fields(Limits)}

_active: Limits | None = None


def current() -> Limits:
    """The limits in force: those set by :func:`use`, else the environment's, else the defaults."""
    if _active is not None:
        return _active
    return _from_env(os.environ.get(ENV, ""))


@lru_cache(maxsize=4)
def _from_env(text: str) -> Limits:
    return parse(text, where=ENV)


def use(limits: Limits | None) -> None:
    """Put ``limits`` in force for this process (None: back to the environment's)."""
    global _active
    _active = limits


@contextmanager
def using(limits: Limits) -> Iterator[Limits]:
    """``limits`` in force within the block."""
    global _active
    before = _active
    _active = limits
    try:
        yield limits
    finally:
        _active = before


_NUMBER = re.compile(r"([0-9]{1,15})([A-Za-z]*)")
_UNITS: dict[str, dict[str, int]] = {
    "max_file_size": {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9},
    "max_trace_size": {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9},
    "max_duration": {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400},
}
_KIND = {"max_file_size": "size", "max_trace_size": "size", "max_duration": "duration"}


def _value(name: str, raw: str) -> int | None:
    """A limit's value in its unit (bytes, seconds, a count), or None when it is not one."""
    m = _NUMBER.fullmatch(raw)
    if m is None:
        return None
    scale = _UNITS.get(name, {"": 1}).get(m.group(2))
    return None if scale is None else int(m.group(1)) * scale


def parse(text: str, *, where: str = "--limit", base: Limits | None = None) -> Limits:
    """``NAME=VALUE[,NAME=VALUE]`` over ``base`` (default: the defaults). Values are whole
    numbers, sizes may end in Ki, Mi, Gi (or k, M, G), and maxDuration may end in s, m or h."""
    values: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, raw = part.partition("=")
        key, raw = key.strip(), raw.strip()
        name = NAMES.get(key)
        if name is None:
            known = ", ".join(NAMES)
            raise KmodelError(
                f"unknown limit {shorten(key)!r}", where=where, fix=f"use one of {known} (see `kmodel limits`)"
            )
        value = _value(name, raw) if sep else None
        if value is None:
            raise KmodelError(
                f"{key}: {shorten(raw)!r} is not a {_KIND.get(name, 'whole number')}",
                where=where,
                fix=f"write e.g. {key}={_example(name)}",
            )
        values[name] = value
    try:
        return attrs.evolve(base or Limits(), **values)
    except ValueError as err:
        raise KmodelError(str(err), where=where, fix="give a limit of at least 1") from None


def _example(name: str) -> str:
    default = getattr(Limits(), name)
    if name == "max_duration":
        return f"{default // 3600 * 2}h"
    if name in ("max_file_size", "max_trace_size"):
        return f"{default // 2**20 * 2}Mi"
    return str(default * 2)


def shorten(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[: most - 3] + "..."


def exceeded(name: str, what: str, value: int | str | None = None) -> str:
    """The message of a breached limit: ``replicas (5000) is more than the limit maxReplicas=500``."""
    limit = show(name, getattr(current(), name))
    amount = f" ({value})" if value is not None else ""
    return f"{what}{amount} exceeds the limit {camel(name)}={limit}"


def fix(name: str) -> str:
    return LIMIT_FIX.format(name=camel(name))


def check(name: str, value: int, what: str, **place: object) -> None:
    """Raise a one-line KmodelError when ``value`` is over the limit ``name``; ``place`` are
    KmodelError's ``file``, ``line`` and ``where``."""
    if value > getattr(current(), name):
        raise KmodelError(exceeded(name, what, value), fix=fix(name), **place)  # type: ignore[arg-type]


def table() -> list[tuple[str, str, str]]:
    """(name, default, what it bounds) for every limit, for ``kmodel limits``."""
    defaults, now = Limits(), current()
    rows = []
    for f in attrs.fields(Limits):
        shown = show(f.name, getattr(defaults, f.name))
        if getattr(now, f.name) != getattr(defaults, f.name):
            shown += f" (now {show(f.name, getattr(now, f.name))})"
        rows.append((camel(f.name), shown, DOCS[f.name]))
    return rows


def show(name: str, value: int) -> str:
    """A limit's value as it is written: ``4Mi``, ``24h``, ``500``."""
    if name == "max_duration":
        from kmodel.settings import format_duration

        return format_duration(value)
    if name in ("max_file_size", "max_trace_size"):
        for unit, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
            if value % size == 0:
                return f"{value // size}{unit}"
    return str(value)
