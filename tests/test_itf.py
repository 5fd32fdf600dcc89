"""Trace files in the Informal Trace Format (kmodel.render.itf): what is written is valid ITF,
reads back as the same trace, foreign ITF traces are read, and malformed files are bad input
(a KmodelError naming the file and the place), never a traceback."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import kmodel
from kmodel.errors import KmodelError
from kmodel.render.itf import FORMAT_DESCRIPTION, VARS, decode, encode, from_itf, read_itf, to_itf, write_itf
from kmodel.tracedoc import TraceDoc
from tests import itf_traces as traces

DOCS: dict[str, Callable[[], TraceDoc]] = {
    "custom invariant, explore": lambda: traces.custom_invariant("explore"),
    "custom invariant, hypothesis": lambda: traces.custom_invariant("hypothesis"),
    "built-in always, explore": lambda: traces.builtin("explore"),
    "broken scheduler, always-transition": traces.broken_scheduler,
    "broken kubelet, eventually, explore": lambda: traces.broken_kubelet("explore"),
    "broken kubelet, eventually, hypothesis": lambda: traces.broken_kubelet("hypothesis"),
}


@pytest.fixture(scope="module", params=list(DOCS), ids=list(DOCS))
def doc(request: pytest.FixtureRequest) -> TraceDoc:
    return DOCS[request.param]()


def _walk(value: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    yield where, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{where}[{i}]")


def test_the_export_is_valid_itf(doc: TraceDoc) -> None:
    data = json.loads(json.dumps(to_itf(doc), allow_nan=False))
    assert set(data) == {"#meta", "vars", "states"}
    meta = data["#meta"]
    assert meta["format"] == "ITF" and meta["format-description"] == FORMAT_DESCRIPTION
    assert meta["source"] == doc.scenario and isinstance(meta["description"], str)
    km = meta["kmodel"]
    assert km["property"] == doc.property and km["engine"] == doc.engine and km["explanation"] == doc.explanation
    assert km["faults"] == dict(doc.faults or ()) and km["fromStart"] is False
    assert km["version"] == kmodel.__version__
    assert data["vars"] == list(VARS)
    assert len(data["states"]) == len(doc.steps)
    for i, state in enumerate(data["states"]):
        assert state["#meta"] == {"index": i}
        assert set(state) == {"#meta", *data["vars"]}, i
        assert isinstance(state["action"], str) and isinstance(state["actor"], str)
        assert isinstance(state["time"], int)
    for where, value in _walk(data):
        assert value is not None, f"null at {where}"
        assert not isinstance(value, float), where
        if isinstance(value, int) and not isinstance(value, bool):
            assert abs(value) <= 2**53 - 1, where
        if isinstance(value, dict) and where.count(".") > 1:  # inside a state: no '#' keys but ITF's own
            assert all(not k.startswith("#") or k in ("#tup", "#set", "#map", "#bigint") for k in value), where


def test_export_then_import_gives_the_same_trace(doc: TraceDoc, tmp_path: Path) -> None:
    assert from_itf(to_itf(doc)) == doc
    assert from_itf(json.dumps(to_itf(doc))) == doc
    path = write_itf(doc, tmp_path / "trace.itf.json")
    assert read_itf(path) == doc


def test_pod_node_is_written_as_an_option_variant() -> None:
    """A pod's node is None until it is bound; ITF has no null, so it is written as Quint writes
    an Option (``Some(name)`` / ``None``), in every state, bound or not."""
    doc = traces.broken_kubelet("explore")
    data = to_itf(doc)
    nodes = [pod["node"] for state in data["states"] for pod in state["pods"]]
    assert {"tag": "None", "value": {"#tup": []}} in nodes  # the replacement pod that stays Pending
    assert {"tag": "Some", "value": "worker"} in nodes
    assert all(set(n) == {"tag", "value"} for n in nodes)
    pending = [p for p in doc.steps[-1].state["pods"] if p["status"] == "Pending"]
    assert pending and pending[0]["node"] is None


def test_values_follow_itf_rules() -> None:
    assert encode(2**53 - 1) == 2**53 - 1
    assert encode(2**53) == {"#bigint": str(2**53)}
    assert encode(-(2**70)) == {"#bigint": str(-(2**70))}
    assert encode((1, "a")) == {"#tup": [1, "a"]}
    assert encode(frozenset({"b", "a"})) == {"#set": ["a", "b"]}
    assert encode({1: "x"}) == {"#map": [[1, "x"]]}
    assert encode({"a": [True, None]}) == {"a": [True, {"tag": "None", "value": {"#tup": []}}]}
    for value in (2**80, -5, (1, (2, 3)), frozenset({1, 2}), {(1, 2): "p", "q": None}, ["x", {"y": 1}]):
        assert decode(json.loads(json.dumps(encode(value)))) == value
    with pytest.raises(ValueError, match="fraction"):
        encode(1.5)


def test_huge_times_and_extra_round_trip() -> None:
    doc = traces.custom_invariant("explore")
    steps = tuple(attrs.evolve(s, time=s.time + 2**60) for s in doc.steps)
    odd = attrs.evolve(doc, steps=steps, extra={"seed": 2**64, "pair": (1, 2), "tags": frozenset({"x"}), "none": None})
    data = json.loads(json.dumps(to_itf(odd)))
    assert data["states"][0]["time"] == {"#bigint": str(doc.steps[0].time + 2**60)}
    assert data["#meta"]["kmodel"]["extra"]["seed"] == {"#bigint": str(2**64)}
    assert from_itf(data) == odd


def test_a_foreign_itf_trace_is_read() -> None:
    """A trace with the kmodel variables written by another tool, using #bigint, #tup, #map, a
    plain string for a bound node, extra variables and no kmodel #meta, reads as the same steps;
    its own #meta and loop are kept in extra."""
    doc = traces.broken_kubelet("explore")
    data = traces.foreign(doc)
    back = from_itf(json.loads(json.dumps(data)), "cluster.itf.json")
    assert back.steps == doc.steps
    assert back.property is None and back.scenario is None and back.faults is None
    assert back.extra == {"itfMeta": {"source": "cluster.qnt", "description": "written by hand"}, "itfLoop": 0}


