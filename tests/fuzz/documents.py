"""Scenario files for the fuzz suite: Kubernetes objects and Scenario documents in three moods
(clean, odd: a rare hostile value, hostile: many, with invalid names and extra fields), written
as flow-style YAML with :data:`HOSTILE_YAML` values, anchors and alias bombs spliced in as
they are, or the text of a shipped scenario damaged by :func:`~tests.fuzz.inputs.mutated`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from kmodel.fieldpolicy import POLICY
from kmodel.scenario import FAULT_KINDS
from kmodel.settings import SETTING_KEYS
from kmodel.timeline import VERBS
from tests.fuzz.inputs import SCENARIOS, mutated


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
