"""The seeds' walkthroughs, end to end through `kmodel simulate --output json`.

Times are checked against windows derived from the settings, not against the model's exact
numbers: e.g. a dead node turns Unknown after grace and no later than grace + one monitor period
+ one tick after its last heartbeat.
"""

from __future__ import annotations

import attrs

from kmodel.engines.simulate import simulate
from kmodel.scenario import load
from kmodel.settings import Settings
from kmodel.timeline import parse_event
from tests.conftest import DATA, SCENARIOS
from tests.simhelpers import events, first_time, node_rows, pod_rows, pods_on, snapshot_at

S = Settings()
TICK = S.step
GRACE = S.node_monitor_grace_period
MONITOR = S.node_monitor_period
TOLERATION = S.default_unreachable_toleration_seconds
HEARTBEAT = S.node_status_update_frequency


def _initial_pods(doc: dict) -> dict[str, str]:
    """pod name -> node, once the scenario's Deployment is up."""
    snap = snapshot_at(doc, 30)
    return {p["name"]: p["node"] for p in snap["pods"]}


class TestNodeFailure:
    """Seed 000 ch. 7: power off minikube-m03 at 60s."""

    OFF = 60

    def test_observations(self, cli) -> None:
        doc = cli.simulate_json(SCENARIOS / "seed-node-failure.yaml")
        pods = _initial_pods(doc)
        assert sorted(pods.values()) == ["minikube-m02", "minikube-m03"], "one pod per worker"
        victim = next(n for n, node in pods.items() if node == "minikube-m03")
        survivor = next(n for n, node in pods.items() if node == "minikube-m02")

        # Unknown / NotReady between grace and grace + monitor period + tick after the last heartbeat
        last_heartbeat_earliest = self.OFF - HEARTBEAT
        t_unknown = first_time(node_rows(doc, "minikube-m03"), condition="Unknown")
        assert t_unknown is not None
        assert last_heartbeat_earliest + GRACE < t_unknown <= self.OFF + GRACE + MONITOR + TICK
        assert first_time(node_rows(doc, "minikube-m03"), status="NotReady") == t_unknown
        snap = snapshot_at(doc, t_unknown + MONITOR)
        m03 = next(n for n in snap["nodes"] if n["name"] == "minikube-m03")
        assert "node.kubernetes.io/unreachable:NoSchedule" in m03["taints"]
        assert "node.kubernetes.io/unreachable:NoExecute" in m03["taints"]

        # the pod still shows Running (not ready) until the toleration runs out ...
        rows = pod_rows(doc, victim)
        t_term = first_time(rows, status="Terminating")
        assert t_term is not None
        assert t_unknown + TOLERATION <= t_term <= t_unknown + MONITOR + TOLERATION + TICK
        for t, row in rows:
            if self.OFF <= t < t_term:
                assert row["status"] == "Running"
            if t_unknown <= t < t_term:
                # the Ready condition is False (no endpoint), but kubectl still shows 1/1 Running
                assert row["ready"] is False
                assert row["readyContainers"] == "1/1"
        # ... then a replacement runs on minikube-m02
        snap = snapshot_at(doc, t_term + 3 * TICK)
        running_m02 = [p for p in pods_on(snap, "minikube-m02") if p["status"] == "Running"]
        assert len(running_m02) == 2
        assert survivor in {p["name"] for p in running_m02}
        assert events(doc, reason="TaintManagerEviction", object=f"pod/{victim}")

        # the Service keeps at least one endpoint throughout (once the pods first came up)
        for snap in doc["snapshots"]:
            if snap["t"] >= 2 * TICK:
                assert snap["services"][0]["endpoints"], f"no endpoint at t={snap['t']}"

        # the Terminating pod stays until the node comes back (12m), then its kubelet removes it
        assert all(row["status"] == "Terminating" for t, row in rows if t_term <= t < 720)
        assert victim not in {p["name"] for p in snapshot_at(doc, 720 + TICK)["pods"]}

    def test_legacy_pod_eviction_timeout(self) -> None:
        """With the removed --pod-eviction-timeout, pods go ~5 minutes after NotReady, and no
        NoExecute taint is used."""
        scen = load(SCENARIOS / "seed-node-failure.yaml")
        scen = attrs.evolve(
            scen, settings=attrs.evolve(scen.settings, eviction_mode="legacy", kubernetes_version="1.26")
        )
        sim = simulate(scen)
        evictions = [e for e in sim.events if e.reason == "NodeControllerEviction"]
        unknown = next(e.t for e in sim.events if e.reason == "NodeNotReady" and e.object.startswith("node/"))
        assert len(evictions) == 1
        assert unknown + 300 < evictions[0].t <= unknown + 300 + MONITOR + TICK
        assert not any("NoExecute" in e.message for e in sim.events if e.reason == "TaintAdded")


