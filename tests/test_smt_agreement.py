"""The Z3 encoding of the node-health slice agrees exactly with the Python model.

What makes every answer of the Z3 engine trustworthy: on concrete states reached by random walks
of the Python slice model (:class:`kmodel.smt.nodehealth.SliceModel`), for every named action,
the set of successor projections Z3 admits (all models, enumerated with blocking clauses) equals
the set of projections of the Python successors of that action; so the enabled actions agree
too. Both forms of the relation are checked: the disjunction of named actions
(``Slice.actions``) and the compact form the bounded model checker unrolls (``Slice.compact``,
with the invariant variables folded in).

The test is sharp: a changed encoding (grace period off by one tick, a missing frame condition)
and a changed Python component (tests/broken.py) each make the check fail, and the broken
Python component agrees with the encoding's matching switch (``toleration_override``).
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import attrs
import pytest
import z3
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kmodel.checkmodel import CheckState
from kmodel.scenario import Scenario, load
from kmodel.smt.nodehealth import (
    NE_KEYS,
    NE_VAR,
    Enumerator,
    Params,
    Slice,
    SliceError,
    SliceModel,
    agreement,
    nk,
    pk,
    successor_differences,
    zk,
)
from tests import broken
from tests.conftest import DATA, SCENARIOS

ALL_FAULTS = (("partitionNode", 1), ("powerOffNode", 1), ("stopComponent", 1), ("stopKubelet", 1), ("stopRuntime", 1))

# Five nodes in two zones (four in zone a, so three lost ones make it PartialDisruption, and
# one in zone b, alone FullDisruption when lost), no control-plane node, short timeouts.
ZONES_YAML = """\
apiVersion: kmodel.dev/v1alpha1
kind: Scenario
metadata: {name: smt-zones}
settings:
  nodeMonitorGracePeriod: 20s
  defaultNotReadyTolerationSeconds: 15s
  defaultUnreachableTolerationSeconds: 15s
faults: {powerOffNode: 3}
"""
DEPLOYMENT_YAML = """---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx}]}
"""


def _zones_yaml(excluded: tuple[str, ...] = ()) -> str:
    """ZONES_YAML with its five nodes, those named in ``excluded`` labelled
    node.kubernetes.io/exclude-disruption (left out of the zone states)."""
    text = ZONES_YAML
    for name, zone in (("a1", "a"), ("a2", "a"), ("a3", "a"), ("a4", "a"), ("b1", "b")):
        extra = ", node.kubernetes.io/exclude-disruption: ''" if name in excluded else ""
        text += f"""---
apiVersion: v1
kind: Node
metadata:
  name: {name}
  labels: {{topology.kubernetes.io/zone: {zone}{extra}}}
