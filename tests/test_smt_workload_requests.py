"""The workload slice with resource requests: NodeResourcesFit, LeastAllocated and
BalancedAllocation in Z3.

1. Agreement: on deterministic walks of four scenarios with cpu and memory requests
   (tests/data/requests-*.yaml), every named action's Z3 successors (both forms) are exactly the
   Python successors, and the Z3 form of replica-convergence (whose room now counts requests)
   evaluates as the Python property does. Each walk must meet what it is there for: nodes short
   of cpu or of memory, a pod that fills a node exactly, a pod that fits nowhere, a Terminating
   pod still holding its requests, pods asking for cpu only or memory only, BalancedAllocation
   deciding the node, and the float rounding of BalancedAllocation deciding it.
2. The BalancedAllocation table: the exact integer score is the rational one, and with the
   table's exceptions the encoding gives the model's float score on every sum of requests the
   slice's pods can make on a node the pod fits (checked by enumerating subsets of pods, in
   Python and through Z3).
3. Sharpness: an encoding without BalancedAllocation, one with the exact score and no float
   exceptions, one without the cpu filter, and a replica-convergence goal that ignores the
   requests each disagree with the model.
4. Bounded model checking: a kubelet that never finishes deletions keeps a pod Terminating that
   holds the worker's whole cpu, so its replacement never fits; BMC finds replica-convergence
   violated (the trace replays on the Python model) and the encoding without the cpu filter
   hides it; with the real kubelet it holds.
"""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction
from functools import cache
from typing import Any

import attrs
import pytest
import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmodel.checkmodel import CheckState
from kmodel.components import scheduler as kube_scheduler
from kmodel.engines.base import HOLDS, VIOLATED
from kmodel.engines.explore import explore
from kmodel.properties import BUILTINS, to_property
from kmodel.scenario import load
from kmodel.smt import bmc, liveness, workload
from kmodel.smt.nodehealth import SliceError
from kmodel.smt.workload import NodeLoad, PodClass, WorkloadModel, WorkloadSlice, balanced_exact
from kmodel.state import Cluster, Pod, Resources
from tests import broken
from tests.conftest import DATA
from tests.test_smt_workload import Case, _inside

MI = 1024**2

CONFIGS: dict[str, tuple[Any, tuple[tuple[str, int], ...]]] = {
    "three-workers": (
        DATA / "requests-three-workers.yaml",
        (("powerOffNode", 1), ("deletePod", 2), ("killPod", 1)),
    ),
    "two-workers": (DATA / "requests-two-workers.yaml", (("powerOffNode", 1),)),
    "rounding": (DATA / "requests-rounding.yaml", (("powerOffNode", 1),)),
    "one-worker": (DATA / "requests-one-worker.yaml", (("deletePod", 1), ("stopKubelet", 1))),
}

# what the walks of each scenario must meet at the states they check (see features)
EXPECTED = {
    "three-workers": {
        "Insufficient cpu",
        "Insufficient memory",
        "fills a node",
        "cpu only, scored",
        "memory only, scored",
        "BalancedAllocation decides",
    },
    "two-workers": {"Insufficient cpu", "fills a node", "fits nowhere"},
    "rounding": {"float rounding decides", "Insufficient memory"},
    "one-worker": {"fills a node", "Terminating pod holds its requests"},
}
# walks and steps per walk of the agreement test: enough to meet the EXPECTED features
WALKS = {"three-workers": (2, 100), "two-workers": (2, 100), "rounding": (1, 60), "one-worker": (1, 60)}


@cache
def case(config: str) -> Case:
    path, faults = CONFIGS[config]
    return Case(WorkloadSlice(WorkloadModel(load(path), faults=faults), pod_slots=2))


def _best(scores: dict[str, int]) -> set[str]:
    return {n for n, v in scores.items() if v == max(scores.values())}


