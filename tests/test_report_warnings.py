"""The text report says a warning every verdict carries once, below the verdicts, and a
verdict's own warnings on its line; JSON keeps every warning on every verdict."""

from __future__ import annotations

from kmodel.engines.base import HOLDS, VIOLATED, Result, Stats
from kmodel.report import result_json, text_report


def _result(prop: str, verdict: str, warnings: list[str]) -> Result:
    r = Result(verdict, "explore", prop, Stats(states=10, transitions=12, depth=3), None, "")
    r.warnings.extend(warnings)
    return r


def test_a_warning_on_every_verdict_is_said_once_below_them() -> None:
    shared, own = "the walk took the list's order only", "a liveness property, no fairness"
    results = [_result("a", HOLDS, [shared]), _result("b", VIOLATED, [own, shared]), _result("c", HOLDS, [shared])]
    text = text_report(["header"], results, {})
    lines = text.splitlines()
    assert text.count(shared) == 1 and text.count(own) == 1
    assert lines[-1].strip() == f"warning: {shared} (every verdict above)"
    # the verdict's own warning stays under its line
    b = next(i for i, line in enumerate(lines) if " b " in line)
    assert lines[b + 1].strip() == f"warning: {own}"
    assert all(shared in result_json(r)["warnings"] for r in results)


def test_a_single_verdict_keeps_its_warning_on_its_line() -> None:
    text = text_report(["header"], [_result("a", HOLDS, ["only here"])], {})
    assert text.splitlines()[-1].strip() == "warning: only here"


def test_transitions_left_out_by_sleep_sets_are_counted_in_text_and_json() -> None:
    r = _result("a", HOLDS, [])
    r.stats.skipped = 760
    assert "(760 more skipped by sleep sets)" in text_report(["header"], [r], {})
    assert result_json(r)["stats"]["skipped"] == 760
    assert "skipped" not in text_report(["header"], [_result("b", HOLDS, [])], {})
