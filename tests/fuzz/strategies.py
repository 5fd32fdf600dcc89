"""Hypothesis strategies for hostile and odd input: scenario files, invariants, traces, flags.

Each strategy draws an :class:`Input`: the files to write (name -> bytes) and the command line
to run, with ``{gen}`` standing for the directory the files are written to. The inputs are mostly
almost right, since that is what reaches deep: Kubernetes objects and Scenario documents whose
fields are sometimes replaced by values from :data:`HOSTILE_YAML` (NaN, 30-digit numbers,
superscript and Arabic-Indic digits, tags JSON cannot carry, aliases, deep nesting), texts of valid
scenarios with bytes cut, doubled or inserted, invariants from a small grammar with hostile
literals, traces whose values are swapped for hostile JSON, and command lines whose flags take
values from :data:`HOSTILE_WORDS`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from kmodel.fieldpolicy import POLICY
from kmodel.scenario import FAULT_KINDS
from kmodel.settings import SETTING_KEYS
from kmodel.timeline import VERBS
from tests.fuzz.harness import ROOT

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "tests" / "data").glob("*.yaml"))
TRACES = [ROOT / "diagrams" / "cex-replicaset-one-too-many.json", ROOT / "diagrams" / "cex-scheduler-rebinding.json"]
SMALL = ROOT / "tests" / "data" / "props-two-workers.yaml"


@dataclass
class Input:
    """What to run: files to write into the run's directory, and the command line."""

    kind: str  # scenario, invariant, trace, flags
    args: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    in_root: bool = False  # run in the repository (a trace names its scenario relative to it), else in {gen}

    def cwd(self, gen: Path) -> Path:
        return ROOT if self.in_root else gen

    def argv(self, gen: Path) -> list[str]:
        return [a.replace("{gen}", str(gen)) for a in self.args]

    def write(self, gen: Path) -> None:
        for name, data in self.files.items():
            (gen / name).write_bytes(data)


class Raw(str):
    """A piece of YAML (or JSON) text put into a document as it is."""


# --- YAML -------------------------------------------------------------------------------------------

HOSTILE_YAML: tuple[str, ...] = (
    ".nan",
    ".inf",
    "-.inf",
    "1e400",
    "1.0e400",
    "5.0e-324",
    "9" * 30,
    "-" + "9" * 25,
    "0x" + "f" * 24,
    "0o777777777777777777777777",
    "1:30:00:00:00:00:00:00",
    "1_000_000",
    "2147483648",
    "9223372036854775808",
    "-1",
    "0",
    "2024-01-01",
    "2024-01-01T00:00:00Z",
    "~",
    "null",
    "yes",
    "true",
    "''",
    '""',
    "²",
    "'²'",
    "٣",
    "'٣٠s'",
    "１２",
    "[]",
    "{}",
    "[x]",
    "{a: b}",
    "{[x]: b}",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!python/name:os.system",
    "!custom x",
    "!!str 5",
    "!!int '12'",
    "!!float '.nan'",
    "&a x",
    "*a",
    "*nowhere",
    "0.0001",
    "1e3",
    "'1e3'",
    "'1e999999999'",
    "'100000h'",
    "'-5m'",
    "'1Ei'",
    "'hugepages-2Mi'",
    "'25%'",
    "'101%'",
    '"' + "x" * 300 + '"',
    '"' + "y" * 70 + '"',
    '"a\\u0000b"',
    '"\\ud800"',
    '"line\\nbreak"',
    "[" * 70 + "]" * 70,
    "{a: " * 70 + "1" + "}" * 70,
)

CONTAINER_FIELDS = tuple(sorted(POLICY["Container"]))
POD_FIELDS = tuple(sorted(POLICY["PodSpec"]))
DURATIONS = ("0s", "5s", "50s", "5m", "1h", "1h30m", "90", "2000ms", "1.5s", "-1s", "1e9s", "²s", "٣s", "24h", "25h")
GOOD_DURATIONS = ("5s", "30s", "50s", "1m", "90", "2m")


def hostile() -> st.SearchStrategy[Any]:
    return st.sampled_from(HOSTILE_YAML).map(Raw)


