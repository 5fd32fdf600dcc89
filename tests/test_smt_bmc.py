"""Bounded model checking of the node-health slice (kmodel.smt.bmc) against the explorer.

The explorer (breadth-first, so shortest counterexamples) and the BMC engine check the same
properties on the same Python slice model; they must agree on the verdict and on the length of
the shortest violation, and every BMC trace must be a run of the Python model.
"""

from __future__ import annotations

import attrs
import pytest

from kmodel.engines.base import HOLDS, INCONCLUSIVE, VIOLATED, Result, Trace
from kmodel.engines.explore import explore
from kmodel.properties import to_property
from kmodel.scenario import load
from kmodel.smt import bmc
from kmodel.smt.nodehealth import AS_WRITTEN, Params, Slice, SliceError, SliceModel
from tests import broken
from tests.conftest import DATA, SCENARIOS

POWER_OFF_ONE = (("powerOffNode", 1),)


def two_workers(**kw: object) -> SliceModel:
    return SliceModel(load(DATA / "props-two-workers.yaml"), faults=POWER_OFF_ONE, **kw)  # type: ignore[arg-type]


def explorer(model: SliceModel, name: str, max_depth: int | None = None) -> Result:
    prop = to_property(bmc.PROPERTIES[name].python, model.scenario.settings)
    return explore(model, prop, max_depth=max_depth)


def assert_is_a_run(model: SliceModel, trace: Trace) -> None:
    """Each step's state is a successor, with that actor and label, of the state before."""
    assert trace.steps[0].state == next(iter(model.init_states()))
    for before, after in zip(trace.steps, trace.steps[1:], strict=False):
        assert any(
            t.actor == after.actor and t.label == after.label and t.state == after.state
            for t in model.transitions(before.state)
        ), f"{after.actor}: {after.label} is not a step of the model"


def test_shortest_way_to_a_terminating_pod_is_the_explorers() -> None:
    model = two_workers()
    r = bmc.check(Slice(model), "no-pod-terminating", max_depth=30)
    assert r.verdict == VIOLATED and r.engine == "smt" and r.trace is not None
    e = explorer(model, "no-pod-terminating")
    assert e.verdict == VIOLATED and e.trace is not None
    assert len(r.trace) == len(e.trace) == r.stats.depth
    assert_is_a_run(model, r.trace)
    assert any(p.terminating for p in r.trace.last.cluster.pods)
    assert [s.actor for s in r.trace.steps].count("fault") == 1


def test_a_stopped_container_runtime_evicts_at_the_explorers_depth() -> None:
    """The runtime down: the kubelet posts Ready=False (KubeletNotReady), the node gets the
    not-ready NoExecute taint at once (no grace period: it is the kubelet's own status), and the
    pod goes when its 15 s toleration runs out; both engines find it 12 actions deep."""
    model = SliceModel(load(DATA / "props-two-workers.yaml"), faults=(("stopRuntime", 1),))
    r = bmc.check(Slice(model), "no-pod-terminating", max_depth=20)
    e = explorer(model, "no-pod-terminating")
    assert r.verdict == e.verdict == VIOLATED and r.trace is not None and e.trace is not None
    assert len(r.trace) == len(e.trace) == r.stats.depth == 12
    assert_is_a_run(model, r.trace)
    labels = [s.label for s in r.trace.steps]
    # the solver may order independent steps (a Lease renewal, the clock) either way: the runtime
    # stops first, and the kubelet's Ready=False comes after it
    assert labels[1].startswith("stop container runtime on")
    assert any("Ready True -> False" in label for label in labels[2:])


EVICTION_DEPTH = 14


def test_eviction_after_timeout_holds_to_the_depth_the_explorer_checks() -> None:
    model = two_workers()
    r = bmc.check(Slice(model), "eviction-after-timeout", max_depth=EVICTION_DEPTH)
    assert r.verdict == HOLDS and r.trace is None
    assert r.stats.depth == EVICTION_DEPTH
    assert r.message == f"holds up to depth {EVICTION_DEPTH} (bounded)"
    assert explorer(model, "eviction-after-timeout", max_depth=EVICTION_DEPTH).verdict != VIOLATED


