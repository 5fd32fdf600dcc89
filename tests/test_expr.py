"""Custom invariants: the record view of a cluster, the safe expression language, its limits."""

from __future__ import annotations

import ast
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest

from kmodel import expr
from kmodel.errors import EXIT_BAD_INPUT, KmodelError
from kmodel.expr import ExprError, Invariant, compile_invariant
from kmodel.exprview import LabelMap, environment
from kmodel.settings import Settings
from kmodel.state import (
    COND_UNKNOWN,
    LABEL_ZONE,
    NO_EXECUTE,
    RUNNING,
    TAINT_UNREACHABLE,
    Cluster,
    Deployment,
    Node,
    Pod,
    PodTemplate,
    ReplicaSet,
    Service,
    Taint,
    labels_of,
)

HELLO = labels_of({"app": "hello", "app.kubernetes.io/name": "hello-world"})


def make_cluster(*, healthy: bool = False) -> Cluster:
    """Three nodes and a two-replica Deployment; unless ``healthy``, minikube-m03 is lost (its pod
    is not ready), a stray pod is Pending and hello-1 has restarted three times."""
    m03_ready = "True" if healthy else COND_UNKNOWN
    m03_taints = () if healthy else (Taint(TAINT_UNREACHABLE, NO_EXECUTE, time_added=90),)
    nodes = (
        Node("minikube", control_plane=True, last_heartbeat=100, labels=labels_of({LABEL_ZONE: "a"})),
        Node("minikube-m02", last_heartbeat=95, labels=labels_of({LABEL_ZONE: "a"})),
        Node(
            "minikube-m03",
            ready=m03_ready,
            taints=m03_taints,
            last_heartbeat=40,
            powered=healthy,
            labels=labels_of({LABEL_ZONE: "b"}),
        ),
    )
    pod = Pod("hello-1", owner="hello-6d4", labels=HELLO, node_name="minikube-m02", phase=RUNNING, ready=True)
    pods = [
        Pod("hello-1", **{**pod_kw(pod), "restarts": 0 if healthy else 3, "created": 10}),
        Pod("hello-2", **{**pod_kw(pod), "node_name": "minikube-m03", "ready": healthy, "created": 20}),
    ]
    if not healthy:
        pods.append(Pod("stray", created=80))
    endpoints = ("hello-1", "hello-2") if healthy else ("hello-1",)
    return Cluster(
        settings=Settings(),
        now=100,
        nodes=nodes,
        pods=tuple(pods),
        replicasets=(
            ReplicaSet("hello-6d4", 2, HELLO, PodTemplate(labels=HELLO), owner="hello", labels=HELLO, status_ready=1),
        ),
        deployments=(Deployment("hello", 2, HELLO, PodTemplate(labels=HELLO), status_ready=1, status_available=1),),
        services=(Service("hello", labels_of({"app": "hello"}), endpoints),),
    )


def pod_kw(pod: Pod) -> dict[str, object]:
    return {
        "owner": pod.owner,
        "labels": pod.labels,
        "node_name": pod.node_name,
        "phase": pod.phase,
        "ready": pod.ready,
    }


@pytest.fixture(scope="module")
def env() -> dict[str, object]:
    return environment(make_cluster())


@pytest.fixture(scope="module")
def healthy_env() -> dict[str, object]:
    return environment(make_cluster(healthy=True))


def holds(text: str, env: dict[str, object]) -> bool:
    return compile_invariant(text).evaluate(env)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail (rather than hang) if the body runs longer than ``seconds``."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- the record view --------------------------------------------------------------------------------


def test_environment_names(env: dict[str, object]) -> None:
    assert set(env) == {"nodes", "pods", "deployments", "replicasets", "services", "now", "statefulsets"}
    assert env["now"] == 100
    assert [repr(n) for n in env["nodes"]] == ["node minikube", "node minikube-m02", "node minikube-m03"]  # type: ignore[attr-defined]
    assert repr(env["pods"][2]) == "pod stray"  # type: ignore[index]
    assert repr(env["services"][0]) == "service hello"  # type: ignore[index]


