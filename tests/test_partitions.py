"""Partitions between machines, zones, and nodes joining (kmodel/partitions.py), with the two
regressions of issue 16: the mass eviction when the control plane is cut off from every worker
(kubernetes#28832) and a pod bound to a node that has just joined before its not-ready taint
exists (kubernetes#72129), each with its safeguard off (violated) and on (holds), on the explorer
and Hypothesis.

The Kubernetes tests translated for this are in tests/k8s/test_nodelifecycle.py (GetZoneKey,
TestMonitorNodeHealthEvictPodsWithDisruption) and tests/k8s/test_nodetaint_admission.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from kmodel import partitions, timeline
from kmodel import properties as props
from kmodel.checkmodel import CheckState, KubeModel
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import HOLDS, VIOLATED, Property
from kmodel.engines.explore import explore
from kmodel.engines.simulate import simulate
from kmodel.errors import KmodelError
from kmodel.scenario import Scenario, load
from kmodel.settings import Settings, settings_from
from kmodel.state import (
    COND_FALSE,
    LABEL_REGION,
    LABEL_REGION_DEPRECATED,
    LABEL_ZONE,
    LABEL_ZONE_DEPRECATED,
    NO_EXECUTE,
    NO_SCHEDULE,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    Cluster,
    Node,
    labels_of,
)
from tests import broken
from tests.builders import manifest_scenario
from tests.conftest import SCENARIOS

MASS = SCENARIOS / "mass-eviction-partition.yaml"
MASS_FIXED = SCENARIOS / "mass-eviction-partition-fixed.yaml"
JOIN = SCENARIOS / "node-join-before-taint.yaml"
JOIN_FIXED = SCENARIOS / "node-join-before-taint-fixed.yaml"


def prop(name: str, scen: Scenario) -> Property:
    return props.to_property(props.BUILTINS[name], scen.settings)


def node(name: str, cp: bool = False, **labels: str) -> Node:
    return Node(name=name, labels=labels_of(labels), control_plane=cp)


# -- settings and zones -------------------------------------------------------------------------


def test_safeguards_on_by_default_and_parsed() -> None:
    s = Settings()
    assert (s.zone_disruption_safeguard, s.node_taint_admission) == (True, True)
    s = settings_from({"zoneDisruptionSafeguard": False, "nodeTaintAdmission": False})
    assert (s.zone_disruption_safeguard, s.node_taint_admission) == (False, False)


def test_zone_key_reads_the_deprecated_labels_first_and_the_region() -> None:
    assert node("a").zone == ""
    assert node("a", **{LABEL_ZONE: "z1"}).zone == "z1"
    assert node("a", **{LABEL_ZONE_DEPRECATED: "old", LABEL_ZONE: "new"}).zone == "old"
    assert node("a", **{LABEL_REGION: "r", LABEL_ZONE: "z"}).zone == "r:z"
    assert node("a", **{LABEL_REGION_DEPRECATED: "r0", LABEL_REGION: "r1", LABEL_ZONE: "z"}).zone == "r0:z"
    assert node("a", **{LABEL_REGION: "r"}).zone == "r:"  # a region alone is a zone of its own
    # the same zone name in two regions is two zones
    assert (
        node("a", **{LABEL_REGION: "r1", LABEL_ZONE: "z"}).zone
        != node("b", **{LABEL_REGION: "r2", LABEL_ZONE: "z"}).zone
    )


def test_the_scenario_zones_use_both_label_generations() -> None:
    scen = load(MASS)
    assert {n.name: n.zone for n in scen.nodes} == {
        "worker-a": "us-east-1:us-east-1a",
        "worker-b": "us-east-1:us-east-1b",
    }


# -- zone partitions ----------------------------------------------------------------------------


def _cluster(*nodes: Node) -> Cluster:
    c = Cluster(settings=Settings())
    for n in nodes:
        c = c.with_node(n)
    return c


def test_partition_zone_cuts_the_zone_when_the_control_plane_is_elsewhere() -> None:
    c = _cluster(
        node("cp", True, **{LABEL_ZONE: "z0"}),
        node("a1", **{LABEL_ZONE: "z1"}),
        node("a2", **{LABEL_ZONE: "z1"}),
        node("b1", **{LABEL_ZONE: "z2"}),
    )
    after = partitions.partition_zone(c, "z1", True)
    assert after is not None
    assert {n.name for n in after.nodes if n.partitioned} == {"a1", "a2"}
    assert partitions.partition_zone(after, "z1", True) is None  # nothing left to cut
    healed = partitions.partition_zone(after, "z1", False)
    assert healed is not None and not any(n.partitioned for n in healed.nodes)


def test_partition_zone_of_the_control_plane_cuts_every_other_worker() -> None:
    """The cut separates zone z0 from the rest: with the control plane in z0, the workers on the
    other side are those outside it; a worker in z0 keeps its link."""
    c = _cluster(
        node("cp", True, **{LABEL_ZONE: "z0"}),
        node("a0", **{LABEL_ZONE: "z0"}),
        node("b1", **{LABEL_ZONE: "z1"}),
        node("c2", **{LABEL_ZONE: "z2"}),
    )
    after = partitions.partition_zone(c, "z0", True)
    assert after is not None
    assert {n.name for n in after.nodes if n.partitioned} == {"b1", "c2"}


def test_zone_named_by_its_label_value_when_it_has_a_region() -> None:
    c = _cluster(node("a", **{LABEL_REGION: "r", LABEL_ZONE: "z"}), node("b", **{LABEL_ZONE: "y"}))
    for name in ("z", "r:z"):
        after = partitions.partition_zone(c, name, True)
        assert after is not None and [n.name for n in after.nodes if n.partitioned] == ["a"]


def test_control_plane_in_several_zones_is_not_modelled() -> None:
    c = _cluster(node("cp1", True, **{LABEL_ZONE: "z1"}), node("cp2", True, **{LABEL_ZONE: "z2"}), node("w"))
    with pytest.raises(partitions.ZoneError, match="one control plane"):
        partitions.far_side(c, "z1")


def _event(text: str, tmp_path: Path) -> timeline.TimedEvent:
    return timeline.parse_event(text, file="s.yaml", line=3, where="timeline[0]", base_dir=tmp_path)


def test_timeline_verbs_parse(tmp_path: Path) -> None:
    ev = _event("60s partition zone/us-east-1a", tmp_path)
    assert (ev.verb, ev.kind, ev.name) == ("partition", "zone", "us-east-1a")
    ev = _event("2m heal zone/us-east-1a", tmp_path)
    assert (ev.at, ev.verb, ev.kind) == (120, "heal", "zone")
    ev = _event("30s join node/w3 topology.kubernetes.io/zone=z3", tmp_path)
    assert (ev.verb, ev.name, ev.args) == ("join", "w3", ("topology.kubernetes.io/zone=z3",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("60s partition node/a node/b", "kmodel models no traffic between nodes"),
        ("60s partition pod/x", "partition cannot take 'pod/x'"),
        ("60s join zone/z", "join cannot take 'zone/z'"),
        ("60s join node/", "join cannot take 'node/'"),
        ("60s join node/w3 zone", "join takes labels key=value"),
    ],
)
def test_bad_events_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(KmodelError) as err:
        _event(text, tmp_path)
    shown = str(err.value)
    assert message in shown and "\n" not in shown and "s.yaml:3" in shown


def test_a_zone_no_node_is_in_is_refused_at_load(tmp_path: Path) -> None:
    text = MASS.read_text().replace("60s partition zone/us-east-1b", "60s partition zone/us-east-1c")
    with pytest.raises(KmodelError) as err:
        manifest_scenario(tmp_path, text)
    shown = str(err.value)
    assert "names zone 'us-east-1c', which no node of the scenario is in" in shown and "\n" not in shown
    assert "us-east-1:us-east-1a" in shown  # the fix lists the zones there are


def test_fault_budget_partitions_a_zone_and_heals_it() -> None:
    scen = load(MASS)
    m = KubeModel(attrs.evolve(scen, timeline=()), faults=(("partitionZone", 1),))
    init = next(iter(m.init_states()))
    assert isinstance(init, CheckState)
    cuts = [t for t in m.transitions(init) if t.label.startswith("partition zone/")]
    assert sorted(t.label for t in cuts) == [
        "partition zone/us-east-1:us-east-1a",
        "partition zone/us-east-1:us-east-1b",
    ]
    cut = cuts[0].state
    assert [n.name for n in cut.cluster.nodes if n.partitioned] == ["worker-a"]
    assert not any(t.label.startswith("partition zone/") for t in m.transitions(cut))  # the budget is spent
    heals = [t for t in m.transitions(cut) if t.label.startswith("heal zone/")]
    assert len(heals) == 1 and not any(n.partitioned for n in heals[0].state.cluster.nodes)


def test_unknown_fault_kind_lists_partition_zone(tmp_path: Path) -> None:
    text = MASS.read_text().replace("faults: {}", "faults: {partitionRegion: 1}")
    with pytest.raises(KmodelError, match="partitionZone"):
        manifest_scenario(tmp_path, text)


# -- the mass eviction (kubernetes#28832) -------------------------------------------------------


def _eviction_times(scen: Scenario) -> tuple[list[int], list[int]]:
    """(the times pods are evicted, the times any node gets a NoExecute taint) in `simulate`."""
    sim = simulate(scen)
    evicted = [e.t for e in sim.events if e.reason == "TaintManagerEviction"]
    tainted = [e.t for e in sim.events if e.reason == "TaintAdded" and "NoExecute" in e.message]
    return evicted, tainted


def test_simulate_without_the_safeguard_evicts_every_pod() -> None:
    """Partitioned at 60s: the last Lease renewal came at most one renew interval before; the
    node is Unknown at the first monitor pass past that renewal + nodeMonitorGracePeriod; both
    zones are then FullDisruption and each taints its node at the primary rate by the next pass;
    every pod is evicted defaultUnreachableTolerationSeconds after its node's taint."""
    scen = load(MASS)
    s = scen.settings
    evicted, tainted = _eviction_times(scen)
    earliest = 60 - s.lease_renew_interval + s.node_monitor_grace_period
    latest = 60 + s.node_monitor_grace_period + 2 * s.node_monitor_period
    assert len(tainted) == 2 and all(earliest <= t <= latest for t in tainted), tainted
    assert len(evicted) == 2  # every pod of the Deployment
    first = min(tainted)
    assert all(
        first + s.default_unreachable_toleration_seconds
        <= t
        <= first + s.default_unreachable_toleration_seconds + s.step
        for t in evicted
    )


