"""Several control-plane machines (kmodel.ha): seed 004's three topologies, leader failover
windows derived from client-go's lease timings, etcd quorum, the broken leader that keeps
acting, and the refusals.

Time windows: a leader renews its Lease at every tick it can write; a standby takes an expired
Lease at the first tick at or after ``LEASE_DURATION`` past the last renewal; a leader that
could not renew for ``RENEW_DEADLINE`` stops acting. With the default tick (5 s) the failover
after a fault at t=60 s (just after the renewal at 60 s) lands at 60 + 15 = 75 s.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from kmodel import ha, model
from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.errors import KmodelError
from kmodel.scenario import Scenario, load
from kmodel.state import RUNNING, Cluster
from kmodel.timeline import perform

SCEN = "scenarios/topology-{}.yaml"
NEW_DEPLOYMENT = "2m apply scenarios/manifests/topology-new-deployment.yaml"
MANAGEABLE = "manageable-after-any-single-failure"
ONE_LEADER = "one-leader-acting"


def check(scen: Scenario, prop: str, faults: tuple[tuple[str, int], ...], max_states: int = 50_000):
    return explore(
        KubeModel(scen, faults=faults),
        props.to_property(props.BUILTINS[prop], scen.settings),
        max_states=max_states,
    )


def fault_labels(result) -> list[str]:
    assert result.trace is not None
    return [s.label for s in result.trace.steps if s.actor == "fault"]


def run(scen: Scenario, until: int) -> list[Cluster]:
    """``kmodel simulate``'s fixed schedule: the state at the end of every tick."""
    c, i, out = scen.initial_state(), 0, []
    while c.now <= until:
        while i < len(scen.timeline) and scen.timeline[i].at <= c.now:
            c = perform(c, scen.timeline[i]).state
            i += 1
        for o in model.fixed_schedule(c):
            c = o.state
        out.append(c)
        c = model.tick(c)
    return out


def leaders(c: Cluster) -> tuple[str | None, str | None]:
    assert c.ha is not None
    sched, cm = (sorted(c.ha.acting(c, p)) for p in ha.LEADER_ELECTED)
    return (sched[0] if sched else None, cm[0] if cm else None)


def fresh_running(c: Cluster) -> int:
    return sum(1 for p in c.pods if p.name.startswith("fresh-") and p.phase == RUNNING and not p.terminating)


# --- seed 004's question, as kmodel check answers it ---------------------------------------------


@pytest.mark.parametrize(
    ("topology", "spof"),
    [("single-node", "power off minikube"), ("single-control-plane", "power off cp-1")],
)
def test_a_single_control_plane_machine_is_a_single_point_of_failure(topology: str, spof: str) -> None:
    scen = load(SCEN.format(topology))
    r = check(scen, MANAGEABLE, (("powerOffNode", 1),))
    assert r.verdict == VIOLATED
    assert fault_labels(r) == [spof]  # the trace names the single point of failure
    assert len(r.trace) <= 3  # type: ignore[arg-type]  # the fault, then one tick: no standby, bound 0


@pytest.mark.parametrize("topology", ["single-node", "single-control-plane"])
def test_any_one_stopped_process_of_a_single_control_plane_is_fatal(topology: str) -> None:
    scen = load(SCEN.format(topology))
    r = check(scen, MANAGEABLE, (("stopComponent", 1),))
    assert r.verdict == VIOLATED
    (label,) = fault_labels(r)
    machine = scen.control_plane.machines[0]  # type: ignore[union-attr]
    assert label.startswith("stop ") and label.endswith(f"@{machine}")


def test_three_stacked_machines_survive_any_one_stopped_process() -> None:
    scen = load(SCEN.format("ha-stacked"))
    for prop in (MANAGEABLE, ONE_LEADER):
        r = check(scen, prop, (("stopComponent", 1),))
        assert r.verdict == HOLDS, (prop, r.message)


@pytest.mark.thorough
def test_three_stacked_machines_survive_any_one_machine_powered_off() -> None:
    scen = load(SCEN.format("ha-stacked"))
    r = check(scen, MANAGEABLE, (("powerOffNode", 1),), max_states=400_000)
    assert r.verdict == HOLDS, r.message


def test_three_stacked_machines_do_not_survive_two_failures() -> None:
    scen = load(SCEN.format("ha-stacked"))
    r = check(scen, MANAGEABLE, (("powerOffNode", 1), ("stopComponent", 1)))
    assert r.verdict == VIOLATED
    assert len(fault_labels(r)) == 2
    assert "etcd has no quorum (1 of 3 members up)" in props.BUILTINS[MANAGEABLE].explain(r.trace.last.cluster)  # type: ignore[misc, union-attr]