def features(sl: WorkloadSlice, c: Cluster) -> set[str]:
    """What the Python scheduler meets for the head of its queue in ``c``."""
    if not c.scheduler_active or not kube_scheduler.queue(c):
        return set()
    pod = kube_scheduler.queue(c)[0]
    usage = kube_scheduler.node_usage(c)
    want = kube_scheduler.pod_request(pod)
    out = set()
    reasons = {n.name: kube_scheduler.filter_reasons(c, pod, n, usage) for n in c.nodes}
    out |= {r for rs in reasons.values() for r in rs if r.startswith("Insufficient")}
    feasible = [n for n in c.nodes if not reasons[n.name]]
    if not feasible:
        out.add("fits nowhere")
    for n in feasible:
        used = usage.get(n.name, kube_scheduler.Usage()).requested
        if (want.cpu and used.cpu + want.cpu == n.capacity.cpu) or (
            want.memory and used.memory + want.memory == n.capacity.memory
        ):
            out.add("fills a node")
    # a node the pod would fit on but for the Terminating pods there (the scheduler counts them
    # until they are gone)
    live = attrs.evolve(c, pods=tuple(p for p in c.pods if not p.terminating))
    live_usage = kube_scheduler.node_usage(live)
    if any(reasons[n.name] and not kube_scheduler.filter_reasons(live, pod, n, live_usage) for n in c.nodes):
        out.add("Terminating pod holds its requests")
    if len(feasible) < 2:
        return out
    if want.cpu and not want.memory:
        out.add("cpu only, scored")
    if want.memory and not want.cpu:
        out.add("memory only, scored")
    scores = kube_scheduler.scores(c, pod, feasible, usage)
    balanced = {n.name: kube_scheduler._balanced_allocation(usage, pod, n) for n in feasible}
    if _best(scores) != _best({n: v - balanced[n] for n, v in scores.items()}):
        out.add("BalancedAllocation decides")
    # the exact rational score instead of the float one, where the slice's table differs
    cls = sl.classes[pod.name]
    exact = dict(scores)
    for n in feasible:
        table = sl.balanced.get((cls, n.name))
        used = usage.get(n.name, kube_scheduler.Usage()).requested
        key = (min(used.cpu + want.cpu, n.capacity.cpu), min(used.memory + want.memory, n.capacity.memory))
        if table is not None and key in dict(table.exceptions):
            exact[n.name] += balanced_exact(*key, n.capacity.cpu, n.capacity.memory) - balanced[n.name]
    if _best(exact) != _best(scores):
        out.add("float rounding decides")
    return out


def _convergence_problem(sl: WorkloadSlice, state: CheckState) -> list[str]:
    z3_goal = liveness.convergence(sl, sl.project(state))
    py_goal = BUILTINS["replica-convergence"].fn(state.cluster)
    return [] if z3_goal == py_goal else [f"replica-convergence: Z3 {z3_goal}, Python {py_goal}"]


def _pick(model: WorkloadModel, state: CheckState, pick: Any) -> CheckState | None:
    """One step of a walk: a fault about one time in four, repairs rare, else a component."""
    ts = list(model.transitions(state))
    if not ts:
        return None
    faults = [t for t in ts if t.actor == "fault"]
    repairs = [t for t in ts if t.actor == "repair"]
    roll = pick(0, 39)
    pool = faults if faults and roll < 10 else repairs if repairs and roll == 10 else None
    pool = pool or [t for t in ts if not t.fault] or ts
    return pool[pick(0, len(pool) - 1)].state


def _walk(c: Case, steps: int, pick: Any, seen: set[str] | None = None) -> list[str]:
    """Check the states of one walk where the scheduler can act (and every eighth one); the
    disagreements, with the features met recorded in ``seen``."""
    sl = c.slice
    state: CheckState | None = sl.init_state
    for i in range(steps + 1):
        assert state is not None
        if i % 8 == 0 or any(t.actor == "scheduler" for t in c.model.transitions(state)):
            problems = c.problems(state)
            if problems is None:
                break
            problems += _convergence_problem(sl, state)
            if problems:
                return [f"step {i} (t={state.cluster.now}s): {p}" for p in problems]
            if seen is not None:
                seen |= features(sl, state.cluster)
        state = _pick(c.model, state, pick)
        if not _inside(sl, state):
            break
    return []


# --- agreement -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_the_encoding_with_requests_agrees_with_the_python_model(config: str) -> None:
    c = case(config)
    seen: set[str] = set()
    walks, steps = WALKS[config]
    for seed in range(walks):
        rng = random.Random(seed)
        problems = _walk(c, steps, rng.randint, seen)
        assert not problems, f"{config}, seed {seed}:\n" + "\n".join(problems)
    assert EXPECTED[config] <= seen, f"{config}: the walks never met {sorted(EXPECTED[config] - seen)}"


@pytest.mark.thorough
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_encoding_with_requests_agrees_thorough(data: st.DataObject) -> None:
    config = data.draw(st.sampled_from(sorted(CONFIGS)), label="config")
    problems = _walk(case(config), 300, lambda lo, hi: data.draw(st.integers(lo, hi)))
    assert not problems, f"{config}:\n" + "\n".join(problems)


