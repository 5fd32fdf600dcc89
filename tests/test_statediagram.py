"""State diagrams (kmodel.statediagram, kmodel.render.statediagram_dot) on real scenarios.

The pod, node and Deployment life cycles of seed-node-failure must show what the seed describes
(a worker powered off: NotReady, tainted unreachable, its pod evicted and replaced); the counts
are checked against an independent walk of the same state space that projects states through
the kubectl view; the cap, the caption, the DOT and the picture are checked for what they say.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pytest

from kmodel.checkmodel import KubeModel, cluster_of
from kmodel.errors import KmodelError
from kmodel.render.dotfile import render_dot
from kmodel.render.statediagram_dot import caption, diagram_dot
from kmodel.render.view import view
from kmodel.scenario import load
from kmodel.statediagram import (
    CREATED,
    DELETED,
    VIEWS,
    StateDiagram,
    action_kind,
    build_diagram,
    diagram_for,
    summary,
)
from tests.conftest import DATA, SCENARIOS

NODE_FAILURE = SCENARIOS / "seed-node-failure.yaml"
ONE_WORKER = DATA / "props-one-worker.yaml"

PENDING = "Pending | not ready | no node"
CREATING = "ContainerCreating | not ready | node Ready"
RUNNING = "Running | ready | node Ready"
RUNNING_LOST = "Running | not ready | node NotReady"
TERMINATING_LOST = "Terminating | not ready | node NotReady"

WORKER_UP = "worker | Ready | no taints | on"
WORKER_OFF = "worker | Ready | no taints | off"
WORKER_UNKNOWN = "worker | NotReady (Unknown) | unreachable:NoSchedule | off"
WORKER_EVICTING = "worker | NotReady (Unknown) | unreachable:NoExecute, unreachable:NoSchedule | off"
WORKER_BACK = "worker | NotReady (Unknown) | unreachable:NoExecute, unreachable:NoSchedule | on"
WORKER_READY_TAINTED = "worker | Ready | unreachable:NoExecute, unreachable:NoSchedule | on"
CONTROL_PLANE = "control plane | Ready | control-plane:NoSchedule | on"


@pytest.fixture(scope="module")
def nf_pod() -> StateDiagram:
    return diagram_for(NODE_FAILURE, "pod")


@pytest.fixture(scope="module")
def nf_node() -> StateDiagram:
    return diagram_for(NODE_FAILURE, "node")


@pytest.fixture(scope="module")
def ow_model() -> KubeModel:
    return KubeModel(load(ONE_WORKER))  # its own budget: powerOffNode x1


@pytest.fixture(scope="module")
def ow_node(ow_model: KubeModel) -> StateDiagram:
    return build_diagram(ow_model, "node", max_states=4_000)


def kinds(d: StateDiagram, source: str, target: str) -> dict[str, int]:
    return d.edges_between(source, target)


# --- what the views show -------------------------------------------------------------------------


def test_pod_view_is_the_life_cycle_of_a_replacement_pod(nf_pod: StateDiagram) -> None:
    d = nf_pod
    assert not d.truncated and d.explored_states > 1_000
    assert {n.key for n in d.nodes} == {CREATED, PENDING, CREATING, RUNNING, RUNNING_LOST, TERMINATING_LOST, DELETED}
    # the ReplicaSet creates the replacement, the scheduler binds it, the kubelet starts it
    assert set(kinds(d, CREATED, PENDING)) == {"replicaset"}
    assert set(kinds(d, PENDING, CREATING)) == {"scheduler"}
    assert set(kinds(d, CREATING, RUNNING)) == {"kubelet"}
    # the powered-off worker's pod: marked not ready, evicted, finished by the kubelet once back
    assert set(kinds(d, RUNNING, RUNNING_LOST)) == {"nodelifecycle"}
    assert set(kinds(d, RUNNING_LOST, TERMINATING_LOST)) == {"tainteviction"}
    assert set(kinds(d, TERMINATING_LOST, DELETED)) == {"kubelet"}
    # the settled scenario starts with its two pods Running: the only initial abstract state
    assert [n.key for n in d.nodes if n.initial] == [RUNNING]
    running = d.node(RUNNING)
    assert running is not None and running.label == "Running\nready\nnode Ready" and running.tone == "good"
    assert d.node(PENDING).group == "not bound to a node"  # type: ignore[union-attr]
    # nothing but these edges: a pod never goes back, no other component touches it
    assert len(d.edges) == 6
    assert all(e.shown for e in d.edges) and all(n.shown for n in d.nodes)


def test_node_view_shows_the_power_off_and_the_unreachable_taints(nf_node: StateDiagram) -> None:
    d = nf_node
    assert kinds(d, WORKER_UP, WORKER_OFF) == {"timeline: stop node/minikube-m03": 1}
    assert set(kinds(d, WORKER_OFF, WORKER_UNKNOWN)) == {"nodelifecycle"}
    assert set(kinds(d, WORKER_UNKNOWN, WORKER_EVICTING)) == {"nodelifecycle"}
    assert set(kinds(d, WORKER_EVICTING, WORKER_BACK)) == {"timeline: start node/minikube-m03"}
    assert set(kinds(d, WORKER_BACK, WORKER_READY_TAINTED)) == {"kubelet"}  # the first heartbeat
    assert set(kinds(d, WORKER_READY_TAINTED, WORKER_UP)) == {"nodelifecycle"}  # taints removed
    # the control-plane node is never touched: in every state, no edge
    cp = d.node(CONTROL_PLANE)
    assert cp is not None and cp.initial and cp.count == d.explored_states
    assert not [e for e in d.edges if CONTROL_PLANE in (e.source, e.target)]
    assert {n.key for n in d.nodes if n.initial} == {CONTROL_PLANE, WORKER_UP}
    assert d.node(WORKER_EVICTING).label == (  # type: ignore[union-attr]
        "NotReady (Unknown)\nunreachable:NoExecute\nunreachable:NoSchedule\nmachine off"
    )
    assert d.node(WORKER_UNKNOWN).tone == "bad" and d.node(WORKER_OFF).tone == "warn"  # type: ignore[union-attr]


def test_node_view_labels_injected_faults_and_repairs(ow_node: StateDiagram) -> None:
    up = WORKER_UP
    off = WORKER_OFF
    assert set(kinds(ow_node, up, off)) == {"fault: power off node"}
    assert set(kinds(ow_node, off, up)) == {"repair: power on node"}
    assert ow_node.faults == (("powerOffNode", 1),)


def test_deployment_view_loses_and_regains_a_ready_replica() -> None:
    d = diagram_for(NODE_FAILURE, "deployment", max_states=3_000)
    full = "hello-world | 2/2 | 2 | 2"
    degraded = "hello-world | 1/2 | 2 | 1"
    assert set(kinds(d, full, degraded)) == {"deployment"}
    assert set(kinds(d, degraded, full)) == {"deployment"}
    assert d.node(full).label == "2/2 ready\n2 up-to-date\n2 available"  # type: ignore[union-attr]
    assert d.node(full).group == "deployment/hello-world" and d.node(full).initial  # type: ignore[union-attr]


def test_full_view_merges_states_that_look_alike(ow_model: KubeModel) -> None:
    """The full view is the whole cluster as kubectl shows it, without times: model states that
    differ only in timers, heartbeats or pod names are one abstract state."""
    d = build_diagram(ow_model, "full", max_states=300, max_nodes=12)
    assert d.explored_states == 300 and d.truncated
    assert 1 < d.abstract_states < 300
    labels = [n.label for n in d.nodes if not n.pseudo]
    assert len(set(labels)) == len(labels)  # one abstract state per distinct summary
    first = next(n for n in d.nodes if n.initial)
    assert "worker: Ready" in first.label and "pods: 1 Running" in first.label
    assert "web 1/1 ready, 1 available" in first.label
    assert not re.search(r"\bt=|\d+s\b", first.label)
    assert summary(next(iter(ow_model.init_states()))) == first.label
    assert sum(n.count for n in d.nodes if not n.pseudo) == d.explored_states
    assert any("machine off" in label for label in labels)  # the power-off fault is visible


# --- the numbers add up ----------------------------------------------------------------------------


def _kubectl_pods(c: Any) -> dict[str, str]:
    """The pod projection again, this time from the kubectl view of the state."""
    v = view(c)
    nodes = {n["name"]: n["status"] for n in v["nodes"]}
    out = {}
    for p in v["pods"]:
        where = "no node" if p["node"] is None else f"node {nodes[p['node']]}"
        out[p["name"]] = f"{p['status']} | {'ready' if p['ready'] else 'not ready'} | {where}"
    return out


def test_counts_match_an_independent_walk(ow_model: KubeModel) -> None:
    limit = 2_500
    d = build_diagram(ow_model, "pod", max_states=limit)
    seen: dict[Hashable, int] = {}
    queue: deque[Any] = deque()
    occurrences: dict[str, int] = {}
    edges: dict[tuple[str, str, str], int] = {}
    taken = unchanged = dropped = 0

    def admit(state: Any) -> None:
        seen[ow_model.fingerprint(state)] = len(seen)
        queue.append(state)
        for key in _kubectl_pods(cluster_of(state)).values():
            occurrences[key] = occurrences.get(key, 0) + 1

    for s in ow_model.init_states():
        admit(s)
    while queue:
        s = queue.popleft()
        before = _kubectl_pods(cluster_of(s))
        for tr in ow_model.transitions(s):
            if ow_model.fingerprint(tr.state) not in seen:
                if len(seen) >= limit:
                    dropped += 1
                    continue
                admit(tr.state)
            taken += 1
            after = _kubectl_pods(cluster_of(tr.state))
            if after == before:
                unchanged += 1
                continue
            kind = action_kind(tr.actor, tr.label, [("worker", "node"), ("control-plane", "node")])
            for name in before.keys() | after.keys():
                a, b = before.get(name, CREATED), after.get(name, DELETED)
                if a != b:
                    edges[(a, b, kind)] = edges.get((a, b, kind), 0) + 1

    assert d.explored_states == len(seen) == limit
    assert (d.explored_transitions, d.unchanged_transitions, d.dropped_transitions) == (taken, unchanged, dropped)
    assert d.truncated == (dropped > 0)
    assert {(e.source, e.target, e.kind): e.count for e in d.edges} == edges
    assert d.changed_pairs == sum(edges.values())
    assert {n.key: n.count for n in d.nodes if not n.pseudo} == occurrences
    # each end counts the edges that touch it
    created = d.node(CREATED)
    assert created is not None and created.count == sum(n for (a, _, _), n in edges.items() if a == CREATED)


# --- the cap and the caption -----------------------------------------------------------------------


def test_cap_keeps_the_initial_and_most_seen_states_and_says_what_was_cut(ow_model: KubeModel) -> None:
    whole = build_diagram(ow_model, "node", max_states=4_000, max_nodes=100)
    capped = build_diagram(ow_model, "node", max_states=4_000, max_nodes=3)
    assert whole.shown_states == whole.abstract_states > 3
    assert capped.shown_states == 3
    by_count = sorted((n for n in whole.nodes if not n.pseudo), key=lambda n: (not n.initial, -n.count, n.first_seen))
    assert {n.key for n in capped.shown_nodes} == {n.key for n in by_count[:3]}
    assert all(n.shown for n in capped.nodes if n.initial)
    shown = {n.key for n in capped.shown_nodes}
    for e in capped.edges:
        assert e.shown == (e.source in shown and e.target in shown)
    cut = capped.cut_edges
    assert cut and capped.changed_pairs == whole.changed_pairs
    text = "\n".join(caption(capped, "x"))
    assert (
        f"showing 3 of {capped.abstract_states} abstract states (the most often seen, and the initial ones); "
        f"{len(cut)} edges ({sum(e.count for e in cut):,} transitions) to the others cut"
    ) in text
    assert f"all {whole.abstract_states} abstract states shown" in "\n".join(caption(whole, "x"))
    dot = diagram_dot(capped, "x")
    drawn = re.findall(r"^\s*n\d+ \[label=", dot, flags=re.M)
    assert len(drawn) == len(capped.shown_nodes) == 3 + sum(1 for n in capped.shown_nodes if n.pseudo)
    assert dot.count(" -> ") == len({(e.source, e.target) for e in capped.shown_edges})


def test_caption_says_when_exploration_stopped_and_what_is_not_drawn(ow_model: KubeModel) -> None:
    d = build_diagram(ow_model, "pod", max_states=60)
    assert d.truncated and d.explored_states == 60 and d.dropped_transitions > 0
    text = "\n".join(caption(d, "t"))
    assert "explored 60 model states" in text
    assert "stopped at the limit of 60 states" in text and "the picture is partial" in text
    assert f"not drawn: self-loops, {d.unchanged_transitions:,} transitions that change nothing" in text
    assert "faults the checker may inject: powerOffNode ×1" in text
    done = "\n".join(caption(diagram_for(NODE_FAILURE, "deployment", max_states=10_000), "t"))
    assert "(all reachable states)" in done and "none (only the scenario's timeline)" in done


# --- DOT and pictures -------------------------------------------------------------------------------


def test_dot_is_deterministic(nf_pod: StateDiagram) -> None:
    again = diagram_for(NODE_FAILURE, "pod")
    assert diagram_dot(nf_pod, "seed") == diagram_dot(again, "seed") == diagram_dot(nf_pod, "seed")
    assert nf_pod.nodes == again.nodes and nf_pod.edges == again.edges


def test_dot_structure(nf_pod: StateDiagram, nf_node: StateDiagram) -> None:
    dot = diagram_dot(nf_pod, "seed-node-failure.yaml")
    assert dot.startswith("digraph statediagram {") and dot.endswith("}\n")
    assert "rankdir=LR" in dot and "rankdir=TB" in diagram_dot(nf_node, "n")
    assert dot.count(" -> ") == 6  # one arrow per (source, target)
    assert dot.count("peripheries=2") == 1  # the initial state
    assert dot.count("subgraph cluster_") == 3  # unbound, on a Ready node, on a NotReady node
    assert "{ rank=min; " in dot and "{ rank=max; " in dot
    assert "scheduler ×21" in dot and "replicaset ×21" in dot


def test_picture_is_drawn_and_says_what_it_should(nf_pod: StateDiagram, nf_node: StateDiagram, tmp_path: Path) -> None:
    svg = render_dot(diagram_dot(nf_pod, "seed-node-failure.yaml"), tmp_path / "pod.svg").read_text("utf-8")
    for text in ("seed", "ContainerCreating", "Terminating", "(created)", "(deleted)"):
        assert text in svg
    assert re.search(r"scheduler ×\d+", svg) and re.search(r"tainteviction ×\d+", svg)
    assert "all 5 abstract states shown" in svg
    png = render_dot(diagram_dot(nf_node, "seed-node-failure.yaml"), tmp_path / "node.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    node_svg = render_dot(diagram_dot(nf_node, "n"), tmp_path / "node.svg").read_text("utf-8")
    assert "unreachable:NoExecute" in node_svg and "timeline: stop node/minikube&#45;m03 ×1" in node_svg


# --- edge kinds and bad input ----------------------------------------------------------------------


def test_action_kinds() -> None:
    names = [("minikube-m03", "node"), ("web-abc-x1", "pod")]
    assert action_kind("kubelet/minikube-m03", "start web-abc-x1") == "kubelet"
    assert action_kind("scheduler", "bind web-abc-x1 to minikube-m03") == "scheduler"
    assert action_kind("fault", "power off minikube-m03", names) == "fault: power off node"
    assert action_kind("repair", "start kubelet on minikube-m03", names) == "repair: start kubelet on node"
    assert action_kind("fault", "kubectl delete pod web-abc-x1", names) == "fault: kubectl delete pod"
    assert action_kind("fault", "kill containers of web-abc-x1", names) == "fault: kill containers of pod"
    assert action_kind("fault", "stop scheduler", names) == "fault: stop scheduler"
    assert action_kind("timeline", "60s stop node/minikube-m03") == "timeline: stop node/minikube-m03"
    assert action_kind("timeline", "5m scale deployment/hello-world 3") == "timeline: scale deployment/hello-world 3"
    assert action_kind("timeline", "1m30s stop kubelet/minikube") == "timeline: stop kubelet/minikube"
    assert len(action_kind("timeline", "0s apply " + "x" * 80)) <= len("timeline: ") + 40


def test_bad_view_and_limits_are_bad_input(ow_model: KubeModel) -> None:
    with pytest.raises(KmodelError) as err:
        diagram_for(NODE_FAILURE, "pods")
    assert err.value.where == "--view" and err.value.fix == "use pod, node, deployment or full"
    assert "unknown view 'pods'" in str(err.value)
    with pytest.raises(KmodelError, match="--view"):
        build_diagram(ow_model, "replicaset")
    with pytest.raises(KmodelError, match="--max-nodes"):
        build_diagram(ow_model, "pod", max_nodes=0)
    with pytest.raises(KmodelError, match="--max-states"):
        build_diagram(ow_model, "pod", max_states=0)
    assert VIEWS == ("pod", "node", "deployment", "full")


def test_faults_override_and_progress() -> None:
    reports: list[tuple[int, int]] = []
    d = diagram_for(ONE_WORKER, "node", faults=(), max_states=500, progress=lambda s, q: reports.append((s.states, q)))
    assert d.faults == ()
    assert not [e for e in d.edges if e.kind.startswith(("fault:", "repair:"))]
    assert reports and reports[-1] == (d.explored_states, 0)
