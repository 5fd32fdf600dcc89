"""Informer caches that lag, beyond pods (kmodel/informer.py): the scheduler's Node informer
(setting ``informerLagNodes``), the stale-node-view scenario on the explorer and Hypothesis, and
the informers and expectations a restarted controller-manager or scheduler starts without.

Pod lag and the two safeguards are tested in tests/test_informer.py; the Kubernetes unit tests of
the expectations in tests/k8s/test_controller_expectations.py, of the scheduler cache in
tests/k8s/test_scheduler_cache.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from kmodel import faults, informer, model
from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.components import deployment, podgc, replicaset
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED, Property
from kmodel.engines.explore import explore
from kmodel.engines.simulate import simulate
from kmodel.scenario import Scenario, load
from kmodel.settings import Settings, SettingsError, settings_from
from kmodel.state import NO_EXECUTE, NO_SCHEDULE, Cluster, PodTemplate, ReplicaSet, Taint, labels_of
from tests.builders import manifest_scenario
from tests.conftest import SCENARIOS
from tests.k8s.conftest import mkcluster, mknode, mkpod

STALE_NODE = SCENARIOS / "stale-node-view.yaml"
OVER_FIXED = SCENARIOS / "stale-cache-over-creation-fixed.yaml"
NODES_LAG = Settings(informer_lag=2, informer_lag_nodes=True)
SCHEDULER = next(x for x in model.CONTROLLERS if x.name == "scheduler")


def prop(name: str, scen: Scenario) -> Property:
    return props.to_property(props.BUILTINS[name], scen.settings)


def with_settings(tmp_path: Path, path: Path, **settings: str) -> Scenario:
    text = path.read_text()
    for key, value in settings.items():
        head, sep, rest = text.partition(f"  {key}: ")
        assert sep, key
        text = head + sep + value + "\n" + rest.partition("\n")[2]
    return manifest_scenario(tmp_path, text)


# -- the setting ----------------------------------------------------------------------------------


def test_node_lag_is_off_by_default_and_parsed() -> None:
    assert Settings().informer_lag_nodes is False
    assert settings_from({"informerLag": 1, "informerLagNodes": True}).informer_lag_nodes is True


def test_node_lag_without_a_lag_is_refused() -> None:
    with pytest.raises(SettingsError, match="informerLagNodes needs informerLag of at least 1"):
        settings_from({"informerLagNodes": True})


def test_a_refused_node_lag_in_a_scenario_is_one_line(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(STALE_NODE.read_text().replace("  informerLag: 1\n", "  informerLag: 0\n"))
    r = cli("simulate", str(path))
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and str(path) in line and "informerLagNodes needs informerLag" in line, line


# -- the scheduler's view of the nodes ---------------------------------------------------------------


def two_nodes(settings: Settings = NODES_LAG) -> Cluster:
    return mkcluster(mknode("n1"), mknode("n2"), pods=[mkpod("p", None)], settings=settings)


def tainted(c: Cluster, name: str, effect: str = NO_EXECUTE) -> Cluster:
    n = c.node(name)
    assert n is not None
    return c.with_node(attrs.evolve(n, taints=(Taint("maintenance", effect, "true", c.now),)))


def test_a_node_change_queues_on_the_scheduler_node_informer_only() -> None:
    c = two_nodes()
    after = informer.observe(c, tainted(c, "n1"))
    assert after.informers is not None
    assert [u.name for u in after.informers.queue(informer.NODES)] == ["n1"]
    assert after.informers.queue("replicaset") == () and after.informers.queue("scheduler") == ()
    seen = informer.view(after, "scheduler")
    assert seen.node("n1").taints == ()  # type: ignore[union-attr]
    assert informer.view(after, "replicaset") is after, "other watchers read the store's nodes"
    delivered = informer.deliver(after, informer.NODES)
    assert delivered.informers is None
    assert informer.view(delivered, "scheduler").node("n1").taints != ()  # type: ignore[union-attr]


def test_without_node_lag_node_changes_queue_nothing() -> None:
    c = two_nodes(Settings(informer_lag=2))
    after = tainted(c, "n1")
    assert informer.observe(c, after) is after


def test_heartbeats_and_machine_state_do_not_queue() -> None:
    """The scheduler reads no heartbeat, Lease, power or condition: those changes are not a
    lag its view can show (its NotReady / unreachable knowledge comes as taints)."""
    c = two_nodes()
    n = c.node("n1")
    assert n is not None
    after = c.with_node(attrs.evolve(n, last_heartbeat=40, lease_renew_time=40, ready="Unknown", powered=False))
    assert informer.observe(c, after) is after


def test_an_undelivered_deletion_or_creation() -> None:
    c = two_nodes()
    after = informer.observe(c, attrs.evolve(c, nodes=(mknode("n2"), mknode("n3"))))
    assert after.informers is not None
    assert sorted(n.name for n in informer.view(after, "scheduler").nodes) == ["n1", "n2"]


def test_a_view_finds_objects_whose_deletion_is_undelivered() -> None:
    """Cluster.pod / Cluster.node look names up by bisection: a view keeps its collections
    sorted by name when it puts back an object the store no longer has."""
    c = mkcluster(mknode("n1"), mknode("n2"), pods=[mkpod("a", "n1"), mkpod("b", "n1")], settings=NODES_LAG)
    gone = attrs.evolve(c, pods=(c.pod("b"),), nodes=(c.node("n2"),))
    seen = informer.view(informer.observe(c, gone), "scheduler")
    assert seen.pod("a") is not None and seen.node("n1") is not None
    assert [p.name for p in seen.pods] == ["a", "b"] and [n.name for n in seen.nodes] == ["n1", "n2"]


def test_a_stale_scheduler_binds_to_a_node_it_has_not_seen_tainted() -> None:
    """Only n1 untainted in the view, n1 NoExecute-tainted in the store: the binding goes to n1
    (its view), and the kubelet admission there would reject it (tests below: the scenario)."""
    c = tainted(two_nodes(), "n2", NO_SCHEDULE)
    c = informer.flush(informer.observe(two_nodes(), c))
    c = informer.observe(c, tainted(c, "n1"))  # n1 tainted: undelivered
    outs = model.component_steps(c, SCHEDULER)
    assert [o.state.pod("p").node_name for o in outs] == ["n1"]  # type: ignore[union-attr]
    assert "on a stale view: not yet told of node/n1" in outs[0].label
    store = outs[0].state
    assert store.node("n1").taints != (), "the store keeps its taint: the view is not written back"  # type: ignore[union-attr]


def test_a_binding_to_a_node_deleted_meanwhile_is_orphaned_and_collected() -> None:
    """The binding subresource does not look the node up: a pod bound by a scheduler that has
    not seen its node's deletion names a node that is gone, and the pod garbage collector
    force-deletes it once the node has been missing for the quarantine (gcOrphaned)."""
    c = tainted(two_nodes(), "n2", NO_SCHEDULE)
    c = informer.flush(informer.observe(two_nodes(), c))
    c = informer.observe(c, _drop_node(c, "n1"))
    outs = model.component_steps(c, SCHEDULER)
    bound = outs[0].state
    assert bound.pod("p").node_name == "n1" and bound.node("n1") is None  # type: ignore[union-attr]
    gc = attrs.evolve(informer.flush(bound), now=bound.settings.pod_gc_period)
    first = podgc.step(gc)  # the node is found missing: quarantined
    assert first and first[0].state.pod("p") is not None
    gc = first[0].state
    later = attrs.evolve(gc, now=gc.now + gc.settings.pod_gc_quarantine + gc.settings.pod_gc_period)
    outs = podgc.step(later)
    assert outs and outs[0].state.pod("p") is None


def _drop_node(c: Cluster, name: str) -> Cluster:
    return attrs.evolve(c, nodes=tuple(n for n in c.nodes if n.name != name))


def test_a_cordon_the_scheduler_has_not_seen_is_not_caught_by_the_kubelet() -> None:
    """NodeUnschedulable is a scheduler filter only (the kubelet's admission does not check
    spec.unschedulable): a stale scheduler's pod runs on a node cordoned a moment earlier."""
    from kmodel.components import kubeletadmission

    c = tainted(two_nodes(), "n2", NO_SCHEDULE)
    c = informer.flush(informer.observe(two_nodes(), c))
    n1 = c.node("n1")
    assert n1 is not None
    c = informer.observe(c, c.with_node(attrs.evolve(n1, unschedulable=True)))
    bound = model.component_steps(c, SCHEDULER)[0].state
    pod = bound.pod("p")
    node = bound.node("n1")
    assert pod is not None and node is not None and pod.node_name == "n1" and node.unschedulable
    assert kubeletadmission.admit(pod, node, (), bound.settings.kubernetes_version) is None


