"""The counterexample picture (kmodel.render.graphviz) drawn from real traces of the checker."""

from __future__ import annotations

import copy
import html
import re
import subprocess
from pathlib import Path
from typing import Any

import attrs
import graphviz
import pytest

from kmodel.checkrun import CheckOptions, run_check
from kmodel.errors import KmodelError
from kmodel.render.graphviz import Projection, parse_projection, trace_dot, view_changes, write_trace_picture
from kmodel.tracedoc import TraceDoc, TraceStep, from_result
from tests.conftest import DEPLOYMENT

ROOT = Path(__file__).resolve().parent.parent

TWO_DEPLOYMENTS = """\
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata:
  name: two-deployments
until: 5m
timeline:
  - 60s scale deployment/web 3
faults: {}
---
apiVersion: v1
kind: Node
metadata:
  name: worker-1
---
apiVersion: v1
kind: Node
metadata:
  name: worker-2
---
{web}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: app
          image: nginx:1.25
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
""".replace("{web}", DEPLOYMENT)  # the shared two-replica web Deployment, beside an api one


def _violation(scenario: str | Path, invariant: str, faults: tuple[tuple[str, int], ...] | None = None) -> TraceDoc:
    options = CheckOptions(faults=faults, max_states=50_000)
    run = run_check(str(scenario), invariants=[invariant], options=options)
    (result,) = run.results
    assert result.verdict == "violated", result
    return from_result(result, explanation=run.explanation(result), scenario=str(scenario), faults=faults)


@pytest.fixture(scope="module")
def node_failure() -> TraceDoc:
    """A second worker powered off by the checker: 22 steps, most of them heartbeats and ticks."""
    return _violation(
        ROOT / "scenarios/seed-node-failure.yaml",
        "all(n.status == 'Ready' for n in nodes)",
        faults=(("powerOffNode", 1),),
    )


@pytest.fixture(scope="module")
def eviction() -> TraceDoc:
    """The powered-off worker's pod evicted (Terminating) after the 300s toleration."""
    return _violation(
        ROOT / "scenarios/seed-node-failure.yaml", "count(p for p in pods if p.status == 'Terminating') == 0"
    )


@pytest.fixture(scope="module")
def scale_up(tmp_path_factory: pytest.TempPathFactory) -> TraceDoc:
    """Two Deployments; web is scaled up and its new pod is created, bound and started."""
    path = tmp_path_factory.mktemp("scenarios") / "two-deployments.yaml"
    path.write_text(TWO_DEPLOYMENTS)
    return _violation(path, "count(p for p in pods if p.status == 'Running') <= 3")


@pytest.fixture(scope="module")
def restart() -> TraceDoc:
    """Kubelet, scheduler and controller-manager stopped: the new pod stays unscheduled."""
    return _violation(ROOT / "scenarios/seed-component-restart.yaml", "all(p.node != None for p in pods)", faults=())


# --- helpers ------------------------------------------------------------------------------------


def svg_of(source: str) -> str:
    return graphviz.Source(source).pipe(format="svg").decode("utf-8")


def svg_text(svg: str) -> str:
    """Every text element of an SVG, unescaped, joined by single spaces (wrapped lines and runs of
    differently styled text join up again)."""
    return " ".join(" ".join(html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)).split())


def block(dot: str, header: str) -> str:
    """The lines of the subgraph ``header`` (up to its closing brace)."""
    lines = dot.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == f"subgraph {header} {{":
            indent = line[: len(line) - len(line.lstrip())]
            end = lines.index(indent + "}", i)
            return "\n".join(lines[i : end + 1])
    raise AssertionError(f"no subgraph {header} in the DOT source")


def line_of(dot: str, node_id: str) -> str:
    """The line that declares the DOT node ``node_id``."""
    (line,) = [ln for ln in dot.splitlines() if ln.strip().startswith(f'"{node_id}" [')]
    return line


def cluster_attrs(dot: str, header: str) -> str:
    """The graph attribute line of a cluster."""
    return block(dot, header).splitlines()[1]