# --- the BalancedAllocation table ------------------------------------------------------------------


@given(
    cap_cpu=st.integers(1, 64_000),
    cap_mem=st.integers(1, 2**40),
    cpu=st.integers(0, 64_000),
    memory=st.integers(0, 2**40),
)
def test_the_exact_score_is_the_rational_one(cap_cpu: int, cap_mem: int, cpu: int, memory: int) -> None:
    """floor((1 - |f_cpu - f_mem| / 2) * 100) in rationals, in Python integers and in Z3."""
    cpu, memory = min(cpu, cap_cpu), min(memory, cap_mem)
    std = abs(Fraction(cpu, cap_cpu) - Fraction(memory, cap_mem)) / 2
    expected = math.floor((1 - std) * 100)
    assert balanced_exact(cpu, memory, cap_cpu, cap_mem) == expected
    x, y = z3.Ints("x y")
    term = z3.substitute(balanced_exact(x, y, cap_cpu, cap_mem), (x, z3.IntVal(cpu)), (y, z3.IntVal(memory)))
    assert z3.simplify(term).as_long() == expected


def _points(sl: WorkloadSlice, cls: PodClass, node: Any) -> set[tuple[int, int]]:
    """The (cpu, memory) the pods of some subset of the slice's pods request together, where a
    pod of ``cls`` still fits on ``node``: by brute force over the subsets."""
    asking = [sl.classes[p.name] for p in sl.pods if sl.classes[p.name].cpu or sl.classes[p.name].memory]
    assert len(asking) <= 12
    out = set()
    for chosen in itertools.product((False, True), repeat=len(asking)):
        cpu = sum(k.cpu for k, on in zip(asking, chosen, strict=True) if on)
        memory = sum(k.memory for k, on in zip(asking, chosen, strict=True) if on)
        if (not cls.cpu or cpu + cls.cpu <= node.capacity.cpu) and (
            not cls.memory or memory + cls.memory <= node.capacity.memory
        ):
            out.add((cpu, memory))
    return out


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_the_balanced_score_is_the_models_wherever_the_pod_fits(config: str) -> None:
    sl = case(config).slice
    x, y = z3.Ints("cpu memory")
    checked = 0
    for cls in {k for k in sl.classes.values() if k.cpu or k.memory}:
        probe = Pod(name="probe", requests=Resources(cpu=cls.cpu, memory=cls.memory))
        for info in sl.nodes:
            node = sl.init_state.cluster.node(info.name)
            assert node is not None
            term = sl._balanced_allocation(info.name, NodeLoad(0, x, y, 0, 0), cls)
            for cpu, memory in _points(sl, cls, node):
                usage = {node.name: kube_scheduler.Usage(requested=Resources(cpu=cpu, memory=memory))}
                expected = kube_scheduler._balanced_allocation(usage, probe, node)
                assert sl._balanced_allocation(node.name, NodeLoad(0, cpu, memory, 0, 0), cls) == expected
                if isinstance(term, int):
                    assert term == expected
                else:
                    fixed = z3.substitute(term, (x, z3.IntVal(cpu)), (y, z3.IntVal(memory)))
                    assert z3.simplify(fixed).as_long() == expected, (cls, node.name, cpu, memory)
                checked += 1
    assert checked > 0


def test_the_rounding_scenario_has_the_one_float_exception() -> None:
    sl = case("rounding").slice
    tables = {n: t for (_cls, n), t in sl.balanced.items()}
    assert tables["worker-1"].exceptions == (((400, 2560 * MI), 64),)
    assert balanced_exact(400, 2560 * MI, 3000, 3072 * MI) == 65
    assert tables["worker-2"].exceptions == ()


# --- sharpness -----------------------------------------------------------------------------------------


class NoBalancedAllocation(WorkloadSlice):
    """A wrong encoding: BalancedAllocation left out of the scores."""

    def _balanced_allocation(self, n: str, here: NodeLoad, cls: PodClass) -> Any:
        return 0


class ExactBalancedAllocation(WorkloadSlice):
    """A wrong encoding: the exact rational BalancedAllocation score, float rounding ignored."""

    def balanced_table(self, cls: PodClass, n: str) -> Any:
        table = super().balanced_table(cls, n)
        return None if table is None else attrs.evolve(table, exceptions=())