# -- the scenario ---------------------------------------------------------------------------------


def test_simulate_has_no_lag_and_rejects_nothing() -> None:
    """No lag in `kmodel simulate`: the taint at 30s evicts worker-1's pod, its replacement goes
    to worker-2 within a tick (scheduled in the tick it is created, Running by the next), and no
    pod is rejected."""
    scen = load(STALE_NODE)
    tick = scen.settings.step
    seen: list[tuple[int, int]] = []
    sim = simulate(
        scen, on_tick=lambda c: seen.append((c.now, len([p for p in c.pods if p.node_name == "worker-2" and p.active])))
    )
    assert sim.final is not None
    assert not any(p.phase == "Failed" for p in sim.final.pods)
    assert all(n == 1 for t, n in seen if t < 30)
    assert min(t for t, n in seen if n == 2) <= 30 + 2 * tick


def test_explorer_finds_the_stale_node_binding() -> None:
    scen = load(STALE_NODE)
    r = explore(KubeModel(scen), prop("pods-admitted", scen), max_states=5_000)
    assert r.verdict == VIOLATED and r.trace is not None, r.message
    labels = [s.label for s in r.trace.steps]
    binding = next(i for i, label in enumerate(labels) if label.startswith("bind "))
    assert "worker-1" in labels[binding] and "not yet told of node/worker-1" in labels[binding]
    assert not any(s.actor == "informer/scheduler/nodes" for s in r.trace.steps[:binding])
    assert "TaintToleration" in labels[-1]
    shorter = explore(KubeModel(scen), prop("pods-admitted", scen), max_states=5_000, max_depth=len(r.trace) - 1)
    assert shorter.verdict != VIOLATED


