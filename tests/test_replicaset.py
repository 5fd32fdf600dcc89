"""ReplicaSet controller: the deletion ranking (ActivePodsWithRanks) rule by rule, and one sync
(pkg/controller/replicaset, pkg/controller/controller_utils.go, ../shared/k8s-semantics.md)."""

from __future__ import annotations

import re
from operator import attrgetter
from typing import Any

import attrs
import pytest

from kmodel.components import replicaset
from kmodel.settings import Settings
from kmodel.state import (
    FAILED,
    LABEL_HOSTNAME,
    NO_EXECUTE,
    PENDING,
    RUNNING,
    SUCCEEDED,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    Cluster,
    ControlPlane,
    Node,
    Pod,
    PodTemplate,
    ReplicaSet,
    Toleration,
    labels_of,
)

WEB = labels_of({"app": "web"})
NOW = 1000
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def mknode(name: str) -> Node:
    return Node(name=name, labels=labels_of({LABEL_HOSTNAME: name}))


def mkpod(name: str = "x", **kw: Any) -> Pod:
    """A Running, ready pod of ReplicaSet web-1 on n1, created at 0 and ready since 10."""
    base: dict[str, Any] = {
        "owner": "web-1",
        "labels": WEB,
        "node_name": "n1",
        "phase": RUNNING,
        "ready": True,
        "containers_ready": True,
        "created": 0,
        "ready_since": 10,
    }
    return Pod(name=name, **{**base, **kw})


def mkrs(name: str = "web-1", replicas: int = 3, **kw: Any) -> ReplicaSet:
    return ReplicaSet(name=name, replicas=replicas, selector=WEB, template=PodTemplate(labels=WEB), **kw)


def mkcluster(*pods: Pod, rs: tuple[ReplicaSet, ...] = (), now: int = NOW, **kw: Any) -> Cluster:
    c = Cluster(settings=Settings(), now=now, nodes=(mknode("n1"), mknode("n2")), **kw)
    for p in pods:
        c = c.with_pod(p)
    for r in rs:
        c = c.with_replicaset(r)
    return c


def order(pods: list[Pod], related: list[Pod] | None = None, now: int = NOW) -> list[str]:
    return [p.name for p in replicaset.deletion_order(pods, pods if related is None else related, now)]


def assert_deleted_first(victim: Pod, keeper: Pod, related: list[Pod] | None = None, now: int = NOW) -> None:
    """The victim sorts first whatever the input order, although its name sorts last."""
    victim, keeper = attrs.evolve(victim, name="z-victim"), attrs.evolve(keeper, name="a-keeper")
    for pods in ([victim, keeper], [keeper, victim]):
        assert order(pods, related, now) == ["z-victim", "a-keeper"]


# --- deletion ranking, one rule at a time ------------------------------------------------------------


def test_unassigned_before_assigned() -> None:
    pending = {"phase": PENDING, "ready": False, "containers_ready": False, "ready_since": None}
    assert_deleted_first(mkpod(node_name=None, **pending), mkpod(**pending))


@pytest.mark.parametrize(("first", "second"), [(PENDING, RUNNING), (PENDING, "Unknown"), ("Unknown", RUNNING)])
def test_phase_order(first: str, second: str) -> None:
    unready = {"ready": False, "containers_ready": False, "ready_since": None}
    assert_deleted_first(mkpod(phase=first, **unready), mkpod(phase=second, **unready))


def test_not_ready_before_ready() -> None:
    assert_deleted_first(mkpod(ready=False), mkpod(ready=True))


def test_more_pods_of_the_same_owner_on_the_node_first() -> None:
    victim, keeper = mkpod(node_name="n1"), mkpod(node_name="n2")
    # a pod of a sibling ReplicaSet (same Deployment) also on n1 doubles it up
    related = [victim, keeper, mkpod("old-1", owner="web-0", node_name="n1")]
    assert_deleted_first(victim, keeper, related)
    # without it the two are equal on this rule and the name decides
    assert order([mkpod("b", node_name="n1"), mkpod("a", node_name="n2")]) == ["a", "b"]


def test_ready_for_a_shorter_time_first() -> None:
    # ready 10 s vs 100 s: different powers of two
    assert_deleted_first(mkpod(ready_since=NOW - 10), mkpod(ready_since=NOW - 100))
    # a ready pod with no ready time counts as ready for the shortest time
    assert_deleted_first(mkpod(ready_since=None), mkpod(ready_since=NOW - 1))


