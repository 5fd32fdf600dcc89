"""Custom invariants on the Z3 engine (kmodel.smt.exprsmt): the translation of the --invariant
language against its interpreter, bounded model checking of translated invariants against the
explorer, and what the translation refuses."""

from __future__ import annotations

import random
from typing import Any

import pytest
import z3

from kmodel.checkmodel import CheckState
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.properties import to_property
from kmodel.scenario import load
from kmodel.smt import bmc
from kmodel.smt.exprsmt import failures, invariant_formula, invariant_slice_property
from kmodel.smt.nodehealth import Slice, SliceError, SliceModel
from tests.conftest import DATA, Cli
from tests.test_smt_bmc import assert_is_a_run

TWO = str(DATA / "props-two-workers.yaml")
POWER_OFF_ONE = (("powerOffNode", 1),)


@pytest.fixture(scope="module")
def model() -> SliceModel:
    return SliceModel(load(TWO), faults=POWER_OFF_ONE)


@pytest.fixture(scope="module")
def sl(model: SliceModel) -> Slice:
    return Slice(model)


# --- bounded model checking against the explorer ------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ['all(n.status == "Ready" for n in nodes)', "all(p.ready for p in pods if p.node is not None)"],
)
def test_a_violated_invariant_is_found_at_the_explorers_depth(model: SliceModel, sl: Slice, text: str) -> None:
    prop = invariant_slice_property(text, sl)
    assert prop.name == f"invariant: {text}"
    r = bmc.check(sl, prop, max_depth=15)
    assert r.verdict == VIOLATED and r.engine == "smt" and r.property == prop.name and r.trace is not None
    assert "trace replayed on the Python model" in r.message
    assert_is_a_run(model, r.trace)
    python = to_property(prop.python, model.scenario.settings)
    assert python.predicate is not None and not python.predicate(r.trace.last)
    e = explore(model, python)
    assert e.verdict == VIOLATED and e.trace is not None
    assert len(e.trace) == len(r.trace) == r.stats.depth == 9  # power off, then the grace period


def test_an_invariant_that_holds_is_bounded(model: SliceModel, sl: Slice) -> None:
    prop = invariant_slice_property("count(p for p in pods if p.node is not None) <= 2", sl)
    r = bmc.check(sl, prop, max_depth=8)
    assert r.verdict == HOLDS and r.trace is None and r.stats.depth == 8
    assert r.message == "holds up to depth 8 (bounded)"
    assert explore(model, to_property(prop.python, model.scenario.settings), max_depth=8).verdict != VIOLATED


# --- the translation agrees with the interpreter -------------------------------------------------

AGREEING = [
    'all(n.status == "Ready" for n in nodes)',
    "all(not p.terminating for p in pods)",
    "count(p for p in pods if p.node is not None) <= 2",
    'any(p.status == "Terminating" for p in pods)',
    'sum(1 for p in pods if p.status == "Running") == 2',
    'count(p for p in pods if p.status in {"Running", "Pending"}) == 2',
    'all(p.phase == "Running" for p in pods if p.node is not None)',
    "max((p.restarts for p in pods), default=0) <= 0",
    "0 <= sum(p.restarts for p in pods) < 1 < 2",
    "max(n.heartbeat_age for n in nodes) <= 10",
    "max(n.lease_age for n in nodes) < 10",
    "all(n.runtime_ready for n in nodes)",
    "all(count(p for p in pods if p.node == n.name) <= 1 for n in nodes)",
    'all("node.kubernetes.io/unreachable:NoExecute" not in n.taints for n in nodes)',
    "all(len(n.taints) == 0 or not n.ready for n in nodes)",
    'any(t == "node.kubernetes.io/unreachable:NoSchedule" for n in nodes for t in n.taints)',
    "(now // 10) * 10 <= now - 5 or now % 7 == 3",
    'all(p.node is None or p.node < "worker-2" for p in pods)',
    'all(n.condition in ("True", "False") for n in nodes)',
    "count(n for n in nodes if not n.ready) <= 0",
    "all((p.restarts if p.ready else 7) < 5 for p in pods)",
    "all(n.kubelet_running and not n.partitioned and n.powered for n in nodes)",
    'min((p.name for p in pods if p.ready), default="none") < "web-ff75r997cp-7"',
    "min((p.ready for p in pods), default=True)",
    "len([p for p in pods if p.ready]) <= 1",
    "all((p.ready and p.restarts) == 0 for p in pods)",
    'all((p.node or "none") != "worker-1" for p in pods)',
    'any(n.name == "worker-1" and n.status == "NotReady" for n in nodes) or abs(now - 600) < 5',
    'all(p.labels["app"] == "web" and "app" in p.labels and p.name[:4] == "web-" for p in pods)',
    "any(p.node == n.name and not n.ready and not p.ready for p in pods for n in nodes)",
]