def test_sets_are_accepted_for_lists() -> None:
    doc = traces.custom_invariant("explore")
    data = to_itf(doc)
    state = data["states"][0]
    names = [p["name"] for p in state["pods"]]
    state["services"][0]["endpoints"] = {"#set": list(reversed(state["services"][0]["endpoints"]))}
    back = from_itf(data)
    assert back.steps[0].state["services"][0]["endpoints"] == sorted(doc.steps[0].state["services"][0]["endpoints"])
    assert [p["name"] for p in back.steps[0].state["pods"]] == names


# --- malformed input ---------------------------------------------------------------------------------


def _exported() -> dict[str, Any]:
    return to_itf(traces.custom_invariant("explore"))


def _edit(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    data = copy.deepcopy(_exported())
    change(data)
    return data


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """``states.3.pods.0.status`` -> set that place to ``value``."""

    def change(data: dict[str, Any]) -> None:
        keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
        target = data
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
        target = data
        for k in keys[:-1]:
            target = target[k]
        del target[keys[-1]]

    return change


MALFORMED = [
    # (id, document, where, words in the message)
    ("not an object", lambda: [1, 2], "(top level)", "JSON object, found a list"),
    ("no vars", lambda: _edit(_drop("vars")), "vars", "no vars"),
    ("vars not names", lambda: _edit(_set("vars", "pods")), "vars", "list of variable names"),
    (
        "a var missing from vars",
        lambda: _edit(lambda d: d["vars"].remove("pods")),
        "vars",
        "lacks the variable(s) pods",
    ),
    ("no states", lambda: _edit(_drop("states")), "states", "no states"),
    ("states not a list", lambda: _edit(_set("states", {"a": 1})), "states", "expected a list of states"),
    ("empty states", lambda: _edit(_set("states", [])), "states", "no states"),
    ("a state not an object", lambda: _edit(_set("states.2", 7)), "states[2]", "must be an object"),
    ("a state missing a var", lambda: _edit(_drop("states.3.pods")), "states[3]", "no value for the variable 'pods'"),
    (
        "wrong type",
        lambda: _edit(_set("states.3.pods.0.status", 5)),
        "states[3].pods[0].status",
        "expected a string, found an integer",
    ),
    (
        "a record missing a field",
        lambda: _edit(_drop("states.1.nodes.2.status")),
        "states[1].nodes[2]",
        "no field 'status'",
    ),
    ("null", lambda: _edit(_set("states.2.time", None)), "states[2].time", "null is not an ITF value"),
    ("fraction", lambda: _edit(_set("states.1.time", 1.5)), "states[1].time", "not an integer"),
    ("negative time", lambda: _edit(_set("states.1.time", -5)), "states[1].time", "negative"),
    ("time a string", lambda: _edit(_set("states.1.time", "60")), "states[1].time", "expected an integer"),
    ("bad bigint", lambda: _edit(_set("states.1.time", {"#bigint": "6O"})), "states[1].time", "#bigint"),
    (
        "unknown form",
        lambda: _edit(_set("states.1.pods.0.restarts", {"#float": "1.5"})),
        "states[1].pods[0].restarts",
        "unknown ITF form '#float'",
    ),
    (
        "bad map entry",
        lambda: _edit(_set("states.0.controlPlane", {"#map": [["apiserver"]]})),
        "states[0].controlPlane[0]",
        "[key, value] pair",
    ),
    (
        "pods not a list",
        lambda: _edit(_set("states.4.pods", {"name": "x"})),
        "states[4].pods",
        "expected a list of records, found an object",
    ),
    (
        "bool for a count",
        lambda: _edit(_set("states.4.pods.1.restarts", True)),
        "states[4].pods[1].restarts",
        "expected an integer, found a boolean",
    ),
    (
        "taints not strings",
        lambda: _edit(_set("states.0.nodes.0.taints", [1])),
        "states[0].nodes[0].taints[0]",
        "expected a string",
    ),
    (
        "faults not counts",
        lambda: _edit(_set("#meta.kmodel.faults", {"powerOffNode": "one"})),
        "#meta.kmodel.faults.powerOffNode",
        "expected a count",
    ),
    (
        "property not a string",
        lambda: _edit(_set("#meta.kmodel.property", 3)),
        "#meta.kmodel.property",
        "expected a string",
    ),
    (
        "fromStart not a boolean",
        lambda: _edit(_set("#meta.kmodel.fromStart", "no")),
        "#meta.kmodel.fromStart",
        "expected a boolean",
    ),
]


@pytest.mark.parametrize(("data", "where", "words"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_traces_are_bad_input(data: Callable[[], Any], where: str, words: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.itf.json"
    path.write_text(json.dumps(data()))
    with pytest.raises(KmodelError) as info:
        read_itf(path)
    err = info.value
    assert err.file == str(path) and err.where == where, str(err)
    assert words in err.message, str(err)
    assert str(err).startswith(f"{path}: {where}: ")
    assert err.exit_code == 2
    with pytest.raises(KmodelError) as again:  # the same from data already parsed
        from_itf(data(), "trace.itf.json")
    assert again.value.file == "trace.itf.json" and again.value.where == where


@pytest.mark.parametrize(
    ("text", "words"),
    [("{oops", "not JSON"), ('{"vars": [], "states": [NaN]}', "NaN"), (b"\xff\xfe{", "not UTF-8"), ("", "not JSON")],
    ids=["syntax", "NaN", "binary", "empty"],
)
def test_files_that_are_not_json(text: str | bytes, words: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.itf.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    with pytest.raises(KmodelError) as info:
        read_itf(path)
    assert info.value.file == str(path) and words in str(info.value)


def test_missing_and_unwritable_files(tmp_path: Path) -> None:
    with pytest.raises(KmodelError, match="trace file not found") as info:
        read_itf(tmp_path / "nope.itf.json")
    assert info.value.file == str(tmp_path / "nope.itf.json")
    with pytest.raises(KmodelError, match="cannot write") as info:
        write_itf(traces.custom_invariant("explore"), tmp_path / "no" / "dir" / "t.itf.json")
    assert info.value.file == str(tmp_path / "no" / "dir" / "t.itf.json")