def test_hypothesis_finds_the_single_point_of_failure() -> None:
    scen = load(SCEN.format("single-control-plane"))
    prop = props.to_property(props.BUILTINS[MANAGEABLE], scen.settings)
    r = hypothesis_engine.check(
        KubeModel(scen, faults=(("stopComponent", 1),)), prop, seed=0, profile="ci", max_examples=40
    )
    assert r.verdict == VIOLATED


def test_hypothesis_finds_nothing_wrong_with_three_machines() -> None:
    scen = load(SCEN.format("ha-stacked"))
    prop = props.to_property(props.BUILTINS[MANAGEABLE], scen.settings)
    r = hypothesis_engine.check(
        KubeModel(scen, faults=(("stopComponent", 1),)), prop, seed=0, profile="ci", max_examples=20
    )
    assert r.verdict == HOLDS, r.message


def test_the_ha_properties_are_checked_by_default_only_with_a_control_plane_section() -> None:
    from kmodel.checkrun import _by_default

    with_section = load(SCEN.format("ha-stacked"))
    without = load("scenarios/seed-control-plane-down.yaml")
    for name in props.HA_PROPERTIES:
        assert _by_default(props.BUILTINS[name], with_section)
        assert not _by_default(props.BUILTINS[name], without)


# --- failover windows, simulated ------------------------------------------------------------------


def test_power_off_the_leader_machine_fails_over_after_the_lease_duration() -> None:
    scen = load(SCEN.format("ha-stacked"), ["60s stop node/cp-1", NEW_DEPLOYMENT.replace("2m", "3m")])
    states = {c.now: c for c in run(scen, 200)}
    assert leaders(states[55]) == ("cp-1", "cp-1")
    takeover = 60 + ha.LEASE_DURATION  # cp-1's last renewal was at 60 s
    for t in range(60, takeover, 5):
        assert leaders(states[t]) == (None, None), t  # the lease is not expired: nobody acts
        assert states[t].apiserver_available  # the load balancer routes to cp-2 or cp-3
    assert leaders(states[takeover]) == ("cp-2", "cp-2")
    assert states[takeover].ha.leases[0].renew_time == takeover  # type: ignore[union-attr]
    # cp-2's controller-manager starts with empty memory: cp-1 gets a fresh grace period from
    # the take-over, and is tainted unreachable by then
    s = scen.settings
    noticed = takeover + s.node_monitor_grace_period + s.node_monitor_period
    assert states[noticed].node("cp-1").ready != "True"  # type: ignore[union-attr]
    # the Deployment applied at 3m (cp-1 known down) gets its pods Running within two ticks, on
    # cp-2 and cp-3
    assert fresh_running(states[180 + 2 * s.step]) == 2


def test_a_stopped_scheduler_moves_only_the_scheduler_lease() -> None:
    scen = load(SCEN.format("ha-stacked"), ["60s stop scheduler@cp-1"])
    states = {c.now: c for c in run(scen, 100)}
    assert leaders(states[70]) == (None, "cp-1")
    assert leaders(states[60 + ha.LEASE_DURATION]) == ("cp-2", "cp-1")


def test_a_leader_cut_from_its_apiserver_gives_up_at_the_renew_deadline() -> None:
    """kube-scheduler and kube-controller-manager talk to the apiserver on their own machine:
    with apiserver@cp-1 stopped they cannot renew; they stop leading after renewDeadline and a
    standby leads once the Lease expires."""
    scen = load(SCEN.format("ha-stacked"), ["60s stop apiserver@cp-1"])
    states = {c.now: c for c in run(scen, 100)}
    h = states[60 + ha.RENEW_DEADLINE - 5].ha
    assert h is not None and h.leading == (frozenset({"cp-1"}), frozenset({"cp-1"}))  # still believes
    h = states[60 + ha.RENEW_DEADLINE].ha
    assert h is not None and h.leading == (frozenset(), frozenset())  # gave up
    assert leaders(states[60 + ha.LEASE_DURATION]) == ("cp-2", "cp-2")


def test_a_stacked_apiserver_fails_with_its_local_etcd_member() -> None:
    """kubeadm's stacked apiserver uses --etcd-servers=https://127.0.0.1:2379: with etcd@cp-1
    stopped, apiserver@cp-1 fails, cp-1's leaders cannot renew through it, and cp-2 takes over
    once the Leases expire; the load balancer keeps answering through cp-2 and cp-3."""
    scen = load(SCEN.format("ha-stacked"), ["60s stop etcd@cp-1"])
    states = {c.now: c for c in run(scen, 100)}
    assert states[65].apiserver_available and leaders(states[65]) == (None, None)
    assert leaders(states[60 + ha.LEASE_DURATION]) == ("cp-2", "cp-2")


