"""The broken-component suite again, this time with the Hypothesis engine: every deliberately
broken component of tests/broken.py is caught by random runs too, each counterexample replays
as a run of the model, and the correct component passes the same run settings.

(The explorer's side, with shortest traces, is in tests/test_properties.py.)"""

from __future__ import annotations

import pytest

from kmodel import properties as props
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.state import Cluster
from tests import broken


@pytest.mark.parametrize("case", broken.CASES, ids=[c.title for c in broken.CASES])
def test_hypothesis_finds_the_broken_component(case: broken.BrokenCase) -> None:
    scen = case.load()
    prop = props.to_property(props.BUILTINS[case.property], scen.settings)
    bad = case.model(scen)
    r = hypothesis_engine.check(bad, prop, seed=0, profile="ci", max_examples=60)
    assert r.verdict == VIOLATED, (case.property, r.message, r.stats)
    assert r.trace is not None and r.trace.steps[0].actor == "init"
    # the counterexample is a real run: each step is an enabled transition of the broken model
    for before, after in zip(r.trace.steps, r.trace.steps[1:], strict=False):
        nxt = [t.state for t in bad.transitions(before.state) if (t.actor, t.label) == (after.actor, after.label)]
        if after.actor == "adversary":  # eventually: the faults stop
            nxt = [bad.stop_faults(before.state)]
        assert after.state in nxt, (after.actor, after.label)
    # and it breaks the property where the engine says it does
    last: Cluster = r.trace.last.cluster
    if prop.predicate is not None and prop.kind == "always":
        assert not prop.predicate(last)


@pytest.mark.parametrize("case", broken.CASES[:3], ids=[c.title for c in broken.CASES[:3]])
def test_the_correct_component_passes_the_same_runs(case: broken.BrokenCase) -> None:
    scen = case.load()
    prop = props.to_property(props.BUILTINS[case.property], scen.settings)
    r = hypothesis_engine.check(case.model(scen, broken=False), prop, seed=0, profile="ci", max_examples=30)
    assert r.verdict == HOLDS, r.message