def last_index(doc: TraceDoc) -> int:
    """The violating step: the last one."""
    return len(doc.steps) - 1


def step_index(doc: TraceDoc, action_prefix: str) -> int:
    (index,) = [i for i, s in enumerate(doc.steps) if s.action.startswith(action_prefix)]
    return index


def pod_names(doc: TraceDoc) -> set[str]:
    return {p["name"] for step in doc.steps for p in step.state["pods"]}


def drawn_pods(dot: str) -> set[str]:
    """The pods drawn as boxes anywhere in the picture (action labels may name others)."""
    return set(re.findall(r'^\s*"s\d+:pod:([^"]+)" \[', dot, flags=re.MULTILINE))


def step_clusters(dot: str) -> list[int]:
    return [int(n) for n in re.findall(r"subgraph cluster_step(\d+) \{", dot)]


# --- what the picture shows ---------------------------------------------------------------------


def test_picture_names_nodes_pods_property_and_why(node_failure: TraceDoc) -> None:
    source = trace_dot(node_failure)
    canon = subprocess.run(["dot", "-Tcanon"], input=source, capture_output=True, text=True, check=True)
    assert "cluster_step0" in canon.stdout
    text = svg_text(svg_of(source))
    for name in ("minikube", "minikube-m02", "minikube-m03", *pod_names(node_failure)):
        assert name in text
    assert node_failure.property == "invariant: all(n.status == 'Ready' for n in nodes)"
    assert f"Counterexample: {node_failure.property} is violated" in text
    assert node_failure.explanation and f"why: {node_failure.explanation}" in text
    assert "engine explore" in text and "seed-node-failure.yaml" in text and "powerOffNode=1" in text
    assert "[fault] power off minikube-m02" in text
    assert "NotReady (was Ready)" in text and "machine off" in text and "+ unreachable:NoSchedule" in text


def test_violating_step_is_framed_and_labelled(node_failure: TraceDoc) -> None:
    source = trace_dot(node_failure)
    last = last_index(node_failure)
    violation = block(source, "cluster_violation")
    assert f"subgraph cluster_step{last} {{" in violation
    assert "VIOLATES invariant: all(n.status == &#x27;Ready&#x27; for n in nodes)" in cluster_attrs(
        source, f"cluster_step{last}"
    )
    assert source.count("VIOLATES") == 1


def test_changed_node_is_highlighted_and_unchanged_is_not(node_failure: TraceDoc) -> None:
    source = trace_dot(node_failure)
    fault = step_index(node_failure, "power off minikube-m02")
    changed = cluster_attrs(source, f'"cluster_step{fault}_node_minikube-m02"')
    assert 'penwidth="3"' in changed and 'color="#d62728"' in changed
    for name in ("minikube", "minikube-m03"):
        unchanged = cluster_attrs(source, f'"cluster_step{fault}_node_{name}"')
        assert 'penwidth="1"' in unchanged and "#d62728" not in unchanged
    assert "machine off" in changed  # the machine of the node just powered off


def test_pods_of_a_scale_up_are_created_bound_and_started(scale_up: TraceDoc) -> None:
    source = trace_dot(scale_up)
    bind = step_index(scale_up, "bind ")
    new_pod = scale_up.steps[bind].action.split()[1]
    create = bind - 1
    assert scale_up.steps[create].action.endswith("create 1 pod(s)")
    # Created: a "+" in the Pending lane, yellow, highlighted.
    pending = block(source, f"cluster_step{create}_pending")
    assert "Pending (unscheduled)" in pending
    created = line_of(pending, f"s{create}:pod:{new_pod}")
    assert f"+ {new_pod}" in created and 'fillcolor="#fff2ae"' in created and 'penwidth="3"' in created
    # Bound: inside worker-2's column, ContainerCreating, "was Pending"; the other pods untouched.
    node = scale_up.steps[bind].action.split()[-1]
    column = block(source, f'"cluster_step{bind}_node_{node}"')
    bound = line_of(column, f"s{bind}:pod:{new_pod}")
    assert 'fillcolor="#ffe08a"' in bound and "(was Pending)" in bound and 'class="changed"' in bound
    others = [p["name"] for p in scale_up.steps[bind].state["pods"] if p["name"] != new_pod]
    assert others
    for name in others:
        line = line_of(source, f"s{bind}:pod:{name}")
        assert 'penwidth="1"' in line and "changed" not in line and 'fillcolor="#c7e9c0"' in line
    # Started: Running, in the violating step.
    last = last_index(scale_up)
    assert 'fillcolor="#c7e9c0"' in line_of(source, f"s{last}:pod:{new_pod}")
    assert "deploy/web: 2/3 ready" in source and "deploy/api: 1/1 ready" in source


