"""kmodel explain: is there room for a Pending pod, and does the scheduler's order get there?
(kmodel.smt.feasibility, checked against the scheduler itself and a brute-force search)."""

from __future__ import annotations

import itertools
from operator import attrgetter
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kmodel.components import scheduler
from kmodel.errors import KmodelError
from kmodel.settings import Settings
from kmodel.smt.feasibility import (
    FITS_NOW,
    NO_ROOM,
    ROOM_EXISTS,
    VERDICTS,
    explain_pod,
    explanation_text,
    state_at,
)
from kmodel.state import (
    LABEL_HOSTNAME,
    NO_EXECUTE,
    NO_SCHEDULE,
    Cluster,
    Node,
    Pod,
    Resources,
    Taint,
    Toleration,
    labels_of,
)

from .conftest import SCENARIOS, Cli

GI = 1024**3


def mknode(name: str, cpu: int = 2000, memory: int = 4 * GI, pods: int = 110, **kw: object) -> Node:
    labels = {LABEL_HOSTNAME: name, **kw.pop("labels", {})}  # type: ignore[dict-item]
    return Node(name=name, labels=labels_of(labels), capacity=Resources(cpu, memory, pods), **kw)  # type: ignore[arg-type]


def mkpod(name: str, cpu: int = 0, memory: int = 0, node: str | None = None, created: int = 0, **kw: object) -> Pod:
    return Pod(name=name, requests=Resources(cpu, memory), node_name=node, created=created, **kw)  # type: ignore[arg-type]


def mkcluster(nodes: list[Node], pods: list[Pod]) -> Cluster:
    return Cluster(
        settings=Settings(),
        nodes=tuple(sorted(nodes, key=attrgetter("name"))),
        pods=tuple(sorted(pods, key=attrgetter("name"))),
    )


# Two nodes, one twice the other; pod a-first (500m) is older than b-second (1600m), so the
# scheduler takes it first and puts it on the big node (more room left), where b-second needed
# the room. The scheduler is stopped at 0s and started at 1m.
GREEDY = """\
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {name: greedy}
until: 2m
timeline: ["0s stop scheduler", "1m start scheduler"]
---
apiVersion: v1
kind: Node
metadata: {name: big}
status: {allocatable: {cpu: "2", memory: 4Gi, pods: "110"}}
---
apiVersion: v1
kind: Node
metadata: {name: small}
status: {allocatable: {cpu: "1", memory: 4Gi, pods: "110"}}
---
apiVersion: v1
kind: Pod
metadata: {name: a-first}
spec:
  containers: [{name: app, image: nginx, resources: {requests: {cpu: 500m}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: b-second}
spec:
  containers: [{name: app, image: nginx, resources: {requests: {cpu: 1600m}}}]
"""


@pytest.fixture
def greedy(tmp_path: Path) -> Path:
    path = tmp_path / "greedy.yaml"
    path.write_text(GREEDY)
    return path


# --- the three verdicts -------------------------------------------------------------------------


def test_a_pod_that_fits_now_gets_the_node_the_scheduler_picks() -> None:
    c = mkcluster([mknode("n1"), mknode("n2", cpu=1000)], [mkpod("web", cpu=500, memory=GI)])
    e = explain_pod(c, "pod/web")
    assert e.verdict == FITS_NOW
    best, _ = scheduler.schedule(c, c.pod("web"))  # type: ignore[arg-type]
    assert e.assignment == {"web": best[0]} == e.scheduler_binds
    assert e.all_pending_fit is True and e.max_placeable == 1
    assert all(f.passes for f in e.nodes.values())
    text = explanation_text(e)
    assert text.startswith("pod/web at t=0s: fits-now\n")
    assert f"fits now: the scheduler would bind it to {best[0]}" in text
    assert "n2  fits: cpu 500m of 1000m free, memory 1Gi of 4Gi free, 0 of 110 pods" in text