def test_without_etcd_quorum_nothing_can_be_written() -> None:
    scen = load(SCEN.format("ha-stacked"), ["60s stop etcd@cp-2", "60s stop etcd@cp-3", NEW_DEPLOYMENT])
    states = run(scen, 180)
    last = states[-1]
    assert not last.apiserver_available
    assert last.deployment("fresh") is None  # kubectl apply was refused
    # one member down of three: quorum holds
    scen = load(SCEN.format("ha-stacked"), ["60s stop etcd@cp-2", NEW_DEPLOYMENT])
    last = run(scen, 180)[-1]
    assert last.apiserver_available and leaders(last) == ("cp-1", "cp-1") and fresh_running(last) == 2


def test_a_single_control_plane_never_comes_back_by_itself() -> None:
    scen = load(SCEN.format("single-control-plane"), ["60s stop node/cp-1", NEW_DEPLOYMENT])
    last = run(scen, 240)[-1]
    assert leaders(last) == (None, None) and not last.apiserver_available
    assert last.deployment("fresh") is None


# --- the broken variant: a leader that keeps acting after it lost its Lease ------------------------


def test_a_leader_that_keeps_acting_after_losing_its_lease_is_caught() -> None:
    scen = load(SCEN.format("ha-stacked"))
    assert scen.control_plane is not None
    broken = attrs.evolve(scen, control_plane=attrs.evolve(scen.control_plane, give_up=False))
    r = check(broken, ONE_LEADER, (("stopComponent", 1),))
    assert r.verdict == VIOLATED
    assert r.trace is not None
    labels = [s.label for s in r.trace.steps]
    # the old leader is cut from its apiserver, a standby takes the Lease, the old one comes back
    assert any(label.startswith("stop apiserver@") for label in labels)
    assert any(label.startswith("start apiserver@") for label in labels)
    why = props.BUILTINS[ONE_LEADER].explain(r.trace.last.cluster)  # type: ignore[misc]
    assert "scheduler acts on cp-1, cp-2 at once" in why


def test_the_broken_variant_can_be_declared_in_the_scenario(tmp_path: Path) -> None:
    text = (
        open(SCEN.format("ha-stacked"))
        .read()
        .replace("etcd: stacked", "etcd: stacked\n  stopLeadingOnLostLease: false")
    )
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    scen = load(path)
    assert scen.control_plane is not None and not scen.control_plane.give_up


# --- bad input and refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("controlPlane: {machines: [cp-9]}", "control-plane machine 'cp-9' is not a Node of the scenario"),
        ("controlPlane: {machines: []}", "controlPlane.machines must be a non-empty list of names"),
        ("controlPlane: {machines: [cp-1], etcd: raft}", "controlPlane.etcd must be stacked or external"),
        ("controlPlane: {machines: [cp-1], etcd: external}", "etcd: external needs etcdMachines"),
        ("controlPlane: {machines: [cp-1], leaders: 2}", "unknown field 'leaders' in controlPlane"),
        ("controlPlane: {machines: [cp-1], etcdMachines: [e-1]}", "etcdMachines is for etcd: external"),
    ],
)
def test_a_bad_control_plane_section_is_a_one_line_error(tmp_path: Path, section: str, message: str) -> None:
    text = open(SCEN.format("ha-stacked")).read()
    text = text.replace("controlPlane:\n  machines: [cp-1, cp-2, cp-3]\n  etcd: stacked\n", section + "\n")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(KmodelError) as err:
        load(path)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert "bad.yaml:" in str(err.value)


def test_a_process_at_a_machine_needs_a_control_plane_section() -> None:
    with pytest.raises(KmodelError, match="declares no controlPlane section"):
        load("scenarios/seed-control-plane-down.yaml", ["60s stop scheduler@minikube"])
    with pytest.raises(KmodelError, match="cp-9 runs no scheduler"):
        load(SCEN.format("ha-stacked"), ["60s stop scheduler@cp-9"])


def test_external_etcd_machines_are_their_own_quorum(tmp_path: Path) -> None:
    text = (
        open(SCEN.format("ha-stacked"))
        .read()
        .replace("etcd: stacked", "etcd: external\n  etcdMachines: [etcd-1, etcd-2, etcd-3]")
    )
    path = tmp_path / "external.yaml"
    path.write_text(text)
    scen = load(path, ["60s stop node/cp-1", "60s stop node/cp-2"])
    last = run(scen, 120)[-1]
    # two of three control-plane machines off: etcd (elsewhere) keeps its quorum, cp-3 serves
    assert last.apiserver_available and leaders(last) == ("cp-3", "cp-3")
    scen = load(path, ["60s stop etcd@etcd-1", "60s stop etcd@etcd-2"])
    assert not run(scen, 120)[-1].apiserver_available


def test_z3_refuses_several_control_plane_machines() -> None:
    from click.testing import CliRunner

    from kmodel.cli import main

    out = CliRunner().invoke(main, ["check", SCEN.format("ha-stacked"), "--engine", "smt"])
    assert out.exit_code != 0
    assert "control-plane machines (cp-1, cp-2, cp-3)" in out.output
    assert "not encoded in Z3" in out.output
