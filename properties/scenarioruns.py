"""The tests a property file writes for a property that only applies to one kind of object (and
so is not checked by default on the seeds): both engines on a shipped scenario that has the
object, and the default choice of properties picking it there and not on a seed without it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from kmodel.checkrun import CheckOptions, choose_properties, run_check
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, Model, Property, Result
from kmodel.engines.explore import explore
from kmodel.scenario import load
from tests.conftest import SCENARIOS


def scenario_tests(
    prop: str, scenario: str, *, engines: Sequence[object], without: str = "seed-node-failure.yaml"
) -> tuple[Callable[[str], None], Callable[[], None]]:
    """The two tests: ``prop`` holds on ``scenario`` with each of ``engines`` (names, or
    ``pytest.param`` to mark a slow one), and is among the default properties of ``scenario``
    but not of ``without``."""

    @pytest.mark.parametrize("engine", list(engines))
    def test_holds_on_the_shipped_scenario(engine: str) -> None:
        options = CheckOptions(engine=engine, seed=0, profile="ci", max_states=400_000)
        (r,) = run_check(SCENARIOS / scenario, [prop], options=options).results
        assert r.verdict == HOLDS, r.message

    def test_checked_by_default_only_where_it_applies() -> None:
        chosen = {p.name for p in choose_properties(load(SCENARIOS / scenario))}
        elsewhere = {p.name for p in choose_properties(load(SCENARIOS / without))}
        assert prop in chosen and prop not in elsewhere

    return test_holds_on_the_shipped_scenario, test_checked_by_default_only_where_it_applies


def check_with(engine: str, model: Model, prop: Property, *, max_states: int = 40_000, examples: int = 20) -> Result:
    """``prop`` on ``model`` with the explorer (``max_states``) or with Hypothesis (seed 0, the
    ci profile, ``examples`` runs): what a property file's broken-component tests compare."""
    if engine == "explore":
        return explore(model, prop, max_states=max_states)
    return hypothesis_engine.check(model, prop, seed=0, profile="ci", max_examples=examples)