@dataclass(frozen=True)
class Mood:
    """How odd the documents are: ``odds`` of a field taking a hostile value, and whether
    names, labels and extra fields come from the valid pools only."""

    odds: float
    valid: bool

    @property
    def names(self) -> st.SearchStrategy[str]:
        good = ("web", "kind-worker", "kind-worker2", "api", "db")
        return st.sampled_from(good if self.valid else (*good, "a.b", "UPPER", "-bad-", "x" * 70, ""))

    @property
    def labels(self) -> st.SearchStrategy[dict[str, str]]:
        keys = ("app", "tier", "example.com/team") if self.valid else ("app", "tier", "a/b", "x" * 70, "", "k")
        return st.dictionaries(st.sampled_from(keys), self.names, max_size=3)

    def maybe(self, valid: st.SearchStrategy[Any], scale: float = 1.0) -> st.SearchStrategy[Any]:
        """``valid`` mostly, a hostile YAML value now and then."""
        odds = self.odds * scale
        if odds <= 0:
            return valid
        return st.one_of(*([valid] * max(1, round(1 / odds) - 1)), hostile())

    def extra(self, base: dict[str, Any], names: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
        """``base`` and, in a hostile mood, now and then one more field of ``names``."""
        if self.valid:
            return st.just(base)
        return st.dictionaries(st.sampled_from(names), hostile(), max_size=1).map(lambda more: {**base, **more})


MOODS = (Mood(0.0, True), Mood(0.03, True), Mood(0.2, False))


def _container(m: Mood) -> st.SearchStrategy[dict[str, Any]]:
    quantity = st.sampled_from(("100m", "0.5", "1", "250m", "1e3", "0.0001", "64Mi", "1Gi", "2Ei"))
    if not m.valid:
        quantity = st.one_of(quantity, st.sampled_from(("-1", "abc", "1e999999999")))
    requests = ("cpu", "memory") if m.valid else ("cpu", "memory", "pods", "nvidia.com/gpu")
    resources = st.fixed_dictionaries(
        {},
        optional={
            "requests": st.dictionaries(st.sampled_from(requests), m.maybe(quantity), max_size=2),
            "limits": st.dictionaries(st.sampled_from(requests), m.maybe(quantity), max_size=2),
        },
    )
    return st.fixed_dictionaries(
        {"name": m.maybe(st.sampled_from(("app", "side", "init"))), "image": m.maybe(st.just("nginx"))},
        optional={"resources": m.maybe(resources)},
    ).flatmap(lambda c: m.extra(c, CONTAINER_FIELDS))


def _unique_names(containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**c, "name": f"c{i}"} if isinstance(c.get("name"), str) else c for i, c in enumerate(containers)]


def _pod_spec(m: Mood) -> st.SearchStrategy[dict[str, Any]]:
    toleration = st.fixed_dictionaries(
        {"key": st.sampled_from(("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready", "a"))},
        optional={
            "operator": st.sampled_from(("Exists",) if m.valid else ("Exists", "Equal", "Bogus")),
            "effect": st.just("NoExecute"),
            "tolerationSeconds": m.maybe(st.integers(0 if m.valid else -5, 600)),
        },
    )
    containers = st.lists(_container(m), min_size=1, max_size=3).map(_unique_names)
    return st.fixed_dictionaries(
        {"containers": m.maybe(containers)},
        optional={
            "initContainers": m.maybe(
                st.lists(_container(m), max_size=2)
                .map(_unique_names)
                .map(lambda cs: [{**c, "name": "i" + str(c.get("name"))} for c in cs])
            ),
            "tolerations": m.maybe(st.lists(toleration, max_size=2)),
            "nodeSelector": m.maybe(m.labels),
            "terminationGracePeriodSeconds": m.maybe(st.integers(0 if m.valid else -1, 120)),
        },
    ).flatmap(lambda spec: m.extra(spec, POD_FIELDS))


def _metadata(m: Mood, labels: st.SearchStrategy[dict[str, str]] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"name": m.maybe(m.names, 0.5)},
        optional={
            "labels": m.maybe(labels if labels is not None else m.labels),
            "namespace": m.maybe(st.sampled_from(("shop",) if m.valid else ("default", "shop", "Bad_NS"))),
            "annotations": m.maybe(m.labels),
        },
    )


def _workload(m: Mood, kind: str) -> st.SearchStrategy[dict[str, Any]]:
    labels = st.just({"app": "web"})
    template = st.fixed_dictionaries(
        {"metadata": m.maybe(st.fixed_dictionaries({"labels": m.maybe(labels)})), "spec": m.maybe(_pod_spec(m))}
    )
    surge = st.sampled_from((1, "25%") if m.valid else (0, 1, "25%", "0%", "101%"))
    spec = st.fixed_dictionaries(
        {"selector": m.maybe(st.fixed_dictionaries({"matchLabels": m.maybe(labels)})), "template": m.maybe(template)},
        optional={
            "replicas": m.maybe(st.integers(0 if m.valid else -2, 12 if m.valid else 60)),
            "strategy": m.maybe(
                st.fixed_dictionaries({"rollingUpdate": st.fixed_dictionaries({"maxSurge": m.maybe(surge)})})
            ),
        },
    )
    api = "apps/v1" if kind in ("Deployment", "ReplicaSet", "StatefulSet") else "v1"
    return st.fixed_dictionaries(
        {
            "apiVersion": m.maybe(st.just(api), 0.25),
            "kind": st.just(kind),
            "metadata": _metadata(m),
            "spec": m.maybe(spec),
        }
    )