def test_the_binding_itself_breaks_no_schedule_to_unready_node() -> None:
    scen = load(STALE_NODE)
    r = explore(KubeModel(scen), prop("no-schedule-to-unready-node", scen), max_states=5_000)
    assert r.verdict == VIOLATED and r.trace is not None, r.message
    last = r.trace.steps[-1]
    assert last.actor == "scheduler" and "to worker-1" in last.label and "not yet told of node/worker-1" in last.label


def test_without_node_lag_no_pod_is_rejected_in_as_many_actions(tmp_path: Path) -> None:
    """The same scenario with only the pod informers lagging: no rejection within twice the
    violation's depth (the whole space, 12,610 states, is the thorough test below)."""
    scen = with_settings(tmp_path, STALE_NODE, informerLagNodes="false")
    r = explore(KubeModel(scen), prop("pods-admitted", scen), max_states=50_000, max_depth=14)
    assert r.verdict != VIOLATED, r.message


@pytest.mark.thorough
def test_without_node_lag_pods_admitted_holds(tmp_path: Path) -> None:
    scen = with_settings(tmp_path, STALE_NODE, informerLagNodes="false")
    r = explore(KubeModel(scen), prop("pods-admitted", scen), max_states=50_000)
    assert r.verdict == HOLDS and r.stats.states == 12_610, r.stats


def test_hypothesis_finds_the_stale_node_binding() -> None:
    scen = load(STALE_NODE)
    r = hypothesis_engine.check(KubeModel(scen), prop("pods-admitted", scen), seed=0, max_examples=100)
    assert r.verdict == VIOLATED, r.message
    assert r.trace is not None and "TaintToleration" in r.trace.steps[-1].label


@pytest.mark.parametrize(
    ("lag", "states"), [("0", 474), ("1", 667), pytest.param("2", 4989, marks=pytest.mark.thorough)]
)
def test_off_by_default_the_state_counts_are_unchanged(tmp_path: Path, lag: str, states: int) -> None:
    """The README's cost table (Informer caches that lag): with informerLagNodes off (the
    default) the explored states are those from before node lag existed."""
    scen = with_settings(tmp_path, OVER_FIXED, informerLag=lag)
    assert not scen.settings.informer_lag_nodes
    r = explore(KubeModel(scen), prop("no-over-replication", scen), max_states=50_000)
    assert r.verdict == HOLDS and r.stats.states == states, r.stats


# -- a restarted process: no expectations, informers freshly listed -------------------------------


FOO = labels_of({"app": "web"})


def expecting() -> Cluster:
    """A ReplicaSet controller that has just created 2 pods its informer has not delivered: it
    expects 2 creations; the scheduler's informers lag too."""
    rs = ReplicaSet(name="rs", replicas=3, selector=FOO, template=PodTemplate(labels=FOO))
    c = mkcluster(
        mknode("n1"),
        pods=[mkpod("rs-a", "n1", owner="rs", labels=FOO)],
        replicasets=(rs,),
        settings=Settings(informer_lag=50, informer_lag_nodes=True),
    )
    outs = informer.step_on_view(c, "replicaset", replicaset.step)
    c = informer.observe(c, outs[0].state)
    c = informer.observe(c, tainted(c, "n1", NO_SCHEDULE))
    assert c.informers is not None and c.informers.expectations
    assert not informer.satisfied(c, "rs")
    assert c.informers.queue("replicaset") and c.informers.queue("scheduler") and c.informers.queue(informer.NODES)
    return c


