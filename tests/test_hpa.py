"""The HorizontalPodAutoscaler end to end: the shipped scenarios (simulated, with time windows
derived from the settings, and checked), kubectl apply's three-way merge of replicas, the load
model's input errors, and a broken HPA (no scale-down stabilization) that the engines catch
with no-oscillation while the correct one holds.

The Go-derived unit cases of the controller are in tests/k8s/test_horizontal.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from kmodel import loadmodel
from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.engines.simulate import simulate
from kmodel.errors import KmodelError
from kmodel.scenario import load
from kmodel.state import Cluster
from kmodel.useractions import apply_deployment
from tests import broken

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
OSCILLATION = SCENARIOS / "hpa-oscillation.yaml"
OSCILLATION_FIXED = SCENARIOS / "hpa-oscillation-fixed.yaml"
RESET = SCENARIOS / "hpa-reapply-reset.yaml"
RESET_FIXED = SCENARIOS / "hpa-reapply-reset-fixed.yaml"


def rescales(path: Path) -> list[tuple[int, int, str]]:
    """(time, new size, reason) of every SuccessfulRescale of a simulated run."""
    scen = load(path)
    run = simulate(scen)
    out = []
    for e in run.events:
        if e.reason == "SuccessfulRescale":
            size, _, reason = e.message.removeprefix("New size: ").partition("; reason: ")
            out.append((e.t, int(size), reason))
    return out


def check(path: Path, name: str, replace: dict[str, Any] | None = None, max_states: int = 100_000) -> Any:
    m = KubeModel(load(path), replace=replace)
    return explore(m, props.to_property(props.BUILTINS[name], m.scenario.settings), max_states=max_states)


# --- simulate: what each scenario's header promises ----------------------------------------------


def test_reapply_resets_replicas_until_the_next_sync() -> None:
    scen = load(RESET)
    s = scen.settings
    sync = s.horizontal_pod_autoscaler_sync_period
    apply_at = scen.timeline[0].at
    got = rescales(RESET)
    # the first sync with samples: 240m over 3 pods is 80% of the request, above 60% x 1.1
    first = got[0]
    assert first[1:] == (4, "cpu resource utilization (percentage of request) above target")
    assert first[0] <= 2 * sync + s.step  # samples come one metric window after the pods start
    # the re-apply drops replicas to the default 1; the next sync brings it back to minReplicas
    back = [r for r in got if r[2] == "Current number of replicas below Spec.MinReplicas"]
    assert len(back) == 1
    assert apply_at < back[0][0] <= apply_at + sync
    assert back[0][1] == 3
    run = simulate(scen)
    applied = [e for e in run.events if e.reason == "Applied" and e.t == apply_at]
    assert applied and applied[0].message == "deployment.apps/web configured"
    scaled_to_one = [e for e in run.events if e.reason == "ScalingReplicaSet" and e.message.endswith("to 1")]
    assert scaled_to_one and apply_at <= scaled_to_one[0].t <= apply_at + s.step


def test_reapply_without_replicas_leaves_the_hpas_count() -> None:
    scen = load(RESET_FIXED)
    run = simulate(scen)
    apply_at = scen.timeline[0].at
    applied = [e for e in run.events if e.reason == "Applied" and e.t == apply_at]
    assert applied[0].message == "deployment.apps/web unchanged"
    got = rescales(RESET_FIXED)
    # created with the default 1 replica, raised to minReplicas at the first sync, then 4 on load
    assert got[0][1:] == (3, "Current number of replicas below Spec.MinReplicas")
    assert got[0][0] < scen.settings.horizontal_pod_autoscaler_sync_period
    assert [r[1] for r in got] == [3, 4]


def test_oscillation_goes_up_down_up_within_a_minute() -> None:
    s = load(OSCILLATION).settings
    sync = s.horizontal_pod_autoscaler_sync_period
    got = rescales(OSCILLATION)
    (t1, n1, _), (t2, n2, r2), (t3, n3, _) = got[:3]
    assert n1 == 6  # 2 + 4 pods: the default scale-up policy's limit for one period
    assert (n2, r2) == (2, "All metrics below target")
    assert n3 > n2
    assert t2 == t1 + sync and t3 == t2 + sync
    # and it never settles: a scale-down in every later minute of the run
    downs = [t for t, _, reason in got if reason == "All metrics below target"]
    assert len(downs) >= 4


def test_default_stabilization_scales_down_once_after_the_window() -> None:
    s = load(OSCILLATION_FIXED).settings
    window = s.horizontal_pod_autoscaler_downscale_stabilization
    sync = s.horizontal_pod_autoscaler_sync_period
    got = rescales(OSCILLATION_FIXED)
    ups = [(t, n) for t, n, reason in got if reason != "All metrics below target"]
    downs = [(t, n) for t, n, reason in got if reason == "All metrics below target"]
    assert [n for _, n in ups] == [4, 8, 10]  # max(2 x current, 4) per sync without a behavior
    assert len(downs) == 1 and downs[0][1] == 5
    # not before the window has passed since the last scale-up, and after every up
    assert downs[0][0] >= ups[-1][0] + window
    assert downs[0][0] <= ups[-1][0] + window + 4 * sync


# --- kmodel check: the verdicts the headers promise ----------------------------------------------


def test_oscillation_violates_no_oscillation_with_a_short_trace() -> None:
    r = check(OSCILLATION, "no-oscillation")
    assert r.verdict == VIOLATED
    assert r.trace is not None
    assert r.trace.last.cluster.now <= 2 * 60
    prop = props.to_property(props.BUILTINS["no-oscillation"], load(OSCILLATION).settings)
    assert prop.explain is not None
    assert "2 turns within 300s (at most 1)" in prop.explain(r.trace.last)


def test_reapply_violates_hpa_within_bounds_at_the_apply() -> None:
    r = check(RESET, "hpa-within-bounds")
    assert r.verdict == VIOLATED
    assert r.trace is not None
    assert r.trace.steps[-1].actor == "timeline"
    assert r.trace.last.cluster.deployment("web").replicas == 1


@pytest.mark.parametrize("name", ["hpa-within-bounds", "no-oscillation"])
def test_reapply_fixed_holds(name: str) -> None:
    assert check(RESET_FIXED, name).verdict == HOLDS


@pytest.mark.thorough
def test_oscillation_fixed_holds() -> None:
    assert check(OSCILLATION_FIXED, "no-oscillation", max_states=200_000).verdict == HOLDS


# --- the broken HPA -------------------------------------------------------------------------------

BROKEN = {"horizontalpodautoscaler": broken.hpa_without_downscale_stabilization}


def test_the_explorer_finds_the_hpa_without_downscale_stabilization() -> None:
    r = check(OSCILLATION_FIXED, "no-oscillation", replace=BROKEN)
    assert r.verdict == VIOLATED, r.message
    assert r.trace is not None and r.trace.last.cluster.now <= 60


def test_hypothesis_finds_the_hpa_without_downscale_stabilization() -> None:
    m = KubeModel(load(OSCILLATION_FIXED), replace=BROKEN)
    prop = props.to_property(props.BUILTINS["no-oscillation"], m.scenario.settings)
    r = hypothesis_engine.check(m, prop, seed=0, profile="ci", max_examples=30)
    assert r.verdict == VIOLATED, r.message


def test_the_correct_hpa_holds_within_the_same_horizon() -> None:
    """The correct controller on the same scenario, explored to twice the time the broken
    one's violation appears (1m): no violation (the whole run: the thorough test above)."""
    m = KubeModel(load(OSCILLATION_FIXED), horizon=2 * 60)
    prop = props.to_property(props.BUILTINS["no-oscillation"], m.scenario.settings)
    r = explore(m, prop, max_states=60_000)
    assert r.verdict == HOLDS, r.message


