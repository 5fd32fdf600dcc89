"""Partitions inside an HA control plane (kmodel.hapartition) and the "became leader" Events.

Time windows come from client-go's leader election with the kube-scheduler and
kube-controller-manager defaults (kmodel.ha: leaseDuration 15 s, renewDeadline 10 s) and the
tick (5 s): cp-1 renews both Leases at every tick it can write, so after a cut at 60 s (just after
the renewal at 60 s) it stops leading at 60 + renewDeadline = 70 s and cp-2, the first candidate
that can write, takes the Leases at 60 + leaseDuration = 75 s.

Expectations from Kubernetes:
- etcd (Raft): a member that is not with a majority cannot commit a write; kube-apiserver's
  reads are linearizable by default, and its readiness check ``etcd-readiness`` does a
  linearizable Get of ``<prefix>/health`` (staging/src/k8s.io/apiserver/pkg/storage/
  storagebackend/factory/etcd3.go ``newETCD3ReadyCheck``), so a minority apiserver is unready
  and the load balancer routes to the majority side;
- client-go tools/leaderelection/leaderelection.go: ``renew`` gives up once tryAcquireOrRenew
  has not succeeded within RenewDeadline; ``acquire`` records the Event "became leader" through
  resourcelock's ``RecordEvent`` (reason ``LeaderElection``, on the Lease, message
  "<identity> became leader"); kube-scheduler records with its first profile's scheduler name
  (cmd/kube-scheduler/app/options/options.go ``Config``: default-scheduler).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from kmodel import ha, hapartition
from kmodel import properties as props
from kmodel.checkmodel import CheckState, KubeModel
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.engines.simulate import simulate
from kmodel.errors import KmodelError
from kmodel.scenario import Scenario, load
from tests.conftest import SCENARIOS
from tests.test_ha import MANAGEABLE, NEW_DEPLOYMENT, ONE_LEADER, fresh_running, leaders, run

STACKED = SCENARIOS / "topology-ha-stacked.yaml"
PARTITION = SCENARIOS / "ha-etcd-partition.yaml"
CUT = hapartition.FAULT_KIND
RENEW_DEADLINE, LEASE_DURATION = ha.RENEW_DEADLINE, ha.LEASE_DURATION


def check(scen: Scenario, prop: str, faults: tuple[tuple[str, int], ...], max_states: int = 50_000) -> Any:
    return explore(
        KubeModel(scen, faults=faults),
        props.to_property(props.BUILTINS[prop], scen.settings),
        max_states=max_states,
    )


def broken(scen: Scenario) -> Scenario:
    """``stopLeadingOnLostLease: false``: a leader that lost its Lease keeps acting."""
    assert scen.control_plane is not None
    return attrs.evolve(scen, control_plane=attrs.evolve(scen.control_plane, give_up=False))


def external(tmp_path: Path) -> Path:
    text = STACKED.read_text().replace("etcd: stacked", "etcd: external\n  etcdMachines: [etcd-1, etcd-2, etcd-3]")
    path = tmp_path / "external.yaml"
    path.write_text(text)
    return path


# --- a minority-partitioned leader, simulated ---------------------------------------------------------


@pytest.mark.parametrize("spec", ["etcd", "node/cp-2,node/cp-3"])
def test_a_leader_cut_from_its_etcd_peers_stops_before_the_new_leader_starts(spec: str) -> None:
    scen = load(STACKED, [f"60s partition node/cp-1 from {spec}", "3m heal node/cp-1 from " + spec, NEW_DEPLOYMENT])
    states = {c.now: c for c in run(scen, 240)}
    assert leaders(states[55]) == ("cp-1", "cp-1")
    for t in range(60, 60 + LEASE_DURATION, 5):
        h = states[t].ha
        assert h is not None
        # cp-1's member is 1 of 3: apiserver@cp-1 answers nothing, the load balancer uses cp-2/cp-3
        assert not h.apiserver_ok(states[t], "cp-1") and h.apiserver_ok(states[t], "cp-2")
        assert states[t].apiserver_available
        assert leaders(states[t]) == (None, None), t  # cp-1 cannot write, the Lease is not expired
        believes = h.leading == (frozenset({"cp-1"}), frozenset({"cp-1"}))
        assert believes == (t < 60 + RENEW_DEADLINE), t  # it gives up at the renew deadline
    assert leaders(states[60 + LEASE_DURATION]) == ("cp-2", "cp-2")
    # the Deployment applied at 2m (during the cut) gets its 2 pods Running within two ticks
    assert fresh_running(states[120 + 2 * scen.settings.step]) == 2
    # after the heal cp-1 is a candidate again: the leaders stay
    assert leaders(states[240]) == ("cp-2", "cp-2")
    assert all(props.one_leader_acting(c) for c in states.values())


def test_the_majority_side_is_not_disturbed() -> None:
    """cp-3 cut from the others: cp-1 (the leader, with cp-2 a majority) keeps leading."""
    scen = load(STACKED, ["60s partition node/cp-3 from etcd"])
    last = run(scen, 120)[-1]
    assert last.ha is not None
    assert leaders(last) == ("cp-1", "cp-1") and last.ha.leases[0].renew_time == 120
    assert not last.ha.apiserver_ok(last, "cp-3") and last.apiserver_available


def test_a_partition_plus_one_failure_on_the_majority_side_loses_quorum() -> None:
    scen = load(STACKED, ["60s partition node/cp-1 from etcd", "60s stop etcd@cp-2"])
    last = run(scen, 120)[-1]
    assert not last.apiserver_available and leaders(last) == (None, None)
    why = props.BUILTINS[MANAGEABLE].explain(last)  # type: ignore[misc]
    assert "etcd has no quorum (2 of 3 members up, no majority of them reaching each other)" in why
    assert "cp-1 and cp-2 cannot reach each other" in why


def test_external_etcd_apiserver_cut_from_every_etcd_machine(tmp_path: Path) -> None:
    """External etcd: the apiserver uses every etcd machine it reaches; cut from all of them it
    fails (and its leaders with it), while etcd itself keeps its quorum."""
    path = external(tmp_path)
    states = {c.now: c for c in run(load(path, ["60s partition node/cp-1 from etcd"]), 100)}
    c = states[60 + LEASE_DURATION]
    assert c.ha is not None and c.ha.quorum(c) and not c.ha.apiserver_ok(c, "cp-1")
    assert leaders(c) == ("cp-2", "cp-2")
    # one etcd machine cut from its peers: the other two are a majority, nothing changes
    last = run(load(path, ["60s partition node/etcd-1 from etcd"]), 100)[-1]
    assert last.ha is not None and last.ha.apiserver_ok(last, "cp-1") and leaders(last) == ("cp-1", "cp-1")


def test_the_shipped_scenario() -> None:
    scen = load(PARTITION)
    states = {c.now: c for c in run(scen, 240)}
    assert leaders(states[60 + RENEW_DEADLINE]) == (None, None)
    assert leaders(states[60 + LEASE_DURATION]) == ("cp-2", "cp-2")
    assert all(c.apiserver_available for c in states.values())
    h = states[180].ha
    assert h is not None and not h.cuts  # healed at 3m


# --- the broken variant: the old leader acts again after the heal -----------------------------------


def test_a_leader_that_does_not_stop_acts_again_after_the_heal() -> None:
    scen = broken(load(PARTITION))
    states = {c.now: c for c in run(scen, 200)}
    assert props.one_leader_acting(states[175])  # cut off: it believes it leads but cannot write
    assert not props.one_leader_acting(states[180])  # healed: cp-1 and cp-2 act at once
    why = props.BUILTINS[ONE_LEADER].explain(states[180])  # type: ignore[misc]
    assert "scheduler acts on cp-1, cp-2 at once" in why


# --- the checker's fault ----------------------------------------------------------------------------------


def test_the_fault_isolates_one_machine_and_is_undone() -> None:
    m = KubeModel(load(STACKED), faults=((CUT, 1),))
    init = next(iter(m.init_states()))
    assert isinstance(init, CheckState)
    cuts = [t for t in m.transitions(init) if t.label.endswith(f"from {hapartition.REST}")]
    assert [t.label for t in cuts] == [f"partition node/cp-{i} from {hapartition.REST}" for i in (1, 2, 3)]
    after = cuts[0].state
    h = after.cluster.ha
    assert h is not None and h.isolated == frozenset({"cp-1"})
    assert not h.reaches("cp-1", "cp-2") and not h.reaches("cp-1", "cp-3") and h.reaches("cp-2", "cp-3")
    heals = [t for t in m.transitions(after) if t.actor == "repair"]
    assert [t.label for t in heals] == [f"heal node/cp-1 from {hapartition.REST}"]
    assert heals[0].state.cluster.ha is not None and not heals[0].state.cluster.ha.isolated
    healed = m.stop_faults(after)
    assert healed is not None and healed.cluster.ha is not None and not healed.cluster.ha.isolated


def test_isolations_and_the_timeline_cuts_undo_separately() -> None:
    """The fault's isolations are kept apart from the timeline's cuts: healing one leaves the
    others as they were, and the etcd members always fall into sides."""
    c = load(PARTITION).initial_state()
    c = hapartition.set_cut(c, "cp-1", ("cp-2", "cp-3"), True)  # the timeline's cut
    assert c is not None
    two = hapartition.isolate(hapartition.isolate(c, "cp-2"), "cp-3")  # type: ignore[arg-type]
    assert two is not None and two.ha is not None
    assert not two.ha.quorum(two)  # three sides of one member each
    one = hapartition.heal_machine(two, "cp-2")
    assert one is not None and one.ha is not None
    assert one.ha.isolated == frozenset({"cp-3"}) and one.ha.cuts == c.ha.cuts  # type: ignore[union-attr]
    assert not one.ha.reaches("cp-1", "cp-2") and not one.ha.reaches("cp-2", "cp-3")


def test_two_isolated_machines_of_three_lose_the_quorum() -> None:
    r = check(load(STACKED), MANAGEABLE, ((CUT, 2),))
    assert r.verdict == VIOLATED
    assert r.trace is not None
    assert sum(1 for s in r.trace.steps if s.actor == "fault") == 2
    why = props.BUILTINS[MANAGEABLE].explain(r.trace.last.cluster)  # type: ignore[misc]
    assert "no majority of them reaching each other" in why


@pytest.mark.parametrize("prop", [MANAGEABLE, ONE_LEADER])
def test_three_stacked_machines_survive_any_one_cut(prop: str) -> None:
    r = check(load(STACKED), prop, ((CUT, 1),))
    assert r.verdict == HOLDS, r.message


def test_explorer_catches_the_leader_that_does_not_stop() -> None:
    r = check(broken(load(STACKED)), ONE_LEADER, ((CUT, 1),))
    assert r.verdict == VIOLATED
    assert r.trace is not None
    labels = [s.label for s in r.trace.steps]
    cut = f"partition node/cp-1 from {hapartition.REST}"
    heal = f"heal node/cp-1 from {hapartition.REST}"
    assert cut in labels and heal in labels and labels.index(cut) < labels.index(heal)
    # the earliest it can happen: the heal right at the take-over, leaseDuration after cp-1's
    # last renewal (at the cut)
    at = {s.label: s.state.cluster.now for s in r.trace.steps}
    assert at[heal] - at[cut] == LEASE_DURATION


def test_hypothesis_agrees() -> None:
    scen = load(STACKED)
    p = props.to_property(props.BUILTINS[ONE_LEADER], scen.settings)
    r = hypothesis_engine.check(KubeModel(scen, faults=((CUT, 1),)), p, seed=0, profile="ci", max_examples=20)
    assert r.verdict == HOLDS, r.message
    r = hypothesis_engine.check(KubeModel(broken(scen), faults=((CUT, 1),)), p, seed=0, profile="ci", max_examples=100)
    assert r.verdict == VIOLATED


# --- "became leader" Events ----------------------------------------------------------------------


def leader_lines(scen: Scenario, until: int) -> list[tuple[int, str, str, str, str]]:
    return [
        (e.t, e.source, e.reason, e.object, e.message)
        for e in simulate(scen, until=until).events
        if e.reason == "LeaderElection"
    ]


def test_simulate_shows_who_became_leader() -> None:
    scen = load(STACKED, ["60s stop node/cp-1"])
    assert leader_lines(scen, 120) == [
        (0, "default-scheduler", "LeaderElection", "lease/kube-scheduler", "cp-1 became leader"),
        (0, "kube-controller-manager", "LeaderElection", "lease/kube-controller-manager", "cp-1 became leader"),
        (75, "default-scheduler", "LeaderElection", "lease/kube-scheduler", "cp-2 became leader"),
        (75, "kube-controller-manager", "LeaderElection", "lease/kube-controller-manager", "cp-2 became leader"),
    ]
    # a stopped scheduler moves only the scheduler's Lease
    scen = load(STACKED, ["60s stop scheduler@cp-1"])
    assert [line[0::3] for line in leader_lines(scen, 120)][2:] == [(75, "lease/kube-scheduler")]


def test_no_leader_events_without_a_control_plane_section() -> None:
    scen = load(SCENARIOS / "seed-node-failure.yaml")
    assert leader_lines(scen, 60) == []


def test_cli_simulate_prints_the_events(cli: Any) -> None:
    r = cli("simulate", str(PARTITION), "-o", "events")
    assert r.exit_code == 0, r.output
    lines = [line for line in r.output.splitlines() if "became leader" in line]
    assert len(lines) == 4 and all("LeaderElection" in line for line in lines)
    assert "cp-2 became leader" in lines[2] and lines[2].startswith("1m15s")


# --- bad input and refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("60s partition node/cp-1 from node/cp-2", "cp-1 and cp-2 cannot reach each other but both reach cp-3"),
        ("60s partition node/cp-1 from node/cp-9", "'cp-9' is not another control-plane or etcd machine"),
        ("60s partition node/cp-1 from node/cp-1", "'cp-1' is not another control-plane or etcd machine"),
        ("60s partition node/cp-1 from cp-2", "'cp-2' is not node/NAME"),
        ("60s heal node/cp-1 from", "'from' takes one list of machines, got 0 word(s)"),
        ("60s heal node/cp-1 from node/cp-2 node/cp-3", "got 2 word(s)"),
    ],
)
def test_bad_cuts_are_one_line_errors(event: str, message: str) -> None:
    with pytest.raises(KmodelError) as err:
        load(STACKED, [event])
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_heal_that_leaves_a_partial_partition_is_refused() -> None:
    with pytest.raises(KmodelError, match="cp-2 and cp-3 cannot reach each other but both reach cp-1"):
        load(
            STACKED,
            ["60s partition node/cp-1 from etcd", "60s partition node/cp-2 from etcd", "90s heal node/cp-1 from etcd"],
        )
    # healing every cut of a side is fine
    load(STACKED, ["60s partition node/cp-1 from etcd", "90s heal node/cp-1 from etcd"])


def test_a_cut_between_workers_is_refused() -> None:
    """No node-to-node traffic is modelled (kmodel.partitions): a cut between workers, or
    without a controlPlane section, is refused rather than accepted as a no-op."""
    with pytest.raises(KmodelError, match="kmodel models no traffic between other nodes"):
        load(SCENARIOS / "seed-node-failure.yaml", ["60s partition node/minikube-m02 from node/minikube-m03"])


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["check", str(PARTITION), "--engine", "smt"], "partition node/cp-1 from etcd"),
        (["check", str(STACKED), "--engine", "smt", "--faults", f"{CUT}=1"], f"fault kind {CUT}"),
        (["prove", str(PARTITION), "-p", "no-over-replication"], "partition node/cp-1 from etcd"),
    ],
)
def test_z3_refuses_the_cuts(cli: Any, args: list[str], words: str) -> None:
    r = cli(*args)
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and words in line
    assert "partitions between control-plane machines" in line and "not encoded in Z3" in line


# --- a kubelet cut from the apiservers, not from its pods' clients ---------------------------------------


def test_a_partitioned_kubelet_keeps_its_pods_running_but_the_service_drops_them() -> None:
    """``partition node/N``: the kubelet cannot reach the apiserver (nor it the kubelet); the
    containers keep running (the kubelet does not stop pods for losing the apiserver), so they
    still answer clients that reach them directly. Once the node controller sees no heartbeat
    for node-monitor-grace-period it marks the node's pods not ready (nodelifecycle
    MarkPodsNotReady), and the endpoints controller drops them from the Service: traffic
    through the Service no longer reaches them."""
    scen = load(SCENARIOS / "seed-node-failure.yaml", ["60s partition node/minikube-m03"])
    scen = attrs.evolve(scen, timeline=type(scen.timeline)(ev for ev in scen.timeline if ev.verb == "partition"))
    s = scen.settings
    states = {c.now: c for c in run(scen, 60 + s.node_monitor_grace_period + 300)}
    (pod,) = [p.name for p in states[55].pods if p.node_name == "minikube-m03"]
    assert pod in states[60].services[0].endpoints
    for t, c in states.items():
        if t < 55:
            continue  # the scenario comes up
        n = c.node("minikube-m03")
        assert n is not None and pod in n.running, t  # still running on the node
    noticed = states[60 + s.node_monitor_grace_period + s.node_monitor_period + s.step]
    p = noticed.pod(pod)
    assert p is not None and not p.ready and p.containers_ready  # 1/1 Running, condition Ready=False
    assert pod not in noticed.services[0].endpoints
