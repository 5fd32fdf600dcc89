"""On the seed scenarios, Z3 bounded model checking and the explorer give the same answer for
every built-in property the Z3 engine encodes, up to a common depth, on the same Python model
(the slice the Z3 engine answers for: the workload slice, or the node-health slice for the
eviction property when the timeline needs nothing more).

"The same answer": both find no violation in runs of at most K actions, or both find one at the
same shortest depth. replica-convergence (a bounded liveness property whose bound is hundreds of
actions) is not encoded; seed-component-restart applies manifests mid-run, which the encoding
refuses with a one-line error (tested below).
"""

from __future__ import annotations

import pytest

from kmodel.engines.base import VIOLATED
from kmodel.engines.explore import explore
from kmodel.properties import BUILTINS, to_property
from kmodel.scenario import load
from kmodel.smt import bmc
from kmodel.smt.nodehealth import SliceError
from tests.conftest import SCENARIOS

ENCODED = [name for name in bmc.PROPERTIES if name in BUILTINS]
# seed -> depth of the default run and of the thorough one (seed-scaling, with its scale events and
# deletePod budget, is the costly one: depth 14 in a minute)
SEEDS = {"seed-node-failure": 12, "seed-control-plane-down": 12, "seed-no-workers": 12, "seed-scaling": 6}
DEEPER = {"seed-node-failure": 20, "seed-control-plane-down": 20, "seed-no-workers": 20, "seed-scaling": 12}


def _compare(seed: str, prop: str, depth: int) -> None:
    scen = load(SCENARIOS / f"{seed}.yaml")
    model = bmc.python_model(scen, [prop])
    z3_result = bmc.check(bmc.slice_of(model), prop, max_depth=depth)
    explored = explore(model, to_property(bmc.PROPERTIES[prop].python, scen.settings), max_depth=depth)
    if explored.verdict == VIOLATED:
        assert explored.trace is not None
        assert z3_result.verdict == VIOLATED, f"{seed} {prop}: the explorer finds a violation, BMC does not"
        assert z3_result.trace is not None
        assert len(z3_result.trace.steps) == len(explored.trace.steps)
    else:
        assert explored.stats.limit == f"max depth {depth}", explored.message  # the whole depth was covered
        assert z3_result.verdict == "holds", f"{seed} {prop}: {z3_result.message}"
        assert z3_result.stats.depth == depth


def test_every_encoded_builtin_is_compared() -> None:
    assert set(ENCODED) == set(BUILTINS) - {"replica-convergence"}


@pytest.mark.parametrize("prop", ENCODED)
@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_bmc_agrees_with_the_explorer_on_the_seeds(seed: str, prop: str) -> None:
    _compare(seed, prop, SEEDS[seed])


@pytest.mark.thorough
@pytest.mark.parametrize("prop", ENCODED)
@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_bmc_agrees_with_the_explorer_on_the_seeds_deeper(seed: str, prop: str) -> None:
    _compare(seed, prop, DEEPER[seed])


def test_the_seed_that_applies_manifests_is_refused_with_a_fix() -> None:
    scen = load(SCENARIOS / "seed-component-restart.yaml")
    with pytest.raises(SliceError, match=r"apply.*not encoded.*fix"):
        bmc.slice_of(scen, workload=True)