# --- no-oscillation's parameters -------------------------------------------------------------------


def test_oscillations_counts_turns_within_the_window() -> None:
    up_down_up = ((0, 2), (30, 6), (45, 2), (60, 5))
    assert props.oscillations(up_down_up, 300, 1) == up_down_up
    assert props.oscillations(up_down_up, 20, 1) is None  # the three changes span 30 s
    assert props.oscillations(up_down_up, 300, 2) is None
    assert props.oscillations(((0, 2), (30, 6), (400, 3)), 300, 0) is None  # one turn, 370 s apart
    assert props.oscillations(((0, 2), (30, 6), (60, 3)), 300, 0) == ((0, 2), (30, 6), (60, 3))


def test_a_property_file_sets_window_and_reversals(tmp_path: Path) -> None:
    f = tmp_path / "osc.py"
    f.write_text(
        "from kmodel.properties import no_oscillation\n\nno_oscillation(window=20, reversals=1, name='osc-20s')\n"
    )
    (defn,) = props.load_property_file(f)
    assert defn.name == "osc-20s"
    c = load(OSCILLATION).initial_state()
    hpa = c.hpas[0]
    c = c.with_hpa(attrs.evolve(hpa, history=((0, 2), (30, 6), (45, 2), (60, 5))))
    assert defn(c)  # within 20 s there is one turn at most
    assert not props.BUILTINS["no-oscillation"](c)