def test_evicted_pod_is_terminating_and_out_of_the_service(eviction: TraceDoc) -> None:
    source = trace_dot(eviction)
    last = last_index(eviction)
    (terminating,) = [p["name"] for p in eviction.steps[last].state["pods"] if p["status"] == "Terminating"]
    line = line_of(source, f"s{last}:pod:{terminating}")
    assert 'fillcolor="#fdcc9a"' in line and "Terminating" in line and "(was Running)" in line
    assert f"s{last}:pod:{terminating}" in block(source, f'"cluster_step{last}_node_minikube-m03"')
    endpoints = step_index(eviction, "service hello-world endpoints")
    title = cluster_attrs(source, f"cluster_step{endpoints}")
    assert re.search(r"#d62728.*svc/hello-world -&gt; hello-world-\w+-\w+</B>", title)


def test_control_plane_down_and_unscheduled_pod(restart: TraceDoc) -> None:
    source = trace_dot(restart)
    last = last_index(restart)
    title = cluster_attrs(source, f"cluster_step{last}")
    assert "control plane down: scheduler" in title
    (pod,) = [p["name"] for p in restart.steps[last].state["pods"]]
    assert f"s{last}:pod:{pod}" in block(source, f"cluster_step{last}_pending")
    column = cluster_attrs(source, f'"cluster_step{last}_node_minikube"')
    assert "kubelet stopped" in column and "NotReady" in column
    apiserver = step_index(restart, "120s start apiserver")
    assert "control plane back up: apiserver" in cluster_attrs(source, f"cluster_step{apiserver}")


# --- folding ------------------------------------------------------------------------------------


def test_quiet_steps_fold_but_faults_and_the_last_step_do_not(node_failure: TraceDoc) -> None:
    folded = trace_dot(node_failure)
    fault = step_index(node_failure, "power off minikube-m02")
    last = last_index(node_failure)
    assert step_clusters(folded) == [0, 1, fault, last]
    quiet = last - fault - 1
    assert f"{quiet} quiet steps (clock, kubelet, nodelifecycle)" in folded
    unfolded = trace_dot(node_failure, fold=False)
    assert step_clusters(unfolded) == list(range(len(node_failure.steps)))
    assert "quiet steps" not in unfolded


def test_timeline_step_without_visible_change_is_kept(restart: TraceDoc) -> None:
    refused = step_index(restart, "90s apply")
    steps = restart.steps
    assert view_changes(steps[refused - 1].state, steps[refused].state) == []
    assert refused in step_clusters(trace_dot(restart))


def test_folded_long_trace_stays_small(eviction: TraceDoc) -> None:
    source = trace_dot(eviction)
    assert len(eviction.steps) > 150
    assert len(step_clusters(source)) < 12
    svg = svg_of(source)
    assert "hello-world-" in svg_text(svg)


# --- projections --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("full", Projection()),
        ("nodes", Projection("nodes")),
        (" pods ", Projection("pods")),
        ("deployment/web", Projection("deployment", "web")),
        ("node/worker-1", Projection("node", "worker-1")),
    ],
)
def test_parse_projection(text: str, expected: Projection) -> None:
    assert parse_projection(text) == expected
    assert str(parse_projection(text)) == text.strip()


