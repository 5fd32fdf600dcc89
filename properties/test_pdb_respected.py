"""pdb-respected on the scenarios with a PodDisruptionBudget (the seeds have none): it holds on
scenarios/drain-blocked-by-pdb.yaml and its -fixed variant with Hypothesis (the explorer's runs
and the broken eviction API are in tests/test_pdb.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS
from kmodel.scenario import load

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
NAME = "pdb-respected"


@pytest.mark.parametrize("scenario", ["drain-blocked-by-pdb.yaml", "drain-blocked-by-pdb-fixed.yaml"])
def test_holds_with_hypothesis(scenario: str) -> None:
    scen = load(SCENARIOS / scenario)
    prop = props.to_property(props.BUILTINS[NAME], scen.settings)
    r = hypothesis_engine.check(KubeModel(scen), prop, seed=0, profile="ci", max_examples=30)
    assert r.verdict == HOLDS, r.message