def test_a_restarted_controller_manager_has_no_expectations_and_a_fresh_view() -> None:
    """kube-controller-manager keeps its ControllerExpectations in memory only: the process
    that starts after `stop controller-manager` / `start` builds a new, empty one, and its
    informers LIST the store before watching. The scheduler's informers are another process's."""
    c = expecting()
    stopped = faults.set_component(c, "controller-manager", False)
    assert stopped is not None
    started = faults.set_component(stopped, "controller-manager", True)
    assert started is not None
    assert started.informers is not None
    assert started.informers.expectations == ()
    assert informer.satisfied(started, "rs")
    assert started.informers.queue("replicaset") == ()
    assert informer.view(started, "replicaset").pods == started.pods
    assert started.informers.queue("scheduler") == c.informers.queue("scheduler")  # type: ignore[union-attr]


def test_changes_while_the_controller_manager_is_down_are_listed_not_queued() -> None:
    c = faults.set_component(expecting(), "controller-manager", False)
    assert c is not None
    p = c.pod("rs-a")
    assert p is not None
    after = informer.observe(c, c.with_pod(attrs.evolve(p, ready=False)))
    assert after.informers is not None and after.informers.queue("replicaset") == ()
    assert [u.name for u in after.informers.queue("scheduler")][-1] == "rs-a"


def test_a_restarted_scheduler_lists_pods_and_nodes_afresh() -> None:
    c = expecting()
    stopped = faults.set_component(c, "scheduler", False)
    assert stopped is not None and stopped.informers is not None
    assert stopped.informers.queue("scheduler") == () and stopped.informers.queue(informer.NODES) == ()
    assert stopped.informers.expectations, "the controller-manager's memory is its own"


def test_a_powered_off_control_plane_host_loses_both() -> None:
    c = expecting()
    cp = mknode("cp", control_plane=True)
    c = c.with_node(cp)
    off = faults.power_off(c, "cp")
    assert off is not None
    assert off.informers is None


def test_leader_election_lost_restarts_with_no_expectations() -> None:
    """The controller-manager exits when it cannot renew its Lease for the renew deadline
    (apiserver down) and restarts with empty memory: no expectations either."""
    c = faults.set_component(expecting(), "apiserver", False)
    assert c is not None
    for _ in range(5):
        c = model.tick(c)
    assert c.now >= c.settings.leader_election_renew_deadline
    assert c.informers is not None and c.informers.expectations == ()


# -- the Deployment controller's ReplicaSet informer (informerLagReplicaSets) ----------------------

ROLLOUT = Path(__file__).parent / "data" / "props-rollout.yaml"


def rollout(tmp_path: Path) -> Cluster:
    """props-rollout.yaml settled (2 pods of web's ReplicaSet running), every informer caught up,
    the Deployment controller's ReplicaSet informer lagging."""
    text = ROLLOUT.read_text().replace(
        "faults: {}\n", "faults: {}\nsettings: {informerLag: 1, informerLagReplicaSets: true}\n"
    )
    (tmp_path / "props-rollout-v2.yaml").write_text((ROLLOUT.parent / "props-rollout-v2.yaml").read_text())
    scen = manifest_scenario(tmp_path, text)
    c = next(iter(KubeModel(scen).init_states())).cluster
    assert c.settings.informer_lag_replica_sets and c.informers is None
    return attrs.evolve(c, ran=frozenset())


def test_replicaset_lag_is_off_by_default_and_needs_a_lag() -> None:
    assert Settings().informer_lag_replica_sets is False
    with pytest.raises(SettingsError, match="informerLagReplicaSets needs informerLag of at least 1"):
        settings_from({"informerLagReplicaSets": True})


def test_a_replicaset_change_lags_for_the_deployment_controller_only(tmp_path: Path) -> None:
    c = rollout(tmp_path)
    rs = c.replicasets[0]
    after = informer.observe(c, c.with_replicaset(attrs.evolve(rs, status_ready=rs.status_ready - 1)))
    assert after.informers is not None
    assert [u.name for u in after.informers.queue(informer.REPLICASETS)] == [rs.name]
    assert informer.view(after, "deployment").replicasets == c.replicasets
    assert informer.view(after, "replicaset") is after
    # kmodel's pod-name counter is no API field: the ReplicaSet controller creating pods queues nothing
    assert informer.observe(c, c.with_replicaset(attrs.evolve(rs, next_pod=rs.next_pod + 5))).informers is None