@pytest.mark.parametrize("text", ["", "everything", "deploy/web", "deployment/", "node/a/b", "pods/x", "/web"])
def test_bad_projection_is_refused(text: str) -> None:
    with pytest.raises(KmodelError) as err:
        parse_projection(text)
    assert err.value.where == "--view"
    assert "deployment/NAME or node/NAME" in str(err.value)


def test_projection_naming_nothing_lists_what_exists(scale_up: TraceDoc) -> None:
    with pytest.raises(KmodelError, match=r"no deployment named 'nope'.*deployment/api, deployment/web"):
        trace_dot(scale_up, parse_projection("deployment/nope"))
    with pytest.raises(KmodelError, match=r"no node named 'nope'.*node/worker-1, node/worker-2") as err:
        trace_dot(scale_up, parse_projection("node/nope"))
    assert err.value.where == "--view"


def test_deployment_projection_keeps_only_its_pods(scale_up: TraceDoc) -> None:
    source = trace_dot(scale_up, parse_projection("deployment/web"))
    names = pod_names(scale_up)
    web = {n for n in names if n.startswith("web-")}
    api = names - web
    assert web and api
    assert drawn_pods(source) == web
    assert "deploy/web:" in source and "deploy/api" not in source and "svc/" not in source
    assert "worker-1" in source and "worker-2" in source


def test_nodes_projection_has_no_pods(scale_up: TraceDoc) -> None:
    source = trace_dot(scale_up, parse_projection("nodes"))
    assert drawn_pods(source) == set()
    assert ":pod:" not in source and "no pods" not in source and "Pending (unscheduled)" not in source
    assert "worker-1" in source and "deploy/" not in source
    # Only the timeline step and the last one change anything in view (or are always shown).
    assert step_clusters(source) == [0, 1, last_index(scale_up)]


def test_pods_projection_drops_deployment_and_service_lines(scale_up: TraceDoc) -> None:
    source = trace_dot(scale_up, parse_projection("pods"))
    assert drawn_pods(source) == pod_names(scale_up)
    assert "deploy/" not in source and "svc/" not in source


def test_node_projection_keeps_one_node_and_its_pods(scale_up: TraceDoc) -> None:
    source = trace_dot(scale_up, parse_projection("node/worker-1"))
    last = scale_up.steps[-1].state
    mine = {p["name"] for p in last["pods"] if p["node"] == "worker-1"}
    assert mine and mine != {p["name"] for p in last["pods"]}
    assert drawn_pods(source) == mine
    assert "_node_worker-1" in source and "_node_worker-2" not in source and "deploy/" not in source


# --- determinism, escaping, ghosts --------------------------------------------------------------


def _reordered(value: Any) -> Any:
    """The same data with every dict's keys and every object list in reverse order."""
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [_reordered(v) for v in reversed(value)]
    return copy.deepcopy(value)


def test_same_trace_same_bytes(eviction: TraceDoc, scale_up: TraceDoc) -> None:
    assert trace_dot(eviction) == trace_dot(eviction)
    shuffled = attrs.evolve(scale_up, steps=tuple(attrs.evolve(s, state=_reordered(s.state)) for s in scale_up.steps))
    assert trace_dot(shuffled) == trace_dot(scale_up)
    assert "0x" not in trace_dot(scale_up)  # no object ids or timestamps


def test_awkward_text_is_escaped(scale_up: TraceDoc) -> None:
    state = copy.deepcopy(scale_up.steps[0].state)
    state["nodes"][0]["taints"] = ['odd/"key"=<v>&:NoSchedule']
    doc = TraceDoc(
        (
            TraceStep("init", "initial state", 0, scale_up.steps[0].state),
            TraceStep("timeline", 'taint "x" & zone <none>', 5, state),
        ),
        property="invariant: count(p for p in pods) < 3 and \"a\" != 'b'",
        engine="explore",
        explanation="count(...) = 4 <b>not</b> & more, needs < 3 \\ backslash",
        scenario='dir with "quotes"/s&s.yaml',
    )
    source = trace_dot(doc)
    subprocess.run(["dot", "-Tcanon"], input=source, capture_output=True, text=True, check=True)
    text = svg_text(svg_of(source))
    assert doc.property and doc.property in text
    assert doc.explanation and doc.explanation in text
    assert 'taint "x" & zone <none>' in text
    assert 'odd/"key"=<v>&:NoSchedule' in text
    assert 'dir with "quotes"/s&s.yaml' in text


