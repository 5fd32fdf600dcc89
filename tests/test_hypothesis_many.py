"""kmodel.engines.hypothesis_many: every property checked on one set of Hypothesis runs gives
each the answer, and the statistics, of its own check (kmodel.engines.hypothesis_engine.check)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kmodel.checkrun import EXPLORER_FAMILIES, CheckOptions, parse_faults, prepare, run_check
from kmodel.engines import hypothesis_engine, hypothesis_many
from kmodel.engines.base import (
    ALWAYS,
    ALWAYS_TRANSITION,
    EVENTUALLY,
    HOLDS,
    INCONCLUSIVE,
    VIOLATED,
    WITHIN,
    Property,
    Result,
)
from kmodel.engines.hypothesis_many import check_many
from tests import broken
from tests.conftest import SCENARIOS
from tests.test_explore import Healing, Stuck


def _seen(r: Result) -> tuple[Any, ...]:
    """What a check answers, but the seconds (and, for a violation, how long Hypothesis had to
    shrink: its run count depends on the time, see SHRINK_LIMITS)."""
    st = r.stats
    if r.verdict == VIOLATED:
        assert r.trace is not None
        return (r.property, r.verdict, len(r.trace), r.message, r.warnings)
    return (r.property, r.verdict, st.states, st.transitions, st.depth, st.examples, st.never_fired, r.warnings)


def _compare(model: Any, props: list[Property], **kw: Any) -> list[Result]:
    many = check_many(model, props, **kw)
    each = [hypothesis_engine.check(model, p, **kw) for p in props]
    assert [_seen(r) for r in many] == [_seen(r) for r in each]
    return many


def _kube(path: Path, faults: str = "none", replace: dict[str, Any] | None = None) -> tuple[Any, list[Property]]:
    opts = CheckOptions(engine="hypothesis", faults=parse_faults(faults), seed=0, profile="ci")
    run = prepare(path, (), (), (), opts, replace)
    return run.model, list(run.properties)


# 10 runs instead of the ci profile's 25: each comparison pays for both ways
KW: dict[str, Any] = dict(seed=0, profile="ci", max_examples=10, max_states=400_000, families=EXPLORER_FAMILIES)
TOY: dict[str, Any] = dict(seed=3, profile="ci", max_examples=10, steps=30)


# Each comparison pays for every property's own check, about 2 s a property on a seed: the
# default run compares a few of the built-ins (a liveness property, invariants of states and of
# steps), -m thorough all of them.
SOME = ("replica-convergence", "no-over-replication", "bound-pods-stay-put", "service-has-endpoint")


def _some(props: list[Property], names: tuple[str, ...] = SOME) -> list[Property]:
    return [p for p in props if p.name in names]


@pytest.fixture
def alone(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the properties check_many checks on their own (by hypothesis_engine.check)."""
    names: list[str] = []
    real = hypothesis_many.check

    def counted(model: Any, prop: Property, **kw: Any) -> Result:
        names.append(prop.name)
        return real(model, prop, **kw)

    monkeypatch.setattr(hypothesis_many, "check", counted)
    return names


def test_builtins_on_a_seed_as_on_their_own() -> None:
    model, props = _kube(SCENARIOS / "seed-node-failure.yaml")
    results = _compare(model, _some(props), **KW)
    assert [r.verdict for r in results] == [HOLDS] * len(SOME)


@pytest.mark.thorough
@pytest.mark.parametrize("seed", ["seed-node-failure", "seed-control-plane-down", "seed-component-restart"])
def test_every_builtin_on_the_seeds_as_on_its_own(seed: str) -> None:
    model, props = _kube(SCENARIOS / f"{seed}.yaml")
    assert len(_compare(model, props, **KW)) > 10


