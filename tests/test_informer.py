"""Informer caches that lag (kmodel/informer.py): the views, the deliveries, the safeguards, and
the stale-cache over-creation regression (kubernetes issues 21127 and 22134) on the explorer and
Hypothesis.

The Kubernetes unit tests of the expectations are translated in
tests/k8s/test_controller_expectations.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from kmodel import informer, model
from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED, Property
from kmodel.engines.explore import explore
from kmodel.engines.simulate import simulate
from kmodel.scenario import Scenario, load
from kmodel.settings import Settings, SettingsError, settings_from
from kmodel.state import Cluster, Resources
from tests.builders import manifest_scenario
from tests.conftest import SCENARIOS
from tests.k8s.conftest import mkcluster, mknode, mkpod

OVER = SCENARIOS / "stale-cache-over-creation.yaml"
FIXED = SCENARIOS / "stale-cache-over-creation-fixed.yaml"


def prop(name: str, scen: Scenario) -> Property:
    return props.to_property(props.BUILTINS[name], scen.settings)


# -- settings -----------------------------------------------------------------------------------


def test_settings_default_off_and_parsed() -> None:
    s = Settings()
    assert (s.informer_lag, s.rs_expectations, s.scheduler_assumed_pods) == (0, True, True)
    s = settings_from({"informerLag": 2, "rsExpectations": False, "schedulerAssumedPods": False})
    assert (s.informer_lag, s.rs_expectations, s.scheduler_assumed_pods) == (2, False, False)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"informerLag": -1}, "informerLag must not be negative"),
        ({"informerLag": "2s"}, "informerLag: expected a whole number"),
        ({"rsExpectations": "no"}, "rsExpectations: expected true or false"),
    ],
)
def test_bad_settings_are_refused(raw: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings_from(raw)


def test_a_bad_setting_in_a_scenario_is_one_line_naming_file_and_line(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(OVER.read_text().replace("  rsExpectations: false\n", "  rsExpectations: maybe\n"))
    r = cli("simulate", str(path))
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and f"{path}:22" in line and "rsExpectations: expected true or false" in line, line


# -- views, changes, deliveries -------------------------------------------------------------------

LAG2 = Settings(informer_lag=2)


def two_pods() -> Cluster:
    return mkcluster(mknode("n1"), pods=[mkpod("a", "n1"), mkpod("b", "n1")], settings=LAG2)


def test_off_changes_nothing() -> None:
    c = attrs.evolve(two_pods(), settings=Settings())
    after = c.without_pod("a")
    assert informer.observe(c, after) is after
    assert informer.view(after, "replicaset") is after


def test_a_view_misses_undelivered_changes_until_they_are_delivered() -> None:
    c = two_pods()
    created = c.with_pod(mkpod("c", None))
    c1 = informer.observe(c, created)
    assert [p.name for p in informer.view(c1, "replicaset").pods] == ["a", "b"]
    deleted = informer.observe(c1, c1.without_pod("a"))
    seen = informer.view(deleted, "replicaset")
    assert sorted(p.name for p in seen.pods) == ["a", "b"], "the deletion is not delivered either"
    c2 = informer.deliver(deleted, "replicaset")
    assert sorted(p.name for p in informer.view(c2, "replicaset").pods) == ["a", "b", "c"]
    c3 = informer.deliver(c2, "replicaset")
    assert sorted(p.name for p in informer.view(c3, "replicaset").pods) == ["b", "c"]
    # the scheduler's informer has its own queue, still undelivered
    assert sorted(p.name for p in informer.view(c3, "scheduler").pods) == ["a", "b"]


def test_an_update_shows_the_last_delivered_version() -> None:
    c = two_pods()
    a = c.pod("a")
    assert a is not None
    c1 = informer.observe(c, c.with_pod(attrs.evolve(a, ready=False)))
    assert informer.view(c1, "replicaset").pod("a") == a
    # changed back before delivery: nothing left to deliver
    c2 = informer.observe(c1, c1.with_pod(a))
    assert c2.informers is None


def test_beyond_the_lag_the_oldest_change_is_delivered_at_once() -> None:
    c = two_pods()
    for name in ("c", "d", "e"):
        c = informer.observe(c, c.with_pod(mkpod(name, None)))
    assert c.informers is not None
    assert [u.name for u in c.informers.queue("replicaset")] == ["d", "e"]


def test_a_change_waits_at_most_one_tick() -> None:
    c = informer.observe(two_pods(), two_pods().with_pod(mkpod("c", None)))
    assert not informer.must_deliver_first(c)
    assert informer.must_deliver_first(informer.after_tick(c))


def test_a_write_on_a_stale_view_is_taken_as_the_apiserver_would() -> None:
    """A binding of a pod the store already has bound is refused; a delete of a pod that is gone
    changes nothing; a create creates."""
    c = mkcluster(mknode("n1"), mknode("n2"), pods=[mkpod("p", None), mkpod("q", "n1")], settings=LAG2)
    p = c.pod("p")
    assert p is not None
    real = c.with_pod(attrs.evolve(p, node_name="n2")).without_pod("q")
    after = c.with_pod(attrs.evolve(p, node_name="n1")).without_pod("q").with_pod(mkpod("r", None))
    out = informer.apply_writes(real, c, after)
    assert out.pod("p").node_name == "n2"  # type: ignore[union-attr]
    assert out.pod("q") is None
    assert out.pod("r") is not None


# -- the scheduler's assumed pods --------------------------------------------------------------------


def _half_node_pods(assumed: bool) -> Cluster:
    """One node with 1000m CPU, two pending pods asking 600m each, a lagging scheduler informer."""
    settings = Settings(informer_lag=2, scheduler_assumed_pods=assumed)
    node = mknode("n1", capacity=Resources(cpu=1000, memory=4 * 1024**3, pods=110))
    pods = [
        attrs.evolve(mkpod(name, None), requests=Resources(cpu=600), created=i) for i, name in enumerate(("a", "b"))
    ]
    return mkcluster(node, pods=pods, settings=settings)


def _schedule_both(c: Cluster) -> Cluster:
    comp = next(x for x in model.CONTROLLERS if x.name == "scheduler")
    for _ in range(2):
        outs = model.component_steps(c, comp)
        assert outs
        c = informer.observe(c, outs[0].state)
    return c


def _bound(c: Cluster) -> list[str]:
    return sorted(p.name for p in c.pods if p.node_name is not None)


def test_assumed_pods_keep_a_lagging_scheduler_from_double_booking() -> None:
    """pkg/scheduler/internal/cache: the pod the scheduler bound is assumed on its node (its
    resources counted) before the informer confirms the binding, so the second pod does not fit."""
    c = _schedule_both(_half_node_pods(assumed=True))
    assert _bound(c) == ["a"]
    assert c.informers is not None and [u.name for u in c.informers.queue("scheduler")] == ["a"]


def test_without_assumed_pods_a_lagging_scheduler_double_books() -> None:
    c = _schedule_both(_half_node_pods(assumed=False))
    assert _bound(c) == ["a", "b"], "the second binding used a view without the first"
    used = sum(p.requests.cpu for p in c.pods if p.node_name == "n1")
    assert used > 1000


# -- the regression: ReplicaSet over-creation with lagging caches and no expectations ---------------


@pytest.mark.parametrize("path", [OVER, FIXED], ids=["over", "fixed"])
def test_simulate_has_no_lag(path: Path) -> None:
    """`kmodel simulate` delivers every change at once: the scale to 3 at 30s gives 3 pods, the two
    new ones created in that tick and Running by the next (the kubelet starts them a tick after
    the scheduler binds them), and never more than 3."""
    scen = load(path)
    tick = scen.settings.step
    seen: list[tuple[int, int, int]] = []
    sim = simulate(
        scen,
        on_tick=lambda c: seen.append(
            (c.now, len([p for p in c.pods if p.active]), len([p for p in c.pods if p.phase == "Running"]))
        ),
    )
    assert sim.final is not None and sim.final.informers is None
    assert all(active == 1 for t, active, _ in seen if t < 30)
    assert all(active == 3 for t, active, _ in seen if t >= 30)
    first_all_running = min(t for t, _, running in seen if running == 3)
    assert 30 <= first_all_running <= 30 + 2 * tick


def test_explorer_finds_the_over_creation_with_a_shortest_trace() -> None:
    scen = load(OVER)
    m = KubeModel(scen)
    p = prop("no-over-replication", scen)
    r = explore(m, p, max_states=20_000)
    assert r.verdict == VIOLATED and r.trace is not None, r.message
    labels = [s.label for s in r.trace.steps]
    creates = [i for i, label in enumerate(labels) if "create 2 pod(s)" in label]
    assert len(creates) == 2, labels
    # between the two creations: the clock ticked, and no delivery reached the ReplicaSet informer
    between = r.trace.steps[creates[0] + 1 : creates[1]]
    assert any(s.actor == "clock" for s in between)
    assert not any(s.actor == "informer/replicaset" for s in between)
    assert len([p for p in r.trace.last.cluster.pods if p.active]) == 5
    shorter = explore(m, p, max_states=20_000, max_depth=len(r.trace) - 1)
    assert shorter.verdict != VIOLATED


def test_explorer_holds_with_expectations_on() -> None:
    scen = load(FIXED)
    r = explore(KubeModel(scen), prop("no-over-replication", scen), max_states=50_000)
    assert r.verdict == HOLDS, r.message
    assert r.stats.states > 1000  # the lag was explored, not skipped


def test_with_no_lag_there_is_nothing_to_find(tmp_path: Path) -> None:
    text = OVER.read_text().replace("  informerLag: 2\n", "  informerLag: 0\n")
    scen = manifest_scenario(tmp_path, text)
    r = explore(KubeModel(scen), prop("no-over-replication", scen), max_states=50_000)
    assert r.verdict == HOLDS, r.message


def test_hypothesis_finds_the_over_creation() -> None:
    scen = load(OVER)
    r = hypothesis_engine.check(KubeModel(scen), prop("no-over-replication", scen), seed=0, max_examples=60)
    assert r.verdict == VIOLATED, r.message
    assert r.trace is not None
    assert len([p for p in r.trace.last.cluster.pods if p.active]) > 3


def test_hypothesis_holds_with_expectations_on() -> None:
    scen = load(FIXED)
    r = hypothesis_engine.check(KubeModel(scen), prop("no-over-replication", scen), seed=0, max_examples=30)
    assert r.verdict == HOLDS, r.message


def test_fixed_scenario_converges() -> None:
    """The expectations never keep the ReplicaSet from reaching its 3 pods (replica-convergence,
    a bounded liveness property, holds on every interleaving of the deliveries)."""
    scen = load(FIXED)
    r = explore(KubeModel(scen), prop("replica-convergence", scen), max_states=50_000)
    assert r.verdict == HOLDS, r.message


DOUBLE_BOOKING = SCENARIOS / "stale-cache-double-booking.yaml"


@pytest.mark.parametrize("assumed", [True, False], ids=["assumed-pods", "no-assumed-pods"])
def test_pods_admitted_needs_assumed_pods(tmp_path: Path, assumed: bool) -> None:
    """scenarios/stale-cache-double-booking.yaml: two pods of 600m, one node of 1 CPU, a lagging
    scheduler. With assumed pods only one is bound (the other stays Pending); without, the
    scheduler binds both and the kubelet rejects one (OutOfcpu): pods-admitted is violated."""
    text = DOUBLE_BOOKING.read_text()
    if assumed:
        text = text.replace("  schedulerAssumedPods: false\n", "  schedulerAssumedPods: true\n")
    scen = manifest_scenario(tmp_path, text)
    assert scen.settings.scheduler_assumed_pods is assumed
    # from t=0 (--from-start): the pods are scheduled while the checker explores
    r = explore(KubeModel(scen, settle=False), prop("pods-admitted", scen), max_states=50_000)
    assert r.verdict == (HOLDS if assumed else VIOLATED), r.message
    if not assumed:
        assert r.trace is not None
        actors = [s.actor for s in r.trace.steps]
        assert actors.count("scheduler") == 2
        assert "OutOfcpu" in r.trace.steps[-1].label


def test_double_booking_simulates_with_one_pod_pending() -> None:
    sim = simulate(load(DOUBLE_BOOKING))
    assert sim.final is not None
    assert sorted(p.node_name is not None for p in sim.final.pods) == [False, True]
    assert any(e.reason == "FailedScheduling" and "1 Insufficient cpu" in e.message for e in sim.events)


# -- Z3 refuses the feature ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("check", str(FIXED), "--engine", "smt", "-p", "no-over-replication"),
        ("check", str(FIXED), "--engine", "smt", "-p", "eviction-after-timeout"),
        ("prove", str(FIXED), "-p", "no-over-replication"),
        ("prove", str(FIXED), "-p", "bound-pods-stay-put"),
    ],
    ids=["smt-workload", "smt-nodehealth", "prove-workload", "prove-scheduling"],
)
def test_z3_refuses_informer_lag(cli: Any, args: tuple[str, ...]) -> None:
    r = cli(*args)
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and "informerLag 2 (informer caches that lag" in line and "not encoded in Z3" in line
