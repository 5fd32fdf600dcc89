"""StatefulSets end to end: the shipped lost-node scenarios (observations with time windows from
the settings), force delete, the fencing property at-most-one-pod-per-ordinal (holds without a
force delete, violated with one on a partitioned node, and catches a broken controller with both
engines), statefulset-replicas-ready, garbage collection, topology spread's default selector,
reading manifests, and the Z3 slices' refusal."""

from __future__ import annotations

import itertools
from pathlib import Path

import attrs
import pytest

from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.components import garbagecollector, statefulset
from kmodel.components.plugins.podtopologyspread import default_spread_selector
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.errors import KmodelError
from kmodel.scenario import load
from kmodel.settings import Settings
from kmodel.smt.bmc import SliceError
from kmodel.smt.workload import WorkloadModel, WorkloadSlice
from kmodel.state import Cluster, Pod, Service
from tests import broken
from tests.conftest import DATA, SCENARIOS
from tests.simhelpers import first_time, node_rows, pod_rows, snapshot_at

S = Settings()
TICK = S.step
GRACE = S.node_monitor_grace_period
MONITOR = S.node_monitor_period
TOLERATION = S.default_unreachable_toleration_seconds
HEARTBEAT = S.node_status_update_frequency
LOST = SCENARIOS / "statefulset-lost-node.yaml"
UNATTENDED = SCENARIOS / "statefulset-lost-node-unattended.yaml"
PARTITION = DATA / "statefulset-partition.yaml"


def _endpoints(snap: dict) -> list[str]:
    return next(s["endpoints"] for s in snap["services"] if s["name"] == "web")


class TestLostNode:
    """scenarios/statefulset-lost-node.yaml: worker-3 (web-2) off at 60s, force delete at 10m."""

    OFF = 60
    FORCE = 600

    def test_observations(self, cli) -> None:
        doc = cli.simulate_json(LOST)
        snap = snapshot_at(doc, self.OFF - TICK)
        assert {p["name"]: p["node"] for p in snap["pods"]} == {
            "web-0": "worker-1",
            "web-1": "worker-2",
            "web-2": "worker-3",
        }
        assert sorted(_endpoints(snap)) == ["web-0", "web-1", "web-2"]

        t_unknown = first_time(node_rows(doc, "worker-3"), condition="Unknown")
        assert t_unknown is not None
        assert self.OFF - HEARTBEAT + GRACE < t_unknown <= self.OFF + GRACE + MONITOR + TICK
        rows = pod_rows(doc, "web-2")
        t_term = first_time(rows, status="Terminating")
        assert t_term is not None
        assert t_unknown + TOLERATION <= t_term <= t_unknown + MONITOR + TOLERATION + TICK
        for t, row in rows:
            if t_unknown <= t < t_term:
                assert row["status"] == "Running" and row["ready"] is False and row["readyContainers"] == "1/1"
            if t_term <= t < self.FORCE:
                # never replaced: the one web-2 stays Terminating on the lost node
                assert row["status"] == "Terminating" and row["node"] == "worker-3"
        for s in doc["snapshots"]:
            if t_unknown <= s["t"] < self.FORCE:
                assert sorted(_endpoints(s)) == ["web-0", "web-1"], s["t"]
                assert s["statefulsets"] == [{"name": "web", "ready": "2/3"}]
                assert [p["name"] for p in s["pods"]].count("web-2") == 1
        # the force delete removes it at once; the controller recreates it elsewhere
        after = snapshot_at(doc, self.FORCE + 3 * TICK)
        web2 = next(p for p in after["pods"] if p["name"] == "web-2")
        assert web2["status"] == "Running" and web2["node"] in ("worker-1", "worker-2")
        assert sorted(_endpoints(after)) == ["web-0", "web-1", "web-2"]
        assert after["statefulsets"] == [{"name": "web", "ready": "3/3"}]
        assert any(
            e["reason"] == "Deleted" and e["object"] == "pod/web-2" and e["t"] == self.FORCE for e in doc["events"]
        )

    def test_the_controller_events_and_status(self) -> None:
        from kmodel.engines.simulate import simulate

        sim = simulate(load(LOST))
        creates = [e for e in sim.events if e.reason == "SuccessfulCreate"]
        assert [e.message for e in creates[:3]] == [
            f"create Pod web-{i} in StatefulSet web successful" for i in range(3)
        ]
        # OrderedReady: each create waits for the previous pod to be Running and Ready
        assert creates[0].t < creates[1].t < creates[2].t
        sts = sim.final.statefulset("web")
        assert sts is not None
        assert (sts.status_replicas, sts.status_ready, sts.status_available) == (3, 3, 3)
        assert sts.current_revision == sts.update_revision != ""
        assert sts.status_current == sts.status_updated == 3

    def test_unattended_member_stays_terminating(self, cli) -> None:
        doc = cli.simulate_json(UNATTENDED)
        rows = pod_rows(doc, "web-2")
        t_term = first_time(rows, status="Terminating")
        assert t_term is not None
        assert all(row["status"] == "Terminating" for t, row in rows if t >= t_term)
        assert sorted(_endpoints(doc["snapshots"][-1])) == ["web-0", "web-1"]

    @pytest.mark.thorough
    def test_check_finds_the_member_that_stays_down(self) -> None:
        """The header's check command (~18k states, ~20 s)."""
        scen = load(UNATTENDED)
        prop = props.to_property(props.BUILTINS["statefulset-replicas-ready"], scen.settings)
        r = explore(KubeModel(scen, faults=()), prop)
        assert r.verdict == VIOLATED
        why = prop.explain(r.trace.last.cluster) if prop.explain else ""
        assert "statefulset web: 2 of 3 owed members" in why and "web-2 Terminating on worker-3" in why


