"""Built-in property `replica-convergence` on every shipped seed scenario, with both engines."""

from __future__ import annotations

import pytest

from properties.seedruns import ENGINES, SEEDS, expect, seed_results

PROP = "replica-convergence"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("scenario", SEEDS)
def test_on_seed_timeline(scenario: str, engine: str) -> None:
    """Every interleaving of the components around the seed's own scripted events."""
    expect(PROP, scenario, seed_results(scenario, engine)[PROP])


@pytest.mark.thorough
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("scenario", SEEDS)
def test_on_seed_with_declared_faults(scenario: str, engine: str) -> None:
    """The same, with the extra faults the seed declares for `kmodel check`."""
    expect(PROP, scenario, seed_results(scenario, engine, None)[PROP], declared_faults=True)