def test_a_window_longer_than_the_history_is_refused() -> None:
    defn = props.no_oscillation(window=3600, name="osc-1h")
    c = load(OSCILLATION).initial_state()
    with pytest.raises(KmodelError, match="replicaHistoryWindow"):
        defn(c)


# --- kubectl apply's three-way merge of spec.replicas ------------------------------------------


def _deployment(c: Cluster, replicas: int, written: bool) -> Any:
    d = c.deployment("web")
    assert d is not None
    return attrs.evolve(d, replicas=replicas if written else 1, applied_replicas=written)


@pytest.mark.parametrize(
    ("before", "now", "want"),
    [
        (True, True, 2),  # present in the new manifest: set
        (True, False, 1),  # present before, absent now: removed, defaulted to 1
        (False, False, 7),  # absent in both: the live value (the HPA's) stays
        (False, True, 2),  # absent before, present now: set
    ],
)
def test_apply_merges_replicas_three_ways(before: bool, now: bool, want: int) -> None:
    c = load(RESET).initial_state()
    d = c.deployment("web")
    assert d is not None
    c = c.with_deployment(attrs.evolve(d, replicas=7, applied_replicas=before))  # the HPA set 7
    out, _ = apply_deployment(c, _deployment(c, 2, now))
    after = out.deployment("web")
    assert after is not None
    assert after.replicas == want
    assert after.applied_replicas == now


# --- the load model ----------------------------------------------------------------------------------


def test_total_load_is_spread_over_ready_pods() -> None:
    c = load(RESET).initial_state()
    w = c.loads[0]
    assert (w.total, w.points) == (True, ((0, loadmodel.Usage(cpu=240)),))


@pytest.mark.parametrize(
    ("load_yaml", "message"),
    [
        ("deployment/nope: {cpu: 100m}", "no Deployment named 'nope'"),
        ("job/web: {cpu: 100m}", "unknown workload"),
        ("deployment/web: {cpu: 100m, total: {cpu: 1}}", "either per-pod values"),
        ("deployment/web: {startup: {cpu: 1}}", "for is missing"),
        ("deployment/web: [{at: 5m, cpu: 1}, {at: 1m, cpu: 2}]", "times must increase"),
        ("deployment/web: {cpu: {oneOf: [1, 2, 3, 4, 5]}}", "give 1 to 4"),
        ("deployment/web: {cpu: lots}", "quantities must match"),
        ("deployment/web: {gpu: 1}", "unknown field 'gpu'"),
    ],
)
def test_bad_load_sections_are_one_line_errors(tmp_path: Path, load_yaml: str, message: str) -> None:
    text = RESET.read_text()
    text = text.replace("load:\n  deployment/web:\n    total: {cpu: 240m}\n", f"load:\n  {load_yaml}\n")
    text = text.replace("manifests/hpa-web-no-replicas.yaml", str(SCENARIOS / "manifests/hpa-web-no-replicas.yaml"))
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(KmodelError, match=message) as err:
        load(path)
    assert "\n" not in str(err.value)
    assert str(path) in str(err.value)


def test_unmodelled_hpa_fields_are_refused_by_name(tmp_path: Path) -> None:
    text = RESET.read_text().replace(
        "  metrics:\n    - type: Resource\n",
        "  metrics:\n    - type: Pods\n"
        "      pods: {metric: {name: qps}, target: {type: AverageValue, averageValue: 1}}\n"
        "    - type: Resource\n",
    )
    text = text.replace("manifests/hpa-web-no-replicas.yaml", str(SCENARIOS / "manifests/hpa-web-no-replicas.yaml"))
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(KmodelError, match=r'spec.metrics\[0\].type: "Pods" is not modelled') as err:
        load(path)
    assert "needs Pods, Object, External or ContainerResource metrics" in str(err.value)