"""
    return text + DEPLOYMENT_YAML


@cache
def _zones_file(excluded: tuple[str, ...] = ()) -> Path:
    path = Path(tempfile.mkdtemp(prefix="kmodel-smt-")) / "zones.yaml"
    path.write_text(_zones_yaml(excluded))
    return path


def _swap() -> Scenario:
    """props-two-workers with pods that tolerate not-ready longer (60s) than unreachable (15s):
    a deletion scheduled on a NotReady node (container runtime down) and kept when the node is
    then lost (the taint swapped to unreachable) comes due later than one made for the new taint."""
    scen = load(DATA / "props-two-workers.yaml")
    return attrs.evolve(scen, settings=attrs.evolve(scen.settings, default_not_ready_toleration_seconds=60))


def _fast(scen: Scenario) -> Scenario:
    """seed-node-failure without its timeline and with the short timeouts of the props files."""
    s = attrs.evolve(
        scen.settings,
        node_monitor_grace_period=20,
        default_not_ready_toleration_seconds=15,
        default_unreachable_toleration_seconds=15,
    )
    return attrs.evolve(scen, settings=s, timeline=())


# id -> (scenario loader, fault budget)
CONFIGS = {
    "two-workers": (lambda: load(DATA / "props-two-workers.yaml"), ALL_FAULTS),
    "two-workers-both-off": (lambda: load(DATA / "props-two-workers.yaml"), (("powerOffNode", 2),)),
    "one-worker": (
        lambda: load(DATA / "props-one-worker.yaml"),
        (("partitionNode", 1), ("powerOffNode", 2), ("stopComponent", 2), ("stopKubelet", 1), ("stopRuntime", 1)),
    ),
    "two-workers-pod-faults": (
        lambda: load(DATA / "props-two-workers.yaml"),
        (("deletePod", 1), ("killPod", 2), ("powerOffNode", 1)),
    ),
    "seed-timeline": (lambda: load(SCENARIOS / "seed-node-failure.yaml"), (("powerOffNode", 1), ("stopComponent", 1))),
    "seed-fast-two-off": (lambda: _fast(load(SCENARIOS / "seed-node-failure.yaml")), (("powerOffNode", 2),)),
    "seed-fast-all-down": (
        lambda: _fast(load(SCENARIOS / "seed-node-failure.yaml")),
        (("powerOffNode", 2), ("stopKubelet", 1)),
    ),
    "zones": (lambda: load(_zones_file()), (("powerOffNode", 3), ("stopComponent", 1))),
    # a4 and b1 out of the zone states: zone b has none (its queue at the normal rate)
    "zones-excluded": (
        lambda: load(_zones_file(("a4", "b1"))),
        (("powerOffNode", 3), ("stopRuntime", 1), ("stopComponent", 1)),
    ),
    "swap": (_swap, (("stopRuntime", 1), ("powerOffNode", 1), ("partitionNode", 1), ("stopComponent", 1))),
    # the timeline verbs stop / start runtime/NAME
    "runtime-timeline": (
        lambda: load(DATA / "props-two-workers.yaml", ["10s stop runtime/worker-2", "40s start runtime/worker-2"]),
        (("powerOffNode", 1), ("stopKubelet", 1)),
    ),
}


class Case:
    """A slice with its enumerators and a cache of Z3 answers by projected state (the Z3 side
    depends on the projection only; the Python side is always recomputed)."""

    def __init__(self, sl: Slice) -> None:
        self.slice = sl
        self.model = sl.model
        self.enumerators = {form: Enumerator(sl, form) for form in ("actions", "compact")}
        self.z3_cache: dict[tuple[str, tuple[object, ...]], dict[str, set[object]]] = {}

    def problems(self, state: CheckState) -> list[str]:
        sl = self.slice
        py = sl.python_successors(state)
        key = tuple(sorted(sl.project(state).items()))
        out = []
        for form, en in self.enumerators.items():
            zz = self.z3_cache.get((form, key))
            if zz is None:
                zz = en.successors(dict(key))
                self.z3_cache[(form, key)] = zz
            out += successor_differences(sl, py, zz, f"[{form}] ")
        return out


@cache
def case(config: str) -> Case:
    load_scenario, faults = CONFIGS[config]
    return Case(Slice(SliceModel(load_scenario(), faults=faults)))


def _walk_and_check(data: st.DataObject, configs: list[str], max_steps: int) -> None:
    config = data.draw(st.sampled_from(configs), label="config")
    c = case(config)
    state = c.slice.init_state
    steps = data.draw(st.integers(0, max_steps), label="steps")
    path: list[str] = []
    for i in range(steps + 1):
        problems = c.problems(state)
        assert not problems, f"{config}, after {path} (t={state.cluster.now}s):\n" + "\n".join(problems)
        for feature in _features(state):
            event(f"{config}: {feature}")  # --hypothesis-show-statistics tells what the walks reached
        if i == steps:
            break
        ts = list(c.model.transitions(state))
        if not ts:
            break
        # the adversary (faults, repairs) acts about one time in four when it can, so that
        # timeouts get to run out
        adversary = [t for t in ts if t.fault]
        others = [t for t in ts if not t.fault]
        pool = adversary if adversary and (not others or data.draw(st.integers(0, 3)) == 0) else others
        tr = pool[data.draw(st.integers(0, len(pool) - 1))]
        path.append(f"{tr.actor}: {tr.label}")
        state = tr.state


def _features(state: CheckState) -> list[str]:
    c = state.cluster
    zones = dict(c.memory.zone_states).values()
    found = {
        "a node Unknown": any(n.ready == "Unknown" for n in c.nodes),
        "a NoExecute taint": any(t.effect == "NoExecute" for n in c.nodes for t in n.taints),
        "an eviction scheduled": bool(c.memory.scheduled_evictions),
        "a pod Terminating": any(p.terminating for p in c.pods),
        "a node waiting in the tainting queue": bool(c.memory.taint_queue),
        "a zone PartialDisruption": "PartialDisruption" in zones,
        "every zone FullDisruption": bool(zones) and all(z == "FullDisruption" for z in zones),
        "controller-manager memory empty": not c.memory.node_health,
        "apiserver down": c.control_plane.apiserver_down_since is not None,
        "a container runtime down": any(not n.runtime_ready for n in c.nodes),
        "a node Ready=False": any(n.ready == "False" for n in c.nodes),
        "a Lease renewed since the controller looked": any(
            h.seen_lease is not None and (node := c.node(h.name)) is not None and node.lease_renew_time != h.seen_lease
            for h in c.memory.node_health
        ),
        "a record that forgot its Lease": any(h.seen_lease is None for h in c.memory.node_health),
        "an eviction scheduled on an unreachable node": any(
            (pod := c.pod(name)) is not None
            and (node := c.node(pod.node_name or "")) is not None
            and node.has_taint("node.kubernetes.io/unreachable", "NoExecute")
            for name, _ in c.memory.scheduled_evictions
        ),
    }
    return [name for name, hit in found.items() if hit]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_encoding_agrees_with_the_python_slice(data: st.DataObject) -> None:
    _walk_and_check(data, list(CONFIGS), max_steps=60)


@pytest.mark.thorough
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_encoding_agrees_with_the_python_slice_thorough(data: st.DataObject) -> None:
    _walk_and_check(data, list(CONFIGS), max_steps=120)


# --- a fixed walk to an eviction, for the sharpness checks --------------------------------------------


def eviction_walk(
    model: SliceModel, victim: str = "worker-2", limit: int = 80, *, evicts: bool = True
) -> list[CheckState]:
    """Power off ``victim`` at once, then let the components and the clock run (always the first
    enabled step; the clock comes last) until its pod has been evicted, and a few steps more:
    every state on the way."""
    state = next(iter(model.init_states()))
    states = [state]
    after_eviction = 0
    for _ in range(limit):
        ts = list(model.transitions(state))
        off = [t for t in ts if t.label == f"power off {victim}"]
        steps = [t for t in ts if not t.fault]
        tr = off[0] if off and len(states) == 1 else steps[0]
        state = tr.state
        states.append(state)
        if any(p.terminating for p in state.cluster.pods):
            after_eviction += 1
            if after_eviction > 6:
                break
    assert not evicts or any(p.terminating for p in state.cluster.pods), "the walk should reach an eviction"
    return states


def _first_problem(sl: Slice, states: list[CheckState], form: str = "actions") -> list[str]:
    en = Enumerator(sl, form)
    for s in states:
        problems = agreement(sl, s, en)
        if problems:
            return problems
    return []


def _two_workers(**kw: object) -> SliceModel:
    return SliceModel(load(DATA / "props-two-workers.yaml"), faults=(("powerOffNode", 1),), **kw)  # type: ignore[arg-type]


def test_the_fixed_walk_agrees_in_both_forms() -> None:
    model = _two_workers()
    states = eviction_walk(model)
    sl = Slice(model)
    assert _first_problem(sl, states, "actions") == []
    assert _first_problem(sl, states, "compact") == []


def test_a_grace_period_off_by_one_tick_is_caught() -> None:
    model = _two_workers()
    states = eviction_walk(model)
    real = Params.from_settings(model.scenario.settings)
    wrong = attrs.evolve(real, monitor_grace=real.monitor_grace + real.step)
    for form in ("actions", "compact"):
        problems = _first_problem(Slice(model, params=wrong), states, form)
        assert any("nodelifecycle" in p or "clock" in p for p in problems), problems


class _MissingFrame(Slice):
    """The encoding with one frame condition dropped: the taint eviction step no longer says
    that worker-1's heartbeat stays as it is."""

    VAR = nk("worker-1", "heartbeat")

    def _relation(self, c, n2, guard, nx):  # type: ignore[no-untyped-def]
        if nx.get("ran.tainteviction") is True and c.get("ran.tainteviction") is not True:
            nx = {**nx, self.VAR: n2[self.VAR]}  # anything goes
        return super()._relation(c, n2, guard, nx)

    def compact(self, s, s2, selectors):  # type: ignore[no-untyped-def]
        out = super().compact(s, s2, selectors)
        lhs = s2[self.VAR]
        return [f for f in out if not (z3.is_eq(f) and z3.eq(f.arg(0), lhs))]


