"""The mutation suite (benchmarks/mutants.py): its catalogue is well formed, a few mutants are
killed by the explorer with small limits by the property they were written for while the correct
components pass the same check, and (thorough) the whole table: every mutant killed by at least
one engine or carrying a note saying why it survives."""

from __future__ import annotations

import pytest

from benchmarks import mutants
from kmodel import properties as props
from kmodel.checkrun import choose_properties
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.scenario import load
from tests.conftest import DATA


def test_the_catalogue_has_fifteen_or_more_mutants_each_on_a_loadable_scenario() -> None:
    assert len(mutants.MUTANTS) >= 15
    assert len(mutants.BY_NAME) == len(mutants.MUTANTS)
    for m in mutants.MUTANTS:
        scen = m.load()
        assert m.expect in props.BUILTINS, m.name
        # the property it was written for is one `kmodel check` picks for the scenario
        assert m.expect in [p.name for p in choose_properties(scen)], m.name
        assert "pkg/" in m.breaks or "kubernetes" in m.breaks, m.name
        assert isinstance(m.z3, mutants.Z3) or m.z3.startswith("not applicable"), m.name
        replace = m.replace(scen)
        assert replace and all(callable(f) for f in replace.values())


QUICK = [
    ("scheduler-ignoring-resource-fit", "pods-admitted"),
    ("nodelifecycle-ignoring-leases", "eviction-after-timeout"),
    ("tainteviction-ignoring-toleration", "eviction-after-timeout"),
    ("kubelet-not-restarting-containers", "service-has-endpoint"),
    ("replicaset-reversed-deletion-ranking", "scale-down-deletes-unready-first"),
]


@pytest.mark.parametrize(("name", "prop_name"), QUICK, ids=[q[0] for q in QUICK])
def test_the_explorer_kills_the_mutant_and_the_correct_model_passes(name: str, prop_name: str) -> None:
    m = mutants.BY_NAME[name]
    scen = m.load()
    prop = props.to_property(props.BUILTINS[prop_name], scen.settings)
    bad = explore(m.model(scen), prop, max_states=20_000)
    assert bad.verdict == VIOLATED and bad.trace is not None, bad.message
    # the correct components: no violation in runs as long as the mutant's counterexample
    depth = len(bad.trace.steps) - 1
    good = explore(m.model(scen, correct=True), prop, max_states=20_000, max_depth=depth)
    assert good.verdict != VIOLATED, good.message
    assert good.verdict == HOLDS or good.stats.limit == f"max depth {depth}", good.message


def test_a_row_says_which_property_killed_the_mutant_and_how_fast() -> None:
    row = mutants.run_mutant(mutants.BY_NAME["scheduler-ignoring-resource-fit"], "explore", 3.0, max_states=5_000)
    assert set(row) == {"mutant", "engine", "killed", "property", "seconds", "trace_length", "note"}
    assert row["killed"] and row["property"] == "pods-admitted"
    assert row["trace_length"] >= 1 and row["seconds"] < 3
    na = mutants.run_mutant(mutants.BY_NAME["endpoints-ignoring-readiness"], "smt", 10.0)
    assert not na["killed"] and na["note"].startswith("not applicable")
    assert "| endpoints-ignoring-readiness | smt | n/a |" in mutants.table([na])


def test_the_z3_switch_for_ignored_leases_agrees_with_the_python_mutant() -> None:
    """The node-health slice's ``ignoring_leases`` is benchmarks/mutant_components.py's
    nodelifecycle_ignoring_leases: on random runs of the broken Python model every step's
    successors agree with the switched encoding, the real encoding disagrees, and BMC finds
    the early eviction with a trace replayed on the Python model."""
    from benchmarks import mutant_components as mc
    from kmodel.smt import bmc
    from kmodel.smt.nodehealth import Slice, SliceModel
    from tests.test_smt_agreement import _first_problem, _random_states

    replace = {"nodelifecycle": mc.nodelifecycle_ignoring_leases}
    model = SliceModel(load(DATA / "props-two-workers.yaml"), faults=(("powerOffNode", 1),), replace=replace)
    states = _random_states(model, seed=3, walks=2, length=40)
    assert _first_problem(Slice(model, ignoring_leases=True), states) == []
    assert any(p.startswith("nodelifecycle") for p in _first_problem(Slice(model), states))
    r = bmc.check(Slice(model, ignoring_leases=True), "eviction-after-timeout", max_depth=20)
    assert r.verdict == VIOLATED and r.trace is not None, r.message
    assert "replayed on the Python model" in r.message


@pytest.mark.thorough  # the whole table: tens of minutes
def test_every_mutant_is_killed_by_some_engine_or_has_a_note() -> None:
    rows = mutants.run(cap=20.0)
    for m in mutants.MUTANTS:
        killed = [r for r in rows if r["mutant"] == m.name and r["killed"]]
        assert killed or m.survivor_note, m.name
