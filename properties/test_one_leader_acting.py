"""Built-in property `one-leader-acting` on scenarios/topology-ha-stacked.yaml, with both
engines: it holds with client-go's leader election (a leader that cannot renew stops after
renewDeadline, before a standby may take the Lease after leaseDuration). tests/test_ha.py has the
broken variant (`stopLeadingOnLostLease: false`) that the explorer catches."""

from __future__ import annotations

import pytest

from kmodel.checkrun import CheckOptions, run_check
from kmodel.engines.base import HOLDS
from tests.conftest import SCENARIOS

NAME = "one-leader-acting"


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
def test_holds_with_three_stacked_machines(engine: str) -> None:
    options = CheckOptions(engine=engine, seed=0, profile="ci", max_states=100_000)
    (r,) = run_check(SCENARIOS / "topology-ha-stacked.yaml", [NAME], options=options).results
    assert r.verdict == HOLDS, r.message


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
def test_holds_with_a_leader_cut_off_from_its_etcd_peers(engine: str) -> None:
    """kmodel.hapartition: any one control-plane machine cut off from the others at any moment
    (the leader's renewals fail on the minority side, it stops at renewDeadline, a majority-side
    candidate takes over at leaseDuration). tests/test_hapartition.py has the broken variant."""
    options = CheckOptions(
        engine=engine, seed=0, profile="ci", max_states=100_000, faults=(("partitionControlPlane", 1),)
    )
    (r,) = run_check(SCENARIOS / "topology-ha-stacked.yaml", [NAME], options=options).results
    assert r.verdict == HOLDS, r.message