class NoCpuFilter(WorkloadSlice):
    """A wrong encoding: NodeResourcesFit without the cpu check."""

    def _feasible(self, c: Any, cls: PodClass, load: dict[str, NodeLoad]) -> dict[str, Any]:
        return super()._feasible(c, attrs.evolve(cls, cpu=0), load)


def _first_disagreement(sl: WorkloadSlice, walks: int = 3, steps: int = 120) -> str | None:
    c = Case(sl)
    for seed in range(walks):
        problems = _walk(c, steps, random.Random(seed).randint)
        if problems:
            return problems[0]
    return None


@pytest.mark.parametrize(
    ("wrong", "config"),
    [(NoBalancedAllocation, "three-workers"), (ExactBalancedAllocation, "rounding"), (NoCpuFilter, "two-workers")],
)
def test_a_wrong_score_or_filter_disagrees(wrong: type[WorkloadSlice], config: str) -> None:
    found = _first_disagreement(wrong(case(config).model, pod_slots=2))
    assert found is not None and "scheduler" in found, found


def test_a_convergence_goal_ignoring_requests_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests-two-workers after a worker is lost: the other has cpu for two of the three
    replicas, which is all the Python property asks for; counting pods only, it would ask for
    three."""
    real = liveness.template_pod
    monkeypatch.setattr(liveness, "template_pod", lambda c, d: attrs.evolve(real(c, d), requests=Resources()))
    found = _first_disagreement(WorkloadSlice(case("two-workers").model, pod_slots=2), walks=6, steps=150)
    assert found is not None and "replica-convergence: Z3 False, Python True" in found, found


# --- scope ---------------------------------------------------------------------------------------------


def test_too_many_sums_of_requests_are_refused_naming_the_feature(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workload, "BALANCED_POINTS_MAX", 3)
    path, faults = CONFIGS["three-workers"]
    with pytest.raises(SliceError, match="NodeResourcesBalancedAllocation's float score is tabulated"):
        WorkloadSlice(WorkloadModel(load(path), faults=faults), pod_slots=2)


# --- bounded model checking -----------------------------------------------------------------------------


def _stuck_case(kind: type[WorkloadSlice], broken_kubelet: bool) -> WorkloadSlice:
    """requests-one-worker: one pod deleted by the checker; a kubelet that never finishes the
    deletion keeps the pod's cpu, the worker's whole cpu, so its replacement never fits."""
    scen = load(DATA / "requests-one-worker.yaml")
    replace = broken.per_kubelet(scen.initial_state(), broken.kubelet_never_finishing_deletions)
    model = WorkloadModel(scen, faults=(("deletePod", 1),), replace=replace if broken_kubelet else None)
    return kind(model, calm=True, kubelet_keeps_deleted=broken_kubelet)


def test_bmc_finds_the_replacement_that_never_fits_and_the_trace_replays() -> None:
    sl = _stuck_case(WorkloadSlice, True)
    found = bmc.check(sl, "replica-convergence", max_depth=8)
    assert found.verdict == VIOLATED, found.message
    assert found.trace is not None and "trace replayed on the Python model" in found.message
    prop = to_property(BUILTINS["replica-convergence"], sl.settings)
    assert liveness._misses(found.trace, prop)
    explored = explore(sl.model, prop)
    assert explored.verdict == VIOLATED and explored.trace is not None
    assert len(found.trace.steps) >= len(explored.trace.steps)
    # the replacement stays Pending for want of cpu, next to the pod stuck Terminating
    assert any("cannot schedule" in s.label and "Insufficient cpu" in s.label for s in found.trace.steps)


def test_an_encoding_without_the_cpu_filter_hides_it() -> None:
    r = bmc.check(_stuck_case(NoCpuFilter, True), "replica-convergence", max_depth=6)
    assert r.verdict == HOLDS and r.stats.depth == 6, r.message


def test_with_the_real_kubelet_replica_convergence_holds_up_to_the_depth() -> None:
    r = bmc.check(_stuck_case(WorkloadSlice, False), "replica-convergence", max_depth=6)
    assert r.verdict == HOLDS and r.stats.depth == 6, r.message


@pytest.mark.parametrize("prop", ["no-over-replication", "bound-pods-stay-put", "no-schedule-to-unready-node"])
def test_the_real_components_hold_with_requests_up_to_the_depth(prop: str) -> None:
    r = bmc.check(DATA / "requests-two-workers.yaml", prop, max_depth=12, faults=(("powerOffNode", 1),))
    assert r.verdict == HOLDS and r.stats.depth == 12, r.message