def test_eviction_ignoring_toleration_is_found_and_replayed() -> None:
    """tests/broken.py's controller on the Python side, the encoding's matching switch on the
    Z3 side (the same taint eviction encoding, every toleration read as 0 seconds)."""
    model = two_workers(replace={"tainteviction": broken.tainteviction_ignoring_toleration})
    r = bmc.check(Slice(model, toleration_override=0), "eviction-after-timeout", max_depth=30)
    assert r.verdict == VIOLATED and r.trace is not None
    assert_is_a_run(model, r.trace)
    e = explorer(model, "eviction-after-timeout")
    assert e.verdict == VIOLATED and e.trace is not None
    assert len(r.trace) == len(e.trace)
    last = r.trace.steps[-1]
    assert last.actor == "tainteviction" and "evict" in last.label
    prop = bmc.PROPERTIES["eviction-after-timeout"].python
    assert "too early" in prop.explain(r.trace.steps[-2].state.cluster, last.state.cluster)  # type: ignore[misc]


def test_a_pod_is_evicted_from_a_node_that_just_came_back() -> None:
    """A real race, found by both engines at the same depth: the machine comes back and its
    kubelet posts Ready, but the node lifecycle controller has not yet lifted the NoExecute
    taint in this tick, so the taint eviction controller deletes the pod whose toleration just
    ran out."""
    model = two_workers()
    r = bmc.check(Slice(model), "no-eviction-from-ready-node", max_depth=40)
    e = explorer(model, "no-eviction-from-ready-node")
    assert r.verdict == e.verdict == VIOLATED and r.trace is not None and e.trace is not None
    assert len(r.trace) == len(e.trace)
    assert_is_a_run(model, r.trace)
    actors = [s.actor for s in r.trace.steps]
    assert "repair" in actors and actors[-1] == "tainteviction"


def test_a_wrong_encoding_is_reported_as_an_encoding_bug_never_as_a_trace() -> None:
    """The encoding's kubelet renewing its Lease every 5 s instead of every 10 s: Z3 finds a
    "counterexample" the Python model cannot replay."""
    model = two_workers(replace={"tainteviction": broken.tainteviction_ignoring_toleration})
    real = Params.from_settings(model.scenario.settings)
    wrong = Slice(model, params=attrs.evolve(real, lease_renew_interval=5), toleration_override=0)
    with pytest.raises(bmc.EncodingBug, match="does not replay"):
        bmc.check(wrong, "no-pod-terminating", max_depth=30)


def test_the_scenario_timeline_is_part_of_the_encoding() -> None:
    """seed-node-failure as written (power off at 60 s, no other fault) with the eviction
    controller that ignores tolerations: the first eviction follows the timeline's power-off."""
    scen = load(SCENARIOS / "seed-node-failure.yaml")
    s = attrs.evolve(scen.settings, node_monitor_grace_period=20)
    model = SliceModel(
        attrs.evolve(scen, settings=s), replace={"tainteviction": broken.tainteviction_ignoring_toleration}
    )
    r = bmc.check(Slice(model, toleration_override=0), "no-pod-terminating", max_depth=40)
    assert r.verdict == VIOLATED and r.trace is not None
    assert_is_a_run(model, r.trace)
    assert r.trace.steps[1].actor == "timeline" and r.trace.steps[1].label == "60s stop node/minikube-m03"
    e = explorer(model, "no-pod-terminating")
    assert e.trace is not None and len(e.trace) == len(r.trace)


def test_a_timeout_gives_inconclusive_with_the_depth_reached() -> None:
    seen: list[int] = []
    r = bmc.check(
        Slice(two_workers()),
        "eviction-after-timeout",
        max_depth=500,
        timeout=2.0,
        progress=lambda stats, _queue: seen.append(stats.depth),
    )
    assert r.verdict == INCONCLUSIVE
    assert seen and r.stats.depth == seen[-1] >= 5
    assert f"no violation up to depth {r.stats.depth} (bounded)" in r.message
    assert r.stats.limit == "timeout 2s"


def test_a_scenario_file_can_be_checked_directly() -> None:
    r = bmc.check(DATA / "props-one-worker.yaml", "no-pod-terminating", max_depth=8, faults=POWER_OFF_ONE)
    assert r.verdict == HOLDS and r.stats.depth == 8


def test_unknown_property_is_refused() -> None:
    with pytest.raises(SliceError, match="no-pod-terminating"):
        bmc.check(Slice(two_workers()), "no-such-property", max_depth=3)
    with pytest.raises(SliceError, match="needs the workload slice"):
        bmc.check(Slice(two_workers()), "replica-convergence", max_depth=3)