def test_a_missing_frame_condition_is_caught() -> None:
    model = _two_workers()
    states = eviction_walk(model)
    for form in ("actions", "compact"):
        problems = _first_problem(_MissingFrame(model), states, form)
        assert problems, form
    # tainteviction is where the frame is missing in the actions form; in the compact form the
    # heartbeat equation is gone for every action
    assert any(p.startswith("tainteviction") for p in _first_problem(_MissingFrame(model), states, "actions"))


class _EarliestDeadline(Slice):
    """The taint eviction encoding with the deletion time recomputed instead of kept: when the
    node's taints change to one the pod tolerates for less time, the schedule moves to the
    earlier deadline (now + the new toleration), as a controller that re-evaluated its timers on
    every taint change would do. The real controller keeps what it scheduled."""

    def _tainteviction(self, c, *args):  # type: ignore[no-untyped-def]
        _, nx = super()._tainteviction(c, *args)
        now = c["now"]
        for info in self.pods:
            p = info.name
            _, _, _, seconds = self._no_execute_delay(c, info, self.ctl_tol[p])
            kept = nx[pk(p, "eviction")]
            earlier = z3.And(c[pk(p, "eviction.set")], nx[pk(p, "eviction.set")], now + seconds < kept)
            nx[pk(p, "eviction")] = z3.If(earlier, now + seconds, kept)
        # the step now changes something also when only a deadline moves
        guard = z3.And(z3.Not(c["ran.tainteviction"]), self.cm_active(c), self.changed_exactly(c, nx))
        return guard, nx