def test_queue_order_takes_the_room_but_another_assignment_places_both(greedy: Path) -> None:
    c = state_at(greedy, 30)
    assert c.now == 30 and not c.scheduler_active
    e = explain_pod(c, "b-second")
    assert e.verdict == ROOM_EXISTS
    assert e.pending == ["a-first", "b-second"]
    assert e.scheduler_binds == {"a-first": "big"}
    assert e.assignment == {"a-first": "small", "b-second": "big"}
    assert e.all_pending_fit is True and e.max_placeable == 2
    text = explanation_text(e)
    assert "note: the scheduler is not running at this time (kube-scheduler is stopped)" in text
    assert "room exists, but not in the scheduler's order: it passes every filter now on big" in text
    assert (
        "the scheduler first binds a-first -> big and then reports for it: 0/2 nodes are available: 2 Insufficient cpu."
        in text
    )
    assert "an assignment that places it: a-first -> small, b-second -> big\n" in text
    assert (
        "all 2 pending pods fit at once: yes; at most 2 of 2 can be placed together, the scheduler's order places 1"
        in text
    )
    # the pod ahead of it is placed by the scheduler
    first = explain_pod(c, "a-first")
    assert first.verdict == FITS_NOW and first.assignment == {"a-first": "big"}


def test_once_the_small_pod_is_bound_room_exists_only_if_it_moves(greedy: Path) -> None:
    c = state_at(greedy)  # the scenario's until: the scheduler ran from 1m
    assert c.now == 120 and c.pod("a-first").node_name == "big"  # type: ignore[union-attr]
    e = explain_pod(c, "b-second")
    assert e.verdict == NO_ROOM
    assert e.bound_pods_must_move and e.moves == {"a-first": ("big", "small")} and e.node_after_moves == "big"
    assert e.assignment is None
    assert not e.nodes["big"].never and e.nodes["small"].never
    text = explanation_text(e)
    assert "no room: no node has room for it while the bound pods stay where they are" in text
    assert "room would exist only if bound pods moved (the scheduler never moves a bound pod): " in text
    assert "moving a-first from big to small frees room for it on big" in text
    assert (
        "big    no room now: insufficient cpu: asks 1600m, 1500m free of 2000m allocatable (bound here: a-first)"
        in text
    )
    assert "small  cannot take it: asks for cpu 1600m, more than the node's allocatable 1000m" in text


def test_no_room_names_each_nodes_reason() -> None:
    ssd = {"disk": "ssd"}
    nodes = [
        mknode("n-taint", labels=ssd, taints=(Taint("dedicated", NO_SCHEDULE, "gpu"),)),
        mknode("n-label", labels={"disk": "hdd"}),
        mknode("n-nolabel"),
        mknode("n-small", cpu=1000, labels=ssd),
        mknode("n-full", labels=ssd),
        mknode("n-cordoned", labels=ssd, unschedulable=True),
        mknode("n-memory", labels=ssd, memory=GI),
    ]
    pods = [
        mkpod("db", cpu=1500, memory=2 * GI, node_selector=labels_of(ssd)),
        # bound, and it cannot go anywhere else: its selector and requests leave only n-full
        mkpod("cache", cpu=1200, memory=2 * GI, node="n-full", node_selector=labels_of(ssd)),
    ]
    c = mkcluster(nodes, pods)
    e = explain_pod(c, "db")
    assert e.verdict == NO_ROOM and not e.bound_pods_must_move and e.moves is None
    details = {n: f.detail for n, f in e.nodes.items()}
    assert details == {
        "n-cordoned": "cannot take it: cordoned (spec.unschedulable) and the pod does not tolerate "
        "node.kubernetes.io/unschedulable:NoSchedule (kubectl uncordon lifts it)",
        "n-full": "no room now: insufficient cpu: asks 1500m, 800m free of 2000m allocatable (bound here: cache)",
        "n-label": "cannot take it: nodeSelector does not match: disk=ssd (the node has disk=hdd)",
        "n-memory": "cannot take it: asks for memory 2Gi, more than the node's allocatable 1Gi",
        "n-nolabel": "cannot take it: nodeSelector does not match: disk=ssd (the node has no such label)",
        "n-small": "cannot take it: asks for cpu 1500m, more than the node's allocatable 1000m",
        "n-taint": "cannot take it: taint dedicated=gpu:NoSchedule not tolerated",
    }
    assert [n for n, f in e.nodes.items() if not f.never] == ["n-full"]
    assert e.nodes["n-full"].reasons == ("Insufficient cpu",)
    assert "moving bound pods would not help either" in explanation_text(e)
    # a toleration and a bigger node change the answer
    tolerant = attrs.evolve(c.pod("db"), tolerations=(Toleration("dedicated", "Equal", "gpu", NO_SCHEDULE),))
    assert explain_pod(c.with_pod(tolerant), "db").verdict == FITS_NOW