class TestControlPlaneDown:
    """Seed 000 ch. 7: the control-plane machine is off from 60s to 4m."""

    def test_observations(self, cli) -> None:
        doc = cli.simulate_json(SCENARIOS / "seed-control-plane-down.yaml")
        pods = _initial_pods(doc)
        down = [s for s in doc["snapshots"] if 60 <= s["t"] < 240]
        assert down, "there are snapshots while the control plane is down"
        for snap in down:
            assert {p["name"] for p in snap["pods"]} == set(pods)
            assert all(p["status"] == "Running" and p["ready"] for p in snap["pods"])
            assert len(snap["services"][0]["endpoints"]) == 2
            assert snap["deployments"][0]["ready"] == "2/2"
        # kubectl is refused, and the refused scale/delete never take effect
        refused = events(doc, reason="Refused")
        assert [e["t"] for e in refused] == [90, 100]
        assert all("was refused" in e["message"] for e in refused)
        assert all(s["deployments"][0]["ready"].endswith("/2") for s in doc["snapshots"] if s["t"] < 300)
        # nothing is created or scheduled while it is down
        busy = [e for e in doc["events"] if 60 <= e["t"] < 240 and e["reason"] in ("Scheduled", "SuccessfulCreate")]
        assert busy == []
        # no worker is ever marked NotReady: the restarted controller gives them a fresh grace period
        for name in ("minikube-m02", "minikube-m03"):
            assert all(row["status"] == "Ready" for _, row in node_rows(doc, name))
        assert not events(doc, reason="TaintManagerEviction")
        # after the restart, scaling works
        final = doc["snapshots"][-1]
        assert final["deployments"][0]["ready"] == "3/3"
        assert len([p for p in final["pods"] if p["status"] == "Running"]) == 3


class TestNoWorkers:
    """Seed 000 ch. 7: both workers off, scale to 5, workers back; no rebalancing."""

    # the default kubernetesVersion (1.37) hides the taints' keys and values (kubernetes PR 134740)
    MESSAGE = (
        "0/3 nodes are available: 3 node(s) had untolerated taint(s). no new claims to deallocate, "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )

    def test_observations(self, cli) -> None:
        doc = cli.simulate_json(SCENARIOS / "seed-no-workers.yaml")
        # scaled to 5 at 9m while no worker is Ready: three new pods Pending, with the message
        snap = snapshot_at(doc, 10 * 60)
        pending = [p for p in snap["pods"] if p["status"] == "Pending"]
        assert len(pending) == 3 and all(p["node"] is None for p in pending)
        failed = events(doc, reason="FailedScheduling")
        assert {e["object"] for e in failed} == {f"pod/{p['name']}" for p in pending}
        assert {e["message"] for e in failed} == {self.MESSAGE}
        # workers back (m02 at 11m first): all five Running, all on minikube-m02
        final = doc["snapshots"][-1]
        running = [p for p in final["pods"] if p["status"] == "Running"]
        assert len(running) == 5 and final["deployments"][0]["ready"] == "5/5"
        assert {p["node"] for p in running} == {"minikube-m02"}
        assert pods_on(final, "minikube-m03") == []
        # a bound pod never changes node
        bound: dict[str, str] = {}
        for s in doc["snapshots"]:
            for p in s["pods"]:
                if p["node"]:
                    assert bound.setdefault(p["name"], p["node"]) == p["node"]

    def test_split_depends_on_which_worker_is_ready_first(self) -> None:
        scen = load(SCENARIOS / "seed-no-workers.yaml")
        base = SCENARIOS
        timeline = tuple(
            parse_event(text, file="test", line=None, where="t", base_dir=base)
            for text in (
                "60s stop node/minikube-m03",
                "8m stop node/minikube-m02",
                "9m scale deployment/hello-world 5",
                "11m start node/minikube-m03",  # m03 first this time
                "12m start node/minikube-m02",
            )
        )
        sim = simulate(attrs.evolve(scen, timeline=timeline))
        final = sim.final
        assert final is not None
        split = {
            n: sum(1 for p in final.pods if p.node_name == n and p.phase == "Running" and not p.terminating)
            for n in ("minikube-m02", "minikube-m03")
        }
        # the two pods already bound to m02 stay there; the three pending ones go to m03
        assert split == {"minikube-m02": 2, "minikube-m03": 3}