def test_node_fields(env: dict[str, object]) -> None:
    lost = env["nodes"][2]  # type: ignore[index]
    assert lost.field("status") == "NotReady"
    assert lost.field("condition") == "Unknown"
    assert lost.field("ready") is False
    assert lost.field("taints") == ("node.kubernetes.io/unreachable:NoExecute",)
    assert lost.field("zone") == "b"
    assert lost.field("heartbeat_age") == 60
    assert (lost.field("powered"), lost.field("kubelet_running"), lost.field("partitioned")) == (False, True, False)
    assert (lost.field("unschedulable"), lost.field("control_plane")) == (False, False)
    assert env["nodes"][0].field("control_plane") is True  # type: ignore[index]
    assert lost.name == "minikube-m03"  # attribute access for Python callers


def test_pod_fields(env: dict[str, object]) -> None:
    hello1, hello2, stray = env["pods"]  # type: ignore[misc]
    assert (hello1.field("node"), hello1.field("status"), hello1.field("phase")) == (
        "minikube-m02",
        "Running",
        "Running",
    )
    assert (hello1.field("ready"), hello1.field("restarts"), hello1.field("age")) == (True, 3, 90)
    assert (hello1.field("owner"), hello1.field("deployment")) == ("hello-6d4", "hello")
    assert hello2.field("ready") is False
    assert (stray.field("node"), stray.field("status"), stray.field("owner"), stray.field("deployment")) == (
        None,
        "Pending",
        None,
        None,
    )
    assert stray.field("terminating") is False


def test_workload_and_service_fields(env: dict[str, object]) -> None:
    d = env["deployments"][0]  # type: ignore[index]
    assert [d.field(f) for f in ("name", "replicas", "ready", "available", "updated")] == ["hello", 2, 1, 1, 0]
    rs = env["replicasets"][0]  # type: ignore[index]
    assert [rs.field(f) for f in ("name", "replicas", "owner", "ready")] == ["hello-6d4", 2, "hello", 1]
    s = env["services"][0]  # type: ignore[index]
    assert s.field("endpoints") == ("hello-1",)
    assert dict(s.field("selector")) == {"app": "hello"}


def test_labels_are_read_only_mapping(env: dict[str, object]) -> None:
    labels = env["pods"][0].field("labels")  # type: ignore[index]
    assert isinstance(labels, LabelMap)
    assert labels["app.kubernetes.io/name"] == "hello-world"
    assert labels.label("missing") is None
    assert len(labels) == 2
    with pytest.raises(TypeError):
        labels["app"] = "x"  # type: ignore[index]


def test_records_expose_only_declared_fields(env: dict[str, object]) -> None:
    pod = env["pods"][0]  # type: ignore[index]
    with pytest.raises(KeyError):
        pod.field("deletion_timestamp")
    with pytest.raises(AttributeError):
        _ = pod.tolerations


# --- the examples from the issue ---------------------------------------------------------------------

EXAMPLES = [
    'count(p for p in pods if p.labels.app == "hello" and p.ready) >= 1',
    'all(n.status == "Ready" for n in nodes if n.name != "minikube-m03")',
    'len(pods) <= 5 and not any(p.status == "Pending" for p in pods)',
    "all(len(s.endpoints) >= 1 for s in services)",
    "max((p.restarts for p in pods), default=0) < 3",
]


@pytest.mark.parametrize(
    ("text", "on_broken", "on_healthy"),
    [
        (EXAMPLES[0], True, True),
        (EXAMPLES[1], True, True),
        (EXAMPLES[2], False, True),
        (EXAMPLES[3], True, True),
        (EXAMPLES[4], False, True),
        ('count(p for p in pods if p.labels.app == "hello" and p.ready) >= 2', False, True),
        ('all(n.status == "Ready" for n in nodes)', False, True),
        ("all(len(s.endpoints) >= 2 for s in services)", False, True),
    ],
)
def test_examples(text: str, on_broken: bool, on_healthy: bool, env: dict, healthy_env: dict) -> None:
    assert holds(text, env) is on_broken
    assert holds(text, healthy_env) is on_healthy


def test_invariant_keeps_its_text() -> None:
    inv = compile_invariant("  len(pods) >= 1 ")
    assert isinstance(inv, Invariant)
    assert inv.text == "len(pods) >= 1"