def _walk(model: SliceModel, rng: random.Random, steps: int, repair_after: int) -> list[CheckState]:
    """A random run, biased towards the clock and faults, with no repair for a while (so that
    nodes go NotReady and pods get evicted)."""
    state = next(iter(model.init_states()))
    out = []
    for i in range(steps):
        out.append(state)
        moves = [t for t in model.transitions(state) if i >= repair_after or t.actor != "repair"]
        if not moves:
            break
        weights = [4 if t.actor == "clock" else 3 if t.actor == "fault" else 1 for t in moves]
        state = rng.choices(moves, weights)[0].state
    return out


def _z3_value(v: int | bool) -> z3.ExprRef:
    return z3.BoolVal(v) if isinstance(v, bool) else z3.IntVal(v)


def test_the_formula_agrees_with_the_interpreter_on_reached_states(model: SliceModel, sl: Slice) -> None:
    rng = random.Random(3)
    states = [s for _ in range(3) for s in _walk(model, rng, 100, 70)[::4]]
    frame = sl.frame("agree")
    outcomes: dict[str, set[bool]] = {}
    for text in AGREEING:
        python = to_property(invariant_slice_property(text, sl).python, model.scenario.settings)
        assert python.predicate is not None
        formula = invariant_formula(text, sl, frame.vars)
        for state in states:
            values = sl.project(state)
            want = python.predicate(state)
            outcomes.setdefault(text, set()).add(want)
            # the formula over Z3 variables, with the state's values substituted ...
            pairs = [(frame.vars[k], _z3_value(v)) for k, v in values.items()]
            got: Any = z3.simplify(z3.substitute(formula, *pairs)) if isinstance(formula, z3.ExprRef) else formula
            assert (z3.is_true(got) if isinstance(got, z3.ExprRef) else got) == want, (text, state.cluster.now)
            # ... and translated over the values themselves (everything folds to a Python bool)
            assert invariant_formula(text, sl, dict(values)) is want, (text, state.cluster.now)
    both = [text for text, seen in outcomes.items() if seen == {True, False}]
    assert len(both) >= len(AGREEING) // 2, "the runs should make many of the invariants both true and false"


def test_a_guarded_comparison_is_accepted_and_an_unguarded_one_refused(sl: Slice) -> None:
    assert not failures('all(p.node is not None and p.node < "w" for p in pods)', sl)
    found = failures('all(p.node < "w" for p in pods)', sl)
    assert len(found) == len(sl.pods)  # once per pod: whenever it is present and unbound
    assert {f.message for f in found} == {"cannot compare None < str"}


# --- what is refused -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "construct", "column"),
    [
        ("sorted(p.name for p in pods) == []", "sorted(p.name for p in pods)", 1),
        ("len(deployments) == 1", "deployments", 5),
        ("all(p.age < 10 for p in pods)", "p.age", 5),
        ('all(n.labels.zone == "a" for n in nodes)', "n.labels", 5),
        ("now ** 2 > 0", "now ** 2", 1),
        ('all(p.name + "x" != "" for p in pods)', 'p.name + "x"', 5),
        ("min(p.restarts for p in pods) >= 0", "min(p.restarts for p in pods)", 1),
        ('all(p.node < "w" for p in pods)', 'p.node < "w"', 5),
        ("len(set(p.node for p in pods)) == 2", "set(p.node for p in pods)", 5),
        ("now / 2 > 1", "now / 2", 1),
        ("count(p for p in pods)", "count(p for p in pods)", 1),
        ("[p for p in pods] == []", "[p for p in pods] == []", 1),
    ],
)
def test_untranslatable_invariants_name_the_construct_and_column(
    sl: Slice, text: str, construct: str, column: int
) -> None:
    with pytest.raises(SliceError) as err:
        invariant_slice_property(text, sl, "--invariant 1")
    message = str(err.value)
    assert message.startswith(f"--invariant 1: the smt engine cannot translate {construct} at column {column}: ")
    assert "\n" not in message and "--engine explore" in message
    assert err.value.exit_code == 2


def test_syntax_errors_are_the_interpreters(sl: Slice) -> None:
    with pytest.raises(SliceError, match=r"^--invariant: 'x' is not a known name at column 1"):
        invariant_slice_property("x > 1", sl)


# --- the command line -------------------------------------------------------------------------------------


def test_check_smt_with_an_invariant(cli: Cli) -> None:
    text = 'all(n.status == "Ready" for n in nodes)'
    r = cli("check", TWO, "--engine", "smt", "--max-depth", "20", "--invariant", text)
    assert r.exit_code == 1, r.output
    assert f"invariant: {text}" in r.output and "counterexample at depth 9" in r.output
    assert "n.status = 'NotReady'" in r.output  # the interpreter explains the replayed trace


def test_check_smt_refuses_an_untranslatable_invariant_in_one_line(cli: Cli) -> None:
    r = cli("check", TWO, "--engine", "smt", "--max-depth", "20", "--invariant", "len(services) == 1")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr
    assert "--invariant 1: the smt engine cannot translate services at column 5" in r.stderr
