"""Shared runs for the property files: each seed scenario is checked once per engine and fault
budget (every built-in in one go, the explorer sharing one search among the safety properties),
and each property file asserts its own verdicts from that run."""

from __future__ import annotations

import fcntl
import os
import pickle
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from kmodel.checkrun import CheckOptions, parse_faults, run_check
from kmodel.engines.base import Result

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(p.name for p in (ROOT / "scenarios").glob("seed-*.yaml"))
ENGINES = ("explore", "hypothesis")

# What each seed shows that a built-in cannot promise there, in the seed's own terms. A
# property listed here must be violated (not merely not hold) on that seed, by every engine
# that finds it; everything else must hold.
EXPECTED_VIOLATIONS: dict[str, set[str]] = {
    # both workers are powered off from 8m45s on: no hello-world pod can be ready, so the
    # Service has no endpoint until minikube-m02 is back (the seed's "no worker node" lesson)
    "seed-no-workers.yaml": {"service-has-endpoint"},
}
# ... and with the extra faults a seed declares (the `-m thorough` runs)
EXPECTED_WITH_DECLARED_FAULTS: dict[str, set[str]] = {
    **EXPECTED_VIOLATIONS,
    # the timeline deletes one of the two pods at 19m; the budget lets the checker delete the
    # other at the same moment, and for a tick the Service has no ready endpoint
    "seed-scaling.yaml": {"service-has-endpoint"},
}


def _once_per_run(key: str, compute: Callable[[], dict[str, Result]]) -> dict[str, Result]:
    """``compute()`` once per test run, whichever xdist worker asks first; the others wait for
    it and read its pickled result. (pytest-xdist's ``loadgroup`` would keep one run's tests on
    one worker, but it cannot rename test ids under pytest 9.2, so the groups alone do not hold.)"""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run_id is None:
        return compute()
    folder = Path(tempfile.gettempdir()) / f"kmodel-seedruns-{run_id}"
    folder.mkdir(exist_ok=True)
    with open(folder / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = folder / f"{key}.pickle"
        if done.exists():
            return pickle.loads(done.read_bytes())  # type: ignore[no-any-return]
        results = compute()
        done.write_bytes(pickle.dumps(results))
        return results


@cache
def seed_results(scenario: str, engine: str, faults: str | None = "none") -> dict[str, Result]:
    return _once_per_run(f"{scenario}-{engine}-{faults}", lambda: _seed_results(scenario, engine, faults))


def _seed_results(scenario: str, engine: str, faults: str | None) -> dict[str, Result]:
    """Every built-in on a seed: by default only the seed's own timeline is interleaved (the
    fast run, Hypothesis profile from ``KMODEL_PROFILE``, default ``ci``); ``faults=None`` uses
    the budget the scenario declares (the ``-m thorough`` run; profile default ``dev``, about
    45 s a property and seed)."""
    options = CheckOptions(
        engine=engine,
        faults=parse_faults(faults) if faults is not None else None,
        seed=0,
        profile=os.environ.get("KMODEL_PROFILE", "ci" if faults is not None else "dev"),
        max_states=400_000,
    )
    run = run_check(ROOT / "scenarios" / scenario, options=options)
    return {r.property: r for r in run.results}


def expect(prop: str, scenario: str, result: Result, declared_faults: bool = False) -> None:
    """The verdict the seed promises for ``prop``, with the report in the failure message."""
    from kmodel.report import trace_lines

    expected = EXPECTED_WITH_DECLARED_FAULTS if declared_faults else EXPECTED_VIOLATIONS
    wanted = "violated" if prop in expected.get(scenario, set()) else "holds"
    if result.verdict != wanted:
        detail = "\n".join(trace_lines(result.trace)) if result.trace is not None else result.message
        raise AssertionError(f"{prop} on {scenario} by {result.engine}: {result.verdict}, expected {wanted}\n{detail}")


# The default run checks every seed with both engines: the explorer (exhaustive: its verdicts are
# the seeds' promises) and Hypothesis, whose properties share one set of runs
# (kmodel.engines.hypothesis_many: 2 to 9 CPU-seconds a seed; about 30 s each when every property
# drew its own runs, and then only seed-node-failure was in the default run). The Hypothesis
# engine's power to find violations is shown on the broken components
# (tests/test_broken_hypothesis.py), not here.


def _runs(faults: str) -> list[object]:
    """(scenario, engine) for every seed and engine, each in an xdist group of its own run, so
    that the property files' tests of one run land on one worker and share its cached result."""
    out = []
    for s in SEEDS:
        for e in ENGINES:
            marks = [pytest.mark.xdist_group(f"{s}-{e}-{faults}")]
            out.append(pytest.param(s, e, id=f"{s}-{e}", marks=marks))
    return out


def seed_tests(prop: str) -> tuple[Callable[[str, str], None], Callable[[str, str], None]]:
    """The two tests of a property file: on every seed with both engines, around the seed's own
    timeline (default run) and with the faults the seed declares (``-m thorough``)."""

    @pytest.mark.parametrize(("scenario", "engine"), _runs("timeline"))
    def test_on_seed_timeline(scenario: str, engine: str) -> None:
        """Every interleaving of the components around the seed's own scripted events."""
        expect(prop, scenario, seed_results(scenario, engine)[prop])

    @pytest.mark.thorough
    @pytest.mark.parametrize(("scenario", "engine"), _runs("declared"))
    def test_on_seed_with_declared_faults(scenario: str, engine: str) -> None:
        """The same, with the extra faults the seed declares for `kmodel check`."""
        expect(prop, scenario, seed_results(scenario, engine, None)[prop], declared_faults=True)

    return test_on_seed_timeline, test_on_seed_with_declared_faults