def test_simulate_with_the_safeguard_evicts_nothing() -> None:
    scen = load(MASS_FIXED)
    evicted, tainted = _eviction_times(scen)
    assert evicted == [] and tainted == []
    sim = simulate(scen)
    assert sim.final is not None
    # the NoSchedule taints follow the Unknown condition; no NoExecute taint stays
    for n in sim.final.nodes:
        assert n.has_taint(TAINT_UNREACHABLE, NO_SCHEDULE) and not n.has_taint(TAINT_UNREACHABLE, NO_EXECUTE)
    assert all(not p.terminating for p in sim.final.pods)
    # cut from the apiserver, not from its pods' clients: every container still runs
    for p in sim.final.pods:
        n = sim.final.node(p.node_name or "")
        assert n is not None and n.partitioned and p.name in n.running
    assert dict(sim.final.memory.zone_states) == {
        "us-east-1:us-east-1a": "FullDisruption",
        "us-east-1:us-east-1b": "FullDisruption",
    }


def test_explorer_finds_the_mass_eviction_with_a_shortest_trace() -> None:
    scen = load(MASS)
    m = KubeModel(scen)
    p = prop("no-mass-eviction", scen)
    r = explore(m, p, max_states=20_000)
    assert r.verdict == VIOLATED and r.trace is not None, r.message
    assert r.trace.steps[-1].actor == "tainteviction"
    assert sum(1 for pod in r.trace.last.cluster.pods if pod.disruption_target) == 2
    shorter = explore(m, p, max_states=20_000, max_depth=len(r.trace) - 1)
    assert shorter.verdict != VIOLATED