def test_a_full_pod_count_and_every_node_tainted() -> None:
    c = mkcluster(
        [mknode("a", pods=1), mknode("b", taints=(Taint("k", NO_EXECUTE),))],
        [mkpod("old", node="a"), mkpod("new")],
    )
    e = explain_pod(c, "new")
    assert e.verdict == NO_ROOM
    assert e.nodes["a"].detail == "no room now: too many pods: 1 of 1 already on it (bound here: old)"
    assert e.nodes["b"].detail == "cannot take it: taint k:NoExecute not tolerated"
    # "old" tolerates nothing on b either, so moving it cannot help
    assert not e.bound_pods_must_move
    # with a toleration "old" could move to b
    old = attrs.evolve(c.pod("old"), tolerations=(Toleration("k", "Exists"),))
    moved = explain_pod(c.with_pod(old), "new")
    assert moved.moves == {"old": ("a", "b")} and moved.node_after_moves == "a"


def test_seed_no_workers_pending_pods_have_no_room_anywhere() -> None:
    c = state_at(SCENARIOS / "seed-no-workers.yaml", 600)
    pending = [p.name for p in c.pods if p.node_name is None]
    assert len(pending) == 3
    e = explain_pod(c, pending[0])
    assert e.verdict == NO_ROOM and e.max_placeable == 0 and e.all_pending_fit is False
    assert all(f.never for f in e.nodes.values())
    assert (
        e.nodes["minikube"].detail
        == "cannot take it: taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated"
    )
    assert e.nodes["minikube-m02"].detail.startswith(
        "cannot take it: taint node.kubernetes.io/unreachable:NoSchedule not tolerated (the node is not Ready"
    )
    assert "no room: no node can take it, whatever the other pods do" in explanation_text(e)


# --- bad input ----------------------------------------------------------------------------------


def test_unknown_bound_and_terminating_pods_are_refused() -> None:
    c = mkcluster(
        [mknode("n1")],
        [mkpod("waiting"), mkpod("running", node="n1"), mkpod("going", deletion_timestamp=0)],
    )
    with pytest.raises(KmodelError) as err:
        explain_pod(c, "pod/nope")
    assert err.value.where == "pod/nope" and err.value.exit_code == 2
    assert "no pod named 'nope' at t=0s (pods: going, running, waiting)" in str(err.value)
    assert err.value.fix == "explain a Pending pod at t=0s: waiting"
    with pytest.raises(KmodelError, match="already bound to n1"):
        explain_pod(c, "running")
    with pytest.raises(KmodelError, match=r"being deleted \(Terminating\)"):
        explain_pod(c, "going")
    done = mkcluster([mknode("n1")], [mkpod("running", node="n1")])
    with pytest.raises(KmodelError) as err:
        explain_pod(done, "running")
    assert err.value.fix == "no pod is Pending at t=0s; explain an earlier time"


def test_state_at_refuses_negative_times(greedy: Path) -> None:
    with pytest.raises(KmodelError, match="before the start"):
        state_at(greedy, -5)


# --- agreement with the scheduler and with brute force ------------------------------------------

TAINTS = (None, None, None, Taint("dedicated", NO_SCHEDULE, "x"), Taint("k", NO_EXECUTE))