def test_gone_pods_and_removed_taints_are_shown(scale_up: TraceDoc) -> None:
    before = copy.deepcopy(scale_up.steps[-1].state)
    before["nodes"][0]["taints"] = ["node.kubernetes.io/unreachable:NoExecute"]
    after = copy.deepcopy(scale_up.steps[-1].state)
    gone = after["pods"].pop(0)
    doc = TraceDoc((TraceStep("init", "initial state", 60, before), TraceStep("podgc", "delete", 65, after)))
    source = trace_dot(doc)
    ghost = line_of(source, f"s1:gone:{gone['name']}")
    assert "dashed" in ghost and f"- {gone['name']}" in ghost and "gone" in ghost
    assert f"s1:gone:{gone['name']}" in block(source, f'"cluster_step1_node_{gone["node"]}"')
    assert "<S>unreachable:NoExecute</S>" in source
    lines = view_changes(before, after)
    assert f"- pod/{gone['name']} is gone" in lines
    assert any(ln.startswith(f"~ node/{before['nodes'][0]['name']} taints") for ln in lines)


def test_single_step_trace_violates_at_once(scale_up: TraceDoc) -> None:
    doc = TraceDoc(scale_up.steps[:1], property="replica-convergence", engine="explore")
    source = trace_dot(doc)
    assert "VIOLATES replica-convergence" in cluster_attrs(source, "cluster_step0")
    assert "cluster_violation" in source


# --- files --------------------------------------------------------------------------------------


def test_write_png_svg_pdf_and_dot(node_failure: TraceDoc, tmp_path: Path) -> None:
    png = write_trace_picture(node_failure, tmp_path / "trace.png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    svg = write_trace_picture(node_failure, str(tmp_path / "trace.svg"), parse_projection("node/minikube-m02"))
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    titles = html.unescape(" ".join(re.findall(r"<title>(.*?)</title>", text)))
    assert "cluster_step0_node_minikube-m02" in titles and "node_minikube-m03" not in titles
    assert write_trace_picture(node_failure, tmp_path / "trace.pdf").read_bytes().startswith(b"%PDF")
    dot = write_trace_picture(node_failure, tmp_path / "trace.dot", fold=False)
    assert dot.read_text() == trace_dot(node_failure, fold=False)


def test_unknown_extension_or_directory_is_bad_input(node_failure: TraceDoc, tmp_path: Path) -> None:
    with pytest.raises(KmodelError, match=re.escape(".svg, .png, .pdf or .dot")) as err:
        write_trace_picture(node_failure, tmp_path / "trace.gif")
    assert err.value.where == "--trace-out"
    with pytest.raises(KmodelError) as err:
        write_trace_picture(node_failure, tmp_path / "trace.jpeg", where="--out")
    assert err.value.where == "--out"
    with pytest.raises(KmodelError, match="does not exist"):
        write_trace_picture(node_failure, tmp_path / "missing" / "trace.dot")
    assert not list(tmp_path.iterdir())


def test_view_changes_lists_what_a_person_notices(node_failure: TraceDoc) -> None:
    steps = node_failure.steps
    last = last_index(node_failure)
    lines = view_changes(steps[last - 1].state, steps[last].state)
    assert "~ node/minikube-m02 condition True -> Unknown, status Ready -> NotReady, " in lines[0]
    assert any(ln.startswith("~ pod/hello-world-") and "ready True -> False" in ln for ln in lines)
    assert view_changes(steps[3].state, steps[3].state) == []