# --- every allowed construct --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # literals
        ("True", True),
        ("not False", True),
        ("None is None", True),
        ("1 == 1.0", True),
        ("'a' == \"a\"", True),
        ("(1, 2) == (1, 2)", True),
        ("[1, 'x', None] == [1, 'x', None]", True),
        ("{1, 2} == {2, 1}", True),
        ("() == ()", True),
        # names, fields, labels
        ("now == 100", True),
        ("pods[0].name == 'hello-1'", True),
        ("pods[0].labels.app == 'hello'", True),
        ("pods[0].labels['app.kubernetes.io/name'] == 'hello-world'", True),
        ("pods[0].labels.missing is None", True),
        ("pods[0].labels['missing'] is None", True),
        ("'app' in pods[0].labels", True),
        ("len(pods[0].labels) == 2", True),
        ("services[0].selector.app == pods[0].labels.app", True),
        ("nodes[2].heartbeat_age > 30", True),
        ("nodes[0].heartbeat_age is not None", True),
        ("'node.kubernetes.io/unreachable:NoExecute' in nodes[2].taints", True),
        ("deployments[0].ready < deployments[0].replicas", True),
        ("replicasets[0].owner == 'hello'", True),
        # subscripts and slices
        ("pods[-1].name == 'stray'", True),
        ("pods[0].name[0:5] == 'hello'", True),
        ("pods[0].name[::-1] == '1-olleh'", True),
        ("[p.name for p in pods][1:] == ['hello-2', 'stray']", True),
        ("(1, 2, 3)[::2] == (1, 3)", True),
        ("'hello' in pods[0].name", True),
        # comparisons
        ("1 < 2 <= 2 < 3", True),
        ("1 < 2 > 3", False),
        ("3 >= 3 != 4", True),
        ("'stray' not in [p.name for p in pods]", False),
        ("'hello-2' in (p.name for p in pods) and 'x' not in (p.name for p in pods)", True),
        ("pods[2].node is None and pods[0].node is not None", True),
        # boolean operators short-circuit
        ("False and pods[0].nmae", False),
        ("True or pods[0].nmae", True),
        ("not (False or False)", True),
        ("pods[2].node is None or pods[2].node < 3", True),
        # arithmetic
        ("1 + 2 * 3 - 4 == 3", True),
        ("7 / 2 == 3.5", True),
        ("7 // 2 == 3 and 7 % 2 == 1", True),
        ("-(1 + 2) == -3 and +2 == 2", True),
        ("2 ** 10 == 1024 and 2 ** -1 == 0.5", True),
        ("'ab' + 'cd' == 'abcd' and 'ab' * 2 == 'abab' and 2 * [0] == [0, 0]", True),
        ("(1,) + (2,) == (1, 2)", True),
        ("sum(p.restarts for p in pods) / len(pods) == 1", True),
        # conditional expression
        ("(1 if len(pods) > 2 else 2) == 1", True),
        ("('yes' if pods[2].node is None else pods[2].nmae) == 'yes'", True),
        # comprehensions
        ("[p.name for p in pods if p.ready] == ['hello-1']", True),
        ("{p.deployment for p in pods} == {'hello', None}", True),
        ("count(1 for n in nodes for p in pods if p.node == n.name) == 2", True),
        ("count(p for p in pods if p.labels.app == 'hello' if p.ready) == 1", True),
        ("all(a.name != b.name for a in pods for b in pods if a.name != b.name)", True),
        ("all(a.name != b.name for a in pods for b in pods if a.age != b.age)", True),
        ("[x for x, y in [(1, 2), (3, 4)] if y > 2] == [3]", True),
        ("[(a, b) for (a, b) in ((1, 2),)] == [(1, 2)]", True),
        ("sum(c for c in (1, 2, 3)) == 6", True),
        ("[c for c in 'ab'] == ['a', 'b']", True),
        ("sorted(k for k in pods[0].labels) == ['app', 'app.kubernetes.io/name']", True),
        ("any(any(p.node == n.name for p in pods) for n in nodes if not n.ready)", True),
        # functions
        ("len(pods) == 3 and len('abc') == 3 and len([1]) == 1 and len({1}) == 1", True),
        ("count(pods) == 3 and count(p for p in pods if p.ready) == 1", True),
        ("all([]) and not any([])", True),
        ("sum([1, 2], 10) == 13", True),
        ("min(3, 1, 2) == 1 and max([3, 1, 2]) == 3", True),
        ("min((p.age for p in pods if p.ready), default=-1) == 90", True),
        ("max((p.restarts for p in pods if p.name == 'nope'), default=0) == 0", True),
        ("abs(-3) == 3 and abs(-2.5) == 2.5", True),
        ("sorted([3, 1, 2]) == [1, 2, 3]", True),
        ("sorted(p.name for p in pods)[0] == 'hello-1'", True),
        ("set([1, 1, 2]) == {1, 2} and set() == set()", True),
        ("len(set(p.node for p in pods)) == 3", True),
        ("len(set(pods)) == 3", True),
    ],
)
def test_allowed_constructs(text: str, expected: bool, env: dict[str, object]) -> None:
    assert holds(text, env) is expected