@st.composite
def clusters(draw: st.DrawFn, only_resources: bool = False) -> Cluster:
    """1-3 nodes and 1-4 pods, some bound (possibly overcommitting a node, as pods that name
    their node can). ``only_resources``: no taints, labels or cordons, so every question is
    about room, and most pending pods have somewhere to go."""
    nodes = []
    for i in range(draw(st.integers(1, 3))):
        taint = None if only_resources else draw(st.sampled_from(TAINTS))
        disk = None if only_resources else draw(st.sampled_from((None, "ssd", "ssd", "hdd")))
        nodes.append(
            mknode(
                f"n{i}",
                cpu=draw(st.sampled_from((1000, 2000))),
                memory=draw(st.sampled_from((GI, 2 * GI))),
                pods=draw(st.sampled_from((1, 2, 3, 110))),
                labels={"disk": disk} if disk else {},
                taints=(taint,) if taint else (),
                unschedulable=not only_resources and draw(st.integers(0, 5)) == 0,
            )
        )
    pods = []
    for j in range(draw(st.integers(1, 4))):
        tolerations = (Toleration("dedicated", "Exists"),) if draw(st.booleans()) else ()
        selector = labels_of({"disk": "ssd"}) if not only_resources and draw(st.integers(0, 4)) == 0 else ()
        node = draw(st.sampled_from([None, None, *(n.name for n in nodes)]))
        pods.append(
            mkpod(
                f"p{j}",
                cpu=draw(st.sampled_from((0, 300, 700, 1200))),
                memory=draw(st.sampled_from((0, GI // 2, GI))),
                node=node,
                created=draw(st.sampled_from((0, 5))),
                tolerations=tolerations,
                node_selector=selector,
            )
        )
    return mkcluster(nodes, pods)


def passes_filters(c: Cluster, pod: Pod, node: Node) -> bool:
    """The default filter plugins restated here, not taken from kmodel's scheduler (so a bug
    there cannot hide behind its own helper): NodeUnschedulable (a cordoned node needs a
    toleration of node.kubernetes.io/unschedulable:NoSchedule), TaintToleration (every NoSchedule
    and NoExecute taint tolerated, ToleratesTaint's matching), NodeAffinity (every nodeSelector
    key with its value) and NodeResourcesFit (pod count, and each requested resource within
    allocatable minus what the pods bound there request)."""

    def tolerated(key: str, value: str, effect: str) -> bool:
        for t in pod.tolerations:
            if t.effect not in ("", effect) or t.key not in ("", key):
                continue
            if t.operator == "Exists" or t.value == value:
                return True
        return False

    if node.unschedulable and not tolerated("node.kubernetes.io/unschedulable", "", NO_SCHEDULE):
        return False
    if any(t.effect in (NO_SCHEDULE, NO_EXECUTE) and not tolerated(t.key, t.value, t.effect) for t in node.taints):
        return False
    if not set(pod.node_selector) <= set(node.labels):
        return False
    there = [p for p in c.pods if p.node_name == node.name]
    if len(there) + 1 > node.capacity.pods:
        return False
    cpu = sum(p.requests.cpu for p in there)
    memory = sum(p.requests.memory for p in there)
    if pod.requests.cpu and cpu + pod.requests.cpu > node.capacity.cpu:
        return False
    return not (pod.requests.memory and memory + pod.requests.memory > node.capacity.memory)


def place_in_turn(c: Cluster, placement: dict[str, str]) -> Cluster | None:
    """Bind the pods one by one (by name), each only if the filters (restated by
    :func:`passes_filters`) pass on its node at that moment; None when one does not."""
    for name in sorted(placement):
        pod = c.pod(name)
        node = c.node(placement[name])
        assert pod is not None and node is not None
        if not passes_filters(c, pod, node):
            return None
        c = c.with_pod(attrs.evolve(pod, node_name=node.name))
    return c


def brute_force_max(c: Cluster, pending: list[str]) -> int:
    best = 0
    for choice in itertools.product([None, *(n.name for n in c.nodes)], repeat=len(pending)):
        placement = {p: n for p, n in zip(pending, choice, strict=True) if n is not None}
        if len(placement) > best and place_in_turn(c, placement) is not None:
            best = len(placement)
    return best


def brute_force_room_if_moved(c: Cluster, name: str) -> bool:
    """Can the active bound pods be re-placed (staying put is always allowed) so that ``name`` fits?"""
    movable = [p for p in c.pods if p.node_name is not None and p.active]
    nodes = [n.name for n in c.nodes]
    for choice in itertools.product(nodes, repeat=len(movable) + 1):
        moved = {p.name: n for p, n in zip(movable, choice, strict=False) if n != p.node_name}
        rest = c
        for p in moved:
            rest = rest.with_pod(attrs.evolve(rest.pod(p), node_name=None))
        placed = place_in_turn(rest, moved)
        if placed is not None and place_in_turn(placed, {name: choice[-1]}) is not None:
            return True
    return False


def scheduler_binds(c: Cluster, name: str) -> bool:
    """Run the real scheduler step until its queue is empty; is ``name`` bound?"""
    c = attrs.evolve(c, sched_attempted=frozenset())
    while outs := scheduler.step(c):
        c = outs[0].state
    return c.pod(name).node_name is not None  # type: ignore[union-attr]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans().flatmap(lambda only_resources: clusters(only_resources)))
def test_explain_agrees_with_the_scheduler_and_brute_force(c: Cluster) -> None:
    queue = [p.name for p in scheduler.queue(c)]
    assume(queue)  # a cluster with no pending pod asks nothing; Hypothesis draws another
    # the scheduler's own filters agree with the restated ones on every node
    for name in queue:
        pod = c.pod(name)
        assert pod is not None
        for node in c.nodes:
            assert (not scheduler.filter_reasons(c, pod, node)) == passes_filters(c, pod, node)
    max_placeable = brute_force_max(c, queue)
    for name in queue:
        e = explain_pod(c, name)
        assert e.verdict in VERDICTS
        assert e.pending == queue
        found, _ = scheduler.schedule(c, c.pod(name))  # type: ignore[arg-type]
        # some node passes every filter now <=> there is room with the bound pods where they are
        assert (e.verdict != NO_ROOM) == bool(found)
        assert any(f.passes for f in e.nodes.values()) == bool(found)
        # fits-now <=> the real scheduler, run from here, binds it; at the head of the queue that
        # is the same as the scheduler finding a node for it now
        assert (e.verdict == FITS_NOW) == scheduler_binds(c, name)
        if name == queue[0]:
            assert (e.verdict == FITS_NOW) == bool(found)
        # assignments are real placements
        if e.verdict == NO_ROOM:
            assert e.assignment is None
        else:
            assert e.assignment is not None and name in e.assignment
            assert place_in_turn(c, e.assignment) is not None
        if e.verdict == FITS_NOW:
            assert e.assignment == e.scheduler_binds
        # Z3's maximum is the true one
        assert e.max_placeable == max_placeable
        assert e.all_pending_fit == (max_placeable == len(queue))
        assert len(e.scheduler_binds) <= max_placeable
        # moving bound pods: only asked when no node has room now, but some node could have
        if e.verdict == NO_ROOM and not all(f.never for f in e.nodes.values()):
            assert e.bound_pods_must_move == brute_force_room_if_moved(c, name)
        if e.bound_pods_must_move:
            assert e.moves and e.node_after_moves is not None
            moved = c
            for p in e.moves:
                moved = moved.with_pod(attrs.evolve(moved.pod(p), node_name=None))
            moved = place_in_turn(moved, {p: to for p, (_, to) in e.moves.items()})
            assert moved is not None and place_in_turn(moved, {name: e.node_after_moves}) is not None


def test_explain_from_the_command_line(cli: Cli) -> None:
    seed = str(SCENARIOS / "seed-no-workers.yaml")
    r = cli("explain", seed, "pod/nope", "--at", "10m")
    assert r.exit_code == 2 and "pod/nope" in r.stderr and "Traceback" not in r.output
    pending = r.stderr.split("fix: explain a Pending pod at t=10m: ")[1].split(",")[0].strip(" )\n")
    r = cli("explain", seed, f"pod/{pending}", "--at", "10m")
    assert r.exit_code == 0, r.output
    assert f"pod/{pending} at t=10m: no-room" in r.output
    assert "control-plane:NoSchedule not tolerated" in r.output