# --- the fencing property --------------------------------------------------------------------------


def _fencing(scen_events: tuple[str, ...] = (), replace: dict | None = None) -> object:
    scen = load(PARTITION, list(scen_events)) if scen_events else load(PARTITION)
    prop = props.to_property(props.BUILTINS["at-most-one-pod-per-ordinal"], scen.settings)
    return explore(KubeModel(scen, faults=(), replace=replace), prop, max_states=200_000), prop


def test_fencing_holds_without_force_delete() -> None:
    """worker-2 cut off (still on): web-1 keeps running there, is evicted, stays Terminating,
    and no second web-1 starts."""
    r, _ = _fencing()
    assert r.verdict == HOLDS, r.message


def test_force_delete_on_a_partitioned_node_breaks_fencing() -> None:
    """The same with `kubectl delete pod web-1 --force` at 2m, once worker-2 shows NotReady (so
    the scheduler avoids it): the object goes, the controller creates web-1 again, it starts on
    worker-1 while the old containers run on worker-2."""
    r, prop = _fencing(("2m delete pod/web-1 --grace-period=0 --force",))
    assert r.verdict == VIOLATED
    last: Cluster = r.trace.last.cluster
    why = prop.explain(last) if prop.explain else ""
    assert "containers of web-1 run on 2 machines (worker-1, worker-2)" in why
    labels = [s.label for s in r.trace.steps]
    assert any("delete pod/web-1" in label and "--force" in label for label in labels)


def test_broken_controller_caught_by_the_explorer() -> None:
    r, prop = _fencing(replace={"statefulset": broken.statefulset_replacing_unconfirmed})
    assert r.verdict == VIOLATED
    assert "web-1" in (prop.explain(r.trace.last.cluster) if prop.explain else "")


def test_broken_controller_caught_by_hypothesis() -> None:
    scen = load(PARTITION)
    prop = props.to_property(props.BUILTINS["at-most-one-pod-per-ordinal"], scen.settings)
    bad = KubeModel(scen, faults=(), replace={"statefulset": broken.statefulset_replacing_unconfirmed})
    r = hypothesis_engine.check(bad, prop, seed=0, profile="ci", max_examples=20)
    assert r.verdict == VIOLATED, r.message
    good = hypothesis_engine.check(KubeModel(scen, faults=()), prop, seed=0, profile="ci", max_examples=5)
    assert good.verdict == HOLDS, good.message


def test_powered_off_machine_runs_nothing() -> None:
    """Force-deleting the pod of a machine that is off is safe: the property holds on the
    shipped scenario's run."""
    from kmodel.engines.simulate import simulate

    seen: list[bool] = []
    simulate(load(LOST), on_tick=lambda c: seen.append(props.at_most_one_pod_per_ordinal(c)))
    assert seen and all(seen)


