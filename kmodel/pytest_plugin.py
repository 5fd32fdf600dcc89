"""pytest plugin: the ``kmodel`` fixture for property runs in a user's own test suite.

Installed with kmodel (entry point ``pytest11``), so any test can write::

    def test_hello_keeps_an_endpoint(kmodel):
        kmodel.check("scenarios/hello.yaml", invariant="count(p for p in pods if p.ready) >= 1").assert_holds()

The Hypothesis effort comes from ``--kmodel-profile`` (or the ``KMODEL_PROFILE`` environment
variable): ``ci`` (the default, quick), ``dev`` or ``thorough``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from kmodel.checkrun import CheckOptions, CheckRun, parse_faults, run_check
from kmodel.engines.base import HOLDS, VIOLATED, Result
from kmodel.report import text_report, warning_lines

PROFILES = ("ci", "dev", "thorough")


class CheckFailed(AssertionError):
    """A property run did not give the expected verdict; the message is kmodel's report."""


class Outcome:
    """The results of one ``kmodel.check`` call, with assertions that print the report."""

    def __init__(self, run: CheckRun) -> None:
        self.run = run

    @property
    def results(self) -> list[Result]:
        return self.run.results

    @property
    def verdicts(self) -> dict[tuple[str, str], str]:
        return {(r.property, r.engine): r.verdict for r in self.results}

    @property
    def warnings(self) -> tuple[str, ...]:
        """The fields left out with ``allow_unmodelled=True``, one line each."""
        return self.run.scenario.warnings

    def report(self) -> str:
        header = [f"kmodel check {self.run.scenario.summary()}", *warning_lines(self.warnings)]
        return text_report(header, self.results, self.run.explanations(), self.run.scenario.ignoring())

    def assert_holds(self) -> Outcome:
        if not self.results or any(r.verdict != HOLDS for r in self.results):
            raise CheckFailed("expected every property to hold\n" + self.report())
        return self

    def assert_violated(self, prop: str | None = None) -> Result:
        """Assert that ``prop`` (or some property) is violated; return the violating result."""
        for r in self.results:
            if r.verdict == VIOLATED and (prop is None or r.property == prop):
                return r
        raise CheckFailed(f"expected {prop or 'a property'} to be violated\n" + self.report())


class KmodelFixture:
    def __init__(self, profile: str, rootdir: Path) -> None:
        self.profile = profile
        self.rootdir = rootdir

    def check(
        self,
        scenario: str | Path,
        *,
        property: str | list[str] | None = None,  # the CLI's name for it
        invariant: str | list[str] | None = None,
        property_file: str | list[str] | None = None,
        engine: str = "all",
        faults: str | None = None,
        max_states: int = 200_000,
        max_depth: int | None = None,
        timeout: float | None = None,
        seed: int | None = 0,
        replace: dict[str, Any] | None = None,
        allow_unmodelled: bool = False,
    ) -> Outcome:
        """Check a scenario as ``kmodel check`` would; relative paths are from pytest's rootdir.
        With ``allow_unmodelled`` the fields kmodel does not model are left out instead of
        refused; ``Outcome.warnings`` and the report name them."""

        def many(x: str | list[str] | None) -> list[str]:
            return [] if x is None else [x] if isinstance(x, str) else list(x)

        path = Path(scenario)
        if not path.is_absolute() and not path.exists():
            path = self.rootdir / path
        options = CheckOptions(
            engine=engine,
            faults=parse_faults(faults) if faults is not None else None,
            max_states=max_states,
            max_depth=max_depth,
            timeout=timeout,
            seed=seed,
            profile=self.profile,
            allow_unmodelled=allow_unmodelled,
        )
        run = run_check(path, many(property), many(invariant), many(property_file), options, replace)
        return Outcome(run)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kmodel")
    group.addoption(
        "--kmodel-profile",
        choices=PROFILES,
        default=None,
        help="Hypothesis effort for kmodel property runs (default: $KMODEL_PROFILE or ci).",
    )


@pytest.fixture
def kmodel(request: pytest.FixtureRequest) -> KmodelFixture:
    """Check kmodel scenarios from a test: ``kmodel.check(path, invariant=...).assert_holds()``."""
    profile = request.config.getoption("--kmodel-profile") or os.environ.get("KMODEL_PROFILE") or "ci"
    if profile not in PROFILES:
        raise pytest.UsageError(f"KMODEL_PROFILE={profile!r}: use one of {', '.join(PROFILES)}")
    return KmodelFixture(profile, Path(str(request.config.rootpath)))
