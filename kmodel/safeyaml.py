"""YAML for manifests: line numbers on every value, and no way to blow up memory or the stack.

:func:`load_documents` reads a file (regular files, at most ``maxFileSize`` bytes:
:mod:`kmodel.inputfile`) and returns its documents as :class:`MarkedDict` / :class:`MarkedList`
trees that remember the line of every value. Before anything is built, the file's event stream
(libyaml's parser when PyYAML has it: it neither recurses nor slows down on deep input) is scanned
once for two things a document can hide in a few bytes:

- nesting deeper than ``maxYamlDepth`` (``{{{{...}}}}`` nine hundred levels deep would overflow
  Python's stack in the recursive construction, and every later walk of the tree);
- aliases that repeat more than ``maxYamlAliasNodes`` nodes in all (a "billion laughs" alias bomb
  is tiny as text and shared in memory, but any walk, hash or message that expands it is not).

The values are then those a Kubernetes client sends, the apiserver being a JSON API: mapping keys
are strings (a number, boolean or null as a key becomes its text, as ``kubectl`` converts it; a
list or mapping as a key is refused), timestamps stay the strings they were written as, whole
numbers fit in 64 bits, numbers are finite (``.nan`` and ``.inf`` are refused), and the tags JSON
cannot carry (``!!binary``, ``!!set``, ``!!omap``, ``!!pairs``) are refused. Every refusal is a
one-line :class:`~kmodel.errors.KmodelError` with the file and line.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from kmodel import limits
from kmodel.errors import KmodelError, kind_of, shown
from kmodel.inputfile import read_text

# libyaml's parser when PyYAML was built with it; the pure-Python one otherwise
_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
INT_DIGITS = 19  # digits of the largest 64-bit number; longer literals are refused before conversion


class MarkedDict(dict):  # type: ignore[type-arg]
    """A mapping that remembers the line of itself and of each key's value."""

    line: int = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines: dict[Any, int] = {}


class MarkedList(list):  # type: ignore[type-arg]
    """A list that remembers the line of itself and of each item."""

    line: int = 0

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lines: list[int] = []


class _Loader(_BASE):  # type: ignore[misc,valid-type]
    pass


def _error(message: str, node: yaml.Node) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(None, None, message, node.start_mark)


def _key(loader: _Loader, node: yaml.Node) -> str:
    """A mapping key as the JSON the apiserver gets: a string (scalars are turned into their text)."""
    key = loader.construct_object(node, deep=True)
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int | float):
        return str(key)
    raise _error(f"a mapping key must be a string, not {kind_of(key)}", node)