def test_a_schedule_recomputed_on_a_taint_swap_is_caught() -> None:
    """A deletion scheduled for 60s after the not-ready taint must stay where it is when the taint
    is swapped for unreachable (15s): the encoding that moves it earlier disagrees there, and
    only there (the real encoding agrees on the same walk)."""
    c = case("swap")
    plan, _ = DIRECTED["swap"]
    states = scripted_walk(c.model, plan[:2], until=90)
    assert _kept_across_swap(states)
    assert _first_problem(c.slice, states) == []
    for form in ("actions", "compact"):
        problems = _first_problem(_EarliestDeadline(c.model), states, form)
        assert any(p.startswith("tainteviction") for p in problems), (form, problems)


def test_a_broken_python_component_is_caught() -> None:
    model = _two_workers(replace={"tainteviction": broken.tainteviction_ignoring_toleration})
    states = eviction_walk(model)
    problems = _first_problem(Slice(model), states)
    assert any(p.startswith("tainteviction") for p in problems), problems


@pytest.mark.parametrize(
    ("fn", "override"),
    [(broken.tainteviction_ignoring_toleration, 0), (broken.tainteviction_never_evicting, None)],
)
def test_the_broken_controllers_are_one_switch_of_the_encoding(fn: object, override: int | None) -> None:
    model = _two_workers(replace={"tainteviction": fn})
    sl = Slice(model, toleration_override=override)
    # states of the broken model itself, and (for the form without invariants) of the real one
    own = eviction_walk(model, limit=60, evicts=override is not None) + _random_states(model, seed=3, walks=2)
    assert _first_problem(sl, own) == []
    assert _first_problem(sl, own, "compact") == []
    assert _first_problem(sl, eviction_walk(_two_workers(), limit=60)) == []


def _random_states(model: SliceModel, seed: int, walks: int = 4, length: int = 50) -> list[CheckState]:
    import random

    rng = random.Random(seed)
    out = []
    for _ in range(walks):
        state = next(iter(model.init_states()))
        for _ in range(length):
            out.append(state)
            ts = list(model.transitions(state))
            if not ts:
                break
            adversary = [t for t in ts if t.fault]
            pool = adversary if adversary and rng.random() < 0.2 else [t for t in ts if not t.fault] or ts
            state = rng.choice(pool).state
    return out


# --- directed walks to the rare corners -----------------------------------------------------------------


def scripted_walk(model: SliceModel, plan: list[tuple[int, str]], until: int) -> list[CheckState]:
    """Run the components and the clock (always the first enabled step, the clock last) until
    ``until`` seconds after the start; each ``(after, label)`` of ``plan``, in order, is taken as
    soon as it is enabled ``after`` seconds or more after the start."""
    state = next(iter(model.init_states()))
    start = state.cluster.now
    states = [state]
    todo = list(plan)
    while state.cluster.now < start + until:
        ts = list(model.transitions(state))
        planned = [t for t in ts if todo and t.label == todo[0][1] and state.cluster.now >= start + todo[0][0]]
        if planned:
            todo.pop(0)
            state = planned[0].state
        else:
            state = next(t for t in ts if not t.fault).state
        states.append(state)
    assert not todo, f"planned steps never enabled: {todo}"
    return states


