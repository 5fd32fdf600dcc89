"""Several properties on one unrolling (kmodel.smt.bmc.check_many) answer as each does alone.

check_many encodes the transition relation once and asks, at each depth, one query per property
still undecided; bmc.check unrolls it again for each property. Both must give the same verdict
at the same depth (the shortest violation within the slice), and every counterexample must
replay on the Python model and violate the property there (bmc.confirm checks that inside both).
"""

from __future__ import annotations

import pytest

from kmodel.checkrun import CheckOptions, run_check
from kmodel.engines.base import HOLDS, INCONCLUSIVE, VIOLATED, Result
from kmodel.properties import BUILTINS
from kmodel.scenario import load
from kmodel.smt import bmc
from kmodel.smt.nodehealth import Slice, SliceError, SliceModel
from kmodel.smt.workload import WorkloadModel, WorkloadSlice
from tests import broken
from tests.conftest import DATA, SCENARIOS

ENCODED = [name for name in bmc.PROPERTIES if name in BUILTINS]
NODE_HEALTH = [name for name, p in bmc.PROPERTIES.items() if not p.workload]


def same(many: list[Result], alone: list[Result]) -> None:
    assert [r.property for r in many] == [r.property for r in alone]
    for m, a in zip(many, alone, strict=True):
        assert (m.property, m.verdict, m.stats.depth, m.engine) == (a.property, a.verdict, a.stats.depth, a.engine)
        assert m.message == a.message
        if a.trace is not None:
            assert m.trace is not None and len(m.trace) == len(a.trace)


def compare(sl: Slice, props: list[str], depth: int) -> list[Result]:
    many = bmc.check_many(sl, props, max_depth=depth)
    same(many, [bmc.check(sl, p, max_depth=depth) for p in props])
    return many


def test_every_encoded_builtin_on_a_seed() -> None:
    scen = load(SCENARIOS / "seed-node-failure.yaml")
    sl = bmc.slice_of(bmc.python_model(scen, ENCODED))
    results = compare(sl, ENCODED, 6)
    assert {r.verdict for r in results} == {HOLDS}


def test_violations_at_different_depths() -> None:
    """tests/broken.py's taint eviction controller that ignores tolerationSeconds, with the
    encoding's matching switch, on two workers with one power-off: the eviction comes too early
    (depth 12), the pod is Terminating at once, and later a pod is evicted from a node that is
    Ready again (depth 14)."""
    model = SliceModel(
        load(DATA / "props-two-workers.yaml"),
        faults=(("powerOffNode", 1),),
        replace={"tainteviction": broken.tainteviction_ignoring_toleration},
    )
    props = ["no-pod-terminating", "no-eviction-from-ready-node", "eviction-after-timeout"]
    results = compare(Slice(model, toleration_override=0), props, 20)
    assert [(r.verdict, r.stats.depth) for r in results] == [(VIOLATED, 12), (VIOLATED, 14), (VIOLATED, 12)]


def test_a_broken_component_is_found_among_properties_that_hold() -> None:
    case_ = next(c for c in broken.CASES if c.slug == "scheduler-rebinding")
    scen = case_.load()
    model = WorkloadModel(scen, faults=case_.faults, replace=case_.replace(scen))
    sl = WorkloadSlice(model, scheduler="rebinding")
    props = ["no-over-replication", case_.property, "no-schedule-to-unready-node"]
    results = compare(sl, props, 10)  # (the rebinding shows at depth 10; the others hold to it)
    assert [(r.verdict, r.stats.depth) for r in results] == [(HOLDS, 10), (VIOLATED, 10), (HOLDS, 10)]


def test_running_out_of_pod_slots_stops_every_undecided_property() -> None:
    scen = load(DATA / "props-two-workers.yaml")
    model = WorkloadModel(scen, replace={"replicaset": broken.replicaset_one_too_many})
    model.slice_replace = {}  # settle with the real controller, so the surplus is still to come
    sl = WorkloadSlice(model, pod_slots=0, replicaset_extra=1)
    results = compare(sl, ["no-over-replication", "bound-pods-stay-put"], 10)
    assert [r.verdict for r in results] == [INCONCLUSIVE, INCONCLUSIVE]
    assert all("pod slots" in r.message for r in results)


def test_eventually_properties_get_their_own_check_in_order() -> None:
    scen = load(SCENARIOS / "seed-scaling.yaml")
    sl = bmc.slice_of(bmc.python_model(scen, ENCODED))
    props = ["replica-convergence", "no-over-replication"]
    results = compare(sl, props, 4)
    assert [r.property for r in results] == props


def test_a_timeout_stops_every_property_with_the_depth_reached() -> None:
    r1, r2 = bmc.check_many(
        bmc.slice_of(SCENARIOS / "seed-component-restart.yaml"),
        ["eviction-after-timeout", "no-pod-terminating"],
        max_depth=100_000,
        timeout=2,
    )
    for r in (r1, r2):
        assert r.verdict == INCONCLUSIVE and "timeout 2s" in r.message
        assert r.stats.depth > 0


def test_progress_counts_the_properties_searched() -> None:
    seen: list[tuple[str, int]] = []
    model = SliceModel(load(DATA / "props-two-workers.yaml"), faults=(("powerOffNode", 1),))
    bmc.check_many(
        Slice(model),
        ["no-pod-terminating", "eviction-after-timeout"],
        max_depth=3,
        progress=lambda name, stats, _q: seen.append((name, stats.depth)),
    )
    assert seen == [("2 properties", d) for d in range(4)]


def test_unknown_and_workload_properties_are_refused_on_the_wrong_slice() -> None:
    sl = Slice(SliceModel(load(DATA / "props-two-workers.yaml")))
    with pytest.raises(SliceError, match="no slice encoding"):
        bmc.check_many(sl, ["no-such-property"], max_depth=3)
    with pytest.raises(SliceError, match="needs the workload slice"):
        bmc.check_many(sl, ["no-over-replication"], max_depth=3)


def test_kmodel_check_answers_as_each_property_alone() -> None:
    """`kmodel check --engine smt` runs check_many: the invariants on one unrolling, the
    eventually property on its own, in the order the properties were asked for."""
    names = ["no-over-replication", "replica-convergence", "eviction-after-timeout", "service-has-endpoint"]
    options = CheckOptions(engine="smt", max_depth=5, faults=(("powerOffNode", 1),))
    run = run_check(DATA / "props-two-workers.yaml", names, options=options)
    assert [r.property for r in run.results] == names
    same(list(run.results), [bmc.check(run.smt_slice, name, max_depth=5) for name in names])
