"""State-dependent fault rules (kmodel/faultrules.py): the node facts they read, when they fire
(exactly when the condition holds: 97% vs 98%), how ``max:`` bounds them, that a non-``may`` rule
holds the clock until it fires, the recoveries, the load-driven crash cascade found by the
explorer and by Hypothesis (and its fix holding), the simulation of the cascade with time windows
derived from the settings, and the refusals (bad input, Z3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from kmodel import faultrules
from kmodel.checkmodel import CheckState, KubeModel, cluster_of
from kmodel.engines import hypothesis_engine
from kmodel.engines.base import ALWAYS, ALWAYS_TRANSITION, HOLDS, VIOLATED, Property
from kmodel.engines.explore import explore
from kmodel.engines.simulate import simulate
from kmodel.expr import compile_invariant
from kmodel.exprview import environment
from kmodel.scenario import load
from kmodel.settings import Settings
from kmodel.state import FAILED, Pod, Resources
from tests.builders import cluster, node
from tests.conftest import SCENARIOS, Cli
from tests.simhelpers import first_time, node_rows, snapshot_at

CASCADE = SCENARIOS / "load-crash-cascade.yaml"
FIXED = SCENARIOS / "load-crash-cascade-fixed.yaml"
AT_MOST_ONE_DOWN = "count(n for n in nodes if not n.powered) <= 1"

S = Settings()
TICK = S.step
GRACE = S.node_monitor_grace_period
MONITOR = S.node_monitor_period
HEARTBEAT = S.node_status_update_frequency


def _one_down(state: Any) -> bool:
    return sum(1 for n in cluster_of(state).nodes if not n.powered) <= 1


ONE_DOWN = Property("at-most-one-node-down", ALWAYS, "", predicate=_one_down)


def _scenario(tmp_path: Path, cpu: str, rule: str, *, allocatable: str = "1", name: str = "s.yaml") -> Path:
    """One worker with ``allocatable`` CPUs and a one-replica Deployment requesting ``cpu``, and
    the ``faultRules`` entry ``rule`` (YAML, indented as a list item)."""
    path = tmp_path / name
    path.write_text(
        f"""apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {{name: t}}