def test_explorer_holds_with_the_safeguard() -> None:
    scen = load(MASS_FIXED)
    r = explore(KubeModel(scen), prop("no-mass-eviction", scen), max_states=20_000)
    assert r.verdict == HOLDS, r.message


def test_hypothesis_finds_the_mass_eviction_and_holds_with_the_safeguard() -> None:
    scen = load(MASS)
    r = hypothesis_engine.check(KubeModel(scen), prop("no-mass-eviction", scen), seed=0, max_examples=10)
    assert r.verdict == VIOLATED, r.message
    scen = load(MASS_FIXED)
    r = hypothesis_engine.check(KubeModel(scen), prop("no-mass-eviction", scen), seed=0, max_examples=10)
    assert r.verdict == HOLDS, r.message


def test_broken_node_lifecycle_controller_without_the_safeguard_is_caught() -> None:
    """tests/broken.py nodelifecycle_without_safeguard ignores the setting: on the fixed scenario
    both engines find the mass eviction."""
    scen = load(MASS_FIXED)
    replace = {"nodelifecycle": broken.nodelifecycle_without_safeguard}
    p = prop("no-mass-eviction", scen)
    assert explore(KubeModel(scen, replace=replace), p, max_states=20_000).verdict == VIOLATED
    r = hypothesis_engine.check(KubeModel(scen, replace=replace), p, seed=0, max_examples=10)
    assert r.verdict == VIOLATED, r.message


