"""Timing-parameter synthesis (kmodel.smt.synth) against a brute-force sweep with the explorer.

For every point of a small grid the exhaustive explorer runs on the slice's Python model with
exactly that point's settings (the tick fixed, as synthesis fixes it) and the same depth bound;
synthesis must put the point on the same side (and, for a violating point, find a shortest
violation of the same length). The region's text, the replay of the example and the refusals
of bad input are checked too.
"""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path

import attrs
import pytest

from kmodel.engines.base import VIOLATED, Trace
from kmodel.engines.explore import explore
from kmodel.errors import EXIT_INCONCLUSIVE, EXIT_OK, EXIT_VIOLATED, KmodelError
from kmodel.properties import to_property
from kmodel.scenario import load
from kmodel.smt import synth
from kmodel.smt.nodehealth import SliceModel
from tests.conftest import DATA, SCENARIOS

TWO_WORKERS = DATA / "props-two-workers.yaml"
FLAPPING_SCENARIO = SCENARIOS / "flapping-node.yaml"
FLAPPING = "connected-node-never-unknown"
G, F, M = "nodeMonitorGracePeriod", "nodeStatusUpdateFrequency", "nodeMonitorPeriod"
L = "nodeLeaseDurationSeconds"  # read as the kubelet's Lease renew interval, L / 4


def concrete_model(
    assignment: dict[str, int], tick: int = 5, faults: tuple[tuple[str, int], ...] = (), path: Path = TWO_WORKERS
) -> SliceModel:
    scen = load(path)
    fields = {synth.SYNTH_PARAMS[name][0]: v for name, v in assignment.items()}
    settings = attrs.evolve(scen.settings, tick=tick, **fields)
    return SliceModel(attrs.evolve(scen, settings=settings), faults=faults)


def explorer_sweep(
    r: synth.SynthResult, prop: str = FLAPPING, path: Path = TWO_WORKERS
) -> dict[tuple[int, ...], int | None]:
    """Grid point -> length of the explorer's shortest violation within the depth (None: none)."""
    out: dict[tuple[int, ...], int | None] = {}
    for p in itertools.product(*[x.values() for x in r.ranges]):
        assignment = dict(zip([x.name for x in r.ranges], p, strict=True))
        model = concrete_model(assignment, r.tick, r.faults, path)
        settings = model.scenario.settings
        e = explore(model, to_property(synth.PROPERTIES[prop].python, settings), max_depth=r.max_depth)
        out[p] = len(e.trace) if e.verdict == VIOLATED and e.trace is not None else None
    return out


def assert_agrees_with_explorer(r: synth.SynthResult, prop: str = FLAPPING) -> None:
    truth = explorer_sweep(r, prop)
    found = {p: r.depths.get(p) for p in truth}
    assert found == truth
    assert len(r.safe_points) + len(r.violating_points) == len(truth)


def assert_is_a_run(model: SliceModel, trace: Trace) -> None:
    assert trace.steps[0].state == next(iter(model.init_states()))
    for before, after in itertools.pairwise(trace.steps):
        assert any(
            t.actor == after.actor and t.label == after.label and t.state == after.state
            for t in model.transitions(before.state)
        ), f"{after.actor}: {after.label} is not a step of the model"


@cache
def flapping_two_params() -> synth.SynthResult:
    """The flapping-node question at the default nodeMonitorPeriod (5s): the Lease renewed every
    5s to 20s."""
    return synth.synthesize(TWO_WORKERS, FLAPPING, {G: (5, 20), L: (20, 80)}, max_depth=8)


@cache
def flapping_three_params(depth: int) -> synth.SynthResult:
    return synth.synthesize(TWO_WORKERS, FLAPPING, {G: (10, 30), L: (40, 120), M: (5, 15)}, max_depth=depth)


# --- agreement with the explorer ------------------------------------------------------------------


def test_two_parameter_boundary_is_the_explorers_point_by_point() -> None:
    r = flapping_two_params()
    assert r.complete and r.exit_code == EXIT_OK
    assert len(r.safe_points) + len(r.violating_points) == 16
    assert_agrees_with_explorer(r)


def test_the_shipped_flapping_node_example_gives_the_readmes_boundary() -> None:
    """scenarios/flapping-node.yaml, the README's worked example, on a smaller grid: the region
    is the README's formula, and the explorer agrees at every point."""
    r = synth.synthesize(FLAPPING_SCENARIO, FLAPPING, {G: (10, 40), L: (20, 120)}, max_depth=12)
    assert r.complete and r.verified and r.template is not None
    assert r.template.text == "nodeMonitorGracePeriod >= nodeLeaseDurationSeconds / 4"
    truth = explorer_sweep(r, path=FLAPPING_SCENARIO)
    assert {p: r.depths.get(p) for p in truth} == truth