def test_the_smt_engine_refuses_hpas() -> None:
    from kmodel.smt.nodehealth import SliceError, refuse_hpas

    c = load(RESET).initial_state()
    with pytest.raises(SliceError, match="horizontalpodautoscaler web needs the HorizontalPodAutoscaler"):
        refuse_hpas(c, [], "kmodel check --engine smt")


def test_one_of_lets_the_checker_switch_the_load(tmp_path: Path) -> None:
    """``oneOf``: simulate keeps the first value (the Deployment stays at 4); the checker may
    switch to the second at any tick, and then the HPA scales further up (600m over 4 pods is
    150% of the request against a 60% target)."""
    text = RESET_FIXED.read_text().replace("total: {cpu: 240m}", "total: {cpu: {oneOf: [240m, 600m]}}")
    text = text.replace("manifests/hpa-web-no-replicas.yaml", str(SCENARIOS / "manifests/hpa-web-no-replicas.yaml"))
    path = tmp_path / "s.yaml"
    path.write_text(text)
    scen = load(path)
    assert [u.cpu for u in scen.loads[0].choices] == [240, 600]
    assert [n for _, n, _ in rescales(path)] == [3, 4]

    @props.invariant("at-most-four")
    def at_most_four(cluster: Cluster) -> bool:
        d = cluster.deployment("web")
        return d is None or d.replicas <= 4

    m = KubeModel(scen)
    r = explore(m, props.to_property(at_most_four, scen.settings), max_states=50_000)
    assert r.verdict == VIOLATED
    assert r.trace is not None
    assert any(s.actor == "load" and "cpu=600" in s.label for s in r.trace.steps)


def test_deleting_the_hpa_leaves_the_count_and_stops_scaling(tmp_path: Path) -> None:
    """``delete horizontalpodautoscaler/web`` at 1m: the Deployment keeps the count the HPA set
    (4), and nothing rescales it after that (the re-apply at 2m5s leaves replicas alone)."""
    text = RESET_FIXED.read_text().replace("timeline:\n", "timeline:\n  - 1m delete horizontalpodautoscaler/web\n", 1)
    text = text.replace("manifests/hpa-web-no-replicas.yaml", str(SCENARIOS / "manifests/hpa-web-no-replicas.yaml"))
    path = tmp_path / "s.yaml"
    path.write_text(text)
    seen: list[Cluster] = []
    run = simulate(load(path), on_tick=seen.append)
    deleted = [e for e in run.events if e.reason == "Deleted"]
    assert deleted and deleted[0].message == 'horizontalpodautoscaler "web" deleted'
    assert all(t < 60 for t, _, _ in rescales(path))
    last = seen[-1]
    assert not last.hpas and not last.memory.hpa
    d = last.deployment("web")
    assert d is not None and d.replicas == 4


def test_the_table_shows_kubectl_get_hpa() -> None:
    """kubectl get hpa's columns in simulate's table: TARGETS is current/target per metric."""
    from kmodel.render.view import view

    seen: list[Cluster] = []
    simulate(load(RESET), until=60, on_tick=seen.append)
    (row,) = view(seen[-1])["horizontalpodautoscalers"]
    assert row == {
        "name": "web",
        "reference": "Deployment/web",
        "targets": "cpu: 60%/60%",  # 240m over 4 pods of 100m
        "minPods": 3,
        "maxPods": 8,
        "replicas": 4,
    }


def test_an_hpa_without_a_load_entry_is_named_in_every_report(tmp_path: Path) -> None:
    """Without a load entry the metrics server reports nothing for the target's pods, so the
    HPA never rescales on them (FailedComputeMetricsReplicas): kmodel says so in the scenario's
    warnings, which every report prints; the shipped HPA scenarios, which all have one, get none."""
    text = OSCILLATION.read_text()
    cut = text[text.index("load:") : text.index("---")]
    path = tmp_path / "no-load.yaml"
    path.write_text(text.replace(cut, ""))
    warnings = load(path).warnings
    assert [w for w in warnings if w.startswith("assuming no metrics for deployment/web")], warnings
    for shipped in sorted(SCENARIOS.glob("hpa-*.yaml")):
        assert not [w for w in load(shipped).warnings if w.startswith("assuming no metrics")], shipped