def test_a_registered_ready_control_plane_node_defeats_the_safeguard(tmp_path: Path) -> None:
    """The safeguard needs every zone down. A control-plane machine registered as a Node, in a
    zone of its own and still Ready (its kubelet talks to the local apiserver), keeps that zone
    Normal: the workers' zones evict at the primary rate, safeguard or not, as in Kubernetes
    (such a node would need the node.kubernetes.io/exclude-disruption label)."""
    cp = (
        "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: cp\n  labels:\n"
        "    node-role.kubernetes.io/control-plane: ''\n    topology.kubernetes.io/zone: cp-zone\n"
        "spec:\n  taints:\n    - key: node-role.kubernetes.io/control-plane\n      effect: NoSchedule\n"
    )
    scen = manifest_scenario(tmp_path, MASS_FIXED.read_text() + cp)
    evicted, _ = _eviction_times(scen)
    assert len(evicted) == 2
    excluded = cp.replace(
        "    topology.kubernetes.io/zone",
        "    node.kubernetes.io/exclude-disruption: ''\n    topology.kubernetes.io/zone",
    )
    scen = manifest_scenario(tmp_path, MASS_FIXED.read_text() + excluded)
    evicted, _ = _eviction_times(scen)
    assert evicted == []


# -- a node joining (kubernetes#72129) ----------------------------------------------------------


def test_join_registers_a_not_ready_node_with_the_admission_taint() -> None:
    scen = load(JOIN_FIXED)
    c = scen.initial_state()
    after = partitions.join_node(c, "w9", {LABEL_ZONE: "z9"})
    assert after is not None
    n = after.node("w9")
    assert n is not None
    assert (n.ready, n.ready_reason, n.created, n.lease_renew_time) == (COND_FALSE, "KubeletNotReady", c.now, None)
    assert n.zone == "z9" and n.has_taint(TAINT_NOT_READY, NO_SCHEDULE)
    assert partitions.join_node(after, "w9", {}) is None  # already there
    off = attrs.evolve(c, settings=attrs.evolve(c.settings, node_taint_admission=False))
    n2 = partitions.join_node(off, "w9", {})
    assert n2 is not None and n2.node("w9") is not None and n2.node("w9").taints == ()  # type: ignore[union-attr]


def test_join_while_the_apiserver_is_down_registers_nothing(tmp_path: Path) -> None:
    scen = load(JOIN_FIXED)
    c = scen.initial_state()
    c = attrs.evolve(c, control_plane=attrs.evolve(c.control_plane, apiserver=False))
    out = timeline.perform(c, _event("30s join node/w9", tmp_path))
    assert out.state.node("w9") is None and out.events[0].reason == "RegistrationFailed"


def test_simulate_join_gets_the_pods_running_on_the_new_node() -> None:
    """worker-1 is cordoned: the 2 pods wait Pending until worker-2 joins at 30s, then run on it
    within two ticks (with or without the safeguard: the taint only delays them until the
    kubelet's first status and the node lifecycle controller's next pass)."""
    for path in (JOIN, JOIN_FIXED):
        scen = load(path)
        seen: list[tuple[int, int]] = []

        def record(c: Cluster, seen: list[tuple[int, int]] = seen) -> None:
            seen.append((c.now, sum(p.phase == "Running" for p in c.pods)))

        simulate(scen, on_tick=record)
        assert all(running == 0 for t, running in seen if t < 30)
        first = min(t for t, running in seen if running == 2)
        assert 30 <= first <= 30 + scen.settings.node_monitor_period + 2 * scen.settings.step


def test_explorer_finds_the_binding_to_a_just_joined_node() -> None:
    scen = load(JOIN)
    m = KubeModel(scen)
    p = prop("no-schedule-to-unready-node", scen)
    r = explore(m, p, max_states=20_000)
    assert r.verdict == VIOLATED and r.trace is not None, r.message
    assert [s.actor for s in r.trace.steps[1:]] == ["timeline", "scheduler"]  # the join, then the binding
    assert "worker-2" in r.trace.steps[-1].label


def test_explorer_holds_with_the_admission_taint() -> None:
    scen = load(JOIN_FIXED)
    r = explore(KubeModel(scen), prop("no-schedule-to-unready-node", scen), max_states=30_000)
    assert r.verdict == HOLDS, r.message


def test_hypothesis_finds_the_binding_and_holds_with_the_admission_taint() -> None:
    scen = load(JOIN)
    p = prop("no-schedule-to-unready-node", scen)
    assert hypothesis_engine.check(KubeModel(scen), p, seed=0, max_examples=20).verdict == VIOLATED
    scen = load(JOIN_FIXED)
    r = hypothesis_engine.check(KubeModel(scen), prop("no-schedule-to-unready-node", scen), seed=0, max_examples=20)
    assert r.verdict == HOLDS, r.message