DIRECTED = {
    # three of zone a's four nodes lost: PartialDisruption (no tainting in a small zone), then
    # one back: Normal again, the queued nodes are released one per token
    "zones": (
        [(0, "power off a1"), (0, "power off a2"), (0, "power off a3"), (60, "power on a3")],
        {"a zone PartialDisruption", "a node waiting in the tainting queue", "a pod Terminating"},
    ),
    # both workers of seed-node-failure lost: one NoExecute taint now, the other after the token
    "seed-fast-two-off": (
        [(0, "power off minikube-m02"), (0, "power off minikube-m03"), (70, "power on minikube-m03")],
        {"a node waiting in the tainting queue", "a pod Terminating"},
    ),
    # both workers lost, then the control-plane node's kubelet stopped while a worker still
    # waits for its zone's token: total disruption empties the queue
    "seed-fast-all-down": (
        [(0, "power off minikube-m02"), (0, "power off minikube-m03"), (5, "stop kubelet on minikube")],
        {"a node waiting in the tainting queue", "every zone FullDisruption"},
    ),
    # both workers lost: total disruption (every NoExecute taint lifted), then one back
    "two-workers-both-off": (
        [(0, "power off worker-1"), (0, "power off worker-2"), (45, "power on worker-2")],
        {"every zone FullDisruption", "a node Unknown"},
    ),
    # a worker lost, the apiserver down long enough for the controller-manager to lose its lease
    # (memory reset by the clock), the kubelet of the other stopped
    # the container runtime of worker-2 stopped between two Lease renewals: Ready=False posted
    # alone (the controller's record, rebuilt for it, forgets the Lease it held),
    # not-ready:NoExecute, a deletion scheduled for 60s later; then worker-2 powered off: Unknown
    # after the grace period, the taint swapped to unreachable (15s toleration), the deletion
    # kept for the first time; the runtime and the machine back
    "swap": (
        [
            (5, "stop container runtime on worker-2"),
            (10, "power off worker-2"),
            (100, "power on worker-2"),
            (105, "start container runtime on worker-2"),
        ],
        {
            "a container runtime down",
            "a node Ready=False",
            "a record that forgot its Lease",
            "a node Unknown",
            "an eviction scheduled on an unreachable node",
            "a schedule kept across a taint swap",
            "a pod Terminating",
        },
    ),
    # a4 and b1 excluded from disruption checks: b1 lost is released from zone b's queue, which
    # has no state (normal rate), and tainted; then a1, a2 lost and a3 NotReady (its runtime
    # stopped) make zone a, the only zone with a state, FullDisruption though a4 is fine:
    # total disruption, every NoExecute taint lifted
    "zones-excluded": (
        [(0, "power off b1"), (40, "power off a1"), (40, "power off a2"), (40, "stop container runtime on a3")],
        {"a NoExecute taint", "a node Unknown", "every zone FullDisruption"},
    ),
    # the runtime stopped and started by the timeline: NotReady, tainted, the pod's deletion
    # scheduled and cancelled when the node is Ready again
    "runtime-timeline": (
        [],
        {"a container runtime down", "a node Ready=False", "a NoExecute taint", "an eviction scheduled"},
    ),
    "two-workers": (
        [
            (0, "power off worker-2"),
            (30, "stop apiserver"),
            (45, "stop kubelet on worker-1"),
            (50, "start apiserver"),
            (80, "start kubelet on worker-1"),
        ],
        {"apiserver down", "controller-manager memory empty", "a pod Terminating"},
    ),
}


@pytest.mark.parametrize("config", sorted(DIRECTED))
def test_directed_walks_agree(config: str) -> None:
    plan, expected = DIRECTED[config]
    c = case(config)
    states = scripted_walk(c.model, plan, until=120)
    reached: set[str] = set()
    for state in states:
        problems = c.problems(state)
        assert not problems, f"{config} at t={state.cluster.now}s:\n" + "\n".join(problems)
        reached |= set(_features(state))
    if config == "swap":
        reached |= _kept_across_swap(states)
    assert expected <= reached, expected - reached


def _kept_across_swap(states: list[CheckState]) -> set[str]:
    """Gives "a schedule kept across a taint swap" when some pod's scheduled deletion, made while its
    node had the not-ready NoExecute taint, is still there, unchanged, once the node has the
    unreachable one instead."""
    made: dict[tuple[str, int], str] = {}
    for state in states:
        c = state.cluster
        for name, due in c.memory.scheduled_evictions:
            pod = c.pod(name)
            node = c.node(pod.node_name) if pod is not None and pod.node_name else None
            if node is None:
                continue
            for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
                if node.has_taint(key, "NoExecute"):
                    first = made.setdefault((name, due), key)
                    if first != key:
                        return {"a schedule kept across a taint swap"}
    return set()