def test_an_update_from_a_stale_replicaset_is_a_conflict(tmp_path: Path) -> None:
    """The Deployment controller updates a ReplicaSet with the resourceVersion of its informer's
    copy: a copy older than the store's is refused (409 Conflict) and the sync fails, so a stale
    ReplicaSet list never scales anything. Once the informer catches up, the sync goes through."""
    c = rollout(tmp_path)
    rs = c.replicasets[0]
    d = c.deployments[0]
    # the ReplicaSet controller wrote a status the Deployment controller has not heard of
    c = informer.observe(c, c.with_replicaset(attrs.evolve(rs, status_ready=rs.status_ready - 1)))
    c = c.with_deployment(attrs.evolve(d, replicas=3))  # kubectl scale deployment/web --replicas=3
    outs = informer.step_on_view(c, "deployment", deployment.step)
    assert len(outs) == 1 and outs[0].state is c and outs[0].events == ()
    assert "not written, Conflict: the object replicaset" in outs[0].label
    assert f"not yet told of replicaset/{rs.name}" in outs[0].label
    c = informer.deliver(c, informer.REPLICASETS)
    outs = informer.step_on_view(c, "deployment", deployment.step)
    assert outs[0].state.replicaset(rs.name).replicas == 3  # type: ignore[union-attr]


def test_creating_a_replicaset_the_informer_has_not_delivered_is_already_exists(tmp_path: Path) -> None:
    """The new template's ReplicaSet, created by one sync and not yet delivered, is missing from
    the next sync's list: it creates it again, and the apiserver answers AlreadyExists."""
    c = rollout(tmp_path)
    d = c.deployments[0]
    new_template = attrs.evolve(d.template, labels=tuple(sorted({**dict(d.template.labels), "version": "v2"}.items())))
    c = c.with_deployment(attrs.evolve(d, template=new_template))
    first = informer.step_on_view(c, "deployment", deployment.step)[0].state
    created = {rs.name for rs in first.replicasets} - {rs.name for rs in c.replicasets}
    assert len(created) == 1
    c = informer.observe(c, first)
    again = informer.step_on_view(c, "deployment", deployment.step)
    assert again[0].state is c and "already exists" in again[0].label


def rollout_scenario(tmp_path: Path) -> Scenario:
    text = ROLLOUT.read_text().replace(
        "faults: {}\n", "faults: {}\nsettings: {informerLag: 1, informerLagReplicaSets: true}\n"
    )
    (tmp_path / "props-rollout-v2.yaml").write_text((ROLLOUT.parent / "props-rollout-v2.yaml").read_text())
    return manifest_scenario(tmp_path, text)


def test_a_rollout_on_a_stale_replicaset_list_keeps_its_bounds(tmp_path: Path) -> None:
    """props-rollout.yaml (2 replicas, maxSurge 1, maxUnavailable 0, the v2 template at 30s) with
    the Deployment controller's ReplicaSet informer lagging: no interleaving of its deliveries
    within the first 14 actions takes the rollout below 2 available pods (the conflicts refuse
    every write from a stale copy; the whole space is the thorough test below)."""
    scen = rollout_scenario(tmp_path)
    r = explore(KubeModel(scen), prop("rollout-respects-max-unavailable", scen), max_states=20_000, max_depth=14)
    assert r.verdict != VIOLATED, r.message
    assert r.stats.states > 300, r.stats


@pytest.mark.thorough
@pytest.mark.parametrize("name", ["rollout-respects-max-unavailable", "no-over-replication"])
def test_a_rollout_on_a_stale_replicaset_list_holds(tmp_path: Path, name: str) -> None:
    scen = rollout_scenario(tmp_path)
    r = explore(KubeModel(scen), prop(name, scen), max_states=1_000_000)
    assert r.verdict == HOLDS, r.message


@pytest.mark.thorough
def test_hypothesis_a_rollout_on_a_stale_replicaset_list(tmp_path: Path) -> None:
    scen = rollout_scenario(tmp_path)
    r = hypothesis_engine.check(
        KubeModel(scen), prop("rollout-respects-max-unavailable", scen), seed=0, max_examples=20
    )
    assert r.verdict == HOLDS, r.message