def _pod(m: Mood) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "apiVersion": m.maybe(st.just("v1"), 0.25),
            "kind": st.just("Pod"),
            "metadata": _metadata(m, st.just({"app": "web"})),
            "spec": m.maybe(_pod_spec(m)),
        }
    )


def _node(m: Mood) -> st.SearchStrategy[dict[str, Any]]:
    effects = ("NoSchedule", "NoExecute", "PreferNoSchedule") if m.valid else ("NoSchedule", "NoExecute", "Bad")
    taint = st.fixed_dictionaries(
        {
            "key": m.maybe(st.sampled_from(("dedicated", "node-role.kubernetes.io/control-plane"))),
            "effect": m.maybe(st.sampled_from(effects)),
        }
    )
    amounts = st.sampled_from(("1", "2", "4Gi", "110", "500m"))
    status = st.fixed_dictionaries(
        {},
        optional={
            "allocatable": st.dictionaries(st.sampled_from(("cpu", "memory", "pods")), m.maybe(amounts), max_size=3),
            "conditions": m.maybe(st.just([{"type": "Ready", "status": "True"}])),
        },
    )
    spec = st.fixed_dictionaries(
        {},
        optional={
            "taints": st.lists(taint, max_size=2, unique_by=lambda t: str(t)),
            "unschedulable": m.maybe(st.booleans()),
        },
    )
    return st.fixed_dictionaries(
        {"apiVersion": st.just("v1"), "kind": st.just("Node"), "metadata": _metadata(m)},
        optional={"spec": m.maybe(spec), "status": m.maybe(status)},
    )


def _service(m: Mood) -> st.SearchStrategy[dict[str, Any]]:
    spec = st.fixed_dictionaries(
        {"selector": m.maybe(st.just({"app": "web"}))}, optional={"publishNotReadyAddresses": m.maybe(st.booleans())}
    )
    return st.fixed_dictionaries(
        {
            "apiVersion": m.maybe(st.just("v1"), 0.25),
            "kind": st.just("Service"),
            "metadata": _metadata(m),
            "spec": m.maybe(spec),
        }
    )


def _other(m: Mood, kind: str, api: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"apiVersion": m.maybe(st.just(api), 0.5), "kind": st.just(kind), "metadata": _metadata(m)},
        optional={"data": m.maybe(m.labels)},
    )


def event_text(m: Mood) -> st.SearchStrategy[str]:
    good = (
        "node/kind-worker",
        "pod/web-*",
        "deployment/web",
        "kubelet/kind-worker",
        "runtime/kind-worker",
        "scheduler",
        "control-plane",
    )
    odd = (
        "node/nope",
        "pod/[",
        "replicaset/web",
        "service/web",
        "node/",
        "pod/" + "x" * 300,
        "other.yaml",
        "/dev/zero",
        "../../../../etc/passwd",
        "{gen}",
    )
    verbs = ("stop", "start", "kill", "delete", "scale", "cordon", "taint", "partition", "heal")
    words = ("3", "0", "1", "a=b:NoSchedule", "--force", "-n", "shop")
    bad_words = ("²", "٣", "-1", "9" * 30, "a:Bogus", "--namespace=default", "x")
    return st.builds(
        lambda t, v, target, a: " ".join([t, v, target, *a]),
        st.sampled_from(GOOD_DURATIONS if m.valid else DURATIONS),
        st.sampled_from(verbs if m.valid else (*VERBS, "explode", "")),
        st.sampled_from(good if m.valid else good + odd),
        st.lists(st.sampled_from(words if m.valid else words + bad_words), max_size=2),
    )


