"""kmodel explain with DoNotSchedule topology spread constraints: the conflicting zone + hostname constraints of
scenarios/conflicting-spread.yaml, and agreement with the brute force of
tests/test_explain_agreement.py on generated clusters."""

from __future__ import annotations

import pytest

from kmodel.labels import LabelSelector
from kmodel.schedulingspec import DO_NOT_SCHEDULE, SchedulingSpec, TopologySpreadConstraint
from kmodel.settings import Settings
from kmodel.smt.feasibility import NO_ROOM, explain_pod, explanation_text, state_at
from kmodel.state import LABEL_HOSTNAME, LABEL_ZONE, RUNNING, Cluster, Node, Pod, Resources

from .conftest import SCENARIOS, Cli
from .test_explain_agreement import clusters, run_sweep

API = LabelSelector((("app", "api"),))
BOTH = SchedulingSpec(
    topology_spread=(
        TopologySpreadConstraint(1, LABEL_ZONE, DO_NOT_SCHEDULE, API),
        TopologySpreadConstraint(1, LABEL_HOSTNAME, DO_NOT_SCHEDULE, API),
    )
)


def _conflicting(bound: list[str]) -> Cluster:
    """conflicting-spread.yaml's nodes (two in zone-a, one in zone-b) with api replicas bound
    as given and one more pending."""
    nodes = tuple(
        Node(name=n, labels=((LABEL_HOSTNAME, n), (LABEL_ZONE, z)), capacity=Resources(4000, 8 * 1024**3, 110))
        for n, z in (("node-a1", "zone-a"), ("node-a2", "zone-a"), ("node-b1", "zone-b"))
    )
    pods = [
        Pod(name=f"api-{i}", labels=(("app", "api"),), node_name=n, phase=RUNNING, scheduling=BOTH)
        for i, n in enumerate(bound)
    ]
    pods.append(Pod(name="api-new", labels=(("app", "api"),), created=9, scheduling=BOTH))
    return Cluster(settings=Settings(), nodes=nodes, pods=tuple(pods))


def test_conflicting_zone_and_hostname_spread_leave_the_sixth_replica_no_room() -> None:
    c = _conflicting(["node-a1", "node-a1", "node-a2", "node-b1", "node-b1"])
    e = explain_pod(c, "api-new")
    assert e.verdict == NO_ROOM and not e.bound_pods_must_move
    assert e.relaxations == {
        "its spread constraint on topology.kubernetes.io/zone (maxSkew 1)": "node-a2",
        "its spread constraint on kubernetes.io/hostname (maxSkew 1)": "node-b1",
    }
    assert e.nodes["node-b1"].detail == (
        "no room now: spread on kubernetes.io/hostname (maxSkew 1): node-b1 would have 3 matching pods, "
        "against 1 in node-a2 (skew 2)"
    )
    assert e.nodes["node-a2"].detail == (
        "no room now: spread on topology.kubernetes.io/zone (maxSkew 1): zone-a would have 4 matching pods, "
        "against 2 in zone-b (skew 2)"
    )
    text = explanation_text(e)
    assert (
        "why: its spread constraints on topology.kubernetes.io/zone (maxSkew 1) and kubernetes.io/hostname "
        "(maxSkew 1) conflict: each alone leaves room for it, together they do not"
    ) in text
    assert "moving bound pods would not help either" in text


def test_a_fifth_replica_still_has_room() -> None:
    e = explain_pod(_conflicting(["node-a1", "node-a2", "node-b1", "node-b1"]), "api-new")
    assert e.verdict != NO_ROOM


def test_spread_agrees_with_brute_force() -> None:
    seen = run_sweep(clusters(spread=True), 150)
    assert seen["clusters"] >= 100
    for case in ("fits-now", "room-exists", "no-room", "no-room with a node passing the node-local rules"):
        assert seen[case] > 0, seen


@pytest.mark.thorough
def test_spread_bigger_sweep_agrees_with_brute_force() -> None:
    seen = run_sweep(clusters(spread=True), 2000)
    assert seen["room if bound pods moved"] > 0, seen


def test_the_conflicting_spread_scenario(cli: Cli) -> None:
    c = state_at(SCENARIOS / "conflicting-spread.yaml")
    pending = [p.name for p in c.pods if p.node_name is None]
    assert len(pending) == 1
    e = explain_pod(c, pending[0])
    assert e.verdict == NO_ROOM and len(e.relaxations) == 2
    r = cli("explain", str(SCENARIOS / "conflicting-spread.yaml"), f"pod/{pending[0]}")
    assert r.exit_code == 0, r.output
    assert (
        "why: its spread constraints on topology.kubernetes.io/zone (maxSkew 1) and kubernetes.io/hostname "
        "(maxSkew 1) conflict" in r.output
    )
