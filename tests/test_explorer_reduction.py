"""The explorer's reductions change how many states it visits, never what it answers.

Node symmetry (kmodel.nodesymmetry) merges states that differ by a permutation of
interchangeable nodes; compact states (kmodel.engines.explore keeps fingerprints and parent
pointers, and rebuilds a counterexample by replaying the recorded choices) change only what is
kept. Checked here: every verdict and every shortest-counterexample length is the same with and
without node symmetry, on the broken-component suite (tests/broken.py) and on the seed
scenarios; and, on small generated clusters, that the reduced search visits exactly one state
per class of symmetric states of the full search, each at the same depth.
"""

from __future__ import annotations

import itertools
from collections import deque
from pathlib import Path
from typing import Any

import attrs
import pytest

from benchmarks.explore_bench import generated
from kmodel import model
from kmodel import properties as props
from kmodel.checkmodel import KubeModel
from kmodel.checkrun import CheckOptions, execute, prepare
from kmodel.components import nodelifecycle
from kmodel.engines.base import HOLDS, VIOLATED, Result
from kmodel.engines.explore import explore
from kmodel.faults import power_off
from kmodel.nodesymmetry import groups
from tests import broken

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SEEDS = sorted(SCENARIOS.glob("seed-*.yaml"))


def _summary(r: Result) -> tuple[str, int | None]:
    """What must not change: the verdict and the length of the shortest counterexample."""
    return r.verdict, None if r.trace is None else len(r.trace.steps)


def _broken(case: broken.BrokenCase, node_symmetry: bool) -> tuple[Result, KubeModel]:
    scen = case.load()
    m = KubeModel(
        scen,
        faults=case.faults,
        replace=case.replace(scen),
        settle=case.settle,
        node_symmetry=node_symmetry,
        node_orders=True,
    )
    prop = props.to_property(props.BUILTINS[case.property], scen.settings)
    return explore(m, prop, max_states=300_000), m


def _bfs(m: KubeModel) -> dict[Any, tuple[int, Any]]:
    """Every reachable fingerprint of ``m``, with its depth and a state."""
    init = next(iter(m.init_states()))
    seen = {m.fingerprint(init): (0, init)}
    queue = deque([(init, 0)])
    while queue:
        s, d = queue.popleft()
        for tr in m.transitions(s):
            k = m.fingerprint(tr.state)
            if k not in seen:
                seen[k] = (d + 1, tr.state)
                queue.append((tr.state, d + 1))
    return seen


# -- node symmetry -----------------------------------------------------------------------------


def test_interchangeable_workers_form_one_group() -> None:
    scen = generated(3, 2)
    assert groups(scen, scen.initial_state(), None) == (("worker-1", "worker-2", "worker-3"),)
    # the control plane differs (role, taint): it is in no group
    assert KubeModel(scen).renamer is None  # off by default


def test_a_node_the_scenario_names_is_pinned() -> None:
    # seed-node-failure powers off minikube-m03 by name: m02 has no partner left
    from kmodel.scenario import load

    scen = load(SCENARIOS / "seed-node-failure.yaml")
    assert groups(scen, scen.initial_state(), None) == ()
    # a custom invariant naming a node pins it too
    gen = generated(3, 1)
    assert groups(gen, gen.initial_state(), None, ['all(n.name != "worker-2" for n in nodes)']) == (
        ("worker-1", "worker-3"),
    )


@pytest.mark.parametrize(("workers", "replicas", "faults"), [(2, 2, ()), (3, 1, ()), (3, 2, ())])
def test_reduced_search_visits_one_state_per_symmetry_class_at_the_same_depth(
    workers: int, replicas: int, faults: tuple[tuple[str, int], ...]
) -> None:
    scen = generated(workers, replicas)
    full = _bfs(KubeModel(scen, faults=faults, node_orders=True))
    reduced_model = KubeModel(scen, faults=faults, node_symmetry=True)
    assert reduced_model.renamer is not None
    classes: dict[Any, int] = {}
    for depth, state in full.values():
        key = reduced_model.fingerprint(state)
        classes[key] = min(depth, classes.get(key, depth))
    reduced = {k: d for k, (d, _) in _bfs(reduced_model).items()}
    assert reduced == classes
    assert len(reduced) < len(full)


