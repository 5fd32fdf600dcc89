"""Built-in property `job-completes-or-fails` on the shipped Job scenarios and on the broken
Job controller of tests/broken.py, with both engines.

The seeds have no Job (the property is not checked by default there: it would hold trivially),
so this file runs it on scenarios/job-backoff.yaml and scenarios/job-node-failure.yaml, and on
tests/data/job-always-fails.yaml, where a Job controller that ignores backoffLimit retries for
ever."""

from __future__ import annotations

import attrs
import pytest

from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.checkrun import CheckOptions, run_check
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.scenario import load
from tests import broken
from tests.conftest import SCENARIOS

NAME = "job-completes-or-fails"


@pytest.mark.parametrize(
    ("scenario", "engine"),
    [
        ("job-backoff.yaml", "explore"),
        ("job-backoff.yaml", "hypothesis"),
        # the node-failure scenario's whole search (about 97,000 states, a minute) is thorough-only
        pytest.param("job-node-failure.yaml", "explore", marks=pytest.mark.thorough),
        ("job-node-failure.yaml", "hypothesis"),
    ],
)
def test_holds_on_the_shipped_job_scenarios(scenario: str, engine: str) -> None:
    options = CheckOptions(engine=engine, seed=0, profile="ci", max_states=400_000)
    run = run_check(SCENARIOS / scenario, [NAME], options=options)
    (r,) = run.results
    assert r.verdict == HOLDS, r.message


def test_checked_by_default_only_where_there_are_jobs() -> None:
    from kmodel.checkrun import choose_properties

    with_jobs = {p.name for p in choose_properties(load(SCENARIOS / "job-backoff.yaml"))}
    without = {p.name for p in choose_properties(load(SCENARIOS / "seed-node-failure.yaml"))}
    assert NAME in with_jobs and NAME not in without
    assert with_jobs - {NAME, "job-retries-bounded"} == without


def test_hypothesis_finds_the_job_controller_ignoring_backoff_limit() -> None:
    case = broken.JOB_CASE
    scen = case.load()
    prop = props.to_property(props.BUILTINS[case.property], scen.settings)
    r = hypothesis_engine.check(case.model(scen), prop, seed=0, profile="ci", max_examples=20)
    assert r.verdict == VIOLATED, r.message
    assert f"not reached within {props.JOB_BOUND}s" in r.message
    assert r.trace is not None
    last = r.trace.last.cluster
    j = last.job("fail")
    assert j is not None and not j.finished and j.status_failed > j.backoff_limit + 1
    ok = hypothesis_engine.check(case.model(scen, broken=False), prop, seed=0, profile="ci", max_examples=20)
    assert ok.verdict == HOLDS, ok.message


def test_explorer_finds_it_with_a_shorter_bound() -> None:
    """The explorer's search of the full 1200 s bound is large (every tick of a Job that never
    ends is a new state); the same predicate with a 2-minute bound, which the correct
    controller meets (the Job fails at about 30 s), gives a shortest counterexample fast."""
    case = broken.JOB_CASE
    scen = case.load()
    prop = attrs.evolve(props.to_property(props.BUILTINS[case.property], scen.settings), bound=120)
    bad = explore(case.model(scen), prop, max_states=50_000)
    assert bad.verdict == VIOLATED and bad.trace is not None
    j = bad.trace.last.cluster.job("fail")
    assert j is not None and j.status_failed > j.backoff_limit + 1 and not j.finished
    good = explore(KubeModel(scen, faults=(), settle=False), prop, max_states=50_000)
    assert good.verdict == HOLDS, good.message


def test_job_retries_bounded_catches_the_same_controller_in_a_few_steps() -> None:
    """The safety side: the broken controller's third failed pod breaks job-retries-bounded
    (backoffLimit 1 + parallelism 1), found by both engines; the correct one keeps it."""
    case = broken.JOB_CASE
    scen = case.load()
    prop = props.to_property(props.BUILTINS["job-retries-bounded"], scen.settings)
    bad = explore(case.model(scen), prop, max_states=50_000)
    assert bad.verdict == VIOLATED and bad.trace is not None
    last = bad.trace.last.cluster
    j = last.job("fail")
    assert j is not None and j.status_failed == 3 and last.now <= 120
    assert "3 failed pods, more than backoffLimit 1 + parallelism 1" in (prop.explain(last) if prop.explain else "")
    good = explore(KubeModel(scen, faults=(), settle=False), prop, max_states=50_000)
    assert good.verdict == HOLDS, good.message
    hyp = hypothesis_engine.check(case.model(scen), prop, seed=0, profile="ci", max_examples=30)
    assert hyp.verdict == VIOLATED, hyp.message