# --- explanations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "explanation"),
    [
        ("count(p for p in pods if p.ready) >= 2", "count(p for p in pods if p.ready) = 1, needs >= 2"),
        ("len(pods) <= 2", "len(pods) = 3, needs <= 2"),
        (
            'all(n.status == "Ready" for n in nodes)',
            "all(...) is false for n = node minikube-m03: n.status = 'NotReady', needs == \"Ready\"",
        ),
        (
            'len(pods) <= 5 and not any(p.status == "Pending" for p in pods)',
            "any(...) is true for p = pod stray: p.status = 'Pending', needs != \"Pending\"",
        ),
        ("len(pods) <= 5 and all(p.ready for p in pods)", "all(...) is false for p = pod hello-2: p.ready is False"),
        ("max((p.restarts for p in pods), default=0) < 3", "max((p.restarts for p in pods), default=0) = 3, needs < 3"),
        ("any(p.restarts > 5 for p in pods)", "any(...) is false: none of its 3 items holds"),
        ("not all(p.age > 0 for p in pods)", "all(...) is true: all of its 3 items hold"),
        (
            "len(pods) > 5 or now < 10",
            "none of the alternatives holds: len(pods) = 3, needs > 5; now = 100, needs < 10",
        ),
        (
            "deployments[0].ready >= deployments[0].replicas",
            "deployments[0].ready = 1, deployments[0].replicas = 2, "
            "needs deployments[0].ready >= deployments[0].replicas",
        ),
        ("1 <= 2 <= len(pods) <= 2", "len(pods) = 3, needs <= 2"),
        ("False", "the constant False"),
        (
            "any(p.node == n.name for n in nodes for p in pods if not n.powered and p.ready)",
            "any(...) is false: none of its 1 item holds",
        ),
        (
            "all(p.node != n.name for n in nodes for p in pods if not n.powered)",
            "all(...) is false for n = node minikube-m03, p = pod hello-2: p.node = 'minikube-m03', "
            "n.name = 'minikube-m03', needs p.node != n.name",
        ),
        ("pods[1].ready if now > 50 else True", "now > 50 is True, so pods[1].ready is False"),
    ],
)
def test_explain(text: str, explanation: str, env: dict[str, object]) -> None:
    inv = compile_invariant(text)
    assert inv.evaluate(env) is False
    assert inv.explain(env) == explanation


def test_explain_shows_large_values_briefly(env: dict[str, object]) -> None:
    text = "[[1] * 1000, 'a' * 5000, ((((1,) * 100,) * 100,) * 100,)] == []"
    explanation = compile_invariant(text).explain(env)
    assert explanation.startswith(
        "[[1] * 1000, 'a' * 5000, ((((1,) * 100,) * 100,) * 100,)] = [[1, 1, 1, 1, 1, 1, ...]"
    )
    assert len(explanation) < 200


def test_explain_holds(healthy_env: dict[str, object]) -> None:
    assert compile_invariant(EXAMPLES[2]).explain(healthy_env) == f"{EXAMPLES[2]} holds"