def test_ready_times_in_the_same_power_of_two_fall_to_the_name_tiebreak() -> None:
    # ready 50 s and 40 s: the same log2 bucket (in seconds and in nanoseconds), so the rank
    # difference is 0 and the UID (here: the name) decides, before restarts are looked at
    longer = mkpod("a", ready_since=NOW - 50)
    shorter = mkpod("b", ready_since=NOW - 40, restarts=5)
    assert order([shorter, longer]) == ["a", "b"]
    assert order([longer, shorter]) == ["a", "b"]


def test_log_scale_buckets_are_powers_of_two_nanoseconds() -> None:
    # 60 s and 66 s: floor(log2(d * 1e9)) is 35 for both (2^35 ns = 34.4 s, 2^36 ns = 68.7 s), so
    # the real controller falls to the UID tiebreak; floor(log2(d)) gives 5 and 6.
    longer = mkpod("a", ready_since=NOW - 66)
    shorter = mkpod("b", ready_since=NOW - 60)
    assert order([shorter, longer]) == ["a", "b"]


def test_more_restarts_first() -> None:
    assert_deleted_first(mkpod(restarts=3), mkpod(restarts=0))


def test_newer_first() -> None:
    assert_deleted_first(mkpod(created=NOW - 10), mkpod(created=NOW - 900))
    # created 40 s and 50 s ago: same bucket, the name decides
    assert order([mkpod("b", created=NOW - 40), mkpod("a", created=NOW - 50)]) == ["a", "b"]


def test_rules_apply_in_order() -> None:
    """An earlier rule wins over every later one."""
    unassigned = mkpod("u", node_name=None, phase=PENDING, ready=False, ready_since=None, created=0)
    pending = mkpod("p", phase=PENDING, ready=False, ready_since=None, created=0)
    unready = mkpod("n", ready=False, created=0)
    young = mkpod("y", ready_since=NOW - 2, created=0)
    restarted = mkpod("r", restarts=9, created=0)
    old = mkpod("o", created=0)
    assert order([old, restarted, young, unready, pending, unassigned]) == ["u", "p", "n", "y", "r", "o"]


# --- one sync --------------------------------------------------------------------------------------


def get(c: Cluster, name: str) -> Pod:
    pod = c.pod(name)
    assert pod is not None, name
    return pod


def step_state(c: Cluster) -> Cluster:
    outs = replicaset.step(c)
    assert len(outs) == 1 and outs[0].actor == "replicaset"
    return outs[0].state


def test_creates_the_missing_pods() -> None:
    c = mkcluster(rs=(mkrs(replicas=3),), now=42)
    outs = replicaset.step(c)
    after = outs[0].state
    pods = after.pods
    assert len(pods) == 3 and len({p.name for p in pods}) == 3
    defaults = {
        Toleration(key=TAINT_NOT_READY, operator="Exists", effect=NO_EXECUTE, toleration_seconds=300),
        Toleration(key=TAINT_UNREACHABLE, operator="Exists", effect=NO_EXECUTE, toleration_seconds=300),
    }
    for p in pods:
        assert re.fullmatch(f"web-1-[{NAME_ALPHABET}]{{5}}", p.name), p.name
        assert (p.owner, p.labels, p.created, p.node_name, p.phase) == ("web-1", WEB, 42, None, PENDING)
        assert set(p.tolerations) == defaults and len(p.tolerations) == 2
    assert [(e.reason, e.object) for e in outs[0].events] == [("SuccessfulCreate", "replicaset/web-1")] * 3
    assert {e.message for e in outs[0].events} == {f"Created pod: {p.name}" for p in pods}
    rs = after.replicaset("web-1")
    assert rs is not None and (rs.status_replicas, rs.status_ready, rs.next_pod) == (3, 0, 3)
    assert replicaset.step(after) == [], "in sync: nothing to do"


def test_terminating_and_finished_pods_are_replaced_at_once() -> None:
    going = mkpod("web-1-going", deletion_timestamp=NOW - 5)
    done = mkpod("web-1-done", phase=SUCCEEDED, ready=False)
    failed = mkpod("web-1-failed", phase=FAILED, ready=False)
    ok = mkpod("web-1-ok")
    after = step_state(mkcluster(going, done, failed, ok, rs=(mkrs(replicas=2),)))
    new = [p for p in after.pods if p.name not in {going.name, done.name, failed.name, ok.name}]
    assert len(new) == 1 and new[0].owner == "web-1"
    assert after.pod("web-1-going") == going, "the Terminating pod is left to its kubelet"
    rs = after.replicaset("web-1")
    assert rs is not None and (rs.status_replicas, rs.status_ready) == (2, 1)


