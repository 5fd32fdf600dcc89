"""drain-completes on the scenarios with a drain (the seeds have none): Hypothesis finds the drain
that the budget of scenarios/drain-blocked-by-pdb.yaml blocks, and finds nothing on the -fixed
variant (the explorer's exhaustive runs are the thorough tests of tests/test_pdb.py)."""

from __future__ import annotations

from pathlib import Path

from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.scenario import load

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
NAME = "drain-completes"


def _check(scenario: str) -> object:
    scen = load(SCENARIOS / scenario)
    prop = props.to_property(props.BUILTINS[NAME], scen.settings)
    return hypothesis_engine.check(KubeModel(scen), prop, seed=0, profile="ci", max_examples=20)


def test_blocked_drain_is_found() -> None:
    r = _check("drain-blocked-by-pdb.yaml")
    assert r.verdict == VIOLATED, r.message  # type: ignore[attr-defined]
    assert "global timeout reached" in r.trace.last.cluster.drains[0].outcome  # type: ignore[attr-defined]


def test_fixed_drain_completes() -> None:
    r = _check("drain-blocked-by-pdb-fixed.yaml")
    assert r.verdict == HOLDS, r.message  # type: ignore[attr-defined]