# --- errors users make --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("p.name ==", "invalid syntax", 10),
        ("count(p for p in pods", "'(' was never closed", 6),
        ("len(pods) >= 1 x", "invalid syntax", 16),
        ("import os", "invalid syntax", 1),
        ("len(pods) > 0 and open('/etc/passwd')", "calling 'open' is not allowed", 19),
        ("pods[0].name.upper() == 'X'", "calling methods such as '.upper()' is not allowed", 1),
        ("any(p._fields for p in pods)", "the attribute '_fields' is not allowed", 5),
        ("lenn(pods) > 0", "calling 'lenn' is not allowed", 1),
        ("podz == ()", "'podz' is not a known name", 1),
        ("len == 1", "'len' is a function and can only be called", 1),
        ("any(len for len in pods)", "'len' is a built-in name and cannot be a loop variable", 13),
        ("1 is 1", "'is' is only allowed as 'is None' or 'is not None'", 1),
        ("len(pods, pods) == 1", "len() takes 1 argument(s), got 2", 1),
        ("min(1, 2, default=0) == 1", "min() takes 1 argument(s), got 2", 1),
        ("sorted(pods, key=1) == 1", "sorted() takes no keyword 'key'", 14),
        ("1 << 2 == 4", "the operator '<<' is not allowed", 1),
        ("~1 == -2", "the operator '~' is not allowed", 1),
        ("b'x' == 1", "bytes literals are not allowed", 1),
        ("1j == 1", "complex literals are not allowed", 1),
        ("... == 1", "'...' are not allowed", 1),
        ("10000000000000000000000000000000 > 1", "the number is too large", 1),
        ("'é' == 1 and x", "'x' is not a known name", 14),
    ],
)
def test_rejected_at_parse_time(text: str, message: str, column: int) -> None:
    with pytest.raises(ExprError) as info:
        compile_invariant(text)
    assert message in str(info.value)
    assert info.value.column == column
    assert f"column {column}" in str(info.value)
    assert "\n" not in str(info.value)


def test_expr_error_is_a_user_error() -> None:
    with pytest.raises(KmodelError) as info:
        compile_invariant("open('x')")
    assert info.value.exit_code == EXIT_BAD_INPUT
    assert str(info.value).startswith("invariant: calling 'open' is not allowed at column 1 (fix: ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "pods[0].nmae == 1",
            "pods have no field 'nmae' at column 1; fields: name, node, status, phase, ready, labels,",
        ),
        (
            "all(n.zome == 'a' for n in nodes)",
            "nodes have no field 'zome' at column 5; fields: name, status, condition,",
        ),
        ("pods[2].node < 3", "cannot compare None < 3"),
        ("pods[0].labels.missing < 3", "cannot compare None < 3"),
        ("pods[0].labels.missing.x == 1", "None has no field 'x'"),
        ("pods < 3", "cannot compare"),
        ("len(pods) + 1", "the invariant must be a comparison or boolean, got int"),
        ("pods[0].name", "the invariant must be a comparison or boolean, got str"),
        ("pods[2].node", "the invariant must be a comparison or boolean, got None"),
        ("len(p for p in pods) == 3", "len() needs a sequence, got a generator"),
        ("len(1) == 1", "len() needs a sequence, got int"),
        ("max(p.restarts for p in pods if p.restarts > 9) > 0", "max() of an empty sequence"),
        ("1 / 0 == 1", "division by zero"),
        ("1 % 0 == 1", "division by zero"),
        ("0 ** -1 == 1", "division by zero"),
        ("pods[7].name == 'x'", "index 7 is out of range for a tuple of length 3"),
        ("pods['x'] == 1", "indexes are integers, got str"),
        ("pods[0.5:] == 1", "slice bounds are integers or None, got float"),
        ("pods[::0] == ()", "bad slice"),
        ("pods[0].labels[1] == 1", "label keys are strings, got int"),
        ("now[0] == 1", "int cannot be indexed"),
        ("now.x == 1", "int has no field 'x'"),
        ("'%s' % 'x' == 'x'", "cannot apply '%' to str and str"),
        ("'a' + 1 == 1", "cannot apply '+' to str and int"),
        ("[1] + (1,) == 1", "cannot apply '+' to list and tuple"),
        ("'a' * 1.5 == 'a'", "can only be repeated by an int"),
        ("-'a' == 1", "unary '-' needs a number, got str"),
        ("sum(p.name for p in pods) == 1", "sum() needs numbers, got str"),
        ("abs('x') == 1", "abs() needs numbers, got str"),
        ("sorted([1, 'a']) == 1", "sorted() cannot order these items"),
        ("sorted(pods) == 1", "sorted() cannot order these items (pod)"),
        ("min(pods) == 1", "cannot compare"),
        ("{[1]} == 1", "a set cannot hold a list"),
        ("set([[1]]) == 1", "a set cannot hold a list"),
        ("any(x for x in now)", "cannot loop over int"),
        ("any(a for a, b in pods)", "cannot unpack pod hello-1 into 2 names"),
        ("1 in pods[0]", "cannot test 1 in a pod"),
        ("(-8) ** 0.5 > 0", "the result is not a real number"),
        ("10.0 ** 64 ** 1 * 1e300 > 0", ""),
        ("(10 ** 20) ** 2 > 0", "the result is too large"),
        ("2.0 ** 64 * 1e300 ** 2 > 0", "the result of '**' is too large"),
    ],
)
def test_evaluation_errors(text: str, message: str, env: dict[str, object]) -> None:
    inv = compile_invariant(text)
    if not message:  # float overflow to inf is allowed
        assert inv.evaluate(env) is True
        return
    with pytest.raises(ExprError) as info:
        inv.evaluate(env)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_evaluation_error_names_the_column(env: dict[str, object]) -> None:
    with pytest.raises(ExprError) as info:
        compile_invariant("len(pods) > 0 and pods[0].nmae == 1").evaluate(env)
    assert info.value.column == 19