def test_a_violated_property_is_checked_again_on_its_own(alone: list[str]) -> None:
    model, props = _kube(SCENARIOS / "seed-no-workers.yaml")
    props = _some(props)
    many = check_many(model, props, **KW)
    # the seed's promised violation, and nothing else, is checked again on its own: its result is
    # that check's; the others' are compared with their own checks
    assert alone == ["service-has-endpoint"]
    assert [r.verdict for r in many] == ["violated" if p.name in alone else "holds" for p in props]
    held = [(p, r) for p, r in zip(props, many, strict=True) if p.name not in alone]
    assert [_seen(r) for _, r in held] == [_seen(hypothesis_engine.check(model, p, **KW)) for p, _ in held]


SOME_BROKEN = ("replicaset-one-too-many", "kubelet-never-finishing-deletions")


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=[] if c.slug in SOME_BROKEN else [pytest.mark.thorough], id=c.slug) for c in broken.CASES],
)
def test_broken_components_as_on_their_own(case: broken.BrokenCase) -> None:
    scen = case.load()
    model = case.model(scen)
    opts = CheckOptions(engine="hypothesis", seed=0, profile="ci")
    props = prepare(case.scenario, (), (), (), opts).properties
    chosen = _some(list(props), (case.property, "replica-convergence", "no-over-replication", "pods-admitted"))
    _compare(model, chosen, **KW)


def test_every_kind_of_property_on_a_toy() -> None:
    props = [
        Property("a stays small", ALWAYS, "", predicate=lambda s: s[0] < 4),
        Property("b never jumps", ALWAYS_TRANSITION, "", transition=lambda x, y: y[1] - x[1] <= 1),
        Property("a follows b", WITHIN, "", predicate=lambda s: s[1] > 0, target=lambda s: s[0] > 0, bound=3),
        Property("a reaches 5", EVENTUALLY, "", predicate=lambda s: s[0] == 5, bound=5, needs_fairness=True),
        Property("a reaches 4", EVENTUALLY, "", predicate=lambda s: s[0] >= 4, bound=4),
    ]
    results = _compare(Healing(), props, **TOY)
    assert [r.verdict for r in results] == [VIOLATED, HOLDS, HOLDS, HOLDS, HOLDS]
    assert results[3].warnings and not results[4].warnings  # fairness named where it matters
    stuck = [Property("a reaches 5", EVENTUALLY, "", predicate=lambda s: s[0] == 5, bound=4), props[1]]
    assert [r.verdict for r in _compare(Stuck(), stuck, **TOY)] == [VIOLATED, HOLDS]


def test_saved_examples_send_their_property_to_its_own_check(tmp_path: Path, alone: list[str]) -> None:
    props = [
        Property("a stays small", ALWAYS, "", predicate=lambda s: s[0] < 4),
        Property("b never jumps", ALWAYS_TRANSITION, "", transition=lambda x, y: y[1] - x[1] <= 1),
    ]
    db = str(tmp_path / "db")
    first = _compare(Healing(), props, seed=3, profile="ci", database=db)  # saves the violation
    assert [r.verdict for r in first] == [VIOLATED, HOLDS]
    alone.clear()
    again = check_many(Healing(), props, seed=3, profile="ci", database=db)
    assert alone == ["a stays small"] and [r.verdict for r in again] == [VIOLATED, HOLDS]


def test_limits_that_would_change_the_runs_check_each_property_alone(alone: list[str]) -> None:
    props = [
        Property("a stays small", ALWAYS, "", predicate=lambda s: s[0] < 9),
        Property("true", ALWAYS, "", predicate=lambda s: True),
    ]
    check_many(Healing(), props, seed=1, profile="ci", timeout=30)
    assert alone == ["a stays small", "true"]
    alone.clear()
    assert [r.verdict for r in check_many(Healing(), props, seed=1, profile="ci", max_states=3)] == [INCONCLUSIVE] * 2
    assert alone == ["a stays small", "true"]  # the screening stopped at the limit


def test_kmodel_check_screens_every_property_in_one_search(alone: list[str]) -> None:
    opts = CheckOptions(engine="hypothesis", faults=parse_faults("none"), seed=0, profile="ci")
    run = run_check(SCENARIOS / "seed-node-failure.yaml", options=opts)
    assert alone == [] and all(r.verdict == HOLDS for r in run.results) and len(run.results) > 10
