"""The explorer on several processes (``--workers``) and on a Dask local cluster (``--cluster``)
gives the single-process explorer's results: the same verdicts, the same state and transition
counts, the same shortest counterexamples; a worker killed in the middle of a run changes none
of them. And ``--engine hypothesis --workers N`` is a swarm that finds what one search finds."""

from __future__ import annotations

import functools
import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.checkrun import choose_properties
from kmodel.cli import main
from kmodel.engines import parallel
from kmodel.engines.base import ALWAYS, ALWAYS_TRANSITION, HOLDS, INCONCLUSIVE, VIOLATED, WITHIN, Property, Result
from kmodel.engines.explore import explore, explore_many
from kmodel.engines.parallel import LocalExecutor
from kmodel.scenario import load
from tests import broken
from tests.conftest import ROOT
from tests.test_explore import Counters

ONE_WORKER = ROOT / "tests" / "data" / "props-one-worker.yaml"
TAINTS = broken.CASES[0]  # scheduler ignoring taints: 2,370 states, a counterexample of 24 steps
EVENTUALLY_CASE = broken.CASES[5]  # replicaset counting Terminating pods: replica-convergence


@functools.cache
def single(case: broken.BrokenCase) -> Result:
    """The single-process explorer's result on a broken case (several tests compare with it)."""
    scen = case.load()
    return explore(case.model(scen), props.to_property(props.BUILTINS[case.property], scen.settings))


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalExecutor]:
    """Two forked workers, used for every level however narrow (the coordinator would expand the
    narrow levels of these small spaces itself)."""
    monkeypatch.setattr(parallel, "INLINE_BELOW", 0)
    executor = LocalExecutor(2)
    yield executor
    executor.close()


def same(a: Result, b: Result, *, order: bool = True) -> None:
    """``b`` is ``a`` computed elsewhere. ``order``: the same hash seed, so the same transition
    order in each state: the very same trace, and the same counts at a --max-states cut."""
    assert (b.verdict, b.property, b.engine, b.message) == (a.verdict, a.property, a.engine, a.message)
    assert b.stats.depth == a.stats.depth and b.stats.limit == a.stats.limit
    assert b.stats.never_fired == a.stats.never_fired
    if order or a.verdict == HOLDS:
        assert (b.stats.states, b.stats.transitions) == (a.stats.states, a.stats.transitions)
    assert (a.trace is None) == (b.trace is None)
    if a.trace is not None and b.trace is not None:
        assert len(b.trace) == len(a.trace)
        if order:
            assert b.trace == a.trace


def test_toy_models_give_the_explorers_results(pool: LocalExecutor) -> None:
    cases = [
        Property("bounded", ALWAYS, "", predicate=lambda s: s[0] <= 5),
        Property("sum", ALWAYS, "", predicate=lambda s: s[0] + s[1] < 3),
        Property("no reset from 4", ALWAYS_TRANSITION, "", transition=lambda s, t: not (s[0] == 4 and t == (0, 0))),
        Property("b follows a", WITHIN, "", predicate=lambda s: s[0] >= 2, target=lambda s: s[1] >= 1, bound=2),
    ]
    for prop in cases:
        same(explore(Counters(), prop), parallel.explore(Counters(), prop, pool))
    holds = parallel.explore(Counters(), cases[0], pool)
    assert holds.stats.states == 36 and holds.stats.transitions == 36 * 3 - 2 * 6
    shared = explore_many(Counters(), cases[:3], max_states=20)
    for a, b in zip(shared, parallel.explore_many(Counters(), cases[:3], pool, max_states=20), strict=True):
        same(a, b)


def test_the_coordinator_alone_gives_the_same_results() -> None:
    """Narrow levels are expanded by the coordinator itself: the same answers."""
    executor = LocalExecutor(2)
    try:
        prop = Property("sum", ALWAYS, "", predicate=lambda s: s[0] + s[1] < 3)
        same(explore(Counters(), prop), parallel.explore(Counters(), prop, executor))
    finally:
        executor.close()