def test_none_comparison_suggests_a_fix(env: dict[str, object]) -> None:
    with pytest.raises(ExprError, match=r"fix: test for None first"):
        compile_invariant("pods[2].node < 'a'").evaluate(env)


# --- the hostile corpus --------------------------------------------------------------------------------

HOSTILE = [
    "__import__('os')",
    "__import__('os').system('true')",
    "().__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "pods.__class__",
    "pods[0].__class__",
    "pods[0]._obj",
    "pods[0]._cluster.settings",
    "any(p._fields for p in pods)",
    "pods[0].labels._items",
    "lambda: 1",
    "(lambda: 1)()",
    "(x := 1)",
    "any((y := p) for p in pods)",
    "f\"{__import__('os')}\"",
    'f"{len(pods)}"',
    "f'' == ''",
    "open('/etc/passwd')",
    "eval('1')",
    "exec('1')",
    "compile('1', 'f', 'eval')",
    "getattr(pods, 'x')",
    "globals()",
    "locals()",
    "vars()",
    "type(pods)",
    "breakpoint()",
    "9**9**9",
    "10**1000",
    "2**65 > 0",
    "(10**15)**3 > 0",
    "'a'*10**9",
    "'a'*10**9 == ''",
    "[1]*10**8",
    "(1,)*10**8 == ()",
    "10**8*[1] == []",
    "'x'*5000 + 'y'*5001 == ''",
    "10**30 * 10 > 0",
    "sum([10**30, 10**30]) > 0",
    "'%*d' % (10**9, 1) == ''",
    "'%s' % pods == ''",
    "1 << 10**9",
    "(" * 300 + "1" + ")" * 300,
    "(" * 200 + "1" + ")" * 200,
    "[" * 150 + "]" * 150 + " == []",
    "not " * 10000 + "True",
    "not " * 1000 + "True",
    "-" * 4000 + "1 == 1",
    "1+" * 1500 + "1 == 1",
    "len(" * 120 + "pods" + ")" * 120 + " > 0",
    "sum(1 for a in range(10**9))",
    "sum(1 for a in iter(int, 1))",
    "{**{}}",
    "{}",
    "{1: 2}",
    "{p.name: p for p in pods}",
    "*pods",
    "len(*pods)",
    "max(*pods)",
    "min(**{'default': 1})",
    "pods[0].name.upper()",
    "pods[0].name.upper",
    "'{}'.format(pods)",
    "'x'.join(p.name for p in pods)",
    "yield 1",
    "(yield 1)",
    "(yield from pods)",
    "await x",
    "[x async for x in pods]",
    "import os",
    "x = 1",
    "del pods",
    "pods; 1",
    "1 if True else __import__('os')",
    "True or __import__('os')",
    "False and open('x')",
    "[__import__ for p in pods]",
    "[p for __builtins__ in pods]",
    "pods[0].field('name')",
    "pods[0].FIELDS",
    "b'x'",
    "...",
    "1j",
    "'x' \x00",
    "",
    "   ",
    "len(pods) >= 1 " + " " * 100_000,
    "len(pods) >= 1 or " * 6000 + "True",
    "'" + "a" * 100_000 + "' == ''",
    "any(x for x in pods[0].name.__class__)",
    # values whose deep size explodes: comparing, hashing or sorting them must run out of budget
    "[[x for b in (0,)*10000] for x in [[1]*10000]]*100 == [[x for b in (0,)*10000] for x in [[1]*10000]]*100",
    "[[[x for b in (0,)*10000] for x in [[1]*10000]]]*100 == [[[x for b in (0,)*10000] for x in [[1]*10000]]]*100",
    "len({((((1,)*1000,)*1000,)*1000,)}) == 1",
    "((((1,)*1000,)*1000,)*1000,) in {1}",
    "len(sorted([((((1,)*100,)*100,)*100,)]*1000)) > 0",
    "[1] in ([[x for b in (0,)*1000] for x in [[1]*1000]] for c in (0,)*1000)",
    "max([((((1,)*1000,)*1000,)*1000,)]*2) == 1",
    "min([], default=sum)",
    "set.union",
    "sorted(pods, key=len)",
    "sorted(pods, reverse=True)",
    "count(pods, 1)",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: t[:40])
