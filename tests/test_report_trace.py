"""A counterexample's first line says where the check started: after the scenario came up, or
at t=0 before any component acted (where the checkers do not let it settle: HPAs, Jobs)."""

from __future__ import annotations

from kmodel.checkrun import CheckOptions, run_check
from kmodel.engines.base import VIOLATED
from kmodel.report import trace_lines
from tests.conftest import DATA, SCENARIOS


def _first_line(path: object, prop: str, **options: object) -> tuple[str, str]:
    run = run_check(path, [prop], options=CheckOptions(engine="explore", **options))  # type: ignore[arg-type]
    (result,) = run.results
    assert result.verdict == VIOLATED and result.trace is not None
    return trace_lines(result.trace)[0], result.message


def test_a_scenario_with_an_hpa_is_checked_from_before_anything_ran() -> None:
    # the documentation's HPA walkthrough: the Service exists before its pod is ready
    line, message = _first_line(DATA / "hpa-walkthrough.yaml", "service-has-endpoint", max_states=1000)
    assert line.strip() == "t=0s  initial state (before any component has acted)"
    assert message == "the initial state violates it"


def test_a_settled_scenario_starts_after_it_came_up() -> None:
    line, _ = _first_line(SCENARIOS / "seed-no-workers.yaml", "service-has-endpoint", faults=())
    assert line.strip().endswith("initial state (after the scenario came up)")
    assert not line.strip().startswith("t=0s")
