"""Built-in property `manageable-after-any-single-failure` on seed 004's topologies, with both
engines.

scenarios/topology-single-node.yaml and topology-single-control-plane.yaml violate it (their one
control-plane machine is a single point of failure: the trace's fault names it);
scenarios/topology-ha-stacked.yaml holds (one failure: a standby takes the Leases after
leaseDuration; etcd keeps its quorum). tests/test_ha.py has the failover windows, the
powerOffNode run of the stacked topology (thorough) and the two-failure violation."""

from __future__ import annotations

import pytest

from kmodel.checkrun import CheckOptions, choose_properties, run_check
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.scenario import load
from tests.conftest import SCENARIOS

NAME = "manageable-after-any-single-failure"


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
@pytest.mark.parametrize("topology", ["topology-single-node", "topology-single-control-plane"])
def test_violated_with_one_control_plane_machine(engine: str, topology: str) -> None:
    options = CheckOptions(engine=engine, seed=0, profile="ci", max_states=100_000)
    (r,) = run_check(SCENARIOS / f"{topology}.yaml", [NAME], options=options).results
    assert r.verdict == VIOLATED, r.message
    assert r.trace is not None and any(s.actor == "fault" for s in r.trace.steps)


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
def test_holds_with_three_stacked_machines(engine: str) -> None:
    options = CheckOptions(engine=engine, seed=0, profile="ci", max_states=100_000)
    (r,) = run_check(SCENARIOS / "topology-ha-stacked.yaml", [NAME], options=options).results
    assert r.verdict == HOLDS, r.message


def test_checked_by_default_only_with_a_control_plane_section() -> None:
    with_section = {p.name for p in choose_properties(load(SCENARIOS / "topology-ha-stacked.yaml"))}
    without = {p.name for p in choose_properties(load(SCENARIOS / "seed-node-failure.yaml"))}
    assert NAME in with_section and NAME not in without


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
def test_three_stacked_machines_survive_one_machine_cut_off(engine: str) -> None:
    """kmodel.hapartition's partitionControlPlane fault: the two others keep etcd's quorum and
    the load balancer routes to them; the leaders move within the failover bound."""
    options = CheckOptions(
        engine=engine, seed=0, profile="ci", max_states=100_000, faults=(("partitionControlPlane", 1),)
    )
    (r,) = run_check(SCENARIOS / "topology-ha-stacked.yaml", [NAME], options=options).results
    assert r.verdict == HOLDS, r.message
