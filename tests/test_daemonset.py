"""DaemonSets end to end: read from manifests, run with the other components, checked by
daemonset-on-every-eligible-node, refused by the Z3 slices.

- scenarios/daemonset-tainted-pool.yaml: the observations its header promises, with time
  windows from the settings;
- the property holds on the correct model and the explorer finds the broken controller of
  tests/broken.py (Hypothesis finds it in tests/test_broken_hypothesis.py);
- a node without room leaves its daemon pod Pending (the scheduler places daemon pods), the
  garbage collector deletes the pods of a deleted DaemonSet, a failed daemon pod is replaced,
  and DaemonSet pods are nobody's replicas.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import attrs
import pytest

from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.components import daemonset, garbagecollector
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.engines.simulate import simulate
from kmodel.errors import KmodelError
from kmodel.scenario import Scenario, load
from kmodel.smt.nodehealth import SliceError
from kmodel.state import FAILED, Cluster
from tests import broken
from tests.conftest import SCENARIOS

POOL = SCENARIOS / "daemonset-tainted-pool.yaml"
NO_FAULTS: tuple[tuple[str, int], ...] = ()
PROP = "daemonset-on-every-eligible-node"

HEADER = """\
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata:
  name: t
until: {until}
{extra}
---
apiVersion: v1
kind: Node
metadata:
  name: worker-1
{node}
"""

DS = """\
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      containers:
        - name: agent
          image: agent:1
{resources}
"""


def _scenario(
    tmp_path: Path, *, until: str = "1m", extra: str = "", node: str = "", resources: str = "", more: str = ""
) -> Path:
    path = tmp_path / "ds.yaml"
    path.write_text(HEADER.format(until=until, extra=extra, node=node) + DS.format(resources=resources) + more)
    return path


def _pods(c: Cluster, ds: str) -> list:
    return [p for p in c.pods if p.owned_by("DaemonSet", ds)]


# --- the shipped scenario ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool() -> tuple[Scenario, object]:
    scen = load(POOL)
    return scen, simulate(scen)


def _node_of(sim: object, name: str) -> str | None:
    for e in sim.events:  # type: ignore[attr-defined]
        if e.reason == "Scheduled" and e.object == f"pod/{name}":
            return e.message.rsplit(" ", 1)[-1]
    return None


def _scheduled(sim: object, ds: str) -> dict[str, int]:
    """node -> when the first pod of ``ds`` was bound there."""
    out: dict[str, int] = {}
    for e in sim.events:  # type: ignore[attr-defined]
        if e.reason == "Scheduled" and e.object.startswith(f"pod/{ds}-"):
            out.setdefault(e.message.rsplit(" ", 1)[-1], e.t)
    return out


def test_pool_initial_placement(pool: tuple[Scenario, object]) -> None:
    """node-exporter on the two workers only; log-agent (tolerating pool=gpu) on gpu-1 too; the
    control-plane node gets neither; all Running one tick later."""
    scen, sim = pool
    assert {n for n, t in _scheduled(sim, "node-exporter").items() if t == 0} == {"worker-1", "worker-2"}
    assert {n for n, t in _scheduled(sim, "log-agent").items() if t == 0} == {"worker-1", "worker-2", "gpu-1"}
    started = [e for e in sim.events if e.reason == "Started" and e.t <= scen.settings.step]  # type: ignore[attr-defined]
    assert len(started) == 5
    assert "control-plane" not in _scheduled(sim, "node-exporter") | _scheduled(sim, "log-agent")


def test_pool_node_joins(pool: tuple[Scenario, object]) -> None:
    """worker-3 applied at 60s gets a pod of each DaemonSet, bound within nodeMonitorPeriod + 4
    ticks of the join (kubelet posts Ready, the not-ready taint is lifted, the controller
    creates, the scheduler binds)."""
    scen, sim = pool
    s = scen.settings
    window = 60 + s.node_monitor_period + 4 * s.step
    for ds in ("node-exporter", "log-agent"):
        t = _scheduled(sim, ds).get("worker-3")
        assert t is not None and 60 <= t <= window, (ds, t)


def test_pool_taint_removed(pool: tuple[Scenario, object]) -> None:
    """The pool=gpu taint lifted at 120s: node-exporter lands on gpu-1 within two ticks; before,
    never."""
    scen, sim = pool
    t = _scheduled(sim, "node-exporter").get("gpu-1")
    assert t is not None and 120 <= t <= 120 + 2 * scen.settings.step


def test_pool_node_failure_keeps_daemon_pods(pool: tuple[Scenario, object]) -> None:
    """worker-1 powered off at 180s: NotReady within nodeMonitorGracePeriod + a period, its
    daemon pods never evicted (they tolerate unreachable:NoExecute forever) nor replaced;
    desiredNumberScheduled drops from 4 to 3 and numberMisscheduled is 1 for both."""
    scen, sim = pool
    s = scen.settings
    not_ready = [e.t for e in sim.events if e.reason == "NodeNotReady" and e.object == "node/worker-1"]  # type: ignore[attr-defined]
    assert not_ready and 180 < not_ready[0] <= 180 + s.node_monitor_grace_period + s.node_monitor_period
    assert not [e for e in sim.events if e.reason == "TaintManagerEviction"]  # type: ignore[attr-defined]
    final: Cluster = sim.final  # type: ignore[attr-defined]
    assert final.now >= 180 + s.node_monitor_grace_period + s.default_unreachable_toleration_seconds
    for name in ("node-exporter", "log-agent"):
        on_w1 = [p for p in _pods(final, name) if p.node_name == "worker-1"]
        assert len(on_w1) == 1 and not on_w1[0].terminating
        ds = final.daemonset(name)
        # the unreachable:NoSchedule taint: no longer a node that should run a pod (shouldRun),
        # but one whose pod may continue (the NoExecute taint is tolerated): not desired, and
        # its pod counted as misscheduled, not deleted
        assert ds is not None and (ds.status_desired, ds.status_misscheduled) == (3, 1)
    assert len(_pods(final, "node-exporter")) == 4  # worker-1, worker-2, worker-3, gpu-1
    assert len(_pods(final, "log-agent")) == 4


def test_pool_status(pool: tuple[Scenario, object]) -> None:
    """Before the failure every pod is Ready: numberReady = numberAvailable = updated = desired."""
    scen = pool[0]
    sim = simulate(scen, until=170)
    for ds in sim.final.daemonsets:  # type: ignore[union-attr]
        want = 4
        assert (ds.status_desired, ds.status_current, ds.status_ready, ds.status_available, ds.status_updated) == (
            want,
            want,
            want,
            want,
            want,
        )


# --- the property and the broken controller ------------------------------------------------------


def _case() -> broken.BrokenCase:
    return next(c for c in broken.CASES if c.property == PROP)


def test_property_holds_on_the_correct_model() -> None:
    case = _case()
    scen = case.load()
    r = explore(
        case.model(scen, broken=False), props.to_property(props.BUILTINS[PROP], scen.settings), max_states=20_000
    )
    assert r.verdict == HOLDS, r.message


def test_explorer_finds_the_controller_without_daemon_tolerations() -> None:
    """The cordoned worker never gets its pod: a shortest counterexample, explained."""
    case = _case()
    scen = case.load()
    prop = props.to_property(props.BUILTINS[PROP], scen.settings)
    r = explore(case.model(scen), prop, max_states=20_000)
    assert r.verdict == VIOLATED and r.trace is not None
    assert prop.explain is not None
    assert "logs/worker-2" in prop.explain(r.trace.last.cluster)


def test_property_bound_from_settings() -> None:
    s = load(POOL).settings
    assert props.daemonset_bound(s) == s.node_monitor_period + 10 * s.step
    assert props.to_property(props.BUILTINS[PROP], s).bound == props.daemonset_bound(s)


def test_property_left_out_without_daemonsets() -> None:
    from kmodel.checkrun import choose_properties

    names = [p.name for p in choose_properties(load(SCENARIOS / "seed-scaling.yaml"))]
    assert PROP not in names and "replica-convergence" in names
    assert PROP in [p.name for p in choose_properties(load(POOL))]


# --- scheduling, garbage collection, failed pods, other owners ---------------------------------------


def test_node_without_room_leaves_the_daemon_pod_pending(tmp_path: Path) -> None:
    """daemon_controller_test.go TestInsufficientCapacityNodeDaemonDoesNotUnscheduleRunningPod, end
    to end: the controller creates the pod whatever the room; the scheduler cannot place it (its
    affinity pins it to the full node) and it stays Pending with FailedScheduling."""
    node = 'status:\n  allocatable:\n    cpu: 500m\n    memory: 1Gi\n    pods: "110"'
    resources = "          resources:\n            requests:\n              cpu: 600m"
    sim = simulate(load(_scenario(tmp_path, node=node, resources=resources)))
    final: Cluster = sim.final  # type: ignore[assignment]
    (pod,) = _pods(final, "agent")
    assert pod.node_name is None and pod.phase == "Pending"
    failed = [e for e in sim.events if e.reason == "FailedScheduling" and e.object == f"pod/{pod.name}"]
    assert failed and "Insufficient cpu" in failed[0].message
    ds = final.daemonset("agent")
    assert ds is not None and (ds.status_desired, ds.status_current, ds.status_ready) == (1, 1, 0)


def test_garbage_collector_deletes_pods_of_a_deleted_daemonset(tmp_path: Path) -> None:
    """``delete daemonset/agent`` at 20s: the garbage collector deletes its pod (background
    cascading deletion) and nothing recreates it."""
    sim = simulate(load(_scenario(tmp_path, until="1m", extra="timeline:\n  - 20s delete daemonset/agent")))
    final: Cluster = sim.final  # type: ignore[assignment]
    assert final.daemonsets == () and _pods(final, "agent") == []
    deleted = [t for t, actor, label in sim.steps if actor == "garbagecollector" and "owner gone" in label]
    assert deleted and 20 <= deleted[0] <= 20 + final.settings.step
    c = simulate(load(_scenario(tmp_path)), until=20).final
    assert c is not None
    outs = garbagecollector.step(attrs.evolve(c, daemonsets=()))
    assert outs and all(p.terminating for p in _pods(outs[0].state, "agent"))


def test_failed_daemon_pod_is_deleted_and_replaced(tmp_path: Path) -> None:
    """A daemon pod that fails is deleted (FailedDaemonPod) and a new one created on its node at
    the next sync (backoff 1 s, shorter than a tick)."""
    scen = load(_scenario(tmp_path))
    c = simulate(scen, until=10).final
    assert c is not None
    (pod,) = _pods(c, "agent")
    c = c.with_pod(attrs.evolve(pod, phase=FAILED, ready=False))
    outs = daemonset.step(c)
    assert [e.reason for e in outs[0].events] == ["FailedDaemonPod", "SuccessfulDelete"]
    c = outs[0].state
    assert c.pod(pod.name) is None
    c2 = attrs.evolve(c, now=c.now + c.settings.step)
    outs = daemonset.step(c2)
    assert [e.reason for e in outs[0].events] == ["SuccessfulCreate"]


def test_daemon_pods_are_not_replicas(tmp_path: Path) -> None:
    """A Deployment selecting the same labels as a DaemonSet neither adopts nor counts its
    pods (they have a controller), and no-over-replication holds."""
    deployment = textwrap.dedent(
        """\
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: agent-deploy
        spec:
          replicas: 1
          selector:
            matchLabels:
              app: agent
          template:
            metadata:
              labels:
                app: agent
            spec:
              containers:
                - name: agent
                  image: agent:1
        """
    )
    scen = load(_scenario(tmp_path, more=deployment))
    final = simulate(scen, until=30).final
    assert final is not None
    assert len(_pods(final, "agent")) == 1
    assert len([p for p in final.pods if p.replicaset_owner is not None]) == 1
    prop = props.to_property(props.BUILTINS["no-over-replication"], scen.settings)
    assert explore(KubeModel(scen, faults=NO_FAULTS), prop, max_states=5_000).verdict == HOLDS


# --- manifests -----------------------------------------------------------------------------------


def test_manifest_strategy_fields(tmp_path: Path) -> None:
    more = ""
    path = _scenario(tmp_path, more=more)
    text = path.read_text().replace(
        "  template:\n    metadata:\n      labels:\n        app: agent",
        "  minReadySeconds: 10\n  revisionHistoryLimit: 3\n  updateStrategy:\n    type: RollingUpdate\n"
        "    rollingUpdate:\n      maxUnavailable: 0\n      maxSurge: 25%\n"
        "  template:\n    metadata:\n      labels:\n        app: agent",
        1,
    )
    path.write_text(text)
    ds = load(path).initial_state().daemonset("agent")
    assert ds is not None
    assert (ds.strategy, ds.max_unavailable, ds.max_surge, ds.min_ready_seconds) == ("RollingUpdate", "0", "25%", 10)


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (
            "    rollingUpdate:\n      maxUnavailable: 1\n      maxSurge: 1",
            "may not be set when maxUnavailable is non-zero",
        ),
        ("    rollingUpdate:\n      maxUnavailable: 0", "cannot be 0 when maxSurge is 0"),
        ("    type: Recreate", 'Unsupported value: "Recreate"'),
    ],
    ids=["surge and unavailable", "neither", "Recreate"],
)
def test_manifest_invalid_strategy_refused(tmp_path: Path, strategy: str, message: str) -> None:
    """ValidateDaemonSetUpdateStrategy / ValidateRollingUpdateDaemonSet (pkg/apis/apps/validation)."""
    path = _scenario(tmp_path)
    path.write_text(path.read_text().replace("  template:\n", f"  updateStrategy:\n{strategy}\n  template:\n", 1))
    with pytest.raises(KmodelError, match=message):
        load(path)


def test_smt_slices_refuse_daemonsets(tmp_path: Path) -> None:
    """The Z3 slices do not encode the DaemonSet controller: they refuse, naming it."""
    from kmodel.smt.nodehealth import refuse_scheduling_features
    from kmodel.smt.scheduling import check_scenario

    scen = load(_scenario(tmp_path))
    with pytest.raises(SliceError, match="daemonset agent: the Z3 encoding does not cover DaemonSets"):
        refuse_scheduling_features(scen.initial_state(), "kmodel.smt test")
    with pytest.raises(KmodelError, match="does not encode DaemonSets"):
        check_scenario(scen)


def test_smt_check_cli_refuses(tmp_path: Path) -> None:
    from kmodel.checkrun import CheckOptions, prepare

    path = _scenario(tmp_path)
    with pytest.raises(KmodelError, match="DaemonSets"):
        prepare(str(path), options=CheckOptions(engine="smt"))


def test_hypothesis_holds_on_the_correct_model() -> None:
    """The runs that catch the broken controller (tests/test_broken_hypothesis.py) find nothing
    with the real one."""
    from kmodel.engines import hypothesis_engine

    case = _case()
    scen = case.load()
    prop = props.to_property(props.BUILTINS[PROP], scen.settings)
    r = hypothesis_engine.check(case.model(scen, broken=False), prop, seed=0, profile="ci", max_examples=30)
    assert r.verdict == HOLDS, r.message


def test_rolling_update_applied_mid_run(tmp_path: Path) -> None:
    """A new image applied at 30s to a DaemonSet on two workers (RollingUpdate, maxUnavailable 1):
    one old pod at a time is deleted and replaced, never both nodes without an available pod,
    and both run the new revision within 2 x 4 ticks of the apply (delete, Terminating pod gone,
    create and bind, Running); daemonset-on-every-eligible-node holds on the way."""
    workers = "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: worker-2\n"
    path = _scenario(tmp_path, until="3m", extra="timeline:\n  - 30s apply v2.yaml", more=workers)
    v2 = DS.format(resources="").replace("image: agent:1", "image: agent:2").removeprefix("---\n")
    (tmp_path / "v2.yaml").write_text(v2)
    scen = load(path)
    s = scen.settings
    worst_gaps = 0

    def watch(c: Cluster) -> None:
        nonlocal worst_gaps
        if c.now < 30:
            return  # the pods come up first
        ready = {p.node_name for p in _pods(c, "agent") if p.ready and not p.terminating}
        worst_gaps = max(worst_gaps, len({n.name for n in c.nodes} - ready))

    sim = simulate(scen, on_tick=watch)
    final: Cluster = sim.final  # type: ignore[assignment]
    ds = final.daemonset("agent")
    assert ds is not None and ds.status_updated == 2 and ds.status_available == 2
    new_hash = daemonset.revision_hash(ds)
    assert all(daemonset.is_updated(p, new_hash) for p in _pods(final, "agent"))
    assert worst_gaps == 1
    deletes = [e.t for e in sim.events if e.reason == "SuccessfulDelete"]  # type: ignore[attr-defined]
    assert len(deletes) == 2 and deletes[0] >= 30
    assert deletes[-1] <= 30 + 2 * 4 * s.step
    prop = props.to_property(props.BUILTINS[PROP], s)
    assert explore(KubeModel(scen, faults=NO_FAULTS), prop, max_states=20_000).verdict == HOLDS


def test_bound_against_the_measured_worst_case() -> None:
    """A daemon pod deleted at any moment on a one-worker cluster: the property holds with the
    bound of the settings and with two ticks, and fails with one tick (the deletion, the
    Terminating pod gone and the new pod created, bound and started take more than a tick), so
    the bound is generous but the property is not vacuous."""
    scen = load(broken.DATA / "ds-one-worker.yaml")
    prop = props.to_property(props.BUILTINS[PROP], scen.settings)
    faults = (("deletePod", 1),)
    assert explore(KubeModel(scen, faults=faults), prop, max_states=30_000).verdict == HOLDS
    tight = attrs.evolve(prop, bound=2 * scen.settings.step)
    assert explore(KubeModel(scen, faults=faults), tight, max_states=30_000).verdict == HOLDS
    tighter = attrs.evolve(prop, bound=scen.settings.step)
    assert explore(KubeModel(scen, faults=faults), tighter, max_states=30_000).verdict == VIOLATED
