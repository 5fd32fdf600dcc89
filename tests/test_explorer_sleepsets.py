"""The explorer's sleep sets (``explore(..., por=True)``, kmodel.sleepsets) skip steps, never
states: the reduced and the full search visit the same states at the same breadth-first depths,
so every state invariant gets the same verdict and the same shortest counterexample.

Checked here on the seed scenarios (with the fault budgets they declare) and on the models of
the broken-component suite (tests/broken.py), each bounded by a search depth so that both
searches see exactly the same part of the space (a ``max_states`` limit would not: the two
searches meet the states of one depth in different orders): the map from fingerprint to depth
is the same, the transitions computed plus those skipped are the full search's, the state
invariants' verdicts and counterexample lengths agree, and the reduced counterexamples replay.
Then the independence itself: on every state of a few bounded searches, any two kubelets the
model calls independent commute (either order ends in the same fingerprint) and leave each
other enabled; and the cases where the model must refuse any independence.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from benchmarks.explore_bench import generated
from kmodel import properties as props
from kmodel.checkmodel import CheckState, KubeModel
from kmodel.engines.base import ALWAYS, ALWAYS_TRANSITION, HOLDS, INCONCLUSIVE, VIOLATED, Property, Result, Transition
from kmodel.engines.explore import explore, explore_many
from kmodel.scenario import Scenario, load
from kmodel.sleepsets import state_refused
from tests import broken
from tests.conftest import Cli

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SEEDS = sorted(SCENARIOS.glob("seed-*.yaml"))


class _Depth:
    """``model`` with each state's depth beside it (not in its fingerprint), so that a state
    invariant can record the depth at which the search first reached each fingerprint."""

    def __init__(self, model: KubeModel) -> None:
        self.model = model

    def init_states(self) -> Iterator[tuple[CheckState, int]]:
        for s in self.model.init_states():
            yield (s, 0)

    def transitions(self, state: tuple[CheckState, int], skip: frozenset[str] = frozenset()) -> Iterator[Transition]:
        inner, depth = state
        trs = self.model.transitions(inner, skip) if skip else self.model.transitions(inner)
        for tr in trs:
            yield Transition(tr.actor, tr.label, (tr.state, depth + 1), tr.fault)

    def fingerprint(self, state: tuple[CheckState, int]) -> Hashable:
        return self.model.fingerprint(state[0])

    def clock(self, state: tuple[CheckState, int]) -> int:
        return self.model.clock(state[0])

    def independence(self, state: tuple[CheckState, int]) -> Any:
        return self.model.independence(state[0])


def _record(m: KubeModel, seen: dict[Hashable, int]) -> Property:
    """A state invariant that holds, recording each fingerprint with the depth it is met at."""

    def record(state: tuple[CheckState, int]) -> bool:
        seen.setdefault(m.fingerprint(state[0]), state[1])
        return True

    return Property("record", ALWAYS, "", predicate=record)


def _on_inner(p: Property) -> Property:
    assert p.predicate is not None
    inner = p.predicate
    return attrs.evolve(p, predicate=lambda s: inner(s[0]))


def _search(
    m: KubeModel, invariants: list[Property], por: bool, depth: int
) -> tuple[dict[Hashable, int], list[Result]]:
    seen: dict[Hashable, int] = {}
    checked = [_record(m, seen), *(_on_inner(p) for p in invariants)]
    results = explore_many(_Depth(m), checked, max_depth=depth, max_states=10_000_000, por=por)
    assert results[0].verdict in (HOLDS, INCONCLUSIVE)
    return seen, results


def _summary(r: Result) -> tuple[str, str, int | None]:
    return r.property, r.verdict, None if r.trace is None else len(r.trace)


def _compare(m: KubeModel, invariants: list[Property], depth: int) -> list[Result]:
    """The full and the reduced search within ``depth``: same states at the same depths, same
    verdicts and counterexample lengths; the reduced counterexamples replay. The reduced results."""
    full_states, full = _search(m, invariants, False, depth)
    reduced_states, reduced = _search(m, invariants, True, depth)
    assert reduced_states == full_states
    assert reduced[0].stats.states == full[0].stats.states == len(full_states)
    # a sleeping actor is enabled and has exactly one step: skipped + computed = every transition
    assert full[0].stats.skipped == 0
    assert reduced[0].stats.transitions + reduced[0].stats.skipped == full[0].stats.transitions
    assert [_summary(r) for r in reduced] == [_summary(r) for r in full]
    for r in reduced:
        if r.trace is not None:
            _replays(_Depth(m), r)
    return reduced


def _replays(m: _Depth, r: Result) -> None:
    """A counterexample starts at the initial state and each step is a successor of the last."""
    assert r.trace is not None
    steps = r.trace.steps
    assert steps[0].state == next(iter(m.init_states()))
    for before, after in itertools.pairwise(steps):
        assert any(tr.actor == after.actor and tr.state == after.state for tr in m.transitions(before.state))


def _state_invariants(scen: Scenario) -> list[Property]:
    return [props.to_property(d, scen.settings) for d in props.BUILTINS.values() if d.kind == ALWAYS]


# -- the seeds ------------------------------------------------------------------------------------

# depths that keep each pair of searches to a few seconds (a settled seed explores a linear run up
# to its first timeline event or fault; the bound cuts inside the interleavings after it).
# seed-component-restart and seed-scaling have one node: nothing to reduce, checked all the same
SEED_DEPTH = {
    "seed-component-restart": 150,
    "seed-control-plane-down": 80,
    "seed-no-workers": 300,
    "seed-node-failure": 300,
    "seed-scaling": 60,
}


# the one-node seeds have nothing to reduce (no two kubelets): searched by -m thorough only, where
# test_seeds_explored_whole also takes every seed to its end
ONE_NODE = ("seed-component-restart", "seed-scaling")


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=[pytest.mark.thorough] if p.stem in ONE_NODE else []) for p in SEEDS],
    ids=[p.stem for p in SEEDS],
)
def test_seed_same_states_verdicts_and_trace_lengths(path: Path) -> None:
    scen = load(path)
    m = KubeModel(scen)  # with the fault budget the seed declares
    reduced = _compare(m, _state_invariants(scen), SEED_DEPTH[path.stem])
    if len(scen.initial_state().nodes) > 2:
        assert reduced[0].stats.skipped > 0


# -- generated clusters, where kubelets of several workers interleave ----------------------------


def _kubelets_ran(*names: str) -> Property:
    want = {f"kubelet/{n}" for n in names}
    return Property("kubelets-ran", ALWAYS, "", predicate=lambda s: not want <= s.cluster.ran)


NO_UNREACHABLE = Property(
    "no-unreachable-taint",
    ALWAYS,
    "",
    predicate=lambda s: not any(n.has_taint("node.kubernetes.io/unreachable", "NoExecute") for n in s.cluster.nodes),
)


@pytest.mark.parametrize(
    ("workers", "replicas", "depth"),
    # (three workers: 8 s; deeper below, with -m thorough)
    [(2, 1, 20), pytest.param(3, 1, 14, marks=pytest.mark.thorough), (2, 2, 14)],
)
def test_generated_power_off_same_states_verdicts_and_trace_lengths(workers: int, replicas: int, depth: int) -> None:
    scen = generated(workers, replicas)
    m = KubeModel(scen, faults=(("powerOffNode", 1),))
    invariants = [_kubelets_ran("worker-1", "worker-2"), NO_UNREACHABLE, *_state_invariants(scen)]
    reduced = _compare(m, invariants, depth)
    assert reduced[0].stats.skipped > 0
    assert reduced[1].verdict == VIOLATED  # a counterexample through the diamonds
    if depth >= 20:
        assert reduced[2].verdict == VIOLATED  # a powered-off worker tainted unreachable


# -- the broken-component suite ------------------------------------------------------------------


@pytest.mark.parametrize("case", broken.CASES, ids=[c.slug for c in broken.CASES])
def test_broken_component_models_same_states(case: broken.BrokenCase) -> None:
    scen = case.load()
    _compare(case.model(scen), _state_invariants(scen), 18)


@pytest.mark.thorough
@pytest.mark.parametrize("case", broken.CASES, ids=[c.slug for c in broken.CASES])
def test_broken_component_models_same_states_deeper(case: broken.BrokenCase) -> None:
    scen = case.load()
    _compare(case.model(scen), _state_invariants(scen), 60)


@pytest.mark.thorough
@pytest.mark.parametrize(("workers", "replicas", "depth"), [(2, 1, 60), (3, 1, 30), (2, 2, 30)])
def test_generated_power_off_deeper(workers: int, replicas: int, depth: int) -> None:
    test_generated_power_off_same_states_verdicts_and_trace_lengths(workers, replicas, depth)


@pytest.mark.thorough
@pytest.mark.parametrize("path", SEEDS, ids=[p.stem for p in SEEDS])
def test_seeds_explored_whole(path: Path) -> None:
    scen = load(path)
    reduced = _compare(KubeModel(scen), _state_invariants(scen), 100_000)
    assert reduced[0].verdict == HOLDS  # the whole space, not cut by the depth


FALLBACK = [c for c in broken.CASES if c.slug in ("scheduler-ignoring-taints", "replicaset-counting-terminating")]


@pytest.mark.parametrize("case", FALLBACK, ids=[c.slug for c in FALLBACK])
def test_transition_and_liveness_properties_are_searched_in_full(case: broken.BrokenCase) -> None:
    # the suite's own properties are always-transition or eventually: por changes nothing there
    scen = case.load()
    prop = props.to_property(props.BUILTINS[case.property], scen.settings)
    assert prop.kind != ALWAYS
    full = explore(case.model(scen), prop, max_states=300_000)
    reduced = explore(case.model(scen), prop, max_states=300_000, por=True)
    assert reduced.verdict == full.verdict == VIOLATED
    assert reduced.stats.skipped == 0
    assert (reduced.stats.states, reduced.stats.transitions) == (full.stats.states, full.stats.transitions)
    assert len(reduced.trace) == len(full.trace)  # type: ignore[arg-type]


def test_a_transition_invariant_turns_a_shared_search_full() -> None:
    m = KubeModel(generated(2, 1), faults=(("powerOffNode", 1),))
    anything = Property("anything", ALWAYS_TRANSITION, "", transition=lambda a, b: True)
    with_it = explore_many(m, [NO_UNREACHABLE, anything], max_depth=12, por=True)
    assert [r.stats.skipped for r in with_it] == [0, 0]
    assert explore_many(m, [NO_UNREACHABLE], max_depth=12, por=True)[0].stats.skipped > 0


# -- the independence relation ---------------------------------------------------------------------


def _states(m: KubeModel, limit: int) -> Iterator[CheckState]:
    """The first ``limit`` states of a breadth-first search of ``m``."""
    init = next(iter(m.init_states()))
    seen = {m.fingerprint(init)}
    queue = deque([init])
    while queue and len(seen) < limit:
        s = queue.popleft()
        yield s
        for tr in m.transitions(s):
            k = m.fingerprint(tr.state)
            if k not in seen:
                seen.add(k)
                queue.append(tr.state)


def _check_commuting(m: KubeModel, limit: int) -> int:
    """Every pair of enabled steps called independent, on the first ``limit`` states: each
    leaves the other enabled with one step, and both orders end in the same fingerprint."""
    pairs = 0
    for s in _states(m, limit):
        rel = m.independence(s)
        if rel is None:
            continue
        steps: dict[str, list[Transition]] = {}
        for tr in m.transitions(s):
            steps.setdefault(tr.actor, []).append(tr)
        for a, b in itertools.combinations(steps, 2):
            assert rel(a, b) == rel(b, a)
            if not rel(a, b):
                continue
            assert len(steps[a]) == len(steps[b]) == 1
            after_a = [tr for tr in m.transitions(steps[a][0].state) if tr.actor == b]
            after_b = [tr for tr in m.transitions(steps[b][0].state) if tr.actor == a]
            assert len(after_a) == len(after_b) == 1
            assert m.fingerprint(after_a[0].state) == m.fingerprint(after_b[0].state)
            # ... and skipping a sleeping one leaves the rest as they were
            rest = [(tr.actor, tr.label) for tr in m.transitions(s) if tr.actor != a]
            assert [(tr.actor, tr.label) for tr in m.transitions(s, frozenset({a}))] == rest
            pairs += 1
    return pairs


@pytest.mark.parametrize(
    ("workers", "replicas", "faults", "limit"),
    [
        (3, 1, (("powerOffNode", 1),), 1000),
        (2, 2, (("stopKubelet", 1), ("stopContainerRuntime", 1)), 1000),
        (2, 2, (("deletePod", 1), ("killPod", 1)), 1000),
    ],
)
def test_kubelets_of_different_nodes_commute(
    workers: int, replicas: int, faults: tuple[tuple[str, int], ...], limit: int
) -> None:
    assert _check_commuting(KubeModel(generated(workers, replicas), faults=faults), limit) > 0


@pytest.mark.parametrize("path", [p for p in SEEDS if p.stem in ("seed-node-failure", "seed-control-plane-down")])
def test_kubelets_commute_on_seeds(path: Path) -> None:
    assert _check_commuting(KubeModel(load(path)), 1000) > 0


def _first(m: KubeModel) -> CheckState:
    return next(iter(m.init_states()))


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("stale-cache-over-creation.yaml", "informer lag"),
        ("watch-cache-relist.yaml", "watch-cache lag"),
        ("ha-etcd-partition.yaml", "several control-plane machines"),
        ("load-crash-cascade.yaml", "fault rules"),
        ("descheduler-cycle.yaml", "a descheduler"),
        ("job-backoff.yaml", "a Job"),
    ],
)
def test_independence_refused_where_steps_may_not_commute(name: str, why: str) -> None:
    m = KubeModel(load(SCENARIOS / name), settle=False)
    s = _first(m)
    assert m.independence(s) is None
    assert (state_refused(m, s) or "").startswith(why)


def test_independence_refused_on_constructed_states() -> None:
    m = KubeModel(generated(2, 1), faults=(("drainNode", 1),))
    s = _first(m)
    assert m.independence(s) is not None
    c = s.cluster
    pod = c.pods[0]
    refusals = {
        "a drain": next(tr.state for tr in m.transitions(s) if tr.label.startswith("kubectl drain")),
        "a pod with a priority": attrs.evolve(
            s, cluster=c.with_pod(attrs.evolve(pod, scheduling=attrs.evolve(pod.scheduling, priority=1000)))
        ),
        "informer lag": attrs.evolve(s, cluster=attrs.evolve(c, settings=attrs.evolve(c.settings, informer_lag=1))),
    }
    for why, state in refusals.items():
        assert m.independence(state) is None, why
        assert (state_refused(m, state) or "").startswith(why)
    # node symmetry merges states whose sleep sets name different nodes; a broken kubelet may
    # touch anything
    assert KubeModel(generated(3, 1), node_symmetry=True).independence(_first(m)) is None
    scen = generated(2, 1)
    kubelets = broken.per_kubelet(scen.initial_state(), broken.kubelet_never_finishing_deletions)
    assert KubeModel(scen, replace=kubelets).independence(s) is None
    # a broken controller leaves the kubelets as they are
    assert KubeModel(scen, replace={"scheduler": broken.scheduler_ignoring_taints}).independence(s) is not None


# -- kmodel check --por ----------------------------------------------------------------------------

WEB = str(Path(__file__).resolve().parent / "data" / "check-web.yaml")


@pytest.mark.parametrize(
    ("faults", "invariant", "exit_code"),
    [
        # the whole space (12,808 states, depth 88) is for -m thorough; the default run compares
        # the first 30 actions, which the two searches must cover with the same states
        pytest.param("stopComponent=1", "len(nodes) == 3", 0, marks=pytest.mark.thorough),
        ("stopComponent=1 --max-depth 30", "len(nodes) == 3", 3),
        ("killPod=1", "all(p.restarts == 0 for p in pods)", 1),
    ],
)
def test_check_cli_por_same_answer(cli: Cli, faults: str, invariant: str, exit_code: int) -> None:
    answers = []
    for flag in ("--no-por", "--por"):
        r = cli("check", WEB, "--faults", *faults.split(), "--invariant", invariant, "--output", "json", flag)
        assert r.exit_code == exit_code, r.output
        (res,) = json.loads(r.stdout)["results"]
        trace = res["trace"]
        answers.append(
            (res["result"], None if trace is None else len(trace), res["stats"]["states"] if not trace else 0)
        )
    assert answers[0] == answers[1]


def test_check_cli_por_refuses_workers(cli: Cli) -> None:
    r = cli("check", WEB, "--invariant", "len(nodes) == 3", "--por", "--workers", "2")
    assert r.exit_code == 2
    assert "--por (sleep sets) is for the explorer on one process" in r.stderr