def test_hostile_corpus(text: str, env: dict[str, object]) -> None:
    with deadline(20), pytest.raises(ExprError) as info:
        compile_invariant(text).evaluate(env)
    assert "\n" not in str(info.value)


def test_evaluation_never_reaches_python_builtins(env: dict[str, object]) -> None:
    """Evaluating (and explaining) calls none of eval, exec, compile or __import__."""
    import builtins

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a dangerous builtin was called")

    inv = compile_invariant(EXAMPLES[2])
    with pytest.MonkeyPatch.context() as patch:
        for name in ("eval", "exec", "compile", "__import__"):
            patch.setattr(builtins, name, forbidden)
        result = inv.evaluate(env)
        explanation = inv.explain(env)
    assert result is False
    assert explanation.startswith("any(...) is true for p = pod stray")


def test_input_length_limit() -> None:
    with pytest.raises(ExprError, match=r"too long \(100015 characters; the limit is 4096\)"):
        compile_invariant("len(pods) >= 1 " + "a" * 100_000)


def test_nesting_limit_is_reported() -> None:
    with pytest.raises(ExprError, match="nested too deeply"):
        compile_invariant("not " * 1000 + "True")
    with pytest.raises(ExprError, match="nested too deeply"):
        compile_invariant("-" * 4000 + "1 == 1")
    assert compile_invariant("not " * 50 + "True").evaluate({}) is True


def big_env(pods: int) -> dict[str, object]:
    cluster = Cluster(settings=Settings(), pods=tuple(Pod(f"p{i:04}", ready=True) for i in range(pods)))
    return environment(cluster)


def test_cartesian_product_runs_out_of_budget() -> None:
    inv = compile_invariant("count(1 for a in pods for b in pods for c in pods) > 0")
    with deadline(20), pytest.raises(ExprError, match="too expensive"):
        inv.evaluate(big_env(120))  # 1.7 million combinations, over the default budget


def test_small_budget() -> None:
    inv = compile_invariant("all(a.name != b.name for a in pods for b in pods if a.name < b.name)")
    env = big_env(30)
    assert inv.evaluate(env) is True
    with pytest.raises(ExprError, match=r"more than 1,000 evaluation steps"):
        inv.evaluate(env, budget=1000)
    with pytest.raises(ExprError, match="too expensive"):
        inv.explain(env, budget=1000)


def test_large_strings_cost_steps() -> None:
    inv = compile_invariant("count('x' * 10000 for a in pods for b in pods) > 0")
    with deadline(20), pytest.raises(ExprError, match="too expensive"):
        inv.evaluate(big_env(100))


def test_any_stops_early() -> None:
    inv = compile_invariant("any(a.ready for a in pods for b in pods for c in pods)")
    assert inv.evaluate(big_env(500), budget=100) is True


# --- the source never hands text to Python ---------------------------------------------------------------


def test_expr_module_never_calls_eval_exec_or_compile() -> None:
    source = Path(expr.__file__).read_text()
    tree = ast.parse(source)
    forbidden = {"eval", "exec", "compile", "__import__", "execfile", "breakpoint"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            assert name not in forbidden, f"line {node.lineno} calls {name}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
            assert not {"builtins", "importlib", "code", "codeop", "runpy"} & set(modules)
    assert re.search(r"\b(eval|exec|compile)\s*\(", source) is None
