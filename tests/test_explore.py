"""The explorer on toy models (it knows nothing about Kubernetes), then on a real scenario."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

import attrs

from kmodel.checkmodel import KubeModel
from kmodel.engines.base import (
    ALWAYS,
    ALWAYS_TRANSITION,
    EVENTUALLY,
    HOLDS,
    INCONCLUSIVE,
    VIOLATED,
    WITHIN,
    Property,
    Transition,
)
from kmodel.engines.explore import explore, explore_many
from kmodel.scenario import load
from tests.conftest import SCENARIOS


class Counters:
    """Two counters a and b in 0..limit; 'inc a', 'inc b', 'reset' (a, b = 0, 0). Time = a + b."""

    def __init__(self, limit: int = 5) -> None:
        self.limit = limit

    def init_states(self) -> Iterator[tuple[int, int]]:
        yield (0, 0)

    def transitions(self, s: tuple[int, int]) -> Iterator[Transition]:
        a, b = s
        if a < self.limit:
            yield Transition("a", "inc a", (a + 1, b))
        if b < self.limit:
            yield Transition("b", "inc b", (a, b + 1))
        yield Transition("reset", "reset", (0, 0))

    def fingerprint(self, s: tuple[int, int]) -> Hashable:
        return s

    def clock(self, s: tuple[int, int]) -> int:
        return s[0] + s[1]


def test_holds_after_visiting_every_state() -> None:
    r = explore(Counters(), Property("bounded", ALWAYS, "", predicate=lambda s: s[0] <= 5))
    assert r.verdict == HOLDS
    assert r.stats.states == 36 and r.stats.transitions == 36 * 3 - 2 * 6
    assert r.stats.depth == 10


def test_first_violation_is_a_shortest_trace() -> None:
    r = explore(Counters(), Property("sum", ALWAYS, "", predicate=lambda s: s[0] + s[1] < 3))
    assert r.verdict == VIOLATED and r.trace is not None
    assert len(r.trace) == 3
    assert r.trace.steps[0].actor == "init"
    assert sum(r.trace.last) == 3


def test_transition_property() -> None:
    prop = Property("monotone", ALWAYS_TRANSITION, "", transition=lambda s, t: t[0] >= s[0])
    r = explore(Counters(), prop)
    assert r.verdict == VIOLATED and r.trace is not None
    assert r.trace.steps[-1].label == "reset" and r.trace.steps[-2].state[0] >= 1
    assert len(r.trace) == 2  # inc a, reset


def test_within_property() -> None:
    # once a >= 1, b must reach 2 within 3 time units (time = a + b): violated by inc a four times
    prop = Property("b follows", WITHIN, "", predicate=lambda s: s[0] >= 1, target=lambda s: s[1] >= 2, bound=3)
    r = explore(Counters(), prop)
    assert r.verdict == VIOLATED and r.trace is not None
    # P first holds at time 1; at time 5 Q still has not: five steps, b still below 2
    assert len(r.trace) == 5 and r.trace.last[1] < 2 and sum(r.trace.last) == 5
    relaxed = attrs.evolve(prop, bound=20)
    assert explore(Counters(), relaxed).verdict == HOLDS


def test_limits_give_inconclusive() -> None:
    prop = Property("bounded", ALWAYS, "", predicate=lambda s: True)
    r = explore(Counters(50), prop, max_states=100)
    assert r.verdict == INCONCLUSIVE and "100 states" in r.message
    r = explore(Counters(50), prop, max_depth=3)
    assert r.verdict == INCONCLUSIVE and r.stats.depth == 3


def _endpoint_prop() -> Property:
    return Property("endpoint", ALWAYS, "", predicate=lambda st: all(s.endpoints for s in st.cluster.services))


def test_kube_model_outage_race_is_prevented_by_leader_election() -> None:
    """Stop any control-plane process once (and start it again), in every interleaving: the
    Service never loses all endpoints, because a controller-manager that cannot renew its lease
    for 10 s restarts with a fresh view of node heartbeats. Explored completely."""
    scen = attrs.evolve(load(SCENARIOS / "seed-node-failure.yaml"), timeline=())
    r = explore(KubeModel(scen, faults=(("stopComponent", 1),)), _endpoint_prop(), max_states=100_000)
    assert r.verdict == HOLDS, r.message
    assert r.stats.states > 1000


def test_kube_model_finds_the_outage_race_without_leader_election() -> None:
    """With the renew deadline out of reach, the controller-manager keeps its stale probe
    times through a long apiserver outage and marks every node Unknown on reconnection,
    before the kubelets' heartbeats get through: the explorer finds that shortest trace."""
    scen = attrs.evolve(load(SCENARIOS / "seed-node-failure.yaml"), timeline=())
    scen = attrs.evolve(scen, settings=attrs.evolve(scen.settings, leader_election_renew_deadline=3600))
    r = explore(KubeModel(scen, faults=(("stopComponent", 1),)), _endpoint_prop(), max_states=100_000)
    assert r.verdict == VIOLATED and r.trace is not None
    labels = [s.label for s in r.trace.steps]
    assert "stop apiserver" in labels or "stop etcd" in labels
    assert r.trace.steps[-1].actor in ("nodelifecycle", "endpoints")


