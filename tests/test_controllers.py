"""Taint eviction, pod GC, endpoints, garbage collector, kubelet, apiserver admission, faults."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from kmodel import faults
from kmodel.components import apiserver, endpoints, kubelet, podgc, tainteviction
from kmodel.scenario import load
from kmodel.settings import Settings
from kmodel.state import (
    NO_EXECUTE,
    RUNNING,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    ControllerMemory,
    Pod,
    Service,
    Taint,
    Toleration,
    labels_of,
)
from tests.builders import cluster, first_event_time, node, run, run_until, workers_scenario

UNREACHABLE = Taint(key=TAINT_UNREACHABLE, effect=NO_EXECUTE, time_added=0)


# --- taint eviction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tolerations", "taints", "expected"),
    [
        ((), [UNREACHABLE], -1),
        (
            (Toleration(key=TAINT_UNREACHABLE, operator="Exists", effect=NO_EXECUTE, toleration_seconds=300),),
            [UNREACHABLE],
            300,
        ),
        ((Toleration(key=TAINT_UNREACHABLE, operator="Exists", effect=NO_EXECUTE),), [UNREACHABLE], None),
        ((Toleration(operator="Exists"),), [UNREACHABLE], None),  # tolerates everything, forever
        (
            (Toleration(key=TAINT_UNREACHABLE, operator="Exists", toleration_seconds=-5, effect=NO_EXECUTE),),
            [UNREACHABLE],
            0,
        ),
        (
            (
                Toleration(key=TAINT_UNREACHABLE, operator="Exists", effect=NO_EXECUTE, toleration_seconds=300),
                Toleration(operator="Exists", effect=NO_EXECUTE, toleration_seconds=60),
            ),
            [UNREACHABLE],
            # GetMatchingTolerations takes the first toleration that matches each taint
            # (pkg/apis/core/v1/helper/helpers.go, used by tainteviction processPodOnNode)
            300,
        ),
    ],
)
def test_min_toleration_seconds(tolerations: tuple[Toleration, ...], taints: list[Taint], expected: int | None) -> None:
    assert tainteviction.min_toleration_seconds(Pod(name="p", tolerations=tolerations), taints) == expected


def test_untolerated_noexecute_taint_evicts_at_once() -> None:
    c = cluster(
        node("a", taints=(Taint(key="dedicated", value="x", effect=NO_EXECUTE, time_added=0),)),
        pods=(Pod(name="p", node_name="a"),),
    )
    outs = tainteviction.step(c)
    assert len(outs) == 1
    p = outs[0].state.pod("p")
    assert p is not None and p.terminating and p.disruption_target
    assert outs[0].events[0].reason == "TaintManagerEviction"


def test_tolerated_taint_evicts_after_toleration_seconds_counted_from_first_sight() -> None:
    c = cluster(node("a", taints=(UNREACHABLE,)), pods=(Pod(name="p", node_name="a"),), now=100)
    # default tolerations from admission: 300 s
    s1 = tainteviction.step(c)[0].state
    assert not s1.pod("p").terminating  # type: ignore[union-attr]
    assert dict(s1.memory.scheduled_evictions) == {"p": 400}  # the time the deletion is due
    assert tainteviction.step(attrs.evolve(s1, now=399)) == []
    s2 = tainteviction.step(attrs.evolve(s1, now=400))[0].state
    assert s2.pod("p").terminating  # type: ignore[union-attr]


def test_removing_the_taint_cancels_the_scheduled_eviction() -> None:
    c = cluster(node("a", taints=(UNREACHABLE,)), pods=(Pod(name="p", node_name="a"),), now=100)
    s1 = tainteviction.step(c)[0].state
    healed = s1.with_node(attrs.evolve(s1.node("a"), taints=()))  # type: ignore[arg-type]
    out = tainteviction.step(attrs.evolve(healed, now=200))[0]
    s2 = out.state
    assert s2.memory.scheduled_evictions == ()
    assert not s2.pod("p").terminating  # type: ignore[union-attr]
    # taint_eviction.go emitCancelPodDeletionEvent
    assert [(e.reason, e.message) for e in out.events] == [
        ("TaintManagerEviction", "Cancelling deletion of Pod default/p")
    ]


# --- pod GC, garbage collector, endpoints -------------------------------------------------------


def test_pods_of_a_deleted_node_are_force_deleted_after_quarantine(tmp_path: Path) -> None:
    scen = workers_scenario(tmp_path, ["a", "b"], ["60s stop node/b", "70s delete node/b"], until="4m")
    sim = run(scen)
    t_gc = first_event_time(sim, "PodGC")
    assert t_gc is not None
    s = Settings()
    assert 70 + s.pod_gc_quarantine <= t_gc <= 70 + s.pod_gc_quarantine + s.pod_gc_period
    final = sim.final
    assert final is not None
    assert all(p.node_name == "a" for p in final.pods)
    assert len([p for p in final.pods if p.phase == RUNNING]) == 2


def test_out_of_service_taint_lets_pod_gc_finish_terminating_pods(tmp_path: Path) -> None:
    scen = workers_scenario(
        tmp_path,
        ["a", "b", "c"],
        ["60s stop node/c", "8m taint node/c node.kubernetes.io/out-of-service=nodeshutdown:NoExecute"],
        until="10m",
        replicas=3,  # one pod per node
    )
    sim = run(scen)
    assert first_event_time(sim, "PodGC", contains="out-of-service") is not None
    final = sim.final
    assert final is not None
    assert not any(p.terminating for p in final.pods)


def test_podgc_runs_only_on_its_period() -> None:
    c = cluster(node("a"), pods=(Pod(name="p", node_name="gone"),), now=10)
    assert podgc.is_due(attrs.evolve(c, now=20)) and not podgc.is_due(c)


def test_deleting_a_deployment_cascades(tmp_path: Path) -> None:
    scen = workers_scenario(tmp_path, ["a", "b"], ["60s delete deployment/web"], until="2m")
    final = run(scen).final
    assert final is not None
    assert final.deployments == () and final.replicasets == () and final.pods == ()


def test_endpoints_are_ready_matching_bound_non_terminating_pods() -> None:
    web = labels_of({"app": "web"})
    pods = (
        Pod(name="ready", labels=web, node_name="a", phase=RUNNING, ready=True),
        Pod(name="unready", labels=web, node_name="a", phase=RUNNING, ready=False),
        Pod(name="other", labels=labels_of({"app": "x"}), node_name="a", phase=RUNNING, ready=True),
        Pod(name="going", labels=web, node_name="a", phase=RUNNING, ready=True, deletion_timestamp=0),
    )
    c = cluster(node("a"))
    for p in pods:
        c = c.with_pod(p)
    c = c.with_service(Service(name="web", selector=web))
    out = endpoints.step(c)[0].state
    assert out.service("web").endpoints == ("ready",)  # type: ignore[union-attr]


# --- kubelet -------------------------------------------------------------------------------------


def test_kubelet_renews_its_lease_every_quarter_lease_and_posts_status_on_change() -> None:
    """pkg/kubelet/kubelet.go: renew interval = nodeLeaseDurationSeconds (40) x 0.25; the status
    is posted when it changed (the node controller's Unknown here), not on every renewal."""
    c = cluster(node("a", last_heartbeat=0, lease_renew_time=0), now=5)
    assert kubelet.step(c, "a") == []
    renewed = kubelet.step(attrs.evolve(c, now=10), "a")[0].state.node("a")
    assert (renewed.lease_renew_time, renewed.last_heartbeat) == (10, 0)  # type: ignore[union-attr]
    unknown = attrs.evolve(c, now=15, nodes=(attrs.evolve(c.nodes[0], ready="Unknown", lease_renew_time=10),))
    posted = kubelet.step(unknown, "a")[0].state.node("a")
    assert (posted.ready, posted.lease_renew_time, posted.last_heartbeat) == ("True", 10, 15)  # type: ignore[union-attr]


def test_kubelet_with_its_runtime_down_reports_not_ready_and_syncs_no_pod() -> None:
    """kubelet_node_status.go: the Ready condition is False (KubeletNotReady) while the runtime
    is down; the Lease is still renewed (the node is alive)."""
    down = node("a", last_heartbeat=0, lease_renew_time=0, runtime_ready=False)
    c = cluster(down, pods=(Pod(name="p", node_name="a"),), now=5)
    out = kubelet.step(c, "a")[0]
    a = out.state.node("a")
    assert (a.ready, a.ready_reason, a.last_heartbeat) == ("False", "KubeletNotReady", 5)  # type: ignore[union-attr]
    assert out.state.pod("p").phase == "Pending"  # type: ignore[union-attr]
    assert [e.message for e in out.events] == ["Node a status is now: NodeNotReady"]


@pytest.mark.parametrize("cut", ["powered", "kubelet_running", "partitioned"])
def test_kubelet_that_cannot_reach_the_apiserver_takes_no_step(cut: str) -> None:
    value = cut == "partitioned"
    c = cluster(node("a", **{cut: value}), now=100)
    assert kubelet.step(c, "a") == []


def test_kubelet_starts_bound_pods_and_finishes_deletions_in_two_syncs() -> None:
    c = cluster(node("a"), pods=(Pod(name="p", node_name="a"),), now=10)
    s1 = kubelet.step(c, "a")[0].state
    p = s1.pod("p")
    assert p is not None and p.phase == RUNNING and p.ready and "p" in s1.node("a").running  # type: ignore[union-attr]
    s2 = apiserver.delete_pod(attrs.evolve(s1, now=20), "p")
    s3 = kubelet.step(s2, "a")[0].state
    assert s3.pod("p") is not None and s3.pod("p").terminating  # type: ignore[union-attr]
    assert "p" not in s3.node("a").running  # type: ignore[union-attr]
    s4 = kubelet.step(attrs.evolve(s3, now=25), "a")[0].state
    assert s4.pod("p") is None


def test_kubelet_kills_containers_of_pods_gone_from_the_apiserver() -> None:
    c = cluster(node("a", running=frozenset({"ghost"})), now=10)
    out = kubelet.step(c, "a")[0].state
    assert out.node("a").running == frozenset()  # type: ignore[union-attr]


# --- apiserver -----------------------------------------------------------------------------------


def test_default_toleration_seconds_admission() -> None:
    c = cluster(node("a"))
    p = apiserver.create_pod(c, Pod(name="p")).pod("p")
    assert p is not None
    keys = {(t.key, t.effect, t.toleration_seconds, t.operator) for t in p.tolerations}
    assert keys == {(TAINT_NOT_READY, NO_EXECUTE, 300, "Exists"), (TAINT_UNREACHABLE, NO_EXECUTE, 300, "Exists")}
    # a pod that already tolerates unreachable keeps its own toleration, gets only not-ready
    own = Toleration(key=TAINT_UNREACHABLE, operator="Exists", effect=NO_EXECUTE, toleration_seconds=5)
    q = apiserver.create_pod(c, Pod(name="q", tolerations=(own,))).pod("q")
    assert q is not None and len(q.tolerations) == 2 and own in q.tolerations


def test_settings_change_the_default_tolerations() -> None:
    c = cluster(node("a"), settings=Settings(default_unreachable_toleration_seconds=30))
    p = apiserver.create_pod(c, Pod(name="p")).pod("p")
    assert p is not None
    assert {t.toleration_seconds for t in p.tolerations if t.key == TAINT_UNREACHABLE} == {30}


def test_new_node_gets_not_ready_noschedule_until_its_kubelet_reports(tmp_path: Path) -> None:
    extra = tmp_path / "new-node.yaml"
    extra.write_text("apiVersion: v1\nkind: Node\nmetadata: {name: late}\n")
    scen = workers_scenario(tmp_path, ["a"], ["30s apply new-node.yaml"], until="1m")
    sim = run(scen)
    t_added = first_event_time(sim, "Applied", "node/late")
    t_ready = first_event_time(sim, "NodeReady", "node/late")
    t_untaint = first_event_time(sim, "TaintRemoved", "node/late", "not-ready:NoSchedule")
    assert t_added == 30 and t_ready is not None and t_untaint is not None and t_untaint >= t_ready


def test_unbound_pods_are_deleted_at_once() -> None:
    c = apiserver.create_pod(cluster(node("a")), Pod(name="p"))
    assert apiserver.delete_pod(c, "p").pod("p") is None


# --- faults -------------------------------------------------------------------------------------


def test_powering_off_the_control_plane_host_stops_everything_and_forgets_memory() -> None:
    cp = node("cp", control_plane=True)
    c = run_until(cluster(cp, node("a")), 20)
    assert c.memory != ControllerMemory()
    off = faults.power_off(c, "cp")
    assert off is not None
    assert not off.apiserver_available and not off.scheduler_active and not off.controller_manager_active
    assert off.memory == ControllerMemory()
    on = faults.power_on(off, "cp")
    assert on is not None and on.apiserver_available


def test_stopping_the_apiserver_keeps_controller_memory() -> None:
    c = run_until(cluster(node("a"), node("b")), 20)
    stopped = faults.set_component(c, "apiserver", False)
    assert stopped is not None and stopped.memory == c.memory
    assert not stopped.controller_manager_active, "it cannot act without the apiserver"


def test_faults_that_change_nothing_are_not_enabled() -> None:
    c = cluster(node("a"))
    assert faults.power_on(c, "a") is None
    assert faults.set_component(c, "scheduler", True) is None
    assert faults.kill_pod(c, "nope") is None


def test_implicit_control_plane_host() -> None:
    """No node carries the control-plane label: the control plane runs on a machine of its own."""
    c = cluster(node("a"), node("b"))
    assert c.control_plane_host_up and c.apiserver_available
    off = faults.power_off(c, "a")
    assert off is not None and off.apiserver_available


@pytest.mark.parametrize(("release", "source"), [("1.28", "taint-controller"), ("1.29", "taint-eviction-controller")])
def test_taint_eviction_events_name_the_component_of_the_release(release: str, source: str) -> None:
    """Before 1.29 the NoExecuteTaintManager records as "taint-controller"
    (pkg/controller/nodelifecycle/scheduler/taint_manager.go); from 1.29 the taint eviction
    controller is its own (pkg/controller/tainteviction, KEP-3902)."""
    c = cluster(
        node("a", taints=(Taint(key="dedicated", value="x", effect=NO_EXECUTE, time_added=0),)),
        pods=(Pod(name="p", node_name="a"),),
    )
    c = attrs.evolve(c, settings=Settings(kubernetes_version=release))
    (event,) = tainteviction.step(c)[0].events
    assert (event.source, event.message) == (source, "Marking for deletion Pod default/p")


def test_publish_not_ready_addresses_through_a_manifest(tmp_path: Path) -> None:
    """A Service with spec.publishNotReadyAddresses keeps a pod on a lost node as an endpoint
    (endpoints_controller.go: tolerateUnreadyEndpoints), where a plain Service drops it."""
    scen = workers_scenario(tmp_path, ["a", "b"], ["60s stop node/b"], replicas=2, until="3m")
    text = Path(scen.path).read_text()
    extra = (
        "\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: all}\n"
        "spec: {selector: {app: web}, publishNotReadyAddresses: true}\n"
    )
    Path(scen.path).write_text(text + extra)
    sim = run(load(scen.path))
    final = sim.final
    assert final is not None
    plain, everyone = final.service("web"), final.service("all")
    assert plain is not None and everyone is not None
    lost = [p.name for p in final.pods if p.node_name == "b"]
    assert lost and not set(lost) & set(plain.endpoints) and set(lost) <= set(everyone.endpoints)
