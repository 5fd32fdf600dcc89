"""Deployment controller: fenceposts, the new ReplicaSet, scaling, and a full rolling update run
through the whole model (pkg/controller/deployment, ../shared/k8s-semantics.md)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from kmodel.components import deployment, replicaset
from kmodel.engines.simulate import simulate
from kmodel.scenario import load
from kmodel.settings import Settings
from kmodel.state import RUNNING, Cluster, ControlPlane, Deployment, Pod, PodTemplate, ReplicaSet, labels_of
from kmodel.transition import Event

DATA = Path(__file__).resolve().parent / "data"
HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
V1 = PodTemplate(labels=labels_of({"app": "web", "version": "v1"}))
V2 = PodTemplate(labels=labels_of({"app": "web", "version": "v2"}))


def mkdeploy(replicas: int = 3, template: PodTemplate = V1, surge: str = "25%", unavailable: str = "25%") -> Deployment:
    return Deployment(
        name="web",
        replicas=replicas,
        selector=labels_of({"app": "web"}),
        template=template,
        max_surge=surge,
        max_unavailable=unavailable,
    )


def mkcluster(*deployments: Deployment, replicasets: tuple[ReplicaSet, ...] = (), **kw: Any) -> Cluster:
    c = Cluster(settings=Settings(), **kw)
    for d in deployments:
        c = c.with_deployment(d)
    for rs in replicasets:
        c = c.with_replicaset(rs)
    return c


def sync(c: Cluster) -> Cluster:
    outs = deployment.step(c)
    assert len(outs) == 1 and outs[0].actor == "deployment"
    return outs[0].state


def web(c: Cluster) -> Deployment:
    d = c.deployment("web")
    assert d is not None
    return d


def rs_named(c: Cluster, name: str) -> ReplicaSet:
    rs = c.replicaset(name)
    assert rs is not None, name
    return rs


def owned(c: Cluster) -> list[ReplicaSet]:
    return [rs for rs in c.replicasets if rs.owner == "web"]


# --- fenceposts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable", "expected"),
    [
        (1, "25%", "25%", (1, 0)),  # surge rounds up, unavailable rounds down
        (4, "25%", "25%", (1, 1)),
        (10, "25%", "25%", (3, 2)),
        (10, "0", "0", (0, 1)),  # both 0: unavailable 1, so the rollout can progress
        (5, "0%", "0%", (0, 1)),
        (1, "0", "25%", (0, 1)),  # 25% of 1 rounds down to 0: both 0
        (10, "2", "1", (2, 1)),  # absolute numbers are taken as they are
        (3, "5", "0", (5, 0)),
        (0, "25%", "25%", (0, 1)),
    ],
)
def test_fenceposts(replicas: int, surge: str, unavailable: str, expected: tuple[int, int]) -> None:
    assert deployment.fenceposts(mkdeploy(replicas, surge=surge, unavailable=unavailable)) == expected


# --- the new ReplicaSet and scaling ---------------------------------------------------------------


def test_new_deployment_gets_a_hashed_replicaset() -> None:
    c = mkcluster(mkdeploy(replicas=3))
    outs = deployment.step(c)
    after = outs[0].state
    (rs,) = after.replicasets
    m = re.fullmatch(f"web-([{HASH_ALPHABET}]{{10}})", rs.name)
    assert m, rs.name
    h = m.group(1)
    assert rs.selector == labels_of({"app": "web", "pod-template-hash": h})
    assert rs.template.labels == labels_of({"app": "web", "version": "v1", "pod-template-hash": h})
    assert (rs.replicas, rs.owner, rs.revision) == (3, "web", 1)
    assert [(e.reason, e.message) for e in outs[0].events] == [
        ("ScalingReplicaSet", f"Scaled up replica set {rs.name} from 0 to 3")
    ]
    # the ReplicaSet controller then creates pods that carry the hash and are selected
    pods = replicaset.step(after)[0].state.pods
    assert len(pods) == 3 and all(dict(p.labels)["pod-template-hash"] == h for p in pods)
    assert all(p.owner == rs.name for p in pods)


def test_template_hash_depends_on_the_template_only() -> None:
    name1 = sync(mkcluster(mkdeploy(3))).replicasets[0].name
    assert sync(mkcluster(mkdeploy(7))).replicasets[0].name == name1
    assert sync(mkcluster(mkdeploy(3, template=V2))).replicasets[0].name != name1


def test_scaling_the_deployment_scales_its_replicaset() -> None:
    c = sync(mkcluster(mkdeploy(3)))
    for replicas in (5, 1, 0):
        c = sync(c.with_deployment(attrs.evolve(web(c), replicas=replicas)))
        (rs,) = c.replicasets
        assert rs.replicas == replicas
    # a scaling event is synced by sync.go's sync, which leaves the Progressing condition alone;
    # the next sync is a rollout one and marks the (empty) rollout complete, then nothing is left
    c = sync(c)
    assert c.replicasets == (rs,) and web(c).progressing_reason == deployment.NEW_RS_AVAILABLE_REASON
    assert deployment.step(c) == [], "nothing left to do"


def test_template_change_creates_a_second_replicaset_within_max_surge() -> None:
    c = sync(mkcluster(mkdeploy(4)))
    (old,) = c.replicasets
    c = c.with_replicaset(attrs.evolve(old, status_replicas=4, status_ready=4, status_available=4))
    c = sync(c.with_deployment(attrs.evolve(web(c), template=V2)))
    new = next(rs for rs in owned(c) if rs.name != old.name)
    assert new.revision == 2 and dict(new.template.labels)["version"] == "v2"
    # ResolveFenceposts for 4 replicas at 25% / 25%: maxSurge ceil(1.0) = 1, maxUnavailable
    # floor(1.0) = 1 (stated here, not taken from deployment.fenceposts, so a bug there shows)
    surge, unavailable = 1, 1
    # the new ReplicaSet grows to the surge; with 4 old pods available and none new, the old one
    # may lose maxUnavailable: min(5 - 3 - 1, 4 - 3) = 1
    assert new.replicas == surge
    assert rs_named(c, old.name).replicas == 4 - unavailable


def test_status_sums_the_replicasets() -> None:
    c = sync(mkcluster(mkdeploy(2)))
    (rs,) = c.replicasets
    c = sync(c.with_replicaset(attrs.evolve(rs, status_replicas=2, status_ready=1, status_available=1)))
    d = c.deployment("web")
    assert d is not None
    assert (d.status_replicas, d.status_updated, d.status_ready, d.status_available) == (2, 2, 1, 1)


@pytest.mark.parametrize("down", ["controller_manager", "apiserver", "etcd"])
def test_no_outcome_when_the_controller_manager_cannot_act(down: str) -> None:
    c = mkcluster(mkdeploy(2))
    assert deployment.step(attrs.evolve(c, control_plane=attrs.evolve(ControlPlane(), **{down: False}))) == []


def test_unhealthy_old_replicas_are_cleaned_up_first() -> None:
    d = mkdeploy(4, template=V2)  # maxSurge 1, maxUnavailable 1: minAvailable 3
    old = attrs.evolve(
        deployment.new_replicaset_for(mkdeploy(4), 1), replicas=4, status_replicas=4, status_ready=0, status_available=0
    )
    new = attrs.evolve(
        deployment.new_replicaset_for(d, 2), replicas=1, status_replicas=1, status_ready=1, status_available=1
    )
    c = deployment.step(mkcluster(d, replicasets=(old, new)))[0].state
    # maxScaledDown = 5 - 3 - 0 = 2; the old ReplicaSet has 4 unavailable replicas: scale it to 2
    assert rs_named(c, old.name).replicas == 2


# --- a rolling update through the whole model -------------------------------------------------------


# (maxSurge, maxUnavailable) of each rollout scenario by ResolveFenceposts: rollout-web has 10
# replicas at 25% / 25% (surge rounds up: ceil(2.5) = 3; unavailable rounds down: floor(2.5) = 2),
# rollout-no-surge 4 replicas at 0 / 1.
FENCEPOSTS = {"rollout-web": (3, 2), "rollout-no-surge": (0, 1)}


@pytest.mark.parametrize("name", ["rollout-web", "rollout-no-surge"])
def test_rolling_update_respects_surge_and_availability(name: str) -> None:
    scen = load(DATA / f"{name}.yaml")
    (apply,) = scen.timeline
    states: list[Cluster] = []
    sim = simulate(scen, on_tick=states.append)
    final = sim.final
    assert final is not None
    d = final.deployment("web")
    assert d is not None and dict(d.template.labels)["version"] == "v2"
    surge, unavailable = FENCEPOSTS[name]
    replicas = d.replicas

    # every snapshot (the kubectl view; every pod in these scenarios belongs to the Deployment)
    assert sim.snapshots[0]["t"] == 0 and sim.snapshots[-1]["t"] > apply.at
    for snap in sim.snapshots:
        live = [p for p in snap["pods"] if p["status"] != "Terminating"]
        assert all(p["name"].startswith("web-") for p in snap["pods"])
        assert len(live) <= replicas + surge, f"t={snap['t']}: {len(live)} pods"
        if snap["t"] >= apply.at:
            ready = [p for p in live if p["ready"]]
            assert len(ready) >= replicas - unavailable, f"t={snap['t']}: {len(ready)} ready"

    # the same bounds on the full state of every tick, with the owners, and a mix of old and new
    old_rs, new_rs = sorted(owned(final), key=lambda rs: rs.revision)
    mixed = False
    for s in states:
        live = [p for p in s.pods if not p.terminating and p.owner in (old_rs.name, new_rs.name)]
        assert len(live) <= replicas + surge
        if s.now >= apply.at:
            assert sum(p.ready for p in live) >= replicas - unavailable, f"t={s.now}"
            mixed |= {p.owner for p in live if p.ready} == {old_rs.name, new_rs.name}
    assert mixed, "old and new pods served side by side: a rolling update, not a recreate"

    # the end: every pod is a Running, ready pod of the new ReplicaSet; the Deployment is N/N
    assert old_rs.replicas == 0 and new_rs.replicas == replicas
    assert len(final.pods) == replicas
    assert all(p.owner == new_rs.name and p.phase == RUNNING and p.ready for p in final.pods)
    assert all(not p.terminating for p in final.pods)
    view = sim.snapshots[-1]["deployments"][0]
    assert view == {
        "name": "web",
        "ready": f"{replicas}/{replicas}",
        "upToDate": replicas,
        "available": replicas,
        # progress.go: a complete rollout is Progressing=True NewReplicaSetAvailable
        "conditions": "Available=True MinimumReplicasAvailable, Progressing=True NewReplicaSetAvailable",
    }
    scaled = [e.message for e in sim.events if e.reason == "ScalingReplicaSet"]
    assert any(m.startswith(f"Scaled down replica set {old_rs.name} from ") and m.endswith(" to 0") for m in scaled)


def test_a_rollout_can_fix_a_deployment_whose_pods_never_start() -> None:
    final = simulate(load(DATA / "rollout-fix-pending.yaml")).final
    assert final is not None
    assert len(final.pods) == 4 and all(p.phase == RUNNING for p in final.pods)


# --- minReadySeconds -------------------------------------------------------------------------------


def ready_pod(rs: ReplicaSet, i: int, ready_since: int | None) -> Pod:
    return Pod(
        name=f"{rs.name}-{i}",
        owner=rs.name,
        labels=rs.template.labels,
        node_name="worker-1",
        phase=RUNNING,
        ready=ready_since is not None,
        containers_ready=ready_since is not None,
        ready_since=ready_since,
    )


def test_status_counts_available_pods_after_min_ready_seconds() -> None:
    """replica_set_utils.go calculateStatus counts ready pods, and among them the ones
    IsPodAvailable accepts (ready for minReadySeconds); the Deployment's status sums the
    ReplicaSets' (sync.go calculateStatus: GetAvailableReplicaCountForReplicaSets)."""
    d = attrs.evolve(mkdeploy(3), min_ready_seconds=30)
    c = sync(mkcluster(d))
    (rs,) = c.replicasets
    assert rs.min_ready_seconds == 30, "the new ReplicaSet takes the Deployment's minReadySeconds"
    # at t=100: ready since 60 (40s), since 70 (exactly 30s), since 90 (10s)
    c = attrs.evolve(c, now=100)
    for i, since in enumerate((60, 70, 90)):
        c = c.with_pod(ready_pod(rs, i, since))
    c = replicaset.step(c)[0].state
    rs = rs_named(c, rs.name)
    assert (rs.status_replicas, rs.status_ready, rs.status_available) == (3, 3, 2)
    c = sync(c)
    dep = c.deployment("web")
    assert dep is not None
    assert (dep.status_replicas, dep.status_ready, dep.status_available) == (3, 3, 2)
    # 20s later the third pod has been ready for 30s too
    c = replicaset.step(attrs.evolve(c, now=120))[0].state
    assert rs_named(c, rs.name).status_available == 3


