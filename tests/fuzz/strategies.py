"""Hypothesis strategies for hostile and odd input: scenario files, invariants, traces, flags.

Each strategy draws an :class:`Input`: the files to write (name -> bytes) and the command line
to run, with ``{gen}`` standing for the directory the files are written to. The inputs are mostly
almost right, since that is what reaches deep: Kubernetes objects and Scenario documents whose
fields are sometimes replaced by values from :data:`~tests.fuzz.documents.HOSTILE_YAML` (NaN, 30-digit numbers,
superscript and Arabic-Indic digits, tags JSON cannot carry, aliases, deep nesting), texts of valid
scenarios with bytes cut, doubled or inserted, invariants from a small grammar with hostile
literals, traces whose values are swapped for hostile JSON, and command lines whose flags take
values from :data:`HOSTILE_WORDS`.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.documents import scenario_text
from tests.fuzz.harness import ROOT
from tests.fuzz.inputs import SMALL, TRACES, Input, mutated

__all__ = ["CLASSES", "ROOT", "Input"]


@st.composite
def scenario_input(draw: st.DrawFn) -> Input:
    files = {"s.yaml": draw(scenario_text())}
    if draw(st.booleans()):
        files["other.yaml"] = draw(scenario_text())
    command = draw(st.sampled_from(("simulate", "simulate", "check", "diagram")))
    if command == "simulate":
        args = ["simulate", "{gen}/s.yaml", "--until", "1m", "-o", draw(st.sampled_from(("json", "events", "table")))]
    elif command == "check":
        args = ["check", "{gen}/s.yaml", "--max-states", "150", "--timeout", "8s", "--database", "none"]
        args += ["--faults", draw(st.sampled_from(("none", "powerOffNode=1", "killPod=1")))]
    else:
        args = ["diagram", "{gen}/s.yaml", "--max-states", "150", "-o", "{gen}/d.dot", "--faults", "none"]
    if draw(st.booleans()):
        args.append("--allow-unmodelled")
    return Input("scenario", args, files)


# --- invariants ------------------------------------------------------------------------------------

HOSTILE_LITERALS = (
    "10**30",
    "10**31",
    "9**9**9",
    "2**64",
    "-2**63",
    "1e308*10",
    "1e-400",
    "0.1+0.2",
    "'²'",
    "'٣'",
    "'x'*10000",
    "'x'*100001",
    "(1,)*10**5",
    "[]",
    "None",
    "True",
    "''",
    "'" + "z" * 500 + "'",
)
FIELDS = (
    "name",
    "node",
    "phase",
    "status",
    "ready",
    "restarts",
    "terminating",
    "labels",
    "owner",
    "age",
    "deployment",
    "condition",
    "taints",
    "zone",
    "__class__",
    "__dict__",
    "bogus",
)


@st.composite
def expression(draw: st.DrawFn, depth: int = 0) -> str:
    leaf = st.one_of(
        st.sampled_from(("len(pods)", "len(nodes)", "now", "1", "0", "'Running'", "p.name", "n.status")),
        st.sampled_from(HOSTILE_LITERALS),
        st.builds(lambda v, f: f"{v}.{f}", st.sampled_from(("p", "n", "pods", "nodes")), st.sampled_from(FIELDS)),
        st.builds(lambda k: f"p.labels[{k}]", st.sampled_from(("'app'", "0", "None", "'x'*1000"))),
    )
    if depth > 3 or draw(st.integers(0, 2)) == 0:
        return draw(leaf)
    sub = expression(depth + 1)
    form = draw(st.integers(0, 8))
    a, b = draw(sub), draw(sub)
    op = draw(
        st.sampled_from(
            ("==", "!=", "<", ">=", "+", "-", "*", "/", "//", "%", "**", "and", "or", "in", "not in", "is", "if")
        )
    )
    if form <= 3:
        return f"({a} {op} {b})" if op != "if" else f"({a} if {b} else {a})"
    if form == 4:
        fn = draw(st.sampled_from(("count", "all", "any", "sum", "min", "max", "sorted", "set")))
        var, coll = draw(st.sampled_from((("p", "pods"), ("n", "nodes"), ("x", "[1, 2]"))))
        return f"{fn}({a} for {var} in {coll} if {b})"
    if form == 5:
        fn = draw(st.sampled_from(("len", "abs", "eval", "open", "__import__", "getattr", "type", "print")))
        return f"{fn}({a})"
    if form == 6:
        return f"not {a}"
    if form == 7:
        return f"{a}[{b}:{a}:{b}]"
    return draw(
        st.sampled_from(("lambda: 1", "(x := 1)", "[*pods]", "{**{}}", "f'{1}'", "await x", "yield 1", "a" * 200))
    )


@st.composite
def invariant_input(draw: st.DrawFn) -> Input:
    text = draw(
        st.one_of(
            expression(),
            expression().map(lambda e: f"all({e} for p in pods)"),
            expression().map(lambda e: f"any({e} for n in nodes) or len(pods) >= 0"),
            expression().map(lambda e: f"count(p for p in pods if {e}) >= 0"),
            st.text(max_size=60),
        )
    )
    args = ["check", str(SMALL), "-i", text, "--faults", "none", "--max-states", "25", "--timeout", "8s"]
    if draw(st.integers(0, 3)) == 0:
        args += ["--engine", "hypothesis", "--database", "none", "--profile", "ci", "--max-depth", "30"]
    return Input("invariant", args)


# --- traces -----------------------------------------------------------------------------------------

HOSTILE_JSON = (
    '{"#bigint": "' + "9" * 60 + '"}',
    '{"#bigint": "-1"}',
    '{"#bigint": 5}',
    '{"#bigint": "²"}',
    '{"#tup": [1, [2]]}',
    '{"#set": [[1], [2]]}',
    '{"#set": [{"a": 1}]}',
    '{"#map": [[{"#set": []}, 1]]}',
    '{"#map": [[[1], 1]]}',
    '{"#map": 3}',
    '{"#unknown": 1}',
    '{"#tup": [], "x": 1}',
    '{"tag": "Some", "value": {"tag": "Some", "value": null}}',
    '{"tag": "None", "value": 1}',
    "null",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "1.5",
    "9" * 50,
    "-1",
    "true",
    '"²"',
    '"' + "w" * 2000 + '"',
    '"\\ud800"',
    "[]",
    "{}",
    "[" * 60 + "]" * 60,
    '"/dev/zero"',
    '"../../../../etc/passwd"',
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:6]):
            out += _paths(v, (*prefix, i))
    return out


_TRACE_DOCS = [json.loads(p.read_text()) for p in TRACES]
_TRACE_PATHS = [_paths(d) for d in _TRACE_DOCS]


@st.composite
def trace_text(draw: st.DrawFn) -> bytes:
    which = draw(st.integers(0, len(_TRACE_DOCS) - 1))
    doc = json.loads(json.dumps(_TRACE_DOCS[which]))
    marks: dict[str, str] = {}
    for i in range(draw(st.sampled_from((0, 1, 1, 2, 4)))):
        path = draw(st.sampled_from(_TRACE_PATHS[which]))
        if not path:
            continue
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            how = draw(st.integers(0, 4))
            if how == 0 and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif how == 1 and isinstance(parent, dict):
                parent[draw(st.sampled_from(("#meta", "#bigint", "extra", "x" * 500)))] = 1
            else:
                mark = f"@@{i}@@"
                marks[mark] = draw(st.sampled_from(HOSTILE_JSON))
                parent[path[-1]] = mark
        except (KeyError, IndexError, TypeError):
            continue
    text = json.dumps(doc)
    for mark, raw in marks.items():
        text = text.replace(json.dumps(mark), raw)
    data = text.encode("utf-8", errors="surrogatepass")
    if draw(st.integers(0, 5)) == 0:
        data = draw(mutated(data))
    return data


@st.composite
def trace_input(draw: st.DrawFn) -> Input:
    files = {"t.json": draw(trace_text())}
    if draw(st.booleans()):
        view = draw(st.sampled_from(("full", "nodes", "pods", "deployment/web", "node/x", "bogus", "node/", "pods/x")))
        args = ["render", "{gen}/t.json", "-o", "{gen}/out.dot", "--view", view]
        if draw(st.booleans()):
            args.append("--no-fold")
    else:
        args = ["replay", "{gen}/t.json"]
        if draw(st.booleans()):
            args += ["--faults", draw(st.sampled_from(("none", "powerOffNode=1", "²")))]
    return Input("trace", args, files, in_root=True)


# --- flags ------------------------------------------------------------------------------------------

HOSTILE_WORDS = (
    "",
    "0",
    "1",
    "-1",
    "3",
    "²",
    "٣",
    "１",
    "1e9",
    "inf",
    "nan",
    "9" * 40,
    "9" * 5000,
    "1h",
    "100000h",
    "0s",
    "-5s",
    "5m",
    "x" * 300,
    "none",
    "powerOffNode=1",
    "killPod=1,deletePod=2",
    "powerOffNode=²",
    "bogus=1",
    "=",
    ",",
    "--",
    "-h",
    "maxReplicas=5",
    "maxDuration=1m",
    "maxBogus=1",
    "nodeMonitorGracePeriod=10s..1m",
    "nodeMonitorGracePeriod=1m..10s",
    "pod/x",
    "pod/",
    "deployment/web",
    "full",
    "\x00",
    "\n",
    "'",
)
FILES = (
    str(SMALL),
    str(ROOT / "scenarios" / "seed-node-failure.yaml"),
    str(ROOT / "tests" / "data" / "hostile" / "alias-bomb.yaml"),
    str(ROOT / "tests" / "data" / "hostile" / "init-containers.yaml"),
    str(TRACES[0]),
    "{gen}",
    "{gen}/missing.yaml",
    "{gen}/fifo",
    "/etc/passwd",
    "",
)
OUTPUTS = ("{gen}/o.svg", "{gen}/o.dot", "{gen}/o.json", "{gen}/o.txt", "{gen}/no/such/dir/o.dot", "{gen}", "/dev/null")
OPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "simulate": {
        "--until": (),
        "--event": (),
        "--output": ("table", "json", "events", "bogus"),
        "--allow-unmodelled": ("FLAG",),
    },
    "check": {
        "--property": ("no-over-replication", "replica-convergence", "bogus"),
        "--invariant": ("len(pods) >= 0", "1/0 == 1", "pods[99].name == ''"),
        "--engine": ("explore", "hypothesis", "bogus"),
        "--faults": (),
        "--max-states": (),
        "--max-depth": (),
        "--seed": (),
        "--profile": ("ci", "dev", "bogus"),
        "--trace-out": OUTPUTS,
        "--output": ("text", "json"),
        "--no-symmetry": ("FLAG",),
        "--from-start": ("FLAG",),
        "--property-file": ("{gen}/missing.py", str(SMALL)),
        "--pod-slots": (),
        "--smt-slice": ("auto", "workload"),
        "--database": ("none", "{gen}/db", "{gen}/s.yaml", "{gen}/" + "d" * 300, "{gen}/a\x00b"),
    },
    "render": {"--out": OUTPUTS, "--view": (), "--no-fold": ("FLAG",)},
    "replay": {"--faults": (), "--property-file": ("{gen}/missing.py",)},
    "diagram": {
        "--view": ("pod", "node", "full", "bogus"),
        "--out": OUTPUTS,
        "--faults": (),
        "--max-states": (),
        "--max-nodes": (),
    },
    "explain": {"--at": (), "--event": ()},
    "properties": {},
    "settings": {},
    "limits": {},
    "kinds": {},
}
POSITIONALS = {"simulate": 1, "check": 1, "render": 1, "replay": 2, "diagram": 1, "explain": 2}
# flags appended last (click keeps the last value): every run stays small and writes only into {gen}
SAFETY = {
    "check": ["--timeout", "8s"],  # run in {gen}: the default example database goes there
    "diagram": ["--max-states", "200", "-o", "{gen}/d.dot"],
    "simulate": ["--until", "2m"],
    "explain": ["--at", "1m"],
}


@st.composite
def flags_input(draw: st.DrawFn) -> Input:
    command = draw(st.sampled_from(sorted(OPTIONS)))
    args: list[str] = []
    if draw(st.integers(0, 4)) == 0:
        args += ["--limit", draw(st.sampled_from(HOSTILE_WORDS))]
    args.append(command)
    for _ in range(POSITIONALS.get(command, 0) - (draw(st.integers(0, 6)) == 0)):
        args.append(draw(st.one_of(st.sampled_from(FILES), st.sampled_from(HOSTILE_WORDS))))
    options = OPTIONS[command]
    for _ in range(draw(st.integers(0, 4))):
        if not options:
            break
        name = draw(st.sampled_from(sorted(options)))
        values = options[name]
        if values == ("FLAG",):
            args.append(name)
            continue
        args += [
            name,
            draw(st.sampled_from(values) if values and draw(st.booleans()) else st.sampled_from(HOSTILE_WORDS)),
        ]
    if draw(st.integers(0, 8)) == 0:
        args.append(draw(st.sampled_from(HOSTILE_WORDS)))
    args += SAFETY.get(command, [])
    return Input("flags", args)


CLASSES = {"scenario": scenario_input, "invariant": invariant_input, "trace": trace_input, "flags": flags_input}