# --- garbage collection, spreading, reading ----------------------------------------------------------


def _cluster_with_set() -> Cluster:
    scen = load(PARTITION)
    return attrs.evolve(scen.initial_state(), now=0)


def test_garbage_collector_deletes_pods_of_a_deleted_statefulset() -> None:
    c = _cluster_with_set()
    sts = c.statefulset("web")
    assert sts is not None
    pod = statefulset.new_pod(sts, sts.template, "web-x", 0, c.settings.kubernetes_version)
    c = c.with_pod(attrs.evolve(pod, node_name="worker-1", phase="Running"))
    assert garbagecollector.step(c) == []  # its owner exists
    gone = attrs.evolve(c, statefulsets=())
    out = garbagecollector.step(gone)
    assert len(out) == 1
    after = out[0].state.pod("web-0")
    assert after is not None and after.terminating  # graceful: its kubelet finishes it


def test_default_spread_selector_includes_the_statefulset_selector() -> None:
    c = _cluster_with_set()
    sts = c.statefulset("web")
    assert sts is not None
    pod = statefulset.new_pod(sts, sts.template, "r", 0, c.settings.kubernetes_version)
    assert str(default_spread_selector(c, pod)) == "app=web"
    alone = Pod(name="other", labels=(("app", "other"),))
    assert default_spread_selector(c, alone).empty
    c = c.with_service(Service(name="svc", selector=(("tier", "db"),)))
    both = attrs.evolve(pod, labels=(*pod.labels, ("tier", "db")))
    assert set(str(default_spread_selector(c, both)).split(",")) == {"app=web", "tier=db"}


def _write(tmp_path: Path, spec_extra: str, version: str = "1.37") -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(
        f"""apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata:
  name: s
settings:
  kubernetesVersion: "{version}"
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  replicas: 3
  serviceName: db
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
        - name: app
          image: postgres
{spec_extra}"""
    )
    return p


def test_manifest_fields_are_read(tmp_path: Path) -> None:
    extra = """  podManagementPolicy: Parallel
  minReadySeconds: 10
  revisionHistoryLimit: 3
  ordinals:
    start: 5
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      partition: 2
      maxUnavailable: 50%
  persistentVolumeClaimRetentionPolicy:
    whenDeleted: Retain
"""
    scen = load(_write(tmp_path, extra))
    sts = scen.initial_state().statefulset("db")
    assert sts is not None
    assert (sts.pod_management_policy, sts.min_ready_seconds, sts.start_ordinal) == ("Parallel", 10, 5)
    assert (sts.update_strategy, sts.partition, sts.max_unavailable) == ("RollingUpdate", 2, "50%")
    assert statefulset.resolve_max_unavailable(sts) == 1  # floor(1.5), at least 1


