"""On the seed scenarios, Z3 bounded model checking and the explorer give the same answer for
every built-in property the Z3 engine encodes, up to a common depth, on the same Python model
(the slice the Z3 engine answers for: the workload slice, or the node-health slice for the
eviction property when the timeline needs nothing more).

"The same answer": both find no violation in runs of at most K actions, or both find one at the
same shortest depth (for replica-convergence, a bounded liveness property, both check the
product with the explorer's "calm" flag, so the "faults stop" step counts as an action; its
violations need a minute of model time after that step, far deeper than these depths, so the
comparison is of the "holds" kind). seed-component-restart applies a Deployment mid-run: its first apply is
25 actions in (refused, the apiserver is down) and the second 35, so only the deeper comparison
reaches them (BMC's time per depth grows steeply there; tests/test_smt_apply.py checks the
apply's encoding against the Python model action by action).
"""

from __future__ import annotations

import pytest

from kmodel.engines.base import VIOLATED
from kmodel.engines.explore import explore_many
from kmodel.properties import BUILTINS, to_property
from kmodel.scenario import load
from kmodel.smt import bmc
from tests.conftest import SCENARIOS

ENCODED = [name for name in bmc.PROPERTIES if name in BUILTINS]
# seed -> depth of the default run and of the thorough one (seed-scaling, with its scale events and
# deletePod budget, is the costly one: depth 14 in a minute). seed-component-restart is a single
# run until its kubelet is started at 5m (its timeline stops the kubelet at 0s, leaving the
# stopKubelet fault nothing to stop), yet BMC's time per depth grows steeply along it: all its
# properties to depth 17 take about 11 s, and depth 36 (past the second apply) 30-60 s each.
# With every property of a seed on one unrolling the default depths take about 17 s in all.
SEEDS = {
    "seed-node-failure": 10,
    "seed-control-plane-down": 10,
    "seed-no-workers": 10,
    "seed-scaling": 6,
    "seed-component-restart": 14,
}
DEEPER = {
    "seed-node-failure": 20,
    "seed-control-plane-down": 20,
    "seed-no-workers": 20,
    "seed-scaling": 12,
    "seed-component-restart": 36,
}


def _compare(seed: str, depth: int) -> None:
    """Every encoded built-in on ``seed``, on the slice it is answered on alone: BMC checks the
    properties of one slice on one unrolling (bmc.check_many; tests/test_smt_many.py shows it
    answers as bmc.check does property by property), the explorer in one search (explore_many)."""
    scen = load(SCENARIOS / f"{seed}.yaml")
    groups: dict[type, list[str]] = {}
    for prop in ENCODED:
        groups.setdefault(type(bmc.python_model(scen, [prop])), []).append(prop)
    for names in groups.values():
        model = bmc.python_model(scen, names)
        z3_results = bmc.check_many(bmc.slice_of(model), names, max_depth=depth)
        props = [to_property(bmc.PROPERTIES[prop].python, scen.settings) for prop in names]
        for prop, z3_result, explored in zip(
            names, z3_results, explore_many(model, props, max_depth=depth), strict=True
        ):
            if explored.verdict == VIOLATED:
                assert explored.trace is not None
                assert z3_result.verdict == VIOLATED, f"{seed} {prop}: the explorer finds a violation, BMC does not"
                assert z3_result.trace is not None
                assert len(z3_result.trace.steps) == len(explored.trace.steps)
            else:
                assert explored.stats.limit == f"max depth {depth}", f"{prop}: {explored.message}"  # the whole depth
                assert z3_result.verdict == "holds", f"{seed} {prop}: {z3_result.message}"
                assert z3_result.stats.depth == depth


def test_every_encoded_builtin_is_compared() -> None:
    """Every built-in is either encoded (and compared below) or listed with the reason it is not."""
    assert set(ENCODED) | set(bmc.NOT_ENCODED) == set(BUILTINS)
    assert not set(ENCODED) & set(bmc.NOT_ENCODED)


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_bmc_agrees_with_the_explorer_on_the_seeds(seed: str) -> None:
    _compare(seed, SEEDS[seed])


@pytest.mark.thorough
@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_bmc_agrees_with_the_explorer_on_the_seeds_deeper(seed: str) -> None:
    _compare(seed, DEEPER[seed])