def test_node_lifecycle_queues_nodes_found_not_ready_together_in_every_order() -> None:
    # both workers lose power at once: the pass that finds both NotReady queues them for the
    # unreachable NoExecute taint; the zone's rate limiter taints the first at once and the
    # second a token later, so each order is its own successor
    c = generated(2, 1).initial_state()
    c = power_off(power_off(c, "worker-1"), "worker-2")
    assert c is not None
    for _ in range(60):
        outs = nodelifecycle.step_every_order(c) if nodelifecycle.is_due(c) else []
        if len(outs) > 1:
            break
        for o in model.fixed_schedule(c):
            c = o.state
        c = model.tick(c)
    assert len(outs) == 2
    first, second = (o.state.memory.taint_queue for o in outs)
    assert [n for _, n, _ in first] == ["worker-2"]  # worker-1 was released (tainted) at once
    assert [n for _, n, _ in second] == ["worker-1"]
    assert "in the order worker-2, worker-1" in outs[1].label
    tainted = [
        [n.name for n in o.state.nodes if n.has_taint("node.kubernetes.io/unreachable", "NoExecute")] for o in outs
    ]
    assert tainted == [["worker-1"], ["worker-2"]]
    # the plain step (simulate's, and the checker's where no nodes are interchangeable) walks
    # the node list
    assert [o.state for o in nodelifecycle.step(c)] == [outs[0].state]


# -- verdicts and shortest counterexamples ------------------------------------------------------------


# the quick ones (a few seconds together); the others are in the thorough test below
FAST = [
    c
    for c in broken.CASES
    if c.slug
    in (
        "scheduler-ignoring-taints",
        "scheduler-rebinding",
        "tainteviction-ignoring-toleration",
        "replicaset-counting-terminating",
    )
]


@pytest.mark.parametrize("case", FAST, ids=[c.slug for c in FAST])
def test_broken_components_same_verdict_and_trace_length(case: broken.BrokenCase) -> None:
    reduced, m = _broken(case, True)
    full, _ = _broken(case, False)
    assert reduced.verdict == VIOLATED
    assert _summary(reduced) == _summary(full)
    assert reduced.stats.states <= full.stats.states
    # the counterexample is rebuilt by replay: it starts at the initial state and each step's
    # state is a successor of the previous one by the step's actor (or, for an eventually
    # property, the adversary's "faults stop")
    steps = reduced.trace.steps  # type: ignore[union-attr]
    assert steps[0].state == next(iter(m.init_states()))
    for before, after in itertools.pairwise(steps):
        if after.actor == "adversary":
            assert m.stop_faults(before.state) == after.state
        else:
            assert any(tr.actor == after.actor and tr.state == after.state for tr in m.transitions(before.state))


def _seed_results(path: Path, node_symmetry: bool, max_states: int) -> list[tuple[str, str, int | None]]:
    options = CheckOptions(max_states=max_states, node_symmetry=node_symmetry, node_orders=True)
    run = execute(prepare(path, options=options), options)
    return [(r.property, *_summary(r)) for r in run.results]


@pytest.mark.thorough
@pytest.mark.parametrize("path", SEEDS, ids=[p.stem for p in SEEDS])
def test_seeds_same_verdicts_and_trace_lengths(path: Path) -> None:
    reduced = _seed_results(path, True, 500_000)
    assert reduced == _seed_results(path, False, 500_000)
    assert all(verdict in (HOLDS, VIOLATED) for _, verdict, _ in reduced)


@pytest.mark.thorough
@pytest.mark.parametrize("case", broken.CASES, ids=[c.slug for c in broken.CASES])
def test_every_broken_component_same_verdict_and_trace_length(case: broken.BrokenCase) -> None:
    assert _summary(_broken(case, True)[0]) == _summary(_broken(case, False)[0])


@pytest.mark.thorough
@pytest.mark.parametrize(("workers", "replicas"), [(2, 1), (2, 2), (3, 1)])
def test_generated_power_off_same_classes(workers: int, replicas: int) -> None:
    test_reduced_search_visits_one_state_per_symmetry_class_at_the_same_depth(workers, replicas, (("powerOffNode", 1),))


def test_symmetry_is_off_where_it_is_not_checked() -> None:
    # the legacy eviction walks the nodes in list order under a rate limit: no node symmetry
    scen = generated(3, 1)
    c = scen.initial_state()
    legacy = attrs.evolve(c.settings, eviction_mode="legacy", kubernetes_version="1.26")
    assert groups(scen, attrs.evolve(c, settings=legacy), None) == ()
    # a broken kubelet on one node only makes that node differ
    assert groups(scen, c, {"kubelet/worker-1": lambda c: []}) == ()