def test_deletes_the_surplus_in_ranking_order() -> None:
    keep = mkpod("web-1-a", created=0, ready_since=5)
    bound_pending = mkpod("web-1-b", phase=PENDING, ready=False, ready_since=None, created=NOW - 3)
    unbound = mkpod("web-1-c", node_name=None, phase=PENDING, ready=False, ready_since=None, created=NOW - 3)
    outs = replicaset.step(mkcluster(keep, bound_pending, unbound, rs=(mkrs(replicas=1),)))
    after = outs[0].state
    assert [e.message for e in outs[0].events] == ["Deleted pod: web-1-c", "Deleted pod: web-1-b"]
    assert after.pod("web-1-c") is None, "an unbound pod is removed at once"
    assert get(after, "web-1-b").deletion_timestamp == NOW
    assert after.pod("web-1-a") == keep
    rs = after.replicaset("web-1")
    assert rs is not None and (rs.status_replicas, rs.status_ready) == (1, 1)


def test_scale_down_counts_pods_of_sibling_replicasets_on_the_same_node() -> None:
    new = mkrs("web-new", replicas=1, owner="web")
    old = mkrs("web-old", replicas=1, owner="web")
    on_n1 = mkpod("web-new-a", owner="web-new", node_name="n1")
    on_n2 = mkpod("web-new-b", owner="web-new", node_name="n2")
    old_on_n2 = mkpod("web-old-a", owner="web-old", node_name="n2")
    after = step_state(mkcluster(on_n1, on_n2, old_on_n2, rs=(new, old)))
    assert get(after, "web-new-b").terminating
    assert not get(after, "web-new-a").terminating


def test_creates_at_most_burst_replicas_per_sync() -> None:
    c = mkcluster(rs=(mkrs(replicas=replicaset.BURST_REPLICAS + 100),))
    first = step_state(c)
    assert len(first.pods) == replicaset.BURST_REPLICAS == 500
    second = step_state(first)
    assert len(second.pods) == 600 and len({p.name for p in second.pods}) == 600


def test_writes_status_only_when_it_changed() -> None:
    pods = (mkpod("web-1-a"), mkpod("web-1-b", ready=False))
    outs = replicaset.step(mkcluster(*pods, rs=(mkrs(replicas=2),)))
    assert outs[0].label == "update replicaset status" and outs[0].events == ()
    rs = outs[0].state.replicaset("web-1")
    assert rs is not None and (rs.status_replicas, rs.status_ready) == (2, 1)
    assert outs[0].state.pods == mkcluster(*pods).pods
    assert replicaset.step(outs[0].state) == []


def test_pods_of_other_owners_are_not_counted_and_matching_orphans_are_adopted() -> None:
    """controller_ref_manager.go ClaimPods: a pod another controller owns is left alone; an
    orphan whose labels match the selector is adopted and counted, so nothing is created."""
    other = mkpod("other-x", owner="other")
    after = step_state(mkcluster(other, rs=(mkrs(replicas=1),)))
    assert len(after.pods) == 2 and after.pod("other-x") == other
    stranger = mkpod("web-1-x", owner=None)
    after = step_state(mkcluster(stranger, other, rs=(mkrs(replicas=1),)))
    assert len(after.pods) == 2 and after.pod("other-x") == other
    assert after.pod("web-1-x") == attrs.evolve(stranger, owner="web-1")


@pytest.mark.parametrize("down", ["controller_manager", "apiserver", "etcd"])
def test_no_outcome_when_the_controller_manager_cannot_act(down: str) -> None:
    c = mkcluster(rs=(mkrs(replicas=2),))
    assert replicaset.step(attrs.evolve(c, control_plane=attrs.evolve(ControlPlane(), **{down: False}))) == []
    assert replicaset.step(c) != []


def test_pods_stay_sorted_by_name() -> None:
    after = step_state(mkcluster(rs=(mkrs(replicas=20),)))
    assert list(after.pods) == sorted(after.pods, key=attrgetter("name"))


def test_generated_names_skip_pods_that_still_exist() -> None:
    """A ReplicaSet recreated under its old name (deleted, then made again by its Deployment)
    starts its name counter afresh while its old pods may still be Terminating: the new pods
    must get other names, never take over the old objects (which would unbind them)."""
    rs = mkrs("web-1", replicas=2)
    first, _ = replicaset.new_pod(rs, NOW)
    old = attrs.evolve(first, node_name="n1", phase=RUNNING, deletion_timestamp=NOW - 1)
    c = mkcluster(old, rs=(rs,))
    out = replicaset.step(c)[0].state
    names = {p.name for p in out.pods}
    assert len(names) == 3 and old.name in names
    kept = out.pod(old.name)
    assert kept is not None and kept.node_name == "n1" and kept.terminating