@pytest.mark.thorough  # 75 explorer runs (20 s); the sweeps of two parameters below stay in the default run
def test_three_parameter_boundary_is_the_explorers_point_by_point() -> None:
    r = flapping_three_params(12)
    assert r.complete and len(r.violating_points) == 25
    assert_agrees_with_explorer(r)


@pytest.mark.thorough  # one of the slowest default tests (10-16 s); its faster siblings stay
def test_the_region_depends_on_the_depth_bound_and_says_so() -> None:
    """At depth 8 some late violations are out of reach: fewer violating points, no formula fits,
    and the answer is the list of safe values per combination; still the explorer's."""
    r = flapping_three_params(8)
    deeper = flapping_three_params(12)
    assert set(r.depths) < set(deeper.depths)
    assert r.template is None
    assert r.region_text.startswith("no simple formula fits; the safe values per combination of the others:")
    assert f"  {L}=40s, {M}=5s: {G} in 10s..30s" in r.region_text.splitlines()
    assert f"  {L}=2m, {M}=15s: {G} in 30s" in r.region_text.splitlines()
    assert "holds up to depth 8 (bounded) for 51 of 75 combination(s)" in r.message
    assert_agrees_with_explorer(r)


# --- the region in words -----------------------------------------------------------------------------


def test_flapping_region_at_the_default_monitor_period() -> None:
    r = flapping_two_params()
    assert r.region_text == "nodeMonitorGracePeriod >= nodeLeaseDurationSeconds / 4"
    assert r.template is not None and r.template.family == "linear" and r.verified
    for p, d in r.depths.items():
        assert not r.template.holds(p) and d <= r.max_depth
    assert all(r.template.holds((a[G], a[L])) for a in r.safe_points)
    assert "nodeLeaseDurationSeconds in steps of 4 ticks" in r.message
    assert f"holds up to depth 8 (bounded) exactly where {r.region_text}\n" in r.message
    assert "tick fixed at 5s for every combination" in r.message
    assert "Z3 confirms" in r.message


def test_flapping_region_with_the_monitor_period_free() -> None:
    r = flapping_three_params(12)
    assert r.region_text == (
        "nodeMonitorGracePeriod >= (nodeLeaseDurationSeconds / 4 rounded down to a multiple of nodeMonitorPeriod)"
    )
    assert r.template is not None and r.template.family == "rounded" and r.verified
    # points are the settings' values: a Lease of 140s is renewed every 35s
    assert r.template.holds((30, 140, 15)) and not r.template.holds((25, 120, 15))


def test_the_status_update_frequency_does_not_decide_it() -> None:
    """The kubelet posts its status when it changes: nodeStatusUpdateFrequency is read by no
    action, the region does not depend on it and the formula does not mention it."""
    r = synth.synthesize(TWO_WORKERS, FLAPPING, {G: (5, 20), L: (20, 80), F: (5, 20)}, max_depth=8)
    assert r.independent == [F]
    assert r.region_text == "nodeMonitorGracePeriod >= nodeLeaseDurationSeconds / 4" and r.verified
    assert "the region does not depend on nodeStatusUpdateFrequency" in r.message
    two = flapping_two_params()
    assert {(g, lease) for g, lease, _ in r.depths} == set(two.depths)
    assert_agrees_with_explorer(r)
    alone = synth.synthesize(TWO_WORKERS, FLAPPING, {G: (10, 10), F: (5, 60)}, max_depth=8)
    assert alone.region_text == "every combination in the ranges"