def _scenario_doc(m: Mood) -> st.SearchStrategy[dict[str, Any]]:
    keys = ("nodeMonitorGracePeriod", "podGCPeriod", "nodeEvictionRate", "kubernetesVersion", "tick")
    values = st.one_of(st.sampled_from(GOOD_DURATIONS), st.sampled_from(("1.25", "1.30", "1.37")), st.floats(0.01, 1))
    if not m.valid:
        keys = (*sorted(SETTING_KEYS), "bogusSetting")
        values = st.one_of(st.sampled_from(DURATIONS), st.integers(-1, 10**6), st.floats(-1, 2, allow_nan=False))
    return st.fixed_dictionaries(
        {"apiVersion": m.maybe(st.just("kmodel.dev/v1alpha1"), 0.25), "kind": st.just("Scenario")},
        optional={
            "metadata": m.maybe(st.fixed_dictionaries({"name": m.maybe(m.names)})),
            "settings": m.maybe(st.dictionaries(st.sampled_from(keys), m.maybe(values), max_size=2)),
            "until": m.maybe(st.sampled_from(GOOD_DURATIONS if m.valid else DURATIONS)),
            "timeline": m.maybe(st.lists(m.maybe(event_text(m), 0.5), max_size=4)),
            "faults": m.maybe(
                st.dictionaries(
                    st.sampled_from(FAULT_KINDS if m.valid else (*FAULT_KINDS, "bogus")),
                    m.maybe(st.integers(0, 2 if m.valid else 200)),
                    max_size=2,
                )
            ),
        },
    )


def document(m: Mood) -> st.SearchStrategy[dict[str, Any]]:
    kinds = [
        _workload(m, "Deployment"),
        _workload(m, "ReplicaSet"),
        _pod(m),
        _node(m),
        _service(m),
        _other(m, "ConfigMap", "v1"),
        _other(m, "Secret", "v1"),
        _other(m, "Role", "rbac.authorization.k8s.io/v1"),
        _scenario_doc(m),
    ]
    if not m.valid:
        kinds += [_workload(m, "StatefulSet"), _other(m, "Widget", "example.com/v1")]
    return st.one_of(*kinds)


def _distinct(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One Scenario document and one object per kind and name, as a valid file has."""
    seen: set[tuple[str, str]] = set()
    out = []
    for d in docs:
        meta = d.get("metadata")
        key = (
            str(d.get("kind")),
            str(meta.get("name") if isinstance(meta, dict) and d.get("kind") != "Scenario" else ""),
        )
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def emit(value: Any) -> str:
    """A value as flow-style YAML; :class:`Raw` pieces as they are."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(emit(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{emit(k)}: {emit(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def _anchors() -> st.SearchStrategy[str]:
    """A prefix of anchors, from a few nodes to an alias bomb, that the document's ``*a`` may use."""

    def build(width: int, levels: int) -> str:
        parts = ["_l0: &l0 [" + ", ".join(["x"] * width) + "]"]
        for i in range(1, levels):
            parts.append(f"_l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
        parts.append(f"_a: &a [*l{levels - 1}]")
        return "{" + ", ".join(parts) + "}"

    return st.builds(build, st.integers(1, 12), st.integers(1, 6))


@st.composite
def scenario_text(draw: st.DrawFn) -> bytes:
    """A scenario file: generated documents in flow or block style, or a shipped scenario's
    text mutated."""
    if draw(st.integers(0, 3)) == 0:
        base = draw(st.sampled_from(SCENARIOS)).read_bytes()
        return draw(mutated(base))
    mood = draw(st.sampled_from(MOODS))
    docs = draw(st.lists(document(mood), min_size=1, max_size=4))
    if mood.valid:
        docs = _distinct(docs)
    texts = []
    for doc in docs:
        text = emit(doc)
        if not mood.valid and draw(st.integers(0, 4)) == 0:
            anchors = draw(_anchors())
            text = "{" + anchors[1:-1] + ", " + text[1:] if text.startswith("{") and len(text) > 2 else text
        texts.append(text)
    return ("\n---\n".join(texts) + "\n").encode("utf-8", errors="surrogatepass")


INSERTS = (
    b"\x00",
    b"\xff",
    b"\t",
    b"\r",
    b": ",
    b"- ",
    b"&a ",
    b"*a",
    b"[",
    b"{",
    b"}",
    b"]",
    b"'",
    b'"',
    b"#",
    b"---\n",
    b"\n  ",
    b"\xc2\xb2",
    b"!!",
    b"%YAML 1.1\n",
    b"? ",
    b"|",
    b">",
)


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few bytes cut, doubled, replaced or inserted."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not out:
            break
        at = draw(st.integers(0, len(out) - 1))
        how = draw(st.integers(0, 3))
        span = draw(st.integers(1, 40))
        if how == 0:
            del out[at : at + span]
        elif how == 1:
            out[at:at] = out[at : at + span]
        elif how == 2:
            out[at : at + 1] = draw(st.sampled_from(INSERTS))
        else:
            out[at:at] = draw(st.sampled_from(INSERTS))
    return bytes(out)


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