class TestComponentRestart:
    """Seed 003 exercise 2.05, single node, v1.16 settings."""

    def test_observations(self, cli) -> None:
        doc = cli.simulate_json(SCENARIOS / "seed-component-restart.yaml")
        refused = events(doc, reason="Refused")
        assert [e["t"] for e in refused] == [90]
        assert events(doc, reason="Applied", t=130)
        # apiserver up, nothing else: node NotReady, Deployment 0/1 with 0 up-to-date, no pods
        snap = snapshot_at(doc, 170)
        assert snap["nodes"][0]["status"] == "NotReady"
        assert snap["deployments"] == [{"name": "k8s-for-beginners", "ready": "0/1", "upToDate": 0, "available": 0}]
        assert snap["pods"] == []
        # controller-manager up: one pod, Pending, no node
        snap = snapshot_at(doc, 230)
        assert len(snap["pods"]) == 1
        assert snap["pods"][0]["status"] == "Pending" and snap["pods"][0]["node"] is None
        assert snap["deployments"][0]["upToDate"] == 1
        # scheduler up: FailedScheduling with the old message
        failed = events(doc, reason="FailedScheduling")
        assert failed and failed[0]["t"] == 240
        assert failed[0]["message"] == "0/1 nodes are available: 1 node(s) had taints that the pod didn't tolerate."
        assert snapshot_at(doc, 290)["pods"][0]["node"] is None
        # kubelet up: node Ready, pod Running on minikube, Deployment 1/1
        final = doc["snapshots"][-1]
        assert final["nodes"][0]["status"] == "Ready"
        assert final["pods"][0]["status"] == "Running" and final["pods"][0]["node"] == "minikube"
        assert final["deployments"][0]["ready"] == "1/1"

    def test_single_node_cluster_is_never_evicted(self, cli) -> None:
        """One zone with every node down is FullDisruption: no NoExecute taint, no eviction."""
        doc = cli.simulate_json(SCENARIOS / "seed-component-restart.yaml")
        taints = [t for s in doc["snapshots"] for n in s["nodes"] for t in n["taints"]]
        assert not any(t.endswith(":NoExecute") for t in taints)


class TestScaling:
    """Seed 003 exercise 2.04: 3 -> 5 -> 2, then delete a pod."""

    def test_observations(self, cli) -> None:
        doc = cli.simulate_json(SCENARIOS / "seed-scaling.yaml")
        original = set(_initial_pods(doc))
        assert len(original) == 3
        at5 = snapshot_at(doc, 15 * 60 + 30)
        names5 = {p["name"] for p in at5["pods"]}
        assert len(names5) == 5 and original <= names5, "the three pods are kept, two are added"
        at2 = snapshot_at(doc, 17 * 60 + 30)
        survivors = {p["name"] for p in at2["pods"]}
        assert len(survivors) == 2 and survivors <= original, "the newest go first"
        deleted = "k8s-for-beginners-w8xnm4ctx4-95gkq"
        assert deleted in survivors
        # deleting one: Terminating, and a replacement at once
        t_del = 19 * 60
        rows = pod_rows(doc, deleted)
        assert first_time(rows, status="Terminating") == t_del
        at_del = snapshot_at(doc, t_del)
        assert len([p for p in at_del["pods"] if p["status"] != "Terminating"]) == 2
        final = doc["snapshots"][-1]
        names = {p["name"] for p in final["pods"]}
        assert len(names) == 2 and deleted not in names
        assert all(p["status"] == "Running" for p in final["pods"])
        assert final["deployments"][0]["ready"] == "2/2"


def test_killing_a_pod_sandbox_makes_the_kubelet_recreate_it(cli) -> None:
    """Seed 000 ch. 6: kill the pause container; the kubelet recreates the pod, restarts + 1."""
    doc = cli.simulate_json(SCENARIOS / "seed-node-failure.yaml", "30s kill pod/hello-world-*", until="1m")
    final = doc["snapshots"][-1]
    assert [p["restarts"] for p in final["pods"]] == [1, 1]
    assert all(p["status"] == "Running" and p["ready"] for p in final["pods"])
    assert len(events(doc, reason="SandboxChanged")) == 2


def test_service_selects_pods_by_label_including_later_ones(cli) -> None:
    doc = cli.simulate_json(DATA / "service-selects-later-pods.yaml")
    early = snapshot_at(doc, 20)
    assert early["services"][0]["endpoints"] == ["web-1"]  # "other" has a different label
    final = doc["snapshots"][-1]
    assert final["services"][0]["endpoints"] == ["web-1", "web-2"]
