"""explore_many checks the state and transition invariants on the search of an ``eventually``
property (kmodel.engines.explore._Riders) instead of a search of their own: every answer must
be the very one their own search gives (verdict, counts, depth, coverage, counterexample)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kmodel.checkmodel import KubeModel
from kmodel.checkrun import EXPLORER_FAMILIES, choose_properties
from kmodel.engines import explore as explore_mod
from kmodel.engines.base import ALWAYS, ALWAYS_TRANSITION, EVENTUALLY, HOLDS, INCONCLUSIVE, VIOLATED, Result
from kmodel.scenario import load
from tests import broken
from tests.test_parallel import same

ROOT = Path(__file__).resolve().parent.parent


def _both(model: KubeModel, props: list, monkeypatch: pytest.MonkeyPatch, **limits: object) -> Iterator[tuple]:
    monkeypatch.setattr(explore_mod, "RIDE", False)
    alone = explore_mod.explore_many(model, props, families=EXPLORER_FAMILIES, **limits)
    monkeypatch.setattr(explore_mod, "RIDE", True)
    riding = explore_mod.explore_many(model, props, families=EXPLORER_FAMILIES, **limits)
    return zip(alone, riding, strict=True)


def _same(a: Result, b: Result) -> None:
    """test_parallel's comparison (verdict, message, counts, depth, coverage, the very trace), and
    the same warnings."""
    same(a, b)
    assert b.warnings == a.warnings


def _kinds(props: list) -> set[str]:
    return {p.kind for p in props}


def _riding(props: list) -> list:
    """The invariants and the first eventually property (the one they ride on; the others and
    the within properties are searched alone either way)."""
    first = next(p for p in props if p.kind == EVENTUALLY)
    return [p for p in props if p.kind in (ALWAYS, ALWAYS_TRANSITION) or p is first]


@pytest.mark.parametrize(
    ("scenario", "faults"),
    [
        ("scenarios/seed-scaling.yaml", ()),
        ("scenarios/seed-component-restart.yaml", ()),
        pytest.param("tests/data/props-one-worker.yaml", (("powerOffNode", 1),), marks=pytest.mark.thorough),
        pytest.param("tests/data/props-one-worker.yaml", (("deletePod", 1),), marks=pytest.mark.thorough),
    ],
    ids=["seed-scaling", "seed-component-restart", "one-worker-power-off", "one-worker-delete-pod"],
)
def test_every_builtin_gets_the_answer_of_its_own_search(
    scenario: str, faults: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    scen = load(ROOT / scenario)
    props = _riding(choose_properties(scen))
    assert EVENTUALLY in _kinds(props) and ALWAYS in _kinds(props)
    searches: list[int] = []
    search = explore_mod._search
    monkeypatch.setattr(explore_mod, "_search", lambda *a, **k: searches.append(len(a[1])) or search(*a, **k))
    verdicts = set()
    for a, b in _both(KubeModel(scen, faults=faults), props, monkeypatch):
        _same(a, b)
        verdicts.add(a.verdict)
    assert HOLDS in verdicts
    # alone: the invariants' search and the calm one; riding: the calm one only
    assert searches == [len(props) - 1, 1, 1]


@pytest.mark.parametrize(
    "cap", [pytest.param(1_500, id="1500"), pytest.param(20_000, id="20k", marks=pytest.mark.thorough)]
)
@pytest.mark.parametrize("case", broken.CASES, ids=lambda c: c.slug)
def test_broken_components_the_same_counterexamples(
    case: broken.BrokenCase, cap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken component violates invariants part way through the calm search (and sometimes
    the eventually property first, or the cap stops it, when the invariants left fall back to a
    search of their own)."""
    scen = case.load()
    props = choose_properties(scen)
    if EVENTUALLY not in _kinds(props) or not _kinds(props) & {ALWAYS, ALWAYS_TRANSITION}:
        pytest.fail(f"{case.slug}: no eventually property beside the invariants; the test needs one")
    props = _riding(props)
    verdicts = {}
    for a, b in _both(case.model(scen), props, monkeypatch, max_states=cap):
        _same(a, b)
        verdicts[a.property] = a.verdict
    # the broken component's own property, when it is an invariant, is not found to hold
    if case.property in verdicts and next(p for p in props if p.name == case.property).kind != EVENTUALLY:
        assert verdicts[case.property] in (VIOLATED, INCONCLUSIVE)


def test_invariants_violated_on_a_calm_search_that_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The toy model of tests/test_explore.py whose faults heal: its eventually property holds,
    so the calm search runs to the end and answers for every invariant, violated or not."""
    from kmodel.engines.base import Property
    from tests.test_explore import Healing

    props = [
        Property("sum", ALWAYS, "", predicate=lambda s: s[0] + s[1] < 3),
        Property("bounded", ALWAYS, "", predicate=lambda s: s[0] <= 5),
        Property("b steps to 2 at most", ALWAYS_TRANSITION, "", transition=lambda s, t: t[1] <= 2),
        Property("a monotone", ALWAYS_TRANSITION, "", transition=lambda s, t: t[0] >= s[0]),
        Property("a reaches 5", EVENTUALLY, "", predicate=lambda s: s[0] == 5, bound=5),
    ]
    searches: list[int] = []
    search = explore_mod._search
    monkeypatch.setattr(explore_mod, "_search", lambda *a, **k: searches.append(len(a[1])) or search(*a, **k))
    pairs = list(_both(Healing(), props, monkeypatch))  # type: ignore[arg-type]
    for a, b in pairs:
        _same(a, b)
    assert [a.verdict for a, _ in pairs] == [VIOLATED, HOLDS, VIOLATED, HOLDS, HOLDS]
    assert searches == [4, 1, 1]  # alone: the invariants' search and the calm one; riding: one