def test_every_builtin_on_a_scenario(pool: LocalExecutor) -> None:
    scen = load(ONE_WORKER)
    chosen = choose_properties(scen)
    model = KubeModel(scen, faults=())
    for a, b in zip(explore_many(model, chosen), parallel.explore_many(model, chosen, pool), strict=True):
        assert a.verdict == HOLDS
        same(a, b)
    # with a fault, cut by --max-states: the same cut, and the same counterexamples (a single
    # worker powered off leaves the Service without endpoints)
    model = KubeModel(scen, faults=(("powerOffNode", 1),))
    verdicts = set()
    for a, b in zip(
        explore_many(model, chosen, max_states=300),
        parallel.explore_many(model, chosen, pool, max_states=300),
        strict=True,
    ):
        verdicts.add(a.verdict)
        same(a, b)
    assert verdicts == {INCONCLUSIVE, VIOLATED}


@pytest.mark.parametrize("case", [TAINTS, broken.CASES[1], EVENTUALLY_CASE], ids=lambda c: c.slug)
def test_broken_components_give_the_same_shortest_counterexample(pool: LocalExecutor, case: broken.BrokenCase) -> None:
    scen = case.load()
    prop = props.to_property(props.BUILTINS[case.property], scen.settings)
    a = single(case)
    assert a.verdict == VIOLATED
    same(a, parallel.explore(case.model(scen), prop, pool))


def test_limits(pool: LocalExecutor) -> None:
    prop = Property("bounded", ALWAYS, "", predicate=lambda s: s[0] <= 5)
    late = parallel.explore(Counters(), prop, pool, deadline=0.0)
    assert late.verdict == INCONCLUSIVE and late.message == "not started: the run's --timeout ran out"
    same(explore(Counters(), prop, max_depth=4), parallel.explore(Counters(), prop, pool, max_depth=4))


def kill_during_level(executor: object, kill: Callable[[], None], level: int = 5, *, before: bool = False) -> None:
    """Make ``executor`` call ``kill`` once, in the ``level``-th level it is handed: after the
    first answer of that level came back (``before``: before the level is handed out). Counted in
    levels, not seconds, so that the kill happens however fast the search is."""
    real = executor.expand  # type: ignore[attr-defined]
    seen: list[int] = []

    def expand(*args: Any, **kwargs: Any) -> Iterator[Any]:
        seen.append(1)
        if before and len(seen) == level:
            kill()
        for i, answer in enumerate(real(*args, **kwargs)):
            yield answer
            if not before and i == 0 and len(seen) == level:
                kill()

    executor.expand = expand  # type: ignore[attr-defined]


def test_a_killed_worker_loses_no_verdict(pool: LocalExecutor) -> None:
    scen = TAINTS.load()
    prop = props.to_property(props.BUILTINS[TAINTS.property], scen.settings)
    killed: list[int] = []

    def kill_one() -> None:
        killed.append(pool.processes()[0])
        os.kill(killed[0], signal.SIGKILL)

    kill_during_level(pool, kill_one)
    b = parallel.explore(TAINTS.model(scen), prop, pool)
    assert killed and pool.restarts >= 1
    same(single(TAINTS), b)


def test_a_worker_killed_between_two_levels_loses_no_verdict(pool: LocalExecutor) -> None:
    """The pool has already noticed the death when the next level is handed out (the hand-out
    itself fails): the level is redone on a fresh pool."""
    scen = TAINTS.load()
    prop = props.to_property(props.BUILTINS[TAINTS.property], scen.settings)
    killed: list[int] = []

    def kill_and_wait() -> None:
        killed.append(pool.processes()[0])
        os.kill(killed[0], signal.SIGKILL)
        give_up = time.monotonic() + 30
        while not pool.pool._broken and time.monotonic() < give_up:  # type: ignore[union-attr]
            time.sleep(0.01)
        assert pool.pool._broken  # type: ignore[union-attr]

    kill_during_level(pool, kill_and_wait, before=True)
    b = parallel.explore(TAINTS.model(scen), prop, pool)
    assert killed and pool.restarts >= 1
    same(single(TAINTS), b)