# --- the cheap "changed" guard is the literal one ------------------------------------------------------


def _canonical(sl: Slice, v: dict[str, object]) -> list[object]:
    """Facts of every projected state: unset optional values are 0, so are the times of absent
    taints and queue entries."""
    facts = []
    for name in sl.schema:
        if name.endswith("health.set"):
            base = name[: -len(".set")]
            unset = [v[f"{base}.{f}"] == 0 for f in ("probe", "seen_heartbeat", "seen_ready")]
            unset.append(z3.Not(v[f"{base}.seen_lease.set"]))
            facts.append(z3.Implies(z3.Not(v[name]), z3.And(*unset)))
        elif name.endswith(".set"):
            facts.append(z3.Implies(z3.Not(v[name]), v[name[: -len(".set")]] == 0))
    for n in sl.nodes:
        for k in NE_KEYS:
            facts.append(z3.Implies(z3.Not(v[nk(n.name, NE_VAR[k])]), v[nk(n.name, NE_VAR[k] + ".added")] == 0))
        facts.append(z3.Implies(z3.Not(v[nk(n.name, "queued")]), v[nk(n.name, "queued.at")] == 0))
    for z in sl.zones:
        facts.append(z3.And(v[zk(z, "state")] >= -1, v[zk(z, "state")] <= 2))
    for p in sl.pods:
        facts.append(z3.Implies(z3.Not(v[pk(p.name, "present")]), z3.Not(v[pk(p.name, "running")])))
    return facts


def _bool(x: object) -> z3.BoolRef:
    return z3.BoolVal(x) if isinstance(x, bool) else x  # type: ignore[return-value]


@pytest.mark.parametrize("config", ["two-workers", "zones", "zones-excluded", "swap"])
def test_the_cheap_changed_guard_equals_the_literal_one(config: str) -> None:
    """Z3 proves, for every state with the canonical zeros (not only reachable ones), that the
    components' guards with the cheap "changes something" are the guards with the literal one."""
    sl = case(config).slice
    exact = Slice(sl.model, exact_changed=True)
    v = sl.cur.vars
    fast_steps, exact_steps = sl.steps(v), exact.steps(v)
    for name in [*(f"kubelet/{n.name}" for n in sl.nodes), "nodelifecycle", "tainteviction", "clock"]:
        s = z3.Solver()
        s.add(*_canonical(sl, v))
        s.add(z3.Xor(_bool(fast_steps[name][0]), _bool(exact_steps[name][0])))
        assert s.check() == z3.unsat, f"{config} {name}: {s.model() if s.check() == z3.sat else ''}"


# --- symbolic settings ------------------------------------------------------------------------------------


def test_symbolic_settings_pinned_to_the_scenario_agree() -> None:
    """Every timing parameter as a free Z3 constant, pinned to the scenario's value: the
    symbolic code paths (the monitor period as a modulo, the zone threshold as a real,
    tolerations read from the parameters) give the same successors."""
    model = SliceModel(load(DATA / "props-two-workers.yaml"), faults=ALL_FAULTS)
    concrete = Params.from_settings(model.scenario.settings)
    names = [f.name for f in attrs.fields(Params) if getattr(concrete, f.name) is not None]
    symbolic = concrete.symbolic(*names)
    sl = Slice(model, params=symbolic)
    assert not sl.always_due
    en = Enumerator(sl)
    for f in names:
        en.solver.add(getattr(symbolic, f) == getattr(concrete, f))
    for state in eviction_walk(model, limit=50) + _random_states(model, seed=5, walks=2, length=40):
        assert agreement(sl, state, en) == []


# --- scope -------------------------------------------------------------------------------------------------


def test_outside_the_slice_is_refused_with_a_fix() -> None:
    scen = load(DATA / "props-two-workers.yaml")
    with pytest.raises(SliceError, match=r"legacy.*fix"):
        Slice(
            SliceModel(
                attrs.evolve(
                    scen, settings=attrs.evolve(scen.settings, eviction_mode="legacy", kubernetes_version="1.26")
                )
            )
        )
    extra = load(DATA / "props-two-workers.yaml", ["10s scale deployment/web 3"])
    with pytest.raises(SliceError, match="scale"):
        Slice(SliceModel(extra))
