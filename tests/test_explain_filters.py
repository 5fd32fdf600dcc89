"""kmodel explain with the scheduler's newer filters: directed cases and the scenarios.

Node affinity, extended resources, host ports, pod (anti-)affinity and priorities: each case
states what the pod asks for and what the explanation must say, with the numbers."""

from __future__ import annotations

from operator import attrgetter

import attrs

from kmodel.labels import IN, LabelSelector, Requirement
from kmodel.schedulingspec import (
    PREEMPT_NEVER,
    HostPort,
    NodeAffinity,
    NodeSelectorTerm,
    PodAffinity,
    PodAffinityTerm,
    SchedulingSpec,
)
from kmodel.settings import Settings
from kmodel.smt.feasibility import (
    FITS_NOW,
    NO_ROOM,
    ROOM_EXISTS,
    ROOM_IF_PREEMPTING,
    explain_pod,
    explanation_text,
    state_at,
)
from kmodel.state import LABEL_HOSTNAME, LABEL_ZONE, RUNNING, Cluster, Node, Pod, Resources

from .conftest import SCENARIOS, Cli

GI = 1024**3
WEB = LabelSelector((("app", "web"),))


def node(name: str, zone: str | None = None, **kw: object) -> Node:
    labels = {LABEL_HOSTNAME: name, **({LABEL_ZONE: zone} if zone else {})}
    kw.setdefault("capacity", Resources(2000, 4 * GI, 110))
    return Node(name=name, labels=tuple(sorted(labels.items())), **kw)  # type: ignore[arg-type]


def pod(name: str, at: str | None = None, **kw: object) -> Pod:
    if at is not None:
        kw.setdefault("phase", RUNNING)
    return Pod(name=name, node_name=at, **kw)  # type: ignore[arg-type]


def cluster(nodes: list[Node], pods: list[Pod]) -> Cluster:
    return Cluster(
        settings=Settings(),
        nodes=tuple(sorted(nodes, key=attrgetter("name"))),
        pods=tuple(sorted(pods, key=attrgetter("name"))),
    )


def anti(key: str) -> SchedulingSpec:
    return SchedulingSpec(pod_anti_affinity=PodAffinity(required=(PodAffinityTerm(key, WEB),)))


# --- the scenarios --------------------------------------------------------------------------------


def test_gpu_pool_big_trainer_has_no_room_anywhere() -> None:
    c = state_at(SCENARIOS / "gpu-pool.yaml")
    e = explain_pod(c, "pod/big-trainer")
    assert e.verdict == NO_ROOM and all(f.never for f in e.nodes.values())
    assert e.nodes["gpu-a"].detail == "cannot take it: asks for nvidia.com/gpu 2, more than the node's allocatable 1"
    assert e.nodes["cpu-1"].detail == (
        "cannot take it: asks for nvidia.com/gpu 2, more than the node's allocatable 0 (the node has none)"
    )
    assert e.nodes["control-plane"].detail.startswith("cannot take it: taint node-role.kubernetes.io/control-plane")
    text = explanation_text(e)
    assert "requests: cpu 0m, memory 0, nvidia.com/gpu 2, 1 pod" in text
    assert "why: it asks for nvidia.com/gpu 2; the most any node it may use has allocatable is 1 (gpu-a, gpu-b)" in text


def test_anti_affinity_with_more_replicas_than_workers() -> None:
    c = state_at(SCENARIOS / "anti-affinity-too-few-nodes.yaml")
    pending = [p.name for p in c.pods if p.node_name is None]
    assert len(pending) == 1
    e = explain_pod(c, pending[0])
    assert e.verdict == NO_ROOM and not e.bound_pods_must_move
    assert list(e.relaxations) == ["pod anti-affinity (its own and the other pods')"]
    bound = {p.node_name: p.name for p in c.pods if p.node_name is not None}
    for worker in ("worker-1", "worker-2"):
        assert e.nodes[worker].detail == (
            f"no room now: pod anti-affinity: {bound[worker]} (matching app=web) already in "
            f"kubernetes.io/hostname={worker}"
        )
        assert not e.nodes[worker].never
    text = explanation_text(e)
    assert (
        "why: its required anti-affinity allows one pod matching app=web per kubernetes.io/hostname value; the "
        "nodes it may use have 2 (worker-1, worker-2) for 3 such pods (2 bound: " in text
    )
    assert "moving bound pods would not help either" in text


# --- node affinity, resources, ports --------------------------------------------------------------


def test_required_node_affinity_and_match_fields_in_words() -> None:
    term = NodeSelectorTerm(match_expressions=(Requirement(LABEL_ZONE, IN, ("z1",)),))
    by_name = NodeSelectorTerm(match_fields=(Requirement("metadata.name", IN, ("b",)),))
    zoned = pod("zoned", scheduling=SchedulingSpec(node_affinity=NodeAffinity(required=(term,))))
    named = pod("named", scheduling=SchedulingSpec(node_affinity=NodeAffinity(required=(by_name,))))
    c = cluster([node("a", "z2"), node("b", "z2")], [zoned, named])
    e = explain_pod(c, "zoned")
    assert e.verdict == NO_ROOM and all(f.never for f in e.nodes.values())
    assert e.nodes["a"].detail.startswith(
        "cannot take it: required node affinity does not match: topology.kubernetes.io/zone in (z1)"
    )
    assert "required node affinity: (topology.kubernetes.io/zone in (z1))" in explanation_text(e)
    n = explain_pod(c, "named")
    assert n.verdict == FITS_NOW and n.assignment is not None and n.assignment["named"] == "b"
    assert (
        n.nodes["a"].detail
        == "cannot take it: its required node affinity names other nodes (matchFields metadata.name)"
    )