def test_symbolic_parameters_are_refused_by_the_checker() -> None:
    model = two_workers()
    params = Params.from_settings(model.scenario.settings).symbolic("monitor_grace")
    with pytest.raises(SliceError, match="monitor_grace"):
        bmc.check(Slice(model, params=params), "no-pod-terminating", max_depth=3)


@pytest.mark.parametrize("prop", ["service-has-endpoint", "replica-convergence"])
def test_the_time_budget_stops_a_check_whose_property_cannot_fail(prop: str) -> None:
    """seed-component-restart has no Service and, for a long while, no Deployment: there is no
    violation to look for at any depth, and the budget must still stop the unrolling."""
    r = bmc.check(SCENARIOS / "seed-component-restart.yaml", prop, max_depth=100_000, timeout=2)
    assert r.verdict == INCONCLUSIVE and "stopped: timeout 2s" in r.message, r.message


# --- the property encodings are the Python properties ------------------------------------------------


def _transitions(model: SliceModel, seed: int, walks: int = 3, length: int = 70) -> list[tuple[object, object]]:
    """(before, after) checker states of seeded random walks (the adversary about one step in
    four, repairs rare), every enabled transition of each visited state included."""
    import random

    rng = random.Random(seed)
    out = []
    for _ in range(walks):
        state = next(iter(model.init_states()))
        for _ in range(length):
            ts = list(model.transitions(state))
            if not ts:
                break
            out += [(state, t.state) for t in ts]
            faults = [t for t in ts if t.actor == "fault"]
            others = [t for t in ts if not t.fault] or ts
            state = rng.choice(faults if faults and rng.random() < 0.25 else others).state
    return out


SWAP_FAULTS = (("stopRuntime", 1), ("powerOffNode", 1), ("stopComponent", 1))


@pytest.mark.parametrize(
    ("name", "replace", "override"),
    [
        ("real", None, AS_WRITTEN),
        ("ignoring-toleration", broken.tainteviction_ignoring_toleration, 0),
        ("never-evicting", broken.tainteviction_never_evicting, None),
    ],
)
def test_the_property_encodings_are_the_python_properties_on_concrete_steps(
    name: str, replace: object, override: object
) -> None:
    """Each property's encoding, evaluated on the projections of a step, says what its Python
    definition says of the step, on random runs with a container runtime stopped, a worker lost
    and the controller-manager restarted (so Unknown, both NoExecute taints, the swap, kept and
    cancelled schedules and evictions all occur), for the real taint eviction controller and the
    broken ones (whose steps violate eviction-after-timeout)."""
    scen = load(DATA / "props-two-workers.yaml")
    scen = attrs.evolve(scen, settings=attrs.evolve(scen.settings, default_not_ready_toleration_seconds=30))
    model = SliceModel(scen, faults=SWAP_FAULTS, replace={"tainteviction": replace} if replace else None)  # type: ignore[dict-item]
    sl = Slice(model, toleration_override=override)  # type: ignore[arg-type]
    violated: set[str] = set()
    groups = [(sl, _transitions(model, seed=11, walks=6, length=100))]
    if name == "real":
        # the agreement test's walk that keeps a schedule across the not-ready -> unreachable swap
        from tests.test_smt_agreement import DIRECTED, case, scripted_walk

        swap = case("swap")
        walked = scripted_walk(swap.model, DIRECTED["swap"][0], until=120)
        groups.append((swap.slice, [(s, t.state) for s in walked for t in swap.model.transitions(s)]))
    for encoding, steps in groups:
        settings = encoding.model.scenario.settings
        for before, after in steps:
            b, a = encoding.project(before), encoding.project(after)  # type: ignore[arg-type]
            for prop in bmc.PROPERTIES.values():
                if prop.workload:
                    continue
                python = to_property(prop.python, settings)
                if prop.kind == "always":
                    want = python.predicate(after)  # type: ignore[misc]
                    got = prop.holds(encoding, None, a)
                else:
                    want = python.transition(before, after)  # type: ignore[misc]
                    got = prop.holds(encoding, b, a)
                assert isinstance(got, bool), (prop.name, got)
                assert got == want, (prop.name, after.cluster.now)  # type: ignore[attr-defined]
                if not want:
                    violated.add(prop.name)
    # the walks reach evictions (none with a controller that never evicts), and the broken
    # controller's early ones
    assert ("no-pod-terminating" in violated) == (name != "never-evicting")
    assert ("eviction-after-timeout" in violated) == (name == "ignoring-toleration")