def _mapping(loader: _Loader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    out = MarkedDict()
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = _key(loader, key_node)
        if key in out:
            raise _error(f"key {shown(key)} is repeated (first at line {out.lines[key]})", key_node)
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> MarkedList:
    out = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = str(node.value)
    digits = text.lstrip("+-").replace("_", "")
    if len(digits) > INT_DIGITS + 2:  # 0x / 0o / 0b prefixes and sexagesimal colons leave room
        raise _error(f"the number {shown(text)} is too large: whole numbers in manifests are 64-bit", node)
    value = int(yaml.constructor.SafeConstructor.construct_yaml_int(loader, node))
    if abs(value) > limits.MAX_INT64:
        raise _error(f"the number {shown(text)} is too large: whole numbers in manifests are 64-bit", node)
    return value


def _float(loader: _Loader, node: yaml.ScalarNode) -> float:
    value = float(yaml.constructor.SafeConstructor.construct_yaml_float(loader, node))
    if not math.isfinite(value):
        raise _error(f"{shown(str(node.value))} is not a finite number (JSON has no NaN or infinity)", node)
    return value


def _as_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    """A timestamp stays the text it was written as, as in the JSON kubectl sends."""
    return str(loader.construct_scalar(node))


def _no_json_form(loader: _Loader, node: yaml.Node) -> Any:
    raise _error(f"the YAML tag {node.tag.rsplit(':', 1)[-1]!s} has no JSON form, and manifests are JSON", node)


_TAG = "tag:yaml.org,2002:"
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
_Loader.add_constructor(_TAG + "int", _int)
_Loader.add_constructor(_TAG + "float", _float)
_Loader.add_constructor(_TAG + "timestamp", _as_text)
for _tag in ("binary", "set", "omap", "pairs"):
    _Loader.add_constructor(_TAG + _tag, _no_json_form)


# --- the scan before construction ------------------------------------------------------------


def _scan(text: str, file: str) -> None:
    """Refuse nesting past ``maxYamlDepth`` and aliases repeating more than
    ``maxYamlAliasNodes`` nodes, from the event stream (nothing is built)."""
    lim = limits.current()
    sizes: dict[str, int] = {}  # anchor -> the nodes its value stands for (aliases expanded)
    stack: list[list[Any]] = []  # open collections: [nodes so far, anchor]
    repeated = 0

    def add(n: int) -> None:
        if stack:
            stack[-1][0] += n

    for event in yaml.parse(text, Loader=_BASE):
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= lim.max_yaml_depth:
                raise KmodelError(
                    f"the YAML nests deeper than the limit maxYamlDepth={lim.max_yaml_depth}",
                    file=file,
                    line=line,
                    fix=limits.fix("max_yaml_depth"),
                )
            stack.append([1, event.anchor])
        elif isinstance(event, yaml.CollectionEndEvent):
            count, anchor = stack.pop()
            if anchor is not None:
                sizes[anchor] = count
            add(count)
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                sizes[event.anchor] = 1
            add(1)
        elif isinstance(event, yaml.AliasEvent):
            n = sizes.get(event.anchor, 1)
            repeated += n
            if repeated > lim.max_yaml_alias_nodes:
                raise KmodelError(
                    limits.exceeded(
                        "max_yaml_alias_nodes", "the nodes that YAML aliases repeat", f"{repeated} or more"
                    ),
                    file=file,
                    line=line,
                    where=f"alias *{limits.shorten(str(event.anchor))}",
                    fix="write the values out, or " + limits.fix("max_yaml_alias_nodes"),
                )
            add(n)


# --- the entry points --------------------------------------------------------------------------


def parse_documents(text: str, file: str) -> list[Any]:
    """Every YAML document of ``text`` (None for an empty one); errors name ``file`` and the line."""
    try:
        _scan(text, file)
        return list(yaml.load_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        if err.context_mark is not None and "end of stream" in (err.problem or ""):
            mark = err.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join((err.problem or "invalid YAML").split())
        if isinstance(err, yaml.constructor.ConstructorError):
            fix = "write a value a Kubernetes manifest (JSON) can hold"
            raise KmodelError(f"YAML: {problem}", file=file, line=line, fix=fix) from None
        raise KmodelError(
            f"YAML syntax error: {problem}",
            file=file,
            line=line,
            fix="correct the YAML at that line (indentation, ':' or quotes)",
        ) from None
    except yaml.YAMLError as err:
        raise KmodelError(f"YAML error: {' '.join(str(err).split())}", file=file, fix="correct the YAML") from None


def load_documents(path: Path, what: str = "manifest") -> list[MarkedDict]:
    """Read every YAML document of a file (``what``: "scenario", "manifest", for messages);
    errors name the file and line."""
    file = str(path)
    text = read_text(path, what=what, fix="check the path")
    out = []
    for i, doc in enumerate(parse_documents(text, file)):
        if doc is None:
            continue
        if not isinstance(doc, MarkedDict):
            raise KmodelError(
                f"document {i + 1} is not a mapping (it is {kind_of(doc)})",
                file=file,
                line=getattr(doc, "line", None),
                fix="each document must be a Kubernetes object with apiVersion and kind",
            )
        out.append(doc)
    return out