def test_fit_template_prefers_simple_formulas_and_gives_up_honestly() -> None:
    ranges = [synth.ParamRange(G, 10, 30, 5), synth.ParamRange(F, 10, 30, 5)]
    grid = list(itertools.product(range(10, 35, 5), range(10, 35, 5)))
    bound = synth.fit_template([p for p in grid if p[0] >= 20], [p for p in grid if p[0] < 20], ranges, 5)
    assert bound is not None and bound.text == "nodeMonitorGracePeriod >= 20s" and bound.family == "bound"
    upper = synth.fit_template([p for p in grid if p[1] <= 15], [p for p in grid if p[1] > 15], ranges, 5)
    assert upper is not None and upper.text == "nodeStatusUpdateFrequency <= 15s"
    linear = synth.fit_template([p for p in grid if p[0] > p[1] + 5], [p for p in grid if p[0] <= p[1] + 5], ranges, 5)
    assert linear is not None and linear.text == "nodeMonitorGracePeriod >= nodeStatusUpdateFrequency + 10s"
    checker = [p for p in grid if (p[0] + p[1]) % 10 == 0]
    assert synth.fit_template(checker, [p for p in grid if p not in checker], ranges, 5) is None
    # a Lease duration is read as its quarter, the renew interval; points keep the setting
    lease = [synth.ParamRange(G, 5, 30, 5), synth.ParamRange(L, 20, 120, 20, 4)]
    grid = list(itertools.product(range(5, 35, 5), range(20, 140, 20)))
    quarter = synth.fit_template(
        [p for p in grid if p[0] >= p[1] // 4], [p for p in grid if p[0] < p[1] // 4], lease, 5
    )
    assert quarter is not None and quarter.text == "nodeMonitorGracePeriod >= nodeLeaseDurationSeconds / 4"
    assert quarter.holds((25, 100)) and not quarter.holds((20, 100))


# --- the example ------------------------------------------------------------------------------------------


def test_the_violating_example_is_outside_the_region_and_replays() -> None:
    r = flapping_two_params()
    ex = r.example
    assert ex is not None and r.template is not None
    point = (ex.assignment[G], ex.assignment[L])
    assert not r.template.holds(point)
    assert ex.assignment[G] == ex.assignment[L] // 4 - 5  # right next to the boundary
    assert len(ex.trace) == ex.depth == r.depths[point]
    model = concrete_model(ex.assignment)
    assert_is_a_run(model, ex.trace)
    last, before = ex.trace.steps[-1], ex.trace.steps[-2]
    assert last.actor == "nodelifecycle"
    assert not synth.connected_node_never_unknown(before.state.cluster, last.state.cluster)
    assert "marked Ready=Unknown" in ex.why and "kubelets run" in ex.why
    assert "violating assignment outside the region: nodeMonitorGracePeriod=" in r.message
    assert "replayed on the model with these settings" in r.message


def test_a_timed_property_with_a_fault_and_a_toleration_parameter() -> None:
    """no-pod-terminating with a worker that may be powered off: an eviction needs the grace
    period and the toleration to run out within the depth, so small values violate."""
    r = synth.synthesize(
        TWO_WORKERS,
        "no-pod-terminating",
        {"defaultUnreachableTolerationSeconds": (0, 10), G: (10, 20)},
        max_depth=12,
        faults=(("powerOffNode", 1),),
    )
    assert r.complete and r.violating_points and r.safe_points
    assert r.template is not None and r.verified
    assert_agrees_with_explorer(r, "no-pod-terminating")
    assert r.example is not None
    assert_is_a_run(concrete_model(r.example.assignment, faults=r.faults), r.example.trace)
    assert [s.actor for s in r.example.trace.steps].count("fault") == 1


# --- whole grids, exit codes, timeouts -------------------------------------------------------------------


def test_every_combination_safe_and_none_safe() -> None:
    ok = synth.synthesize(TWO_WORKERS, FLAPPING, {G: (10, 20), L: (20, 20)}, max_depth=6)
    assert ok.exit_code == EXIT_OK and not ok.violating_points and ok.example is None
    assert ok.region_text == "every combination in the ranges"
    assert "holds up to depth 6 (bounded) for every combination in the ranges" in ok.message
    bad = synth.synthesize(TWO_WORKERS, FLAPPING, {G: (5, 5), L: (80, 120)}, max_depth=8)
    assert bad.exit_code == EXIT_VIOLATED and not bad.safe_points and bad.example is not None
    assert "none is safe" in bad.message


def test_a_timeout_is_inconclusive() -> None:
    lines: list[str] = []
    r = synth.synthesize(
        TWO_WORKERS, FLAPPING, {G: (10, 30), L: (40, 120), M: (5, 15)}, max_depth=40, timeout=3.0, progress=lines.append
    )
    assert r.exit_code == EXIT_INCONCLUSIVE and not r.complete
    assert "inconclusive: stopped" in r.message
    assert all(d <= max(r.depth_done, 0) for d in r.depths.values())


def test_the_json_form() -> None:
    doc = flapping_two_params().to_json()
    assert doc["formula"] == "nodeMonitorGracePeriod >= nodeLeaseDurationSeconds / 4" and doc["verified"]
    assert doc["parameters"][1] == {"name": L, "lo": 20, "hi": 80} and doc["tick"] == 5
    assert {G: 5, L: 40, "depth": 1} in doc["violating"]
    assert doc["independentOf"] == []
    assert doc["example"]["trace"][0]["actor"] == "init"


# --- bad input ------------------------------------------------------------------------------------------------


def test_parse_param() -> None:
    assert synth.parse_param("nodeMonitorGracePeriod=10s..2m") == (G, 10, 120)
    assert synth.parse_param("nodestatusupdatefrequency = 5s .. 60") == (F, 5, 60)
    assert synth.parse_param("nodeMonitorPeriod=5s") == (M, 5, 5)
    assert synth.parse_param("nodeLeaseDurationSeconds=40..160") == (L, 40, 160)
    assert synth.parse_param("defaultUnreachableTolerationSeconds=0s..1m30s") == (
        "defaultUnreachableTolerationSeconds",
        0,
        90,
    )


@pytest.mark.parametrize(
    ("text", "message", "fix"),
    [
        ("nodeMonitorGracePeriods=10s..20s", "unknown parameter", "nodeMonitorGracePeriod"),
        ("podGCPeriod=10s..20s", "does not read it", "use one of"),
        ("tick=5s..10s", "tick stays fixed", "use one of"),
        ("nodeMonitorGracePeriod=20s..10s", "empty range 20s..10s", "nodeMonitorGracePeriod=10s..20s"),
        ("nodeMonitorGracePeriod=10x..20s", "'10x'", "nodeMonitorGracePeriod=10s..60s"),
        ("nodeMonitorGracePeriod", "is not NAME=LO..HI", "nodeMonitorGracePeriod=10s..120s"),
        ("nodeMonitorPeriod=0s..10s", "at least 1s", "start nodeMonitorPeriod"),
    ],
)
def test_bad_param_text(text: str, message: str, fix: str) -> None:
    with pytest.raises(KmodelError) as err:
        synth.parse_param(text)
    assert err.value.where == "--param" and message in err.value.message
    assert err.value.fix is not None and fix in err.value.fix


def test_bad_synthesis_input() -> None:
    with pytest.raises(KmodelError) as err:
        synth.synthesize(TWO_WORKERS, FLAPPING, {G: (10, 22)}, max_depth=4)
    assert err.value.where == "--param" and "22s is not a multiple of the tick (5s)" in err.value.message
    assert err.value.fix == "use 20s or 25s"
    with pytest.raises(KmodelError) as err:
        synth.synthesize(TWO_WORKERS, FLAPPING, {L: (40, 50)}, max_depth=4)
    assert err.value.where == "--param" and "50s is not a multiple of 4 x the tick (20s)" in err.value.message
    assert "renews its Lease every nodeLeaseDurationSeconds / 4" in err.value.message
    assert err.value.fix == "use 40s or 1m"
    with pytest.raises(KmodelError) as err:
        synth.synthesize(TWO_WORKERS, "replica-convergence", {G: (10, 20)}, max_depth=4)
    assert err.value.where == "--property" and err.value.fix is not None and FLAPPING in err.value.fix
    with pytest.raises(KmodelError) as err:
        synth.synthesize(TWO_WORKERS, FLAPPING, {G: (30, 10)}, max_depth=4)
    assert err.value.where == "--param" and "empty range" in err.value.message
    with pytest.raises(KmodelError) as err:
        synth.synthesize(TWO_WORKERS, FLAPPING, {"nodeMonitorGracePeriodX": (10, 20)}, max_depth=4)
    assert err.value.where == "--param" and "unknown parameter" in err.value.message
    with pytest.raises(KmodelError) as err:
        synth.synthesize(TWO_WORKERS, FLAPPING, {}, max_depth=4)
    assert err.value.where == "--param"
    with pytest.raises(KmodelError) as err:
        synth.synthesize(TWO_WORKERS, FLAPPING, {G: (5, 500), F: (5, 500)}, max_depth=4)
    assert err.value.where == "--param" and "more than" in err.value.message
    with pytest.raises(KmodelError) as err:
        synth.synthesize(TWO_WORKERS, FLAPPING, {G: (10, 20)}, max_depth=-1)
    assert err.value.where == "--max-depth"


# --- the README's grid ----------------------------------------------------------------------------------------


@pytest.mark.thorough
def test_readme_grid_is_the_explorers_point_by_point() -> None:
    """The worked example of the README: 828 combinations, depth 12. The explorer agrees at that
    depth, and (without a depth bound) finds no other violation: depth 12 covers this scenario."""
    r = synth.synthesize(TWO_WORKERS, FLAPPING, {G: (10, 120), L: (20, 240), M: (5, 15)}, max_depth=12)
    assert r.region_text == (
        "nodeMonitorGracePeriod >= (nodeLeaseDurationSeconds / 4 rounded down to a multiple of nodeMonitorPeriod)"
    )
    assert r.verified and len(r.violating_points) == 151
    assert_agrees_with_explorer(r)
    unbounded = attrs.evolve(r, max_depth=None)
    assert {p for p, d in explorer_sweep(unbounded).items() if d is not None} == set(r.depths)