def test_a_hypothesis_swarm_finds_the_broken_component() -> None:
    scen = TAINTS.load()
    prop = props.to_property(props.BUILTINS[TAINTS.property], scen.settings)
    r = parallel.swarm(TAINTS.model(scen), prop, 2, seed=0, profile="ci", max_examples=60)
    assert r.verdict == VIOLATED and r.trace is not None and r.trace.steps[0].actor == "init"
    assert any("swarm of 2 Hypothesis searches" in w for w in r.warnings)
    good = parallel.swarm(TAINTS.model(scen, broken=False), prop, 2, seed=0, profile="ci", max_examples=5)
    assert good.verdict == HOLDS and good.stats.examples >= 2 * 5


def test_the_command_line() -> None:
    runner = CliRunner()
    args = ["check", str(ONE_WORKER), "--faults", "none", "-p", "no-over-replication"]
    out = runner.invoke(main, [*args, "--workers", "2"])
    assert out.exit_code == 0, out.output
    assert "explorer on 2 worker processes" in out.output and "holds" in out.output
    bad = runner.invoke(main, [*args, "--cluster", "nowhere"])
    assert bad.exit_code == 2 and "--cluster" in bad.output and "not a Dask scheduler address" in bad.output
    smt = runner.invoke(main, [*args, "--engine", "smt", "--workers", "2"])
    assert smt.exit_code == 2 and "the smt engine runs on one process" in smt.output


# -- Dask: a local cluster of two worker processes -------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    from kmodel.engines.distributed import Cluster

    with Cluster("local", 2) as c:
        yield c


def test_dask_local_cluster_gives_the_explorers_results(cluster: object) -> None:
    from kmodel.engines.distributed import Cluster, DaskExecutor

    assert isinstance(cluster, Cluster)
    executor = DaskExecutor(cluster.client)
    scen = load(ONE_WORKER)
    chosen = choose_properties(scen)
    model = KubeModel(scen, faults=())
    # the workers' hash seed is not this process's: the same states and verdicts, but a
    # state's transitions may come in another order
    for a, b in zip(explore_many(model, chosen), parallel.explore_many(model, chosen, executor), strict=True):
        same(a, b, order=False)
    case = EVENTUALLY_CASE
    scen = case.load()
    prop = props.to_property(props.BUILTINS[case.property], scen.settings)
    same(single(case), parallel.explore(case.model(scen), prop, executor), order=False)
    executor.close()


def test_dask_redoes_the_share_of_a_killed_worker(cluster: object) -> None:
    from kmodel.engines.distributed import Cluster, DaskExecutor

    assert isinstance(cluster, Cluster)
    executor = DaskExecutor(cluster.client)
    scen = TAINTS.load()
    prop = props.to_property(props.BUILTINS[TAINTS.property], scen.settings)
    killed: list[int] = []

    def kill_one() -> None:
        killed.append(sorted(cluster.pids().values())[0])
        os.kill(killed[0], signal.SIGKILL)

    kill_during_level(executor, kill_one)
    b = parallel.explore(TAINTS.model(scen), prop, executor)
    executor.close()
    assert killed
    same(single(TAINTS), b, order=False)


@pytest.mark.thorough
def test_a_whole_seed_on_two_workers() -> None:
    """Every built-in on the whole state space of seed-node-failure (9,419 states, 589 levels)."""
    scen = load(ROOT / "scenarios" / "seed-node-failure.yaml")
    chosen = choose_properties(scen)
    model = KubeModel(scen)
    executor = LocalExecutor(2)
    try:
        for a, b in zip(explore_many(model, chosen), parallel.explore_many(model, chosen, executor), strict=True):
            assert a.verdict == HOLDS
            same(a, b)
    finally:
        executor.close()


@pytest.mark.thorough
def test_every_broken_case_on_two_workers(pool: LocalExecutor) -> None:
    for case in broken.CASES:
        scen = case.load()
        prop = props.to_property(props.BUILTINS[case.property], scen.settings)
        same(explore(case.model(scen), prop), parallel.explore(case.model(scen), prop, pool))