def _renamed(c, mapping: dict[str, str]):  # type: ignore[no-untyped-def]
    """The same cluster with generated pod names swapped everywhere they appear."""
    from kmodel.state import Cluster

    assert isinstance(c, Cluster)
    pods = tuple(sorted((attrs.evolve(p, name=mapping.get(p.name, p.name)) for p in c.pods), key=lambda p: p.name))
    nodes = tuple(attrs.evolve(n, running=frozenset(mapping.get(x, x) for x in n.running)) for n in c.nodes)
    services = tuple(
        attrs.evolve(s, endpoints=tuple(sorted(mapping.get(e, e) for e in s.endpoints))) for s in c.services
    )
    return attrs.evolve(c, pods=pods, nodes=nodes, services=services)


def test_symmetry_fingerprint_ignores_generated_names_only() -> None:
    from kmodel.checkmodel import CheckState

    scen = attrs.evolve(load(SCENARIOS / "seed-node-failure.yaml"), timeline=())
    model = KubeModel(scen)
    init = next(model.init_states())
    a, b = (p.name for p in init.cluster.pods)
    swapped = CheckState(_renamed(init.cluster, {a: "hello-world-zzzzz", b: a}), init.budget)
    assert model.fingerprint(swapped) == model.fingerprint(init)
    plain = KubeModel(scen, symmetry=False)
    assert plain.fingerprint(swapped) != plain.fingerprint(init)
    # a real difference (one pod not ready) is never merged away
    pod = init.cluster.pod(a)
    assert pod is not None
    changed = CheckState(init.cluster.with_pod(attrs.evolve(pod, ready=False)), init.budget)
    assert model.fingerprint(changed) != model.fingerprint(init)


def test_symmetry_gives_the_same_verdicts_on_a_small_scenario() -> None:
    """kill one pod's containers, in every interleaving: same verdicts with and without the
    reduction (the state counts match here because a kill creates no new names)."""
    scen = attrs.evolve(load(SCENARIOS / "seed-scaling.yaml"), timeline=())
    props = [
        _endpoint_prop(),
        Property("three", ALWAYS, "", predicate=lambda st: len(st.cluster.pods) == 3),
    ]
    for prop in props:
        results = [
            explore(KubeModel(scen, faults=(("killPod", 1),), symmetry=sym), prop, max_states=50_000)
            for sym in (False, True)
        ]
        assert results[0].verdict == results[1].verdict == HOLDS
        assert results[1].stats.states <= results[0].stats.states


class Healing(Counters):
    """Counters where 'b' is a fault: once faults stop, b goes back to 0 and a must reach the limit."""

    def transitions(self, s: tuple[int, int]) -> Iterator[Transition]:
        a, b = s
        if a < self.limit and b == 0:  # a only advances while b is healthy
            yield Transition("a", "inc a", (a + 1, b))
        if b < self.limit:
            yield Transition("fault", "inc b", (a, b + 1), fault=True)

    def stop_faults(self, s: tuple[int, int]) -> tuple[int, int]:
        return (s[0], 0)

    def clock(self, s: tuple[int, int]) -> int:
        return s[0]


