"""Counterexamples in the Informal Trace Format (ITF), the JSON trace format of Apalache and Quint.

ITF (Apalache ADR-015, https://apalache-mc.org/docs/adr/015adr-trace.html) writes a run of a
state machine as ``{"#meta": {...}, "vars": [...], "states": [...]}``: ``vars`` names the
variables, and every state is an object giving a value to each of them (plus its own optional
``#meta``). A kmodel trace file is such a document, so the ITF tools (the VS Code trace viewer,
Quint's and Apalache's libraries, ``itf-py``) can read it, and kmodel can read theirs.

The variables of a kmodel trace, one state per step of the counterexample:

==============  ===============================================================================
``action``      the label of the action that led to the state (``"initial state"`` first)
``actor``       who acted: a component (``kubelet/node-a``, ``scheduler``), ``fault``,
                ``repair``, ``timeline``, ``clock``, ``adversary`` or ``init``
``time``        the model time in whole seconds
``nodes``       the parts of :func:`kmodel.render.view.view` of the cluster after the action:
``pods``        what ``kubectl get`` would show (see there for the fields)
``deployments``
``services``
``controlPlane``
==============  ===============================================================================

The document's ``#meta`` holds ``format`` (``"ITF"``), ``format-description`` (the address above),
``source`` (the scenario file the trace was found on), ``description`` (one line for people) and
``kmodel``: ``property``, ``engine``, ``explanation`` (why the last state or step breaks the
property), ``faults`` (the fault budget the checker used, ``{kind: count}``), ``fromStart`` (the
trace starts at t=0 rather than at the state the scenario settles into), ``version`` (of kmodel)
and, when a producer recorded anything else, ``extra``. Each state's ``#meta`` is ``{"index": i}``.

Values follow ITF's rules: strings, booleans, lists as JSON arrays, records as JSON objects,
integers as JSON numbers within ``[-(2**53)+1, 2**53-1]`` and as ``{"#bigint": "<digits>"}``
outside it; in ``extra``, tuples are ``{"#tup": [...]}``, sets ``{"#set": [...]}`` and dicts whose
keys are not all plain strings ``{"#map": [[key, value], ...]}``.

**No nulls.** ITF has no null, and the view has one field that may be empty: a pod's ``node``,
``None`` while the pod is not bound. Such a field is written the way Quint writes the variants
of a sum type, here the usual ``Option``: ``{"tag": "Some", "value": "node-a"}`` when bound and
``{"tag": "None", "value": {"#tup": []}}`` (the unit value is the empty tuple) when not, so the
field has one type in every state and a reader never has to guess whether an empty string or a
missing field means "unbound". Any other ``None`` (in ``extra``, say) is written as that ``None``
variant too; ``#meta`` fields that are unknown (no property, no scenario) are left out.

Reading (:func:`from_itf`, :func:`read_itf`) undoes all of that: ``#bigint``, ``#tup``, ``#set``
and ``#map`` are decoded wherever they appear (into ``int``, ``tuple``, ``frozenset`` and
``dict``), an ``Option`` variant into its value or ``None`` (a plain string is accepted for a
bound node too), and the list-valued parts of the view may also be given as ``#tup`` or ``#set``.
So a trace written by another tool is accepted as long as its states have the eight variables
above with the view's fields (further variables of its own are ignored; in a kmodel trace they
are kept as further parts of the view); its ``#meta`` is then kept in :attr:`TraceDoc.extra`
under ``"itfMeta"`` (and ``loop``, if any, under ``"itfLoop"``).
Anything else, from a file that is not JSON to a state whose pod has no ``status``, is a
:class:`~kmodel.errors.KmodelError` naming the file and the place (``states[3].pods[1].status``).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import kmodel
from kmodel.errors import KmodelError, shown
from kmodel.inputfile import read_bytes
from kmodel.tracedoc import TraceDoc, TraceStep

FORMAT = "ITF"
FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
STEP_VARS = ("action", "actor", "time")
VIEW_VARS = ("nodes", "pods", "deployments", "services", "controlPlane")
VARS = STEP_VARS + VIEW_VARS
MAX_SAFE_INT = 2**53 - 1  # larger magnitudes are written as {"#bigint": ...}
# the fields of the view that may be None, by variable: written as Option variants
OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {"pods": ("node",)}

MAX_DIGITS = 40  # digits of an integer read from a trace (#bigint or plain); far beyond any count or time
_BIGINT = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}")
_FIX_FORMAT = "see https://apalache-mc.org/docs/adr/015adr-trace.html for the format"


# --- writing ----------------------------------------------------------------------------------------


def encode(value: Any, where: str = "value") -> Any:
    """A Python value as an ITF expression (see the module's docstring for the rules)."""
    if value is None:
        return _none()
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -MAX_SAFE_INT <= value <= MAX_SAFE_INT else {"#bigint": str(value)}
    if isinstance(value, float):
        if value.is_integer():
            return encode(int(value), where)
        raise ValueError(f"{where}: ITF has no fractional numbers ({value!r})")
    if isinstance(value, list):
        return [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {"#tup": [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, set | frozenset):
        items = [encode(v, f"{where}{{}}") for v in value]
        return {"#set": sorted(items, key=lambda e: json.dumps(e, sort_keys=True))}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("#") for k in value):
            return {k: encode(v, f"{where}.{k}") for k, v in value.items()}
        return {"#map": [[encode(k, f"{where} key"), encode(v, f"{where}[{k!r}]")] for k, v in value.items()]}
    raise ValueError(f"{where}: {type(value).__name__} has no ITF form ({value!r})")


def _none() -> dict[str, Any]:
    return {"tag": "None", "value": {"#tup": []}}


def _some(value: Any, where: str) -> dict[str, Any]:
    """An optional field as Quint writes an ``Option``: ``Some(value)`` or ``None``."""
    return {"tag": "Some", "value": encode(value, where)} if value is not None else _none()


def _encode_view_part(var: str, value: Any) -> Any:
    optional = OPTIONAL_FIELDS.get(var, ())
    if not optional or not isinstance(value, list):
        return encode(value, var)
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            out.append(encode(item, f"{var}[{i}]"))
            continue
        out.append({k: (_some if k in optional else encode)(v, f"{var}[{i}].{k}") for k, v in item.items()})
    return out


def _description(doc: TraceDoc) -> str:
    actions = len(doc.steps) - 1
    what = f"a counterexample to {doc.property}" if doc.property else "a trace"
    engine = f", found by {doc.engine}" if doc.engine else ""
    return f"kmodel: {what}{engine}, {actions} action(s)"


def to_itf(doc: TraceDoc) -> dict[str, Any]:
    """The ITF document of a trace."""
    km: dict[str, Any] = {}
    if doc.property is not None:
        km["property"] = doc.property
    if doc.engine is not None:
        km["engine"] = doc.engine
    if doc.explanation is not None:
        km["explanation"] = doc.explanation
    if doc.faults is not None:
        km["faults"] = {kind: encode(n, f"faults.{kind}") for kind, n in doc.faults}
    km["fromStart"] = doc.from_start
    km["version"] = kmodel.__version__
    if doc.extra:
        km["extra"] = encode(dict(doc.extra), "extra")
    meta: dict[str, Any] = {"format": FORMAT, "format-description": FORMAT_DESCRIPTION}
    if doc.scenario is not None:
        meta["source"] = doc.scenario
    meta["description"] = _description(doc)
    meta["kmodel"] = km
    states = []
    for i, step in enumerate(doc.steps):
        state: dict[str, Any] = {
            "#meta": {"index": i},
            "action": step.action,
            "actor": step.actor,
            "time": encode(step.time, f"states[{i}].time"),
        }
        for var in VIEW_VARS:
            state[var] = _encode_view_part(var, step.state.get(var))
        for var, value in step.state.items():  # parts a newer view may have
            if var not in state and not var.startswith("#"):
                state[var] = encode(value, f"states[{i}].{var}")
        states.append(state)
    more = dict.fromkeys(v for state in states for v in state if v not in VARS and v != "#meta")
    return {"#meta": meta, "vars": [*VARS, *more], "states": states}


def write_itf(doc: TraceDoc, path: str | Path) -> Path:
    """Write the trace to ``path`` (conventionally ``*.itf.json``) and return the path."""
    p = Path(path)
    text = json.dumps(to_itf(doc), indent=2, ensure_ascii=False) + "\n"
    try:
        p.write_text(text, encoding="utf-8")
    except OSError as err:
        raise KmodelError(
            f"cannot write the trace: {err.strerror or err}",
            file=str(path),
            fix="choose a file in a directory that exists and that you may write to",
        ) from None
    return p


# --- reading ----------------------------------------------------------------------------------------


class _Bad(Exception):
    """A malformed value: a message and the place, turned into a KmodelError by the caller."""

    def __init__(self, message: str, where: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.fix = fix


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number with a fraction"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, frozenset | set):
        return "a set"
    return type(value).__name__


def _hashable(value: Any, where: str) -> Any:
    try:
        hash(value)
    except TypeError:
        raise _Bad(f"{_kind(value)} cannot be a map key or set element here", where) from None
    return value


def decode(value: Any, where: str = "value") -> Any:
    """An ITF expression as a Python value: ``#bigint`` -> int, ``#tup`` -> tuple, ``#set`` ->
    frozenset, ``#map`` -> dict, records -> dict, lists -> list, an ``Option`` variant
    (``{"tag": "Some" | "None", "value": ...}``) -> its value or ``None``."""
    if value is None:
        raise _Bad(
            "null is not an ITF value",
            where,
            'write a missing value as {"tag": "None", "value": {"#tup": []}}',
        )
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        raise _Bad(f"{shown(value)} is not an integer (ITF numbers are whole)", where)
    if isinstance(value, list):
        return [decode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):
        raise _Bad(f"{_kind(value)} is not an ITF value", where)
    special = [k for k in value if isinstance(k, str) and k.startswith("#")]
    if special:
        if len(value) != 1:
            raise _Bad(f"{special[0]} must be the only key of its object", where, _FIX_FORMAT)
        key = special[0]
        body = value[key]
        if key == "#bigint":
            if not isinstance(body, str) or not _BIGINT.fullmatch(body):
                what = shown(body) if not isinstance(body, str) or len(body) <= MAX_DIGITS else "a longer one"
                raise _Bad(
                    f"#bigint needs a string of at most {MAX_DIGITS} digits, not {what}",
                    where,
                    'write {"#bigint": "-123"}',
                )
            return int(body)
        if key in ("#tup", "#set", "#map") and not isinstance(body, list):
            raise _Bad(f"{key} needs a list, not {_kind(body)}", where, _FIX_FORMAT)
        if key == "#tup":
            return tuple(decode(v, f"{where}[{i}]") for i, v in enumerate(body))
        if key == "#set":
            return frozenset(_hashable(decode(v, f"{where}[{i}]"), f"{where}[{i}]") for i, v in enumerate(body))
        if key == "#map":
            out = {}
            for i, pair in enumerate(body):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise _Bad("a #map entry must be a [key, value] pair", f"{where}[{i}]", _FIX_FORMAT)
                k = _hashable(decode(pair[0], f"{where}[{i}][0]"), f"{where}[{i}][0]")
                out[k] = decode(pair[1], f"{where}[{i}][1]")
            return out
        raise _Bad(f"unknown ITF form {shown(key)}", where, "use #bigint, #tup, #set or #map")
    if set(value) == {"tag", "value"} and value["tag"] in ("Some", "None"):
        if value["tag"] == "None":
            return None
        return decode(value["value"], f"{where}.value")
    return {k: decode(v, f"{where}.{k}") for k, v in value.items()}


# The fields of each part of the view and their types (extra fields are kept as they are).
_STR, _INT, _BOOL, _STRS, _OPT_STR = "a string", "an integer", "a boolean", "a list of strings", "a string or None"
_SCHEMA: dict[str, dict[str, str]] = {
    "nodes": {"name": _STR, "status": _STR, "condition": _STR, "roles": _STR, "taints": _STRS, "machine": _STR},
    "pods": {
        "name": _STR,
        "node": _OPT_STR,
        "status": _STR,
        "ready": _BOOL,
        "readyContainers": _STR,
        "restarts": _INT,
    },
    "deployments": {"name": _STR, "ready": _STR, "upToDate": _INT, "available": _INT},
    "services": {"name": _STR, "endpoints": _STRS},
    "controlPlane": {
        "apiserver": _BOOL,
        "etcd": _BOOL,
        "scheduler": _BOOL,
        "controllerManager": _BOOL,
        "hostUp": _BOOL,
    },
}


def _as_list(value: Any, where: str, what: str) -> list[Any]:
    """Lists may come as arrays, #tup or #set (a set's elements in sorted order)."""
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, frozenset):
        try:
            return sorted(value)
        except TypeError:
            return sorted(value, key=repr)
    raise _Bad(f"expected {what}, found {_kind(value)}", where)


def _typed(value: Any, want: str, where: str) -> Any:
    if want == _STR:
        ok = isinstance(value, str)
    elif want == _OPT_STR:
        ok = value is None or isinstance(value, str)
    elif want == _INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif want == _BOOL:
        ok = isinstance(value, bool)
    else:  # a list of strings
        value = _as_list(value, where, want)
        bad = next((i for i, v in enumerate(value) if not isinstance(v, str)), None)
        if bad is not None:
            raise _Bad(f"expected a string, found {_kind(value[bad])}", f"{where}[{bad}]")
        return value
    if not ok:
        raise _Bad(f"expected {want}, found {_kind(value)}", where)
    return value


def _record(value: Any, fields: dict[str, str], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Bad(f"expected a record (object), found {_kind(value)}", where)
    out = dict(value)
    for name, want in fields.items():
        if name not in value:
            raise _Bad(f"no field {name!r}", where, f"give every record of this kind the fields {', '.join(fields)}")
        out[name] = _typed(value[name], want, f"{where}.{name}")
    return out


def _view_part(var: str, raw: Any, where: str) -> Any:
    value = decode(raw, where)
    fields = _SCHEMA[var]
    if var == "controlPlane":
        return _record(value, fields, where)
    items = _as_list(value, where, "a list of records")
    return [_record(item, fields, f"{where}[{i}]") for i, item in enumerate(items)]


def _step(state: Any, index: int, names: list[str], more: list[str]) -> TraceStep:
    """Step ``index``; ``more``: further variables that are parts of the view (a kmodel trace
    written by a newer view)."""
    where = f"states[{index}]"
    if not isinstance(state, dict):
        raise _Bad(f"a state must be an object, found {_kind(state)}", where)
    meta = state.get("#meta")
    if meta is not None and not isinstance(meta, dict):
        raise _Bad(f"#meta must be an object, found {_kind(meta)}", f"{where}.#meta")
    for var in names:
        if var not in state:
            raise _Bad(
                f"no value for the variable {var!r}", where, "every state must give a value to every variable in vars"
            )
    action = decode(state["action"], f"{where}.action")
    actor = decode(state["actor"], f"{where}.actor")
    time = decode(state["time"], f"{where}.time")
    for var, value in (("action", action), ("actor", actor)):
        if not isinstance(value, str):
            raise _Bad(f"expected a string, found {_kind(value)}", f"{where}.{var}")
    if not isinstance(time, int) or isinstance(time, bool):
        raise _Bad(f"expected an integer (seconds), found {_kind(time)}", f"{where}.time")
    if time < 0:
        raise _Bad(f"model time cannot be negative ({time})", f"{where}.time")
    view: dict[str, Any] = {var: _view_part(var, state[var], f"{where}.{var}") for var in VIEW_VARS}
    view.update((var, decode(state[var], f"{where}.{var}")) for var in more)
    return TraceStep(actor, action, time, view)


def _meta_str(km: dict[str, Any], key: str) -> str | None:
    value = km.get(key)
    if value is not None and not isinstance(value, str):
        raise _Bad(f"expected a string, found {_kind(value)}", f"#meta.kmodel.{key}")
    return value


def _kmodel_meta(km: Any) -> dict[str, Any]:
    if not isinstance(km, dict):
        raise _Bad(f"expected an object, found {_kind(km)}", "#meta.kmodel")
    out: dict[str, Any] = {key: _meta_str(km, key) for key in ("property", "engine", "explanation")}
    faults = km.get("faults")
    if faults is not None:
        if not isinstance(faults, dict):
            raise _Bad(f"expected an object {{kind: count}}, found {_kind(faults)}", "#meta.kmodel.faults")
        budget = []
        for kind, n in faults.items():
            count = decode(n, f"#meta.kmodel.faults.{kind}")
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise _Bad(f"expected a count, found {shown(count)}", f"#meta.kmodel.faults.{kind}")
            budget.append((kind, count))
        out["faults"] = tuple(budget)
    else:
        out["faults"] = None
    from_start = km.get("fromStart", False)
    if not isinstance(from_start, bool):
        raise _Bad(f"expected a boolean, found {_kind(from_start)}", "#meta.kmodel.fromStart")
    out["from_start"] = from_start
    extra = decode(km["extra"], "#meta.kmodel.extra") if "extra" in km else {}
    if not isinstance(extra, dict):
        raise _Bad(f"expected an object, found {_kind(extra)}", "#meta.kmodel.extra")
    out["extra"] = extra
    return out


def _parse(text: str | bytes, source: str) -> Any:
    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    def bounded_int(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_DIGITS:
            raise ValueError(f"a number of {len(digits)} digits is too large (at most {MAX_DIGITS})")
        return int(digits)

    try:
        data = json.loads(text, parse_constant=no_constant, parse_int=bounded_int)
        # a "\\ud800" escape gives a lone surrogate, which is not Unicode and cannot be printed
        json.dumps(data, ensure_ascii=False).encode("utf-8")
        return data
    except UnicodeEncodeError:
        raise KmodelError(
            "a string in the trace holds a lone surrogate (\\ud800 to \\udfff), which is not Unicode",
            file=source,
            fix="write characters as UTF-8 or as surrogate pairs",
        ) from None
    except json.JSONDecodeError as err:
        raise KmodelError(
            f"not JSON: {err.msg} (line {err.lineno}, column {err.colno})",
            file=source,
            line=err.lineno,
            fix="give an ITF trace as written by `kmodel check --trace-out`, Apalache or Quint",
        ) from None
    except RecursionError:
        raise KmodelError("the trace is nested too deeply", file=source, fix=_FIX_FORMAT) from None
    except ValueError as err:
        raise KmodelError(f"not JSON: {err}", file=source, fix="write numbers as plain integers") from None


def _document(data: Any) -> TraceDoc:
    if not isinstance(data, dict):
        raise _Bad(f"an ITF trace is a JSON object, found {_kind(data)}", "(top level)", _FIX_FORMAT)
    meta = data.get("#meta", {})
    if not isinstance(meta, dict):
        raise _Bad(f"expected an object, found {_kind(meta)}", "#meta")
    if "vars" not in data:
        raise _Bad("no vars: an ITF trace lists its variables", "vars", f'add "vars": {json.dumps(list(VARS))}')
    names = data["vars"]
    if not isinstance(names, list) or not all(isinstance(v, str) for v in names):
        raise _Bad("vars must be a list of variable names (strings)", "vars")
    missing = [v for v in VARS if v not in names]
    if missing:
        raise _Bad(
            f"the trace lacks the variable(s) {', '.join(missing)}",
            "vars",
            f"kmodel reads traces whose states have {', '.join(VARS)}",
        )
    if "states" not in data:
        raise _Bad("no states", "states", "add the list of states")
    states = data["states"]
    if not isinstance(states, list):
        raise _Bad(f"expected a list of states, found {_kind(states)}", "states")
    if not states:
        raise _Bad("the trace has no states", "states", "a trace starts with its initial state")
    ours = "kmodel" in meta  # else a foreign trace: its other variables are not ours to compare
    more = [v for v in names if v not in VARS] if ours else []
    steps = tuple(_step(state, i, names, more) for i, state in enumerate(states))
    if ours:
        km = _kmodel_meta(meta["kmodel"])
        source = meta.get("source")
        if source is not None and not isinstance(source, str):
            raise _Bad(f"expected a string, found {_kind(source)}", "#meta.source")
        return TraceDoc(
            steps,
            property=km["property"],
            engine=km["engine"],
            explanation=km["explanation"],
            scenario=source,
            faults=km["faults"],
            from_start=km["from_start"],
            extra=km["extra"],
        )
    extra: dict[str, Any] = {}
    if meta:
        extra["itfMeta"] = meta
    if "loop" in data:
        extra["itfLoop"] = data["loop"]
    return TraceDoc(steps, extra=extra)


def from_itf(data: Any, source: str = "<trace>") -> TraceDoc:
    """The trace in an ITF document (parsed JSON, or its text). Raises :class:`KmodelError`
    naming ``source`` and the place for anything malformed."""
    if isinstance(data, str | bytes):
        data = _parse(data, source)
    try:
        return _document(data)
    except _Bad as bad:
        raise KmodelError(bad.message, file=source, where=bad.where, fix=bad.fix) from None
    except RecursionError:
        raise KmodelError("the trace is nested too deeply", file=source, fix=_FIX_FORMAT) from None


def read_itf(path: str | Path) -> TraceDoc:
    """Read an ITF trace file (``kmodel check --trace-out``, Apalache, Quint)."""
    name = str(path)
    raw = read_bytes(path, what="trace", fix="give the path of an .itf.json file", limit="max_trace_size")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise KmodelError("not JSON: the file is not UTF-8 text", file=name, fix="give an ITF (JSON) trace") from None
    return from_itf(_parse(text, name), name)


__all__ = ["FORMAT_DESCRIPTION", "VARS", "decode", "encode", "from_itf", "read_itf", "to_itf", "write_itf"]