def test_ephemeral_storage_and_extended_resources_add_up() -> None:
    gpu = Resources(2000, 4 * GI, 110, 10 * GI, (("example.com/gpu", 2),))
    one = Resources(ephemeral_storage=6 * GI, scalar=(("example.com/gpu", 1),))
    c = cluster(
        [node("n", capacity=gpu)],
        [pod("old", at="n", requests=one), pod("new", requests=one)],
    )
    e = explain_pod(c, "new")
    assert e.verdict == NO_ROOM and not e.nodes["n"].never
    assert e.nodes["n"].detail == (
        "no room now: insufficient ephemeral-storage: asks 6Gi, 4Gi free of 10Gi allocatable (bound here: old)"
    )
    # one GPU is still free: only the disk is short
    assert list(e.relaxations) == ["the bound pods' requests (NodeResourcesFit)"]


def test_host_ports_pairwise_between_pending_pods() -> None:
    port = SchedulingSpec(host_ports=(HostPort(8080),))
    c = cluster(
        [node("a"), node("b")],
        [
            pod("bound", at="a", scheduling=port),
            pod("p1", created=1, scheduling=port),
            pod("p2", created=2, scheduling=port),
        ],
    )
    e = explain_pod(c, "p2")
    # p1 takes b, the only node whose port is free; the two cannot share it
    assert e.verdict == ROOM_EXISTS and e.scheduler_binds == {"p1": "b"}
    assert e.assignment == {"p2": "b"}
    assert e.max_placeable == 1
    assert e.nodes["a"].detail == "no room now: host port(s) 8080/TCP taken by bound (8080/TCP) (bound here: bound)"


# --- pod affinity -------------------------------------------------------------------------------------


def test_pod_affinity_room_only_after_another_pending_pod() -> None:
    """The follower must run in the zone of an app=web pod; the web pod is pending too and
    only one zone's node has room for it. Bound first, the web pod makes room for the follower,
    which the queue (follower older) tries first and fails."""
    follow = SchedulingSpec(pod_affinity=PodAffinity(required=(PodAffinityTerm(LABEL_ZONE, WEB),)))
    c = cluster(
        [node("a", "z1"), node("b", "z2", capacity=Resources(500, 4 * GI, 110))],
        [
            pod("follower", created=0, labels=(("app", "api"),), scheduling=follow),
            pod("web", created=5, labels=(("app", "web"),), requests=Resources(cpu=1000)),
        ],
    )
    e = explain_pod(c, "follower")
    assert e.verdict == ROOM_EXISTS
    assert not any(f.passes for f in e.nodes.values())
    assert e.assignment == {"web": "a", "follower": "a"}
    text = explanation_text(e)
    assert "no node passes every filter now, but binding other pending pods first makes room" in text
    assert "an assignment that places it (bound in this order): web -> a, follower -> a" in text
    assert (
        e.nodes["a"].detail
        == "no room now: pod affinity: no pod matching app=web runs in topology.kubernetes.io/zone=z1"
    )


def test_first_pod_of_a_self_affine_group_goes_anywhere() -> None:
    group = SchedulingSpec(pod_affinity=PodAffinity(required=(PodAffinityTerm(LABEL_ZONE, WEB),)))
    web = (("app", "web"),)
    c = cluster(
        [node("a", "z1"), node("b", "z2")],
        [pod("w1", labels=web, scheduling=group), pod("w2", created=1, labels=web, scheduling=group)],
    )
    for name in ("w1", "w2"):
        assert explain_pod(c, name).verdict == FITS_NOW
    # once w1 runs in z1, a group member must join it there
    c = c.with_pod(attrs.evolve(c.pod("w1"), node_name="a", phase=RUNNING))
    c = attrs.evolve(c, nodes=(node("a", "z1", unschedulable=True), node("b", "z2")))
    e = explain_pod(c, "w2")
    assert e.verdict == NO_ROOM
    assert list(e.relaxations) == ["its pod affinity"]


# --- priorities ---------------------------------------------------------------------------------------


def test_a_higher_priority_pod_could_preempt() -> None:
    c = cluster(
        [node("n", capacity=Resources(1000, GI, 2))],
        [
            pod("low", at="n", requests=Resources(cpu=800)),
            pod("tiny", at="n", requests=Resources(cpu=100)),
            pod(
                "high",
                requests=Resources(cpu=500),
                scheduling=SchedulingSpec(priority=1000, priority_class_name="high"),
            ),
        ],
    )
    e = explain_pod(c, "high")
    assert e.verdict == ROOM_IF_PREEMPTING and e.preemption == {"n": ["low"]}
    text = explanation_text(e)
    assert "priority: 1000 (high)" in text
    assert (
        "room if preempting: when its turn comes the scheduler evicts low on n (lower priority than its 1000)" in text
    )
    never = c.with_pod(
        attrs.evolve(c.pod("high"), scheduling=SchedulingSpec(priority=1000, preemption_policy=PREEMPT_NEVER))
    )
    e = explain_pod(never, "high")
    assert e.verdict == NO_ROOM and e.preemption is None
    assert "preemption does not help: not eligible due to preemptionPolicy=Never." in explanation_text(e)
    # equal priorities: nothing to say about preemption
    same = c.with_pod(attrs.evolve(c.pod("high"), scheduling=SchedulingSpec()))
    assert "preemption" not in explanation_text(explain_pod(same, "high"))


def test_explain_gpu_pool_from_the_command_line(cli: Cli) -> None:
    r = cli("explain", str(SCENARIOS / "gpu-pool.yaml"), "pod/big-trainer")
    assert r.exit_code == 0, r.output
    assert "pod/big-trainer at t=30s: no-room" in r.output
    assert "gpu-b          cannot take it: asks for nvidia.com/gpu 2, more than the node's allocatable 1" in r.output