def test_eventually_after_faults_stop() -> None:
    prop = Property("a reaches 5", EVENTUALLY, "", predicate=lambda s: s[0] == 5, bound=5, needs_fairness=True)
    r = explore(Healing(), prop)
    assert r.verdict == HOLDS
    assert r.warnings  # the toy model promises no fairness


class Stuck:
    """(a, b, t): a stalls at 3 and never reaches 5; 'wait' lets time t pass."""

    def init_states(self) -> Iterator[tuple[int, int, int]]:
        yield (0, 0, 0)

    def transitions(self, s: tuple[int, int, int]) -> Iterator[Transition]:
        a, b, t = s
        if a < 3:
            yield Transition("a", "inc a", (a + 1, b, t))
        if b < 2:
            yield Transition("fault", "inc b", (a, b + 1, t), fault=True)
        yield Transition("clock", "wait", (a, b, t + 1))

    def stop_faults(self, s: tuple[int, int, int]) -> tuple[int, int, int]:
        return (s[0], 0, s[2])

    def fingerprint(self, s: tuple[int, int, int]) -> Hashable:
        return s[:2]

    def clock(self, s: tuple[int, int, int]) -> int:
        return s[2]


def test_eventually_violated_when_progress_stalls() -> None:
    prop = Property("a reaches 5", EVENTUALLY, "", predicate=lambda s: s[0] == 5, bound=3)
    r = explore(Stuck(), prop)
    assert r.verdict == VIOLATED and r.trace is not None
    assert "faults stop" in {st.label.split(":")[0] for st in r.trace.steps}
    # shortest: stop faults at once, then wait 4 time units
    assert len(r.trace) == 5 and r.trace.last[0] < 5


def test_many_properties_share_one_search() -> None:
    props = [
        Property("sum", ALWAYS, "", predicate=lambda s: s[0] + s[1] < 3),
        Property("bounded", ALWAYS, "", predicate=lambda s: s[0] <= 5),
        Property("monotone", ALWAYS_TRANSITION, "", transition=lambda s, t: t[0] >= s[0]),
        Property("b follows", WITHIN, "", predicate=lambda s: s[0] >= 1, target=lambda s: s[1] >= 2, bound=3),
    ]
    results = explore_many(Counters(), props)
    assert [r.property for r in results] == ["sum", "bounded", "monotone", "b follows"]
    assert [r.verdict for r in results] == [VIOLATED, HOLDS, VIOLATED, VIOLATED]
    # each violation is as short as when checked alone
    for r, p in zip(results, props, strict=True):
        alone = explore(Counters(), p)
        assert r.verdict == alone.verdict
        if r.trace is not None and alone.trace is not None:
            assert len(r.trace) == len(alone.trace)
    assert results[1].stats.states == 36


def test_symmetry_is_sound_and_smaller_when_names_are_generated() -> None:
    """Deleting any one of seed-scaling's three pods: the replacement gets a new generated name,
    and deleting either of two pods that share a node gives states equal up to names. With the
    reduction the explorer visits fewer states, and every verdict (and the length of every
    counterexample) is the same as without it."""
    from kmodel import properties as builtins

    scen = attrs.evolve(load(SCENARIOS / "seed-scaling.yaml"), timeline=())
    props = [builtins.to_property(d, scen.settings) for d in builtins.BUILTINS.values() if d.kind != EVENTUALLY]
    props.append(Property("at most three pods", ALWAYS, "", predicate=lambda st: len(st.cluster.pods) <= 3))
    plain, reduced = (
        explore_many(KubeModel(scen, faults=(("deletePod", 1),), symmetry=sym), props, max_states=50_000)
        for sym in (False, True)
    )
    assert [r.verdict for r in plain] == [r.verdict for r in reduced]
    assert [r.verdict for r in reduced] == [HOLDS] * (len(props) - 1) + [VIOLATED]
    assert [len(r.trace) if r.trace else None for r in plain] == [len(r.trace) if r.trace else None for r in reduced]
    assert reduced[0].stats.states < plain[0].stats.states / 2