def test_existing_new_replicaset_follows_the_deployments_min_ready_seconds() -> None:
    """sync.go getNewReplicaSet: ``minReadySecondsNeedsUpdate`` - the existing new ReplicaSet's
    spec.minReadySeconds is set to the Deployment's; old ReplicaSets keep theirs."""
    c = sync(mkcluster(mkdeploy(3)))
    (rs,) = c.replicasets
    assert rs.min_ready_seconds == 0
    c = sync(c.with_deployment(attrs.evolve(web(c), min_ready_seconds=15)))
    assert [r.min_ready_seconds for r in c.replicasets] == [15]
    assert [r.name for r in c.replicasets] == [rs.name], "minReadySeconds is no template change: no rollout"


def test_old_pods_stay_until_new_ones_are_available_not_just_ready() -> None:
    """rolling.go reconcileOldReplicaSets counts AvailableReplicas: 4 replicas, maxSurge 0,
    maxUnavailable 1 (minAvailable 3). The old ReplicaSet was scaled to 3 and the new one has
    its one pod ready but not yet available, so nothing may go; once the ReplicaSet controller
    reports it available, one more old replica goes."""
    d = attrs.evolve(mkdeploy(4, template=V2, surge="0", unavailable="1"), min_ready_seconds=30)
    old = attrs.evolve(
        deployment.new_replicaset_for(mkdeploy(4), 1), replicas=3, status_replicas=3, status_ready=3, status_available=3
    )
    new = attrs.evolve(
        deployment.new_replicaset_for(d, 2),
        replicas=1,
        status_replicas=1,
        status_ready=1,
        status_available=0,
        min_ready_seconds=30,
    )
    c = mkcluster(d, replicasets=(old, new))
    after = sync(c)
    assert rs_named(after, old.name).replicas == 3
    assert rs_named(after, new.name).replicas == 1
    after = sync(c.with_replicaset(attrs.evolve(new, status_available=1)))
    assert rs_named(after, old.name).replicas == 2