# -- Z3 refuses the features --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "words"),
    [
        (MASS, "zone partitions and nodes joining are not encoded in Z3"),
        (JOIN_FIXED, "(join) is not encoded"),
    ],
)
def test_z3_refuses_zone_partitions_and_joins(cli: Any, path: Path, words: str) -> None:
    r = cli("check", str(path), "--engine", "smt", "-p", "eviction-after-timeout")
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and words in line


@pytest.mark.parametrize("key", ["zoneDisruptionSafeguard", "nodeTaintAdmission"])
def test_z3_refuses_the_safeguards_off(cli: Any, tmp_path: Path, key: str) -> None:
    text = (SCENARIOS / "seed-node-failure.yaml").read_text()
    assert "\nsettings:" not in text
    text = text.replace("\nkind: Scenario\n", f"\nkind: Scenario\nsettings:\n  {key}: false\n", 1)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    r = cli("check", str(path), "--engine", "smt", "-p", "eviction-after-timeout")
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and f"{key}: false" in line and "not encoded in Z3" in line


def test_z3_refuses_the_partition_zone_fault(cli: Any) -> None:
    r = cli("check", str(MASS_FIXED), "--engine", "smt", "-p", "eviction-after-timeout", "--faults", "partitionZone=1")
    assert r.exit_code == 2, r.output
    assert "fault kind partitionZone is not encoded" in r.output or "not encoded in Z3" in r.output


def _budget_variant(tmp_path: Path, safeguard: bool) -> Scenario:
    """mass-eviction-partition.yaml with the cuts left to the fault budget (`partitionZone: 2`,
    no timeline) and short timings (grace 20s, toleration 10s), so that the explorer reaches an
    eviction: with the default timings it lies 70 ticks after the cut."""
    text = MASS.read_text()
    text = text.replace("  - 60s partition zone/us-east-1a\n  - 60s partition zone/us-east-1b\n", "")
    text = text.replace("timeline:\n", "").replace("faults: {}", "faults: {partitionZone: 2}")
    text = text.replace(
        "  zoneDisruptionSafeguard: false\n",
        f"  zoneDisruptionSafeguard: {'true' if safeguard else 'false'}\n"
        "  nodeMonitorGracePeriod: 20s\n  defaultUnreachableTolerationSeconds: 10\n",
    )
    return manifest_scenario(tmp_path, text)


def test_the_fault_budget_finds_the_mass_eviction(tmp_path: Path) -> None:
    scen = _budget_variant(tmp_path, safeguard=False)
    assert scen.timeline == () and scen.faults == (("partitionZone", 2),)
    r = explore(KubeModel(scen), prop("no-mass-eviction", scen), max_states=20_000)
    assert r.verdict == VIOLATED and r.trace is not None, r.message
    cuts = [s.label for s in r.trace.steps if s.actor == "fault"]
    assert sorted(cuts) == ["partition zone/us-east-1:us-east-1a", "partition zone/us-east-1:us-east-1b"]


def test_the_fault_budget_with_the_safeguard_evicts_nothing(tmp_path: Path) -> None:
    """Bounded: the explorer up to depth 25 (both cuts, grace, taint and toleration fit) and
    Hypothesis on random runs (cuts and heals at any tick) find no eviction."""
    scen = _budget_variant(tmp_path, safeguard=True)
    p = prop("no-mass-eviction", scen)
    r = explore(KubeModel(scen), p, max_states=60_000, max_depth=25)
    assert r.verdict != VIOLATED, r.message
    r = hypothesis_engine.check(KubeModel(scen), p, seed=0, max_examples=10)
    assert r.verdict == HOLDS, r.message


@pytest.mark.parametrize(
    ("path", "words"),
    [
        (MASS, "zoneDisruptionSafeguard: false"),
        (JOIN, "nodeTaintAdmission: false"),
        (MASS_FIXED, "zone partitions and nodes joining are not encoded in Z3"),
        (JOIN_FIXED, "zone partitions and nodes joining are not encoded in Z3"),
    ],
)
def test_prove_refuses_zone_partitions_joins_and_safeguards_off(cli: Any, path: Path, words: str) -> None:
    """`kmodel prove` (the scheduling slice's induction) has a fixed set of nodes and no zones."""
    r = cli("prove", str(path), "-p", "bound-pods-stay-put")
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and words in line