until: 5m
faults: {{}}
faultRules:
{rule}
---
apiVersion: v1
kind: Node
metadata: {{name: worker-1}}
status:
  allocatable: {{cpu: "{allocatable}", memory: 4Gi, pods: "110"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
        - name: app
          image: nginx
          resources: {{requests: {{cpu: {cpu}}}}}
"""
    )
    return path


CRASH_AT_98 = "  - {name: overload, forEach: node, when: 'n.cpu_requested_percent >= 98', action: crash}"


def _fired(sim: Any, reason: str = "FaultRule") -> list[Any]:
    return [e for e in sim.events if e.reason == reason]


# -- the node facts rules (and invariants) read ------------------------------------------------------


def test_node_facts_count_what_the_scheduler_counts() -> None:
    w = node("w", capacity=Resources(cpu=2000, memory=4 * 1024**3, pods=110))
    pods = (
        Pod(name="a", node_name="w", requests=Resources(cpu=660, memory=1024**3)),
        Pod(name="b", node_name="w", requests=Resources(cpu=700)),
        Pod(name="done", node_name="w", phase=FAILED, requests=Resources(cpu=500)),  # finished: not counted
        Pod(name="pending", requests=Resources(cpu=900)),  # not bound: not counted
    )
    c = cluster(w, pods=pods)
    c = c.with_pod(attrs.evolve(c.pod("b"), deletion_timestamp=0))  # Terminating: still counted
    env = environment(c)
    (rec,) = env["nodes"]  # type: ignore[misc]
    assert rec.cpu_requested == 1360 and rec.cpu_allocatable == 2000
    assert rec.cpu_requested_percent == 68  # 1360 / 2000 = 68%
    assert rec.memory_requested == 1024**3 and rec.memory_requested_percent == 25
    assert rec.pod_count == 2 and rec.pods_allocatable == 110
    # usable in invariants as well
    assert compile_invariant("all(n.cpu_requested_percent < 70 for n in nodes)").evaluate(env)
    assert not compile_invariant("any(n.pod_count > 2 for n in nodes)").evaluate(env)


@pytest.mark.parametrize(("millis", "percent"), [(979, 97), (980, 98), (290, 28), (1000, 100)])
def test_percent_is_what_kubectl_describe_node_shows(millis: int, percent: int) -> None:
    """kubectl's describeNodeResource (staging/src/k8s.io/kubectl/pkg/describe/describe.go):
    ``int64(float64(cpuReqs.MilliValue()) / float64(allocatable.Cpu().MilliValue()) * 100)``, so
    97.9% shows as 97%, and 290m of 1000m as 28% (0.29 * 100 is 28.999... in float64)."""
    w = node("w", capacity=Resources(cpu=1000, memory=0, pods=110))
    c = cluster(w, pods=(Pod(name="a", node_name="w", requests=Resources(cpu=millis)),))
    (rec,) = environment(c)["nodes"]  # type: ignore[misc]
    assert rec.cpu_requested_percent == percent
    assert rec.memory_requested_percent == 0  # no memory allocatable: 0 (kubectl's guard), no division by zero


# -- when a rule fires ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cpu", "fires"), [("970m", False), ("979m", False), ("980m", True), ("1", True)])
def test_the_rule_fires_exactly_when_its_condition_holds(tmp_path: Path, cpu: str, fires: bool) -> None:
    sim = simulate(load(_scenario(tmp_path, cpu, CRASH_AT_98)), until=60)
    fired = _fired(sim)
    if not fires:
        assert fired == []
        assert sim.final is not None and sim.final.node("worker-1").powered  # type: ignore[union-attr]
        return
    (event,) = fired
    # the pod is created and bound in the first tick; the rule fires at the end of that tick
    assert event.t == 0 and event.object == "node/worker-1" and event.source == "faultRule"
    percent = 98 if cpu == "980m" else 100
    assert event.message == (
        f"faultRule overload fired on worker-1: n.cpu_requested_percent >= 98 "
        f"with n.cpu_requested_percent = {percent}; crash"
    )
    assert sim.final is not None and not sim.final.node("worker-1").powered  # type: ignore[union-attr]


def test_crash_and_reboot_is_a_timed_event_and_max_bounds_the_firings(tmp_path: Path) -> None:
    reboot = 30
    rule = (
        "  - {name: overload, forEach: node, when: 'n.cpu_requested_percent >= 98', action: crash,"
        f" rebootAfter: {reboot}s, max: 2}}"
    )
    sim = simulate(load(_scenario(tmp_path, "1", rule)), until=300)
    # fires at 0; the node powers on at `reboot` (first thing in that tick), its pod is still bound
    # there, so the rule fires again at the end of that tick; then max is reached
    assert [e.t for e in _fired(sim)] == [0, reboot]
    assert [e.t for e in _fired(sim, "FaultRuleRecovery")] == [reboot, 2 * reboot]
    assert "[2 of at most 2]" in _fired(sim)[1].message
    assert "power on worker-1 at t=30s (rebootAfter 30s)" in _fired(sim)[0].message
    assert sim.final is not None and sim.final.node("worker-1").powered  # type: ignore[union-attr]
    assert sim.final.rule_fired == (("overload", 2),) and sim.final.rule_timers == ()


def test_without_max_the_rule_fires_again_after_every_reboot(tmp_path: Path) -> None:
    rule = "  - {name: overload, forEach: node, when: 'n.cpu_requested_percent >= 98', action: crash, rebootAfter: 60s}"
    sim = simulate(load(_scenario(tmp_path, "1", rule)), until=300)
    assert [e.t for e in _fired(sim)] == [0, 60, 120, 180, 240, 300]
    assert sim.final is not None and sim.final.rule_fired == ()  # no max: no count kept in the state


def _explore_model(path: Path) -> KubeModel:
    return KubeModel(load(path), faults=())


def test_max_bounds_the_firings_in_the_explorer(tmp_path: Path) -> None:
    rule = (
        "  - {name: overload, forEach: node, when: 'n.cpu_requested_percent >= 98', action: crash,"
        " rebootAfter: 30s, max: 2}"
    )
    m = _explore_model(_scenario(tmp_path, "1", rule))

    def fired_at_most(k: int) -> Property:
        return Property(
            f"fired<={k}", ALWAYS, "", predicate=lambda s: dict(cluster_of(s).rule_fired).get("overload", 0) <= k
        )

    assert explore(m, fired_at_most(2), max_states=20_000).verdict == HOLDS
    r = explore(m, fired_at_most(1), max_states=20_000)
    assert r.verdict == VIOLATED and r.trace is not None
    assert [s.label.split(":")[0] for s in r.trace.steps if s.actor == faultrules.ACTOR][-1] == (
        "faultRule overload fired on worker-1"
    )


def _time_passes_over_an_enabled_rule(model: KubeModel) -> Property:
    rules = model.scenario.fault_rules

    def ok(before: CheckState, after: CheckState) -> bool:
        must = [r for r, _ in faultrules.firings(before.cluster, rules) if not r.may]
        return not (must and after.cluster.now > before.cluster.now)

    return Property("no-tick-over-a-rule", ALWAYS_TRANSITION, "", transition=ok)


def _may_rule_passes(model: KubeModel) -> Property:
    rules = model.scenario.fault_rules

    def ok(before: CheckState, after: CheckState) -> bool:
        return not (faultrules.firings(before.cluster, rules) and after.cluster.now > before.cluster.now)

    return Property("no-tick-over-a-may-rule", ALWAYS_TRANSITION, "", transition=ok)


def test_a_rule_without_may_holds_the_clock_until_it_fires(tmp_path: Path) -> None:
    rule = "  - {name: hot, forEach: node, when: 'n.cpu_requested_percent >= 98', action: killPods, max: 3}"
    m = _explore_model(_scenario(tmp_path, "1", rule))
    r = explore(m, _time_passes_over_an_enabled_rule(m), max_states=20_000)
    assert r.verdict == HOLDS, r.message
    # and the state where it is enabled offers the firing, never the tick
    state = next(m.init_states())
    seen = held = 0
    frontier = [state]
    while frontier and seen < 2_000:
        s = frontier.pop()
        seen += 1
        trs = list(m.transitions(s))
        if any(not r.may for r, _ in faultrules.firings(s.cluster, m.scenario.fault_rules)):
            busy = any(t.actor not in ("clock", faultrules.ACTOR, "fault", "repair") for t in trs)
            if not busy:
                held += 1
                assert {t.actor for t in trs} == {faultrules.ACTOR}
        frontier.extend(t.state for t in trs[:2])
    assert held >= 3  # the rule fired (killing the containers, restarted the next tick) three times


def test_a_may_rule_is_a_choice_the_checker_explores_both_ways(tmp_path: Path) -> None:
    rule = "  - {name: hot, forEach: node, when: 'n.cpu_requested_percent >= 98', action: crash, may: true}"
    m = _explore_model(_scenario(tmp_path, "1", rule))
    # time may pass while the rule is enabled ...
    r = explore(m, _may_rule_passes(m), max_states=20_000)
    assert r.verdict == VIOLATED and r.trace is not None
    assert r.trace.steps[-1].actor == "clock"
    # ... and the rule may fire, as a fault (the adversary's move), so the node can go down
    down = explore(m, ONE_DOWN_OF_ONE, max_states=20_000)
    assert down.verdict == VIOLATED and down.trace is not None
    assert down.trace.steps[-1].actor == faultrules.ACTOR
    assert any(t.fault for t in m.transitions(down.trace.steps[-2].state) if t.actor == faultrules.ACTOR)


ONE_DOWN_OF_ONE = Property("all-up", ALWAYS, "", predicate=lambda s: all(n.powered for n in cluster_of(s).nodes))


def test_may_rules_are_listed_by_describe(tmp_path: Path) -> None:
    rule = "  - {name: hot, forEach: node, when: 'n.pod_count > 0', action: stopKubelet, restartAfter: 1m, may: true}"
    (r,) = load(_scenario(tmp_path, "1", rule)).fault_rules
    assert r.describe() == (
        "hot: stopKubelet each node n where n.pod_count > 0, restartAfter 1m, may fire (the checker chooses)"
    )


def test_recoveries_are_part_of_the_fingerprint(tmp_path: Path) -> None:
    rule = "  - {name: hot, forEach: node, when: 'n.pod_count > 0', action: stopKubelet, restartAfter: 1m}"
    m = _explore_model(_scenario(tmp_path, "1", rule))
    s = next(m.init_states())
    c = s.cluster
    a = attrs.evolve(s, cluster=attrs.evolve(c, rule_timers=((c.now + 60, "stopKubelet", "worker-1"),)))
    b = attrs.evolve(s, cluster=attrs.evolve(c, rule_timers=((c.now + 30, "stopKubelet", "worker-1"),)))
    assert m.fingerprint(a) != m.fingerprint(b) != m.fingerprint(s)


def test_pod_rules_kill_a_pods_containers(tmp_path: Path) -> None:
    rule = "  - {name: flaky, forEach: pod, when: 'p.restarts < 2 and p.status == \"Running\"', action: killPod}"
    sim = simulate(load(_scenario(tmp_path, "500m", rule)), until=120)
    fired = _fired(sim)
    assert len(fired) == 2 and all(e.object.startswith("pod/web-") for e in fired)
    assert sim.final is not None and sim.final.pods[0].restarts == 2


# -- the cascade: explorer, Hypothesis, simulation ----------------------------------------------------


def test_explorer_finds_the_cascade_with_a_shortest_trace() -> None:
    m = KubeModel(load(CASCADE))
    r = explore(m, ONE_DOWN, max_states=50_000)
    assert r.verdict == VIOLATED and r.trace is not None
    labels = [(s.actor, s.label) for s in r.trace.steps]
    assert ("timeline", "60s stop node/worker-1") in labels
    last_actor, last_label = labels[-1]
    assert last_actor == faultrules.ACTOR
    assert last_label.startswith("faultRule overload fired on worker-")
    assert "n.cpu_requested_percent = 99" in last_label  # 3 x 660m of 2000m
    assert any(a == "tainteviction" for a, _ in labels)  # the lost node's pods were evicted first
    shorter = explore(KubeModel(load(CASCADE)), ONE_DOWN, max_states=50_000, max_depth=len(r.trace) - 1)
    assert shorter.verdict != VIOLATED


def test_service_loses_every_endpoint_in_the_cascade() -> None:
    from kmodel import properties as props

    scen = load(CASCADE)
    prop = props.to_property(props.BUILTINS["service-has-endpoint"], scen.settings)
    r = explore(KubeModel(scen), prop, max_states=50_000)
    assert r.verdict == VIOLATED and r.trace is not None
    assert sum(1 for s in r.trace.steps if s.actor == faultrules.ACTOR) >= 1


@pytest.mark.thorough  # one of the slowest default tests (10-16 s); its faster siblings stay
def test_the_fix_holds_in_the_explorer() -> None:
    r = explore(KubeModel(load(FIXED)), ONE_DOWN, max_states=60_000)
    assert r.verdict == HOLDS, r.message


def test_hypothesis_finds_the_cascade() -> None:
    r = hypothesis_engine.check(KubeModel(load(CASCADE)), ONE_DOWN, seed=1)
    assert r.verdict == VIOLATED and r.trace is not None
    assert r.trace.steps[-1].actor == faultrules.ACTOR


def test_hypothesis_finds_nothing_on_the_fix() -> None:
    r = hypothesis_engine.check(KubeModel(load(FIXED)), ONE_DOWN, seed=1, max_examples=8, steps=60)
    assert r.verdict == HOLDS, r.message
    assert r.stats.depth >= 100  # runs go past the eviction and the rescheduling (~60 actions in)


def test_simulated_cascade_with_time_windows_from_the_settings(cli: Cli) -> None:
    scen = load(CASCADE)
    toleration = scen.settings.default_unreachable_toleration_seconds
    off = scen.timeline[0].at
    doc = cli.simulate_json(CASCADE, until="6m")
    # worker-1 turns NotReady between grace and grace + monitor period + tick after its last heartbeat
    t_unknown = first_time(node_rows(doc, "worker-1"), condition="Unknown")
    assert t_unknown is not None and off - HEARTBEAT + GRACE < t_unknown <= off + GRACE + MONITOR + TICK
    # its pods are evicted once the toleration runs out; their replacements land on worker-2 and
    # worker-3 (3 x 660m = 99% each), and the rule crashes both at the end of that very tick
    evicted = [e["t"] for e in doc["events"] if e["reason"] == "TaintManagerEviction"]
    assert evicted and all(t_unknown + toleration <= t <= t_unknown + MONITOR + toleration + TICK for t in evicted)
    fired = [e for e in doc["events"] if e["reason"] == "FaultRule"]
    assert sorted(e["object"] for e in fired) == ["node/worker-2", "node/worker-3"]
    assert {e["t"] for e in fired} == {max(evicted)}
    t_fire = max(evicted)
    snap = snapshot_at(doc, t_fire)
    assert {n["name"]: n["machine"] for n in snap["nodes"]}["worker-2"] == "off"
    # worker-2 and worker-3 turn NotReady a grace period later; then no endpoint is left
    for name in ("worker-2", "worker-3"):
        t = first_time(node_rows(doc, name), condition="Unknown")
        assert t is not None and t_fire - HEARTBEAT + GRACE < t <= t_fire + GRACE + MONITOR + TICK
    end = snapshot_at(doc, 6 * 60)
    assert [s["endpoints"] for s in end["services"]] == [[]]
    # the fix: no rule fires, the replacements run
    fixed = cli.simulate_json(FIXED, until="6m")
    assert not [e for e in fixed["events"] if e["reason"] == "FaultRule"]
    final = snapshot_at(fixed, 6 * 60)
    assert sum(1 for p in final["pods"] if p["status"] == "Running" and p["ready"]) == 6


# -- refusals ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "place", "needles"),
    [
        (
            "  - {name: r, forEach: node, when: 'n.pod_count > 1', action: explode}",
            "faultRules[0].action",
            ["unknown action 'explode'", "fix: use one of crash, stopKubelet"],
        ),
        (
            "  - {name: r, forEach: node, when: 'n.pod_count >', action: crash}",
            "faultRules[0].when",
            ["invalid syntax", "fix: an invariant is one Python-style expression"],
        ),
        (
            "  - {name: r, forEach: node, when: 'm.pod_count > 1', action: crash}",
            "faultRules[0].when",
            ["'m' is not a known name", "fix: use nodes, pods"],
        ),
        (
            "  - {name: r, forEach: node, when: 'n.cpu_percent > 90', action: crash}",
            "faultRules[0].when",
            ["nodes have no field 'cpu_percent'", "cpu_requested_percent"],
        ),
        (
            "  - {name: r, when: 'n.pod_count > 1', action: crash}",
            "faultRules[0]",
            ["forEach is missing", "fix: add forEach: node"],
        ),
        (
            "  - {name: r, forEach: node, when: 'len(pods) > 3', action: crash}",
            "faultRules[0].when",
            ["never names n", "fix: say which nodes"],
        ),
        (
            "  - {name: r, forEach: node, when: 'n.pod_count > 1', action: crash, restartAfter: 1m}",
            "faultRules[0].restartAfter",
            ["restartAfter does not go with action crash", "fix: use rebootAfter"],
        ),
        (
            "  - {name: r, forEach: node, when: 'n.pod_count > 1', action: killPod}",
            "faultRules[0].action",
            ["killPod acts on a pod", "fix: use forEach: pod"],
        ),
        (
            "  - {name: r, forEach: node, when: 'n.pod_count > 1', action: crash, max: 0}",
            "faultRules[0].max",
            ["must be a whole number >= 1"],
        ),
        (
            "  - {name: r, forEach: node, when: 'n.name > 3', action: crash}",
            "faultRules[0].when",
            ["cannot compare"],
        ),
    ],
)
def test_bad_rules_are_one_line_errors_with_exit_2(
    cli: Cli, tmp_path: Path, rule: str, place: str, needles: list[str]
) -> None:
    path = _scenario(tmp_path, "500m", rule)
    r = cli("simulate", str(path))
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and str(path) in line and f"Scenario {place}" in line, line
    for needle in needles:
        assert needle in line, line


def test_smt_engine_refuses_fault_rules(cli: Cli) -> None:
    r = cli("check", str(CASCADE), "--engine", "smt", "-i", AT_MOST_ONE_DOWN)
    assert r.exit_code == 2, r.output
    assert "faultRules (overload: a fault that fires when a condition over the state holds) are not encoded" in (
        r.output
    )


@pytest.mark.parametrize(
    ("action", "key", "down", "up"),
    [
        ("crash", "rebootAfter", lambda n: not n.powered, lambda n: n.powered),
        ("stopKubelet", "restartAfter", lambda n: not n.kubelet_running, lambda n: n.kubelet_running),
        ("stopRuntime", "restartAfter", lambda n: not n.runtime_ready, lambda n: n.runtime_ready),
        ("partition", "healAfter", lambda n: n.partitioned, lambda n: not n.partitioned),
    ],
)
def test_each_node_action_and_its_recovery(tmp_path: Path, action: str, key: str, down: Any, up: Any) -> None:
    rule = f"  - {{name: r, forEach: node, when: 'n.pod_count >= 1', action: {action}, {key}: 20s, max: 1}}"
    scen = load(_scenario(tmp_path, "500m", rule))
    seen: list[tuple[int, bool, bool]] = []
    simulate(scen, until=60, on_tick=lambda c: seen.append((c.now, down(c.node("worker-1")), up(c.node("worker-1")))))
    # fired at the end of tick 0 (the pod is bound in it), undone first thing at 20 s
    assert [t for t, d, _ in seen if d] == list(range(0, 20, TICK))
    assert all(u for t, _, u in seen if t >= 20)


def test_delete_pod_goes_through_the_apiserver_and_the_replicaset_replaces_it(tmp_path: Path) -> None:
    rule = "  - {name: old, forEach: pod, when: 'p.age >= 30 and not p.terminating', action: deletePod, max: 1}"
    sim = simulate(load(_scenario(tmp_path, "500m", rule)), until=60)
    (fired,) = _fired(sim)
    assert fired.t == 30 and "p.age = 30" in fired.message
    created = [e.t for e in sim.events if e.reason == "SuccessfulCreate"]
    assert created == [0, 35]  # the replacement is created in the tick after the delete


@pytest.mark.parametrize("prop", ["bound-pods-stay-put", "no-over-replication"])
def test_prove_refuses_fault_rules(cli: Cli, prop: str) -> None:
    r = cli("prove", str(CASCADE), "-p", prop)
    assert r.exit_code == 2, r.output
    assert "faultRules (overload: a fault that fires when a condition over the state holds)" in r.output