def test_volume_claim_templates_are_refused(tmp_path: Path) -> None:
    extra = """  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 1Gi
"""
    with pytest.raises(KmodelError, match=r"volumeClaimTemplates.*PersistentVolumeClaims"):
        load(_write(tmp_path, extra))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("  podManagementPolicy: Sometimes\n", "spec.podManagementPolicy: Invalid value"),
        (
            "  updateStrategy:\n    type: OnDelete\n    rollingUpdate:\n      partition: 1\n",
            "only allowed for updateStrategy 'RollingUpdate'",
        ),
        ("  updateStrategy:\n    rollingUpdate:\n      partition: -1\n", "must be greater than or equal to 0"),
        ("  updateStrategy:\n    rollingUpdate:\n      maxUnavailable: 0\n", "must be greater than 0"),
    ],
)
def test_the_apiserver_validation(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(KmodelError, match=message):
        load(_write(tmp_path, extra))


def test_smt_slices_refuse_statefulsets(cli) -> None:
    """The Z3 slices do not encode the StatefulSet controller: the workload slice (and the
    node-health slice under it), `kmodel check --engine smt` and `kmodel prove` refuse, naming it."""
    scen = load(PARTITION)
    with pytest.raises(SliceError, match="statefulset web needs the StatefulSet controller"):
        WorkloadSlice(WorkloadModel(scen, faults=()))
    r = cli("check", str(PARTITION), "--engine", "smt")
    assert r.exit_code == 2 and "statefulset web needs the StatefulSet controller" in r.output
    r = cli("prove", str(PARTITION), "--property", "no-schedule-to-unready-node")
    assert r.exit_code == 2 and "statefulset web needs the StatefulSet controller" in r.output


def test_timeline_force_delete_syntax(tmp_path: Path) -> None:
    from kmodel.timeline import parse_event

    for text in ("1m delete pod/web-1 --force", "1m delete pod/web-1 --grace-period=0 --force"):
        ev = parse_event(text, file="f", line=None, where="t", base_dir=tmp_path)
        assert "--force" in ev.args
    with pytest.raises(KmodelError):
        parse_event("1m delete pod/web-1 --grace-period=0", file="f", line=None, where="t", base_dir=tmp_path)
    ev = parse_event("1m scale statefulset/web 5", file="f", line=None, where="t", base_dir=tmp_path)
    assert ev.kind == "statefulset"


def test_ordered_ready_waits_for_min_ready_seconds(tmp_path: Path) -> None:
    """processReplica's isRunningAndAvailable check: with minReadySeconds 20, ordinal i+1 is
    created only once ordinal i has been ready for 20 s (at the first tick at or after it);
    before 1.23 the apiserver drops the field and the next pod follows at once."""
    from kmodel.engines.simulate import simulate

    def creates(version: str) -> list[int]:
        p = tmp_path / f"m{version}.yaml"
        p.write_text(_write(tmp_path, "  minReadySeconds: 20\n", version).read_text().replace("until: 15m", ""))
        sim = simulate(load(p), until=120)
        return [e.t for e in sim.events if e.reason == "SuccessfulCreate"]

    late = creates("1.37")
    assert len(late) == 3
    for a, b in itertools.pairwise(late):
        assert 20 <= b - a <= 20 + 2 * TICK
    early = creates("1.22")
    assert len(early) == 3 and all(b - a < 20 for a, b in itertools.pairwise(early))


def test_invariants_see_statefulsets() -> None:
    """``--invariant`` expressions can read ``statefulsets`` (name, replicas, ready, available,
    current, updated): on the unattended run web is 3/3 ready before worker-3 is lost, 2/3 at the
    end."""
    from kmodel.engines.simulate import simulate
    from kmodel.expr import compile_invariant
    from kmodel.exprview import environment

    scen = load(UNATTENDED)
    inv = compile_invariant("all(s.ready == s.replicas for s in statefulsets)")
    assert inv.evaluate(environment(simulate(scen, until=50).final)) is True
    final = simulate(scen).final
    assert inv.evaluate(environment(final)) is False
    assert "s.ready = 2, s.replicas = 3" in inv.explain(environment(final))


@pytest.mark.parametrize("policy", ["OrderedReady", "Parallel"])
def test_a_foreign_pod_holding_the_name_blocks_the_sync(policy: str) -> None:
    """A pod named web-1 that the set does not own (an orphan whose labels do not match): the
    create of web-1 fails (AlreadyExists) and the sync ends there, in either mode."""
    c = _cluster_with_set()
    sts = c.statefulset("web")
    assert sts is not None
    c = c.with_statefulset(attrs.evolve(sts, pod_management_policy=policy))
    c = c.with_pod(Pod(name="web-1", labels=(("app", "other"),)))
    out = statefulset.step(c)
    assert out
    after = out[0].state
    assert after.pod("web-1") == c.pod("web-1")
    if policy == "Parallel":
        assert after.pod("web-0") is not None  # created before the clash


def test_out_of_service_taint_frees_the_member(cli) -> None:
    """Non-graceful node shutdown, the unattended scenario's documented way out: tainting the dead
    node node.kubernetes.io/out-of-service makes pod GC force-delete web-2, and the controller
    recreates it on a healthy worker within a few ticks."""
    taint = "8m taint node/worker-3 node.kubernetes.io/out-of-service=nodeshutdown:NoExecute"
    doc = cli.simulate_json(UNATTENDED, taint)
    gc = [e for e in doc["events"] if e["reason"] == "PodGC" and e["object"] == "pod/web-2"]
    assert [e["t"] for e in gc] == [480]
    after = snapshot_at(doc, 480 + 3 * TICK)
    web2 = next(p for p in after["pods"] if p["name"] == "web-2")
    assert web2["status"] == "Running" and web2["node"] in ("worker-1", "worker-2")