def scale_downs(events: list[Event], rs_name: str) -> list[int]:
    return [
        e.t for e in events if e.reason == "ScalingReplicaSet" and f"Scaled down replica set {rs_name} " in e.message
    ]


def test_rolling_update_waits_min_ready_seconds_per_batch() -> None:
    """rollout-min-ready: rollout-no-surge (4 replicas, maxSurge 0, maxUnavailable 1) with
    minReadySeconds 30. Each old replica goes only once the previous new pod has been ready for
    30s, so consecutive scale-downs of the old ReplicaSet are at least 30s apart (without
    minReadySeconds they are not), and at every tick at least 3 pods are available by
    IsPodAvailable's rule, computed here from the pods themselves."""
    scen = load(DATA / "rollout-min-ready.yaml")
    states: list[Cluster] = []
    sim = simulate(scen, on_tick=states.append)
    final = sim.final
    assert final is not None
    old_rs, new_rs = sorted(owned(final), key=lambda rs: rs.revision)
    assert new_rs.min_ready_seconds == 30
    downs = scale_downs(list(sim.events), old_rs.name)
    assert len(downs) == 4
    assert all(b - a >= 30 for a, b in itertools.pairwise(downs)), downs
    plain = simulate(load(DATA / "rollout-no-surge.yaml"))
    plain_old = min(owned(plain.final), key=lambda rs: rs.revision)  # type: ignore[arg-type]
    plain_downs = scale_downs(list(plain.events), plain_old.name)
    assert any(b - a < 30 for a, b in itertools.pairwise(plain_downs)), plain_downs
    for s in states:
        if s.now >= scen.timeline[0].at:
            live = [p for p in s.pods if not p.terminating]
            available = [p for p in live if p.ready and p.ready_since is not None and p.ready_since + 30 <= s.now]
            assert len(available) >= 4 - 1, f"t={s.now}: {len(available)} available"
    assert old_rs.replicas == 0 and new_rs.replicas == 4
    d = final.deployment("web")
    assert d is not None and d.status_available == 4
