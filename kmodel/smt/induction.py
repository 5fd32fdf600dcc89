"""``kmodel prove``: k-induction over the scheduling slice, for clusters of any size.

A checker (``kmodel check``) visits the states one scenario can reach; a proof covers every
state at once. For a state invariant ``I`` (or a transition invariant ``P``) and the slice's
relation ``Next`` (:mod:`kmodel.smt.scheduling`), k-induction proves two things with Z3:

base case
    every run of fewer than ``k`` steps from an initial state keeps ``I`` (and ``P`` on each
    step). A failure here is a run of the slice that breaks the property: ``violated``;
induction step
    any ``k`` consecutive steps whose first ``k`` states satisfy ``I`` (and whose first ``k - 1``
    steps satisfy ``P``) end in a state satisfying ``I`` (with a step satisfying ``P``). A
    failure is a *counterexample to induction* (CTI): states that satisfy the hypotheses and a
    step that breaks the property, which need not be reachable at all. The verdict is then
    ``not-inductive``: either the property is false, or the hypotheses are too weak to show it.
    Raise ``k``, or add a lemma that excludes the CTI.

Lemmas are state invariants proven *together* with the property: each must hold initially and
be preserved (under all the hypotheses), so nothing is taken on trust. Built-in lemmas are named
(:data:`LEMMAS`); a lemma can also be a restricted expression in the language of
``kmodel check --invariant`` (``all(... for n in nodes)`` / ``all(... for p in pods)`` over the
fields the slice has; see :func:`translate_lemma`).

Sizes. With ``any_size`` (the default for every property whose argument does not count) the
universe is uninterpreted: ``Node`` and ``Pod`` are sorts with no fixed elements, the fields are
arrays over them, and each step is Skolemized (the scheduler binds one pod ``p0`` to one node
``n0``; every other element keeps its fields, or changes as a lambda of the element says). Z3
then proves the obligations for every interpretation of the sorts, i.e. for every number of
nodes and pods. The initial states are then all states in which every node is Ready (as every
kmodel scenario starts). Properties that count (``pods-within-capacity``) need a bounded
universe instead: the scenario's nodes and a fixed number of pod slots, starting from the
scenario's state at t=0; the result then says for which sizes it holds.

The slice over-approximates the model: the scheduler may bind any pending pod to any node that
passes its filters (the real one takes the oldest pod and a best-scoring node), the node
lifecycle controller may find any node late, pods may be created and deleted at any time, faults
strike any node any number of times, and timing is not modelled. For safety properties this is
sound: what holds for every run of the slice holds for every run of the model. A ``violated``
trace is a run of the slice, which the model may not be able to make: confirm it with
``kmodel check``.
"""

from __future__ import annotations

import ast
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs
import z3
from attrs import define, frozen

from kmodel.errors import EXIT_INCONCLUSIVE, EXIT_OK, EXIT_VIOLATED, KmodelError
from kmodel.expr import compile_invariant
from kmodel.report import trace_lines
from kmodel.scenario import Scenario, load
from kmodel.smt.scheduling import (
    ACTIONS,
    BOUND_PODS_STAY_PUT,
    C_FALSE,
    C_TRUE,
    C_UNKNOWN,
    NO_CONDITION_TOLERATIONS,
    NO_SCHEDULE_TO_UNREADY_NODE,
    UNREADY_NODES_ARE_TAINTED,
    Choice,
    Frame,
    NodeView,
    PodView,
    SchedulingSlice,
    SliceOptions,
    SliceState,
    StatePredicate,
    StepPredicate,
    Universe,
    check_scenario,
    pin,
    pods_within_capacity,
    project,
    read,
    scenario_stops_runtimes,
    templates_tolerating_condition_taints,
)
from kmodel.smt.wlinduction import PROPERTIES as WORKLOAD_PROOFS
from kmodel.smt.wlinduction import prove_workload
from kmodel.state import TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE

PROVEN = "proven"
NOT_INDUCTIVE = "not-inductive"
VIOLATED = "violated"
UNKNOWN = "unknown"
EXIT_CODES = {PROVEN: EXIT_OK, VIOLATED: EXIT_VIOLATED, NOT_INDUCTIVE: EXIT_INCONCLUSIVE, UNKNOWN: EXIT_INCONCLUSIVE}

ANY_SIZE = "every number of nodes and pods"
MAX_DEFAULT_SLOTS = 128  # default pod slots of a bounded proof: a node's pods capacity + 1, at most this
SHOW_PODS = 10  # pods listed per state in a counterexample

# The properties `kmodel prove` knows, with a one-line summary for the help text.
PROPERTIES: dict[str, str] = {
    "no-schedule-to-unready-node": "a pod is bound only to a Ready node whose taints it tolerates (any size; "
    "needs the lemma unready-nodes-are-tainted)",
    "bound-pods-stay-put": "a bound pod's nodeName never changes (any size)",
    "unready-nodes-are-tainted": "a node that is not Ready carries the matching NoSchedule taint (any size)",
    "pods-within-capacity": "no node has more pods bound than its pods capacity (the scenario's nodes, "
    "a bounded number of pods)",
    **WORKLOAD_PROOFS,
}
LEMMAS: dict[str, StatePredicate] = {UNREADY_NODES_ARE_TAINTED.name: UNREADY_NODES_ARE_TAINTED}
SUGGESTED_LEMMAS = {"no-schedule-to-unready-node": ("unready-nodes-are-tainted",)}


@frozen
class ProofResult:
    """What ``prove`` found. ``message`` is the text for the command line."""

    verdict: str  # PROVEN, NOT_INDUCTIVE, VIOLATED or UNKNOWN
    property: str
    sizes: str  # "every number of nodes and pods", or "3 nodes (...), up to 111 pods at a time"
    k: int
    lemmas_used: tuple[str, ...]
    assumptions: tuple[str, ...]
    cti: str | None  # the counterexample to induction, when not inductive
    trace: str | None  # the run of the slice, when violated
    message: str
    seconds: float
    queries: int

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def proven(self) -> bool:
        return self.verdict == PROVEN


def provable() -> list[str]:
    return list(PROPERTIES)


def prove(
    scenario: str | Path | Scenario | None,
    property: str,
    *,
    k: int = 1,
    lemmas: Sequence[str] = (),
    any_size: bool | None = None,
    timeout: float | None = None,
    pods: int | None = None,
    encoding: SliceOptions | None = None,
) -> ProofResult:
    """Prove ``property`` of the scheduling slice by ``k``-induction, with ``lemmas`` (names of
    :data:`LEMMAS` or restricted expressions) proven alongside as extra invariants.

    ``scenario``: a scenario file (or loaded :class:`Scenario`), or None for a proof about every
    cluster. ``any_size``: None chooses (any size unless the property counts); True for
    uninterpreted sorts; False for the scenario's nodes and ``pods`` pod slots (default: a node's
    pods capacity + 1, at most :data:`MAX_DEFAULT_SLOTS`). ``timeout``: seconds for the whole
    proof. ``encoding``: switches of the encoding, for tests only.

    Raises :class:`KmodelError` (exit code 2) on bad input.
    """
    started = time.monotonic()
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise KmodelError(f"k must be a whole number >= 1, got {k!r}", where="kmodel prove", fix="e.g. --k 2")
    if timeout is not None and timeout <= 0:
        raise KmodelError(f"timeout must be positive, got {timeout!r}", where="kmodel prove", fix="e.g. --timeout 60")
    if property not in PROPERTIES:
        raise KmodelError(
            f"cannot prove {property!r}: the properties kmodel prove knows are {', '.join(PROPERTIES)}",
            where="kmodel prove",
            fix="choose one of them (kmodel check covers the other built-in properties)",
        )
    scen = _load(scenario)
    if property in WORKLOAD_PROOFS:
        return _prove_on_workload(scen, property, k, lemmas, any_size, timeout, pods, started)
    if scen is not None:
        check_scenario(scen)
    counting = property == "pods-within-capacity"
    if any_size is None:
        any_size = not counting
    if any_size and counting:
        raise KmodelError(
            f"{property} counts the pods on a node, which the any-size encoding cannot express",
            where="kmodel prove",
            fix="prove it for a scenario's nodes and a bounded number of pods (leave out --any-size)",
        )
    if not any_size and scen is None:
        raise KmodelError(
            f"a bounded proof of {property} needs a scenario (its nodes and their capacity)",
            where="kmodel prove",
            fix="give a scenario file",
        )
    if pods is not None and (isinstance(pods, bool) or not isinstance(pods, int) or pods < 1):
        raise KmodelError(f"pods must be a whole number >= 1, got {pods!r}", where="kmodel prove", fix="e.g. --pods 12")

    # toleration assumption
    assumptions: list[str] = []
    tolerating = templates_tolerating_condition_taints(scen) if scen is not None else []
    stops_runtimes = scen is not None and scenario_stops_runtimes(scen)
    options = encoding or SliceOptions(
        assume_no_condition_tolerations=not tolerating, assume_runtimes_up=not stops_runtimes
    )
    if options.assume_no_condition_tolerations:
        source = f"true of every pod template of {Path(scen.path).name}" if scen is not None else "assumed"
        assumptions.append(
            f"assuming: no pod tolerates {TAINT_NOT_READY}:NoSchedule or {TAINT_UNREACHABLE}:NoSchedule\n"
            f"    ({source}; kmodel's admission adds only the NoExecute tolerations)"
        )
    if options.assume_runtimes_up:
        source = (
            f"true of {Path(scen.path).name}: no stopRuntime fault, no stop runtime/NAME event"
            if scen is not None
            else "assumed"
        )
        assumptions.append(
            "assuming: no container runtime stops (a kubelet whose runtime is down posts Ready=False before the\n"
            f"    node lifecycle controller taints its node; {source})"
        )

    # the universe
    init_state: SliceState | None = None
    if any_size:
        universe = Universe.open()
        sizes = ANY_SIZE
        assumptions.append("from: every state in which all nodes are Ready (as every scenario starts), pods anywhere")
    else:
        assert scen is not None
        first = scen.initial_state()
        capacity = {n.name: n.capacity.pods for n in first.nodes}
        existing = [p.name for p in first.pods]
        slots = pods if pods is not None else max(len(existing) + 2, min(max(capacity.values()) + 1, MAX_DEFAULT_SLOTS))
        if slots < len(existing):
            raise KmodelError(
                f"the scenario starts with {len(existing)} pods, more than --pods {slots}",
                where="kmodel prove",
                fix=f"give --pods {len(existing)} or more",
            )
        names = existing + [f"new-pod-{i}" for i in range(1, slots - len(existing) + 1)]
        universe = Universe.finite([n.name for n in first.nodes], names, capacity)
        init_state = project(first)
        node_list = ", ".join(universe.node_names or ())
        sizes = f"{len(first.nodes)} nodes ({node_list}), up to {slots} pods at a time"
        assumptions.append(f"from: the initial state of {Path(scen.path).name} (t=0)")
    sl = SchedulingSlice(universe, options)

    # what to prove
    goal: StatePredicate | StepPredicate
    if property == "pods-within-capacity":
        goal = pods_within_capacity(universe.capacity)
    else:
        goal = {
            "no-schedule-to-unready-node": NO_SCHEDULE_TO_UNREADY_NODE,
            "bound-pods-stay-put": BOUND_PODS_STAY_PUT,
            "unready-nodes-are-tainted": UNREADY_NODES_ARE_TAINTED,
        }[property]
    extra = [_lemma(text, universe) for text in lemmas]
    invariants: list[StatePredicate] = []
    if options.assume_no_condition_tolerations:
        invariants.append(NO_CONDITION_TOLERATIONS)
    for lem in extra:
        if lem.name != goal.name and all(lem.name != i.name for i in invariants):
            invariants.append(lem)
    if isinstance(goal, StatePredicate) and all(goal.name != i.name for i in invariants):
        invariants.append(goal)

    clock = _Clock(started, timeout)
    run = _Run(sl, invariants, goal if isinstance(goal, StepPredicate) else None, k, init_state, clock)
    found = _prove(run)
    verdict, cti, trace = PROVEN, None, None
    if found == UNKNOWN:
        verdict = UNKNOWN
    elif isinstance(found, _Failure):
        verdict = found.verdict
        if verdict == VIOLATED:
            trace = found.render()
        else:
            cti = found.render()
    result = ProofResult(
        verdict,
        property,
        sizes,
        k,
        tuple(lem.name for lem in extra),
        tuple(assumptions),
        cti,
        trace,
        "",
        time.monotonic() - started,
        clock.queries,
    )
    return attrs.evolve(result, message=_message(result, scen, sl, invariants, tolerating, clock.reason))


def _prove_on_workload(
    scen: Scenario | None,
    property: str,
    k: int,
    lemmas: Sequence[str],
    any_size: bool | None,
    timeout: float | None,
    pods: int | None,
    started: float,
) -> ProofResult:
    """``no-over-replication`` by k-induction on the workload slice of the Z3 engine (the
    scheduling slice has no ReplicaSet controller)."""
    if scen is None or any_size:
        raise KmodelError(
            f"{property} counts a ReplicaSet's pods: it is proven for a scenario's workload slice",
            where="kmodel prove",
            fix="give a scenario file (and leave out --any-size)",
        )
    if lemmas:
        raise KmodelError(
            f"lemmas are not used by the workload-slice proof of {property}",
            where="--lemma",
            fix="leave out --lemma (the property is a step property, proven on its own)",
        )
    found = prove_workload(scen, property, k=k, timeout=timeout, pod_slots=pods)
    trace = "\n".join(trace_lines(found["trace"])) if found["trace"] is not None else None
    verdict = {"proven": PROVEN, "violated": VIOLATED, "not-inductive": NOT_INDUCTIVE}.get(found["verdict"], UNKNOWN)
    method = f"{k}-induction" if k > 1 else "induction (k=1)"
    where = Path(scen.path).name
    head = {
        PROVEN: f"PROVEN  {property}  for {found['sizes']}",
        NOT_INDUCTIVE: f"NOT INDUCTIVE  {property}  ({method} fails: this does not show it is false)",
        VIOLATED: f"VIOLATED  {property}  (a run of the slice breaks it; the trace replays on the Python model)",
        UNKNOWN: f"UNKNOWN  {property}  ({found.get('reason') or 'z3 could not decide'})",
    }[verdict]
    lines = [f"kmodel prove {where}: {property} (workload slice)", "", head]
    if verdict != PROVEN:
        lines.append(f"  sizes: {found['sizes']}")
    lines.append(
        f"  by {method}: no run of at most {k} action(s) from the settled state breaks it (bounded model "
        f"checking), and any {k} step(s) that keep it are followed by one that keeps it"
    )
    lines.append(
        "  together with: every spec.replicas keeps to the values the scenario gives it"
        + (
            ", a rollout's ReplicaSets' status counts within 0 .. their pods, and its new ReplicaSet absent "
            "(with no replicas) until the apply"
            if found.get("rollouts")
            else ""
        )
        + " (proven inductive)"
    )
    deployments = "Deployment (rolling updates a timeline apply starts)" if found.get("rollouts") else "Deployment"
    lines.append(
        f"  the slice: node health, kube-scheduler, {deployments}, ReplicaSet and endpoints "
        "controllers, the scenario's faults and timeline"
    )
    if found["cti"]:
        lines += ["", "counterexample to induction:", *[f"  {x}" for x in found["cti"].splitlines()]]
        lines.append("  hint: raise --k, or look for a real run with kmodel check --engine smt")
    if trace:
        lines += ["", trace]
    result = ProofResult(
        verdict,
        property,
        found["sizes"],
        k,
        (),
        (),
        found["cti"],
        trace,
        "\n".join(lines) + "\n",
        time.monotonic() - started,
        0,
    )
    return result


def _load(scenario: str | Path | Scenario | None) -> Scenario | None:
    if scenario is None or isinstance(scenario, Scenario):
        return scenario
    return load(scenario)


# --- the obligations ------------------------------------------------------------------------------

# Sizes tried, smallest first, when looking for a concrete counterexample to an any-size claim.
SMALL_SIZES = ((1, 1), (2, 1), (1, 2), (2, 2), (3, 2), (2, 3), (3, 3))
QUANTIFIED_LIMIT = 30.0  # seconds for a query with real quantifiers (the last resort)
QUANTIFY = False  # True: open-universe hypotheses as quantifiers from the start (tests compare both)


@frozen
class _Failure:
    """A model of a failed obligation, with everything needed to show it."""

    verdict: str  # VIOLATED (base case) or NOT_INDUCTIVE (step)
    goal: str
    run: _Run
    model: z3.ModelRef
    frames: tuple[Frame, ...]
    choices: tuple[Choice, ...]
    witnesses: tuple[z3.ExprRef, ...]

    def render(self) -> str:
        return _render_run(self, initial=self.verdict == VIOLATED)


class _Run:
    """The base case and the induction step for one property over one universe.

    In a finite universe every "for all" is a conjunction, so each query is exact. In the open
    universe the hypotheses (initial condition, invariants assumed in the pre-states) are
    instantiated at the ground terms of the query: the nodes and pods a step acts on, the
    witnesses of the negated goals, and where those pods are bound. Dropping the other instances
    only weakens the hypotheses, so an unsatisfiable query is a proof; a satisfiable one is
    confirmed by a concrete counterexample in a small finite universe (same relation), or by the
    fully quantified query.
    """

    def __init__(
        self,
        sl: SchedulingSlice,
        invariants: list[StatePredicate],
        step_goal: StepPredicate | None,
        k: int,
        init: SliceState | None,
        clock: _Clock,
    ) -> None:
        self.sl = sl
        self.invariants = invariants
        self.step_goal = step_goal
        self.k = k
        self.init_state = init  # None: every state with all nodes Ready
        self.clock = clock
        self.quantified = QUANTIFY  # open universe: real quantifiers instead of instances

    @property
    def exact(self) -> bool:
        return self.sl.u.is_finite or self.quantified

    def goals(self) -> list[str]:
        names = [i.name for i in self.invariants]
        return names + ([self.step_goal.name] if self.step_goal is not None else [])

    # -- building blocks --

    def _witness(self, goal: str, frame: Frame) -> z3.ExprRef:
        u = self.sl.u
        inv = next((i for i in self.invariants if i.name == goal), None)
        sort = u.node if inv is not None and inv.over == "node" else u.pod
        return z3.Const(f"witness@{goal}@{frame.tag}", sort)

    def _negation(self, goal: str, frames: list[Frame], w: z3.ExprRef) -> z3.BoolRef:
        inv = next((i for i in self.invariants if i.name == goal), None)
        if inv is not None:
            return z3.Not(inv.body(self.sl, frames[-1], w))
        assert self.step_goal is not None and len(frames) > 1
        return z3.Not(self.step_goal.body(self.sl, frames[-2], frames[-1], w))

    def _terms(self, frames: list[Frame], choices: list[Choice], witnesses: list[z3.ExprRef]) -> dict[str, list]:
        u = self.sl.u
        pods = [c.p0 for c in choices] + [w for w in witnesses if w.sort() == u.pod]
        nodes = [c.n0 for c in choices] + [w for w in witnesses if w.sort() == u.node]
        nodes += [f.where[p] for f in frames for p in pods]
        return {"node": nodes, "pod": pods}

    def _all(self, over: str, fn: Callable[[z3.ExprRef], z3.BoolRef], terms: dict[str, list], tag: str) -> list:
        """``fn`` for every node (pod): exactly, or at the query's ground terms."""
        u = self.sl.u
        if self.exact:
            return [u.forall(u.node if over == "node" else u.pod, f"{over}!{tag}", fn)]
        return [fn(t) for t in terms[over]]

    def _init(self, s0: Frame, terms: dict[str, list]) -> list:
        if self.init_state is not None:
            return pin(self.sl.u, s0, self.init_state)
        out = self._all("node", lambda n: s0.ready[n] == C_TRUE, terms, "init")
        if self.sl.options.assume_no_condition_tolerations:
            out += self._all("pod", lambda p: NO_CONDITION_TOLERATIONS.body(self.sl, s0, p), terms, "init")
        return out

    def _solve(self, formulas: list, frames: list[Frame]) -> tuple[z3.CheckSatResult, z3.ModelRef | None]:
        solver = z3.Solver()
        left = self.clock.left()
        if left is not None and left <= 0:
            self.clock.reason = "the time limit ran out"
            return z3.unknown, None
        if self.quantified:  # model finding with quantifiers may not terminate: bound it
            left = QUANTIFIED_LIMIT if left is None else min(left, QUANTIFIED_LIMIT)
        if left is not None:
            solver.set("timeout", max(1, int(left * 1000)))
        solver.add(*self.sl.u.axioms(), *formulas)
        self.clock.queries += 1
        verdict = solver.check()
        if verdict == z3.unknown:
            self.clock.reason = f"z3 gave up ({solver.reason_unknown()})"
            return verdict, None
        if verdict == z3.unsat:
            return verdict, None
        model = solver.model()
        if self.exact and self.sl.u.is_finite:
            # A counterexample is easier to read when the fields it does not need have ordinary
            # values: keep each group of preferences that still leaves the query satisfiable.
            for group in self._preferences(frames):
                solver.push()
                solver.add(*group)
                self.clock.queries += 1
                if solver.check() == z3.sat:
                    model = solver.model()
                else:
                    solver.pop()
        return verdict, model

    def _preferences(self, frames: list[Frame]) -> list[list[z3.BoolRef]]:
        u = self.sl.u
        pairs = [(p, n) for p in u.pod_consts for n in u.node_consts]
        return [
            [f.ready[n] != C_FALSE for f in frames for n in u.node_consts],  # only a stopped runtime sets False
            [
                z3.And(f.powered[n], f.kubelet[n], z3.Not(f.partitioned[n]), f.runtime[n])
                for f in frames
                for n in u.node_consts
            ],
            [z3.Not(f.unsched[n]) for f in frames for n in u.node_consts],
            [f.aff[p, n] for f in frames for p, n in pairs],
            [z3.Not(f.blocked[p, n]) for f in frames for p, n in pairs],
            [z3.Not(f.tus[p]) for f in frames for p in u.pod_consts],
            [z3.Not(f.term[p]) for f in frames for p in u.pod_consts],
        ]

    # -- the obligations --

    def base(self, depth: int, goal: str) -> _Failure | str | None:
        """Runs of ``depth`` steps from an initial state that break ``goal`` at the end."""
        u = self.sl.u
        frames = [Frame(u, f"s{j}") for j in range(depth + 1)]
        choices = [Choice(u, f"t{j}") for j in range(1, depth + 1)]
        if goal not in [i.name for i in self.invariants] and depth == 0:
            return None  # a step property needs a step
        w = self._witness(goal, frames[-1])
        terms = self._terms(frames, choices, [w])
        formulas = self._init(frames[0], terms)
        formulas += [self.sl.transition(frames[j], frames[j + 1], c) for j, c in enumerate(choices)]
        formulas.append(self._negation(goal, frames, w))
        return self._outcome(VIOLATED, goal, formulas, frames, choices, [w])

    def step(self, goal: str) -> _Failure | str | None:
        """k steps from states satisfying the invariants (and the step property) that break ``goal``."""
        u = self.sl.u
        frames = [Frame(u, f"i{j}") for j in range(self.k + 1)]
        choices = [Choice(u, f"u{j}") for j in range(1, self.k + 1)]
        w = self._witness(goal, frames[-1])
        terms = self._terms(frames, choices, [w])
        formulas = [self.sl.transition(frames[j], frames[j + 1], c) for j, c in enumerate(choices)]
        for j in range(self.k):
            for inv in self.invariants:
                formulas += self._all(inv.over, lambda x, s=frames[j], i=inv: i.body(self.sl, s, x), terms, inv.name)
            if self.step_goal is not None and j >= 1:
                formulas += self._all(
                    "pod",
                    lambda p, a=frames[j - 1], b=frames[j], g=self.step_goal: g.body(self.sl, a, b, p),
                    terms,
                    self.step_goal.name,
                )
        formulas.append(self._negation(goal, frames, w))
        return self._outcome(NOT_INDUCTIVE, goal, formulas, frames, choices, [w])

    def _outcome(
        self, verdict: str, goal: str, formulas: list, frames: list[Frame], choices: list[Choice], w: list
    ) -> _Failure | str | None:
        """None: the obligation holds; UNKNOWN; or the failure (its model)."""
        result, model = self._solve(formulas, frames)
        if result == z3.unsat:
            return None
        if result == z3.unknown or model is None:
            return UNKNOWN
        return _Failure(verdict, goal, self, model, tuple(frames), tuple(choices), tuple(w))


@define
class _Clock:
    started: float
    timeout: float | None
    queries: int = 0
    reason: str = ""

    def left(self) -> float | None:
        return None if self.timeout is None else self.timeout - (time.monotonic() - self.started)


def _obligations(run: _Run) -> list[tuple[str, int, str]]:
    """(kind, depth, goal) in the order they are checked: the base case depth by depth, then the step."""
    out = [("base", d, g) for d in range(run.k) for g in run.goals()]
    return out + [("step", run.k, g) for g in run.goals()]


def _discharge(run: _Run, kind: str, depth: int, goal: str) -> _Failure | str | None:
    return run.base(depth, goal) if kind == "base" else run.step(goal)


def _confirm(run: _Run, kind: str, depth: int, goal: str) -> _Failure | str:
    """An open-universe obligation failed with instantiated hypotheses: find a real failure,
    first in small finite universes (smallest first), then with the quantified hypotheses."""
    for nodes, pods in SMALL_SIZES:
        u = Universe.finite([f"node-{i}" for i in range(1, nodes + 1)], [f"pod-{i}" for i in range(1, pods + 1)])
        options = attrs.evolve(run.sl.options, pod_count_filter=False)  # the any-size relation
        small = _Run(SchedulingSlice(u, options), run.invariants, run.step_goal, run.k, None, run.clock)
        found = _discharge(small, kind, depth, goal)
        if found is not None:
            return found
    was, run.quantified = run.quantified, True
    try:
        found = _discharge(run, kind, depth, goal)
    finally:
        run.quantified = was
    if found is None:  # the quantified hypotheses exclude every failure: the obligation holds
        return ""
    if found == UNKNOWN:
        run.clock.reason = (
            f"no counterexample with up to {SMALL_SIZES[-1][0]} nodes and {SMALL_SIZES[-1][1]} pods, "
            f"and z3 could not decide the quantified query ({run.clock.reason})"
        )
    return found


def _prove(run: _Run) -> _Failure | str | None:
    """None when every obligation holds; else UNKNOWN or the first failure."""
    for kind, depth, goal in _obligations(run):
        found = _discharge(run, kind, depth, goal)
        if isinstance(found, _Failure) and not run.sl.u.is_finite:
            found = _confirm(run, kind, depth, goal) or None
        if found is not None:
            return found
    return None


# --- lemmas ---------------------------------------------------------------------------------------


def _lemma(text: str, universe: Universe) -> StatePredicate:
    if not isinstance(text, str) or not text.strip():
        raise KmodelError("a lemma must be a name or an expression", where="kmodel prove --lemma", fix=_LEMMA_FIX)
    name = text.strip()
    if name in LEMMAS:
        return LEMMAS[name]
    if name == "pods-within-capacity":
        if not universe.is_finite:
            raise KmodelError(
                "the lemma pods-within-capacity counts pods, which the any-size encoding cannot express",
                where="kmodel prove --lemma",
                fix="use it in a bounded proof (without --any-size)",
            )
        return pods_within_capacity(universe.capacity)
    if re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name) and "-" in name:
        raise KmodelError(
            f"unknown lemma {name!r}: the built-in lemmas are {', '.join(LEMMAS)} (and pods-within-capacity "
            "in bounded proofs)",
            where="kmodel prove --lemma",
            fix=_LEMMA_FIX,
        )
    return translate_lemma(name)


_LEMMA_FIX = (
    "give a built-in lemma (unready-nodes-are-tainted) or an expression such as "
    "\"all(n.condition != 'Unknown' or 'node.kubernetes.io/unreachable:NoSchedule' in n.taints for n in nodes)\""
)

# Node fields an expression lemma may read, and what each is in the slice.
_NODE_BOOL_FIELDS = {
    "unschedulable": "unsched",
    "powered": "powered",
    "kubelet_running": "kubelet",
    "partitioned": "partitioned",
}
_POD_BOOL_FIELDS = {"terminating": "term"}
_CONDITION_TAINT_TEXT = {
    f"{TAINT_NOT_READY}:NoSchedule": "nr",
    f"{TAINT_UNREACHABLE}:NoSchedule": "ur",
    f"{TAINT_UNSCHEDULABLE}:NoSchedule": "us",
}
_COND = {"True": C_TRUE, "False": C_FALSE, "Unknown": C_UNKNOWN}


class _Untranslatable(Exception):
    pass


def translate_lemma(text: str) -> StatePredicate:
    """A lemma written in the ``--invariant`` language, when it is a conjunction of
    ``all(BODY for n in nodes [if COND])`` or ``all(BODY for p in pods [if COND])`` where BODY
    and COND use ``and``, ``or``, ``not``, ``X if C else Y`` and, for a node ``n``:
    ``n.ready``, ``n.condition == / != 'True' | 'False' | 'Unknown'``, ``n.unschedulable``,
    ``n.powered``, ``n.kubelet_running``, ``n.partitioned``, and ``'<key>:NoSchedule' in / not in
    n.taints`` for the not-ready, unreachable and unschedulable taints; for a pod ``p``:
    ``p.terminating``, ``p.node is None`` / ``is not None``. Anything else is refused with a
    KmodelError saying what is supported."""
    inv = compile_invariant(text)  # the same syntax checks and messages as kmodel check
    del inv
    tree = ast.parse(text.strip(), mode="eval").body
    try:
        parts = _conjuncts(tree)
        bodies = [_quantified(part) for part in parts]
    except _Untranslatable as err:
        raise KmodelError(
            f"cannot use {text!r} as a lemma: {err}",
            where="kmodel prove --lemma",
            fix=_LEMMA_FIX,
        ) from None
    over = {b[0] for b in bodies}
    if len(over) != 1:
        raise KmodelError(
            f"cannot use {text!r} as a lemma: quantify over nodes or over pods, not both",
            where="kmodel prove --lemma",
            fix="give two lemmas",
        )
    kind = over.pop()

    def body(sl: SchedulingSlice, s: Frame, x: z3.ExprRef) -> z3.BoolRef:
        return z3.And([fn(s, x) for _, fn in bodies])

    def check(state: SliceState) -> list[tuple[str, str]]:
        return []  # expression lemmas are explained by kmodel check's evaluator, not here

    return StatePredicate(text.strip(), f"the lemma {text.strip()}", kind, body, check)


def _conjuncts(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        return [c for v in node.values for c in _conjuncts(v)]
    return [node]


Encoder = Callable[[Frame, z3.ExprRef], z3.BoolRef]


def _quantified(node: ast.expr) -> tuple[str, Encoder]:
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "all"
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.GeneratorExp)
    ):
        raise _Untranslatable("the supported form is all(... for n in nodes) or all(... for p in pods)")
    gen = node.args[0]
    if len(gen.generators) != 1:
        raise _Untranslatable("only one 'for' per all(...)")
    comp = gen.generators[0]
    if not isinstance(comp.target, ast.Name) or not isinstance(comp.iter, ast.Name):
        raise _Untranslatable("iterate with a plain name: for n in nodes")
    if comp.iter.id not in ("nodes", "pods") or comp.is_async:
        raise _Untranslatable(f"only nodes and pods can be quantified over, not {ast.unparse(comp.iter)}")
    kind = "node" if comp.iter.id == "nodes" else "pod"
    var = comp.target.id
    body = _formula(gen.elt, var, kind)
    conds = [_formula(c, var, kind) for c in comp.ifs]

    def encode(s: Frame, x: z3.ExprRef) -> z3.BoolRef:
        return z3.Implies(z3.And([c(s, x) for c in conds]), body(s, x)) if conds else body(s, x)

    return kind, encode


def _formula(node: ast.expr, var: str, kind: str) -> Encoder:
    if isinstance(node, ast.BoolOp):
        parts = [_formula(v, var, kind) for v in node.values]
        op = z3.And if isinstance(node.op, ast.And) else z3.Or
        return lambda s, x: op([f(s, x) for f in parts])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _formula(node.operand, var, kind)
        return lambda s, x: z3.Not(inner(s, x))
    if isinstance(node, ast.IfExp):
        c, a, b = (_formula(n, var, kind) for n in (node.test, node.body, node.orelse))
        return lambda s, x: z3.If(c(s, x), a(s, x), b(s, x))
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        value = node.value
        return lambda s, x: z3.BoolVal(value)
    if _is_field(node, var):
        assert isinstance(node, ast.Attribute)
        return _bool_field(node.attr, kind)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return _comparison(node.left, node.ops[0], node.comparators[0], var, kind)
    raise _Untranslatable(f"{ast.unparse(node)!r} is not supported in a lemma")


def _is_field(node: ast.expr, var: str) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == var


def _bool_field(attr: str, kind: str) -> Encoder:
    if kind == "node":
        if attr == "ready":
            return lambda s, x: s.ready[x] == C_TRUE
        if attr in _NODE_BOOL_FIELDS:
            name = _NODE_BOOL_FIELDS[attr]
            return lambda s, x: s.arrays[name][x]
        known = ["ready", *_NODE_BOOL_FIELDS]
    else:
        if attr in _POD_BOOL_FIELDS:
            name = _POD_BOOL_FIELDS[attr]
            return lambda s, x: s.arrays[name][x]
        known = list(_POD_BOOL_FIELDS)
    raise _Untranslatable(
        f"the {kind} field {attr!r} is not in the scheduling slice as a boolean (use {', '.join(known)})"
    )


def _comparison(left: ast.expr, op: ast.cmpop, right: ast.expr, var: str, kind: str) -> Encoder:
    # n.condition == 'Unknown'
    if kind == "node" and _is_field(left, var) and isinstance(left, ast.Attribute) and left.attr == "condition":
        if isinstance(op, ast.Eq | ast.NotEq) and isinstance(right, ast.Constant) and right.value in _COND:
            value = _COND[right.value]
            if isinstance(op, ast.Eq):
                return lambda s, x: s.ready[x] == value
            return lambda s, x: s.ready[x] != value
        raise _Untranslatable("compare n.condition with == or != to 'True', 'False' or 'Unknown'")
    # 'key:NoSchedule' in n.taints
    if (
        kind == "node"
        and isinstance(left, ast.Constant)
        and isinstance(op, ast.In | ast.NotIn)
        and _is_field(right, var)
        and isinstance(right, ast.Attribute)
        and right.attr == "taints"
    ):
        if left.value not in _CONDITION_TAINT_TEXT:
            raise _Untranslatable(
                f"the slice knows only the taints {', '.join(_CONDITION_TAINT_TEXT)} by name, not {left.value!r}"
            )
        name = _CONDITION_TAINT_TEXT[left.value]
        if isinstance(op, ast.In):
            return lambda s, x: s.arrays[name][x]
        return lambda s, x: z3.Not(s.arrays[name][x])
    # p.node is None
    if (
        kind == "pod"
        and _is_field(left, var)
        and isinstance(left, ast.Attribute)
        and left.attr == "node"
        and isinstance(op, ast.Is | ast.IsNot)
        and isinstance(right, ast.Constant)
        and right.value is None
    ):
        if isinstance(op, ast.Is):
            return lambda s, x: z3.Or(z3.Not(s.alive[x]), z3.Not(s.bound[x]))
        return lambda s, x: z3.And(s.alive[x], s.bound[x])
    raise _Untranslatable(f"the comparison {ast.unparse(ast.Compare(left, [op], [right]))!r} is not supported")


# --- reading counterexamples ------------------------------------------------------------------------


def _elements(
    model: z3.ModelRef, u: Universe, sort: z3.SortRef, focus: list[z3.ExprRef], prefix: str
) -> list[tuple[str, z3.ExprRef]]:
    """Name the elements of ``sort`` in ``model``: the universe's names when finite, else
    ``<prefix>-1``, ``<prefix>-2``, ... with the elements in ``focus`` first."""
    if u.is_finite:
        names = u.node_names if sort == u.node else u.pod_names
        consts = u.node_consts if sort == u.node else u.pod_consts
        assert names is not None
        values = [model.eval(f, model_completion=True) for f in focus]
        ordered = [i for v in values for i, c in enumerate(consts) if z3.eq(c, v)]
        ordered += [i for i in range(len(consts)) if i not in ordered]
        return [(names[i], consts[i]) for i in dict.fromkeys(ordered)]
    found: list[z3.ExprRef] = []
    for term in [model.eval(f, model_completion=True) for f in focus] + list(model.get_universe(sort) or []):
        if not any(z3.eq(term, x) for x in found):
            found.append(term)
    return [(f"{prefix}-{i}", x) for i, x in enumerate(found, 1)]


def _render_run(failure: _Failure, *, initial: bool) -> str:
    run, model = failure.run, failure.model
    frames, choices, witnesses, broken = failure.frames, failure.choices, failure.witnesses, failure.goal
    u = run.sl.u
    last = choices[-1] if choices else None
    node_focus = [w for w in witnesses if w.sort() == u.node]
    pod_focus = [w for w in witnesses if w.sort() == u.pod]
    if len(frames) > 1:
        node_focus += [frames[-1].where[w] for w in pod_focus]
    if last is not None:
        node_focus.append(last.n0)
        pod_focus.append(last.p0)
    nodes = _elements(model, u, u.node, node_focus, "node")
    pods = _elements(model, u, u.pod, pod_focus, "pod")
    states = [read(model, f, nodes, pods) for f in frames]
    node_name = {str(model.eval(x, model_completion=True)): name for name, x in nodes}
    pod_name = {str(model.eval(x, model_completion=True)): name for name, x in pods}
    size = ""
    if u.is_finite and u.node_names and u.node_names[0] == "node-1":  # a small universe found by _confirm
        n_nodes, n_pods = len(u.node_names), max(len(st.pods) for st in states)
        size = f", with {n_nodes} node{'s' if n_nodes != 1 else ''} and {n_pods} pod{'s' if n_pods != 1 else ''}"
    lines: list[str] = []
    if initial:
        lines.append(f"a run of the scheduling slice from an initial state that breaks {broken}{size}:")
    else:
        assumed = ", ".join(i.name for i in run.invariants) or "no invariant"
        lines.append(f"counterexample to induction (k={run.k}){size}:")
        if run.k == 1:
            lines.append(f"  a state that satisfies {assumed},")
            lines.append(f"  and a step from it that breaks {broken} (the state need not be reachable)")
        else:
            lines.append(f"  {run.k} states that satisfy {assumed},")
            lines.append(f"  and steps between them, the last of which breaks {broken} (they need not be reachable)")
    focus = _names(model, pods, pod_focus)
    title = "state 0 (initial)" if initial else ("state before the step" if run.k == 1 else "state 0")
    lines.append(f"  {title}:")
    lines += [f"    {line}" for line in _describe(states[0], u, focus)]
    for j, c in enumerate(choices):
        changes = _diff(states[j], states[j + 1])
        what = (
            _describe_action(run, model, c, node_name, pod_name)
            if changes
            else "a step that changes nothing in the slice"
        )
        lines.append(f"  {'the step' if len(choices) == 1 else f'step {j + 1}'}: {what}")
        lines += [f"    {line}" for line in changes]
    lines.append(f"  broken: {_why(run, broken, states)}")
    if not initial:
        lines += _hints(run, broken, states[-2] if len(states) > 1 else states[-1])
    return "\n".join(lines)


def _names(model: z3.ModelRef, elements: list[tuple[str, z3.ExprRef]], focus: list[z3.ExprRef]) -> list[str]:
    values = [model.eval(f, model_completion=True) for f in focus]
    return [name for name, x in elements if any(z3.eq(model.eval(x, model_completion=True), v) for v in values)]


def _node_line(name: str, v: NodeView, state: SliceState, u: Universe) -> str:
    taints = ", ".join(v.taints()) or "none"
    parts = [f"node {name}: Ready={v.ready}", f"NoSchedule taints: {taints}"]
    if v.unsched:
        parts.append("cordoned (spec.unschedulable)")
    physical = [
        w
        for on, w in (
            (not v.powered, "machine off"),
            (not v.kubelet, "kubelet stopped"),
            (v.partitioned, "partitioned"),
            (not v.runtime, "container runtime down"),
        )
        if on
    ]
    parts.append(", ".join(physical) if physical else "kubelet connected")
    if name in u.capacity:
        parts.append(f"{len(state.on(name))}/{u.capacity[name]} pods bound")
    return "; ".join(parts)


def _pod_line(name: str, v: PodView, state: SliceState) -> str:
    where = f"on {v.node}" if v.node is not None else "Pending (no nodeName)"
    parts = [f"pod {name}: {where}" + (", Terminating" if v.term else "")]
    tolerated = [t for on, t in ((v.tnr, "not-ready"), (v.tur, "unreachable"), (v.tus, "unschedulable")) if on]
    if tolerated:
        parts.append(f"tolerates the {', '.join(tolerated)} NoSchedule taint(s)")
    if v.blocked:
        parts.append(f"another taint it does not tolerate on {', '.join(sorted(v.blocked))}")
    excluded = sorted(n for n, _ in state.nodes if n not in v.aff)
    if excluded:
        parts.append(f"nodeSelector excludes {', '.join(excluded)}")
    return "; ".join(parts)


def _describe(state: SliceState, u: Universe, focus: Sequence[str] | None = None) -> list[str]:
    lines = [_node_line(name, v, state, u) for name, v in state.nodes]
    order = [name for name in focus or () if state.pod(name) is not None]
    order += [name for name, _ in state.pods if name not in order]
    for name in order[:SHOW_PODS]:
        view = state.pod(name)
        assert view is not None
        lines.append(_pod_line(name, view, state))
    if len(order) > SHOW_PODS:
        rest = order[SHOW_PODS:]
        bound = sum(1 for name, v in state.pods if name in rest and v.node is not None)
        lines.append(f"... and {len(rest)} more pods ({bound} of them bound)")
    if not state.pods:
        lines.append("no pods")
    return lines


def _diff(before: SliceState, after: SliceState) -> list[str]:
    out = []
    for name, old in before.nodes:
        new = after.node(name)
        if new is None or new == old:
            continue
        changes = []
        if new.ready != old.ready:
            changes.append(f"Ready {old.ready} -> {new.ready}")
        added = [t for t in new.taints() if t not in old.taints()]
        removed = [t for t in old.taints() if t not in new.taints()]
        changes += [f"+taint {t}" for t in added] + [f"-taint {t}" for t in removed]
        if new.unsched != old.unsched:
            changes.append("cordoned" if new.unsched else "uncordoned")
        for field, label in (
            ("powered", "machine"),
            ("kubelet", "kubelet"),
            ("partitioned", "partitioned"),
            ("runtime", "container runtime"),
        ):
            if getattr(new, field) != getattr(old, field):
                if field == "partitioned":
                    changes.append("partitioned" if new.partitioned else "healed")
                else:
                    changes.append(f"{label} {'on' if getattr(new, field) else 'off'}")
        if changes:
            out.append(f"node {name}: {', '.join(changes)}")
    for name, old_pod in before.pods:
        new_pod = after.pod(name)
        if new_pod is None:
            out.append(f"pod {name}: deleted (object gone)")
        elif new_pod.node != old_pod.node:
            out.append(
                f"pod {name}: {'Pending' if old_pod.node is None else 'on ' + old_pod.node} -> "
                f"{'on ' + new_pod.node if new_pod.node else 'Pending'}"
            )
        elif new_pod.term != old_pod.term:
            out.append(f"pod {name}: Terminating")
        elif new_pod.blocked != old_pod.blocked:
            out.append(
                f"pod {name}: the other taints it does not tolerate are now on "
                f"{', '.join(sorted(new_pod.blocked)) or 'no node'}"
            )
    for name, new_pod in after.pods:
        if before.pod(name) is None:
            out.append(f"pod {name}: created, {_pod_line(name, new_pod, after).split(': ', 1)[1]}")
    return out


def _describe_action(
    run: _Run, model: z3.ModelRef, c: Choice, node_name: dict[str, str], pod_name: dict[str, str]
) -> str:
    def ev(term: z3.ExprRef) -> str:
        return str(model.eval(term, model_completion=True))

    action = ACTIONS[model.eval(c.action, model_completion=True).as_long()]
    n0 = node_name.get(ev(c.n0), ev(c.n0))
    p0 = pod_name.get(ev(c.p0), ev(c.p0))
    flag = z3.is_true(model.eval(c.flag, model_completion=True))
    options = run.sl.options
    filters = ["NodeUnschedulable"] + (["TaintToleration"] if options.taint_filter else []) + ["NodeAffinity"]
    if run.sl.u.is_finite and options.pod_count_filter:
        filters.append("NodeResourcesFit")
    return {
        "scheduler": f"the scheduler binds {p0} to {n0} (it passes {', '.join(filters)})",
        "nodelifecycle": "a node lifecycle pass (nodes found late go Unknown; NoSchedule taints follow the conditions)",
        "kubelet": f"the kubelet on {n0} " + ("posts its Ready condition" if flag else "syncs its pods"),
        "pods": "controllers and users create and delete pods",
        "fault": f"a fault on {n0} (machine, kubelet, container runtime or network)",
        "cordon": f"kubectl {'cordon' if flag else 'uncordon'} {n0}",
        "taint": f"kubectl taint {n0} (a taint other than the condition ones)",
        "stutter": "a step that changes nothing in the slice (the clock, endpoints, ...)",
    }[action]


def _why(run: _Run, broken: str, states: list[SliceState]) -> str:
    if run.step_goal is not None and broken == run.step_goal.name:
        problems = run.step_goal.check(states[-2], states[-1])
    else:
        inv = next(i for i in run.invariants if i.name == broken)
        problems = inv.check(states[-1])
    detail = "; ".join(p for _, p in problems)
    return f"{broken}: {detail}" if detail else broken


def _hints(run: _Run, broken: str, before: SliceState) -> list[str]:
    used = {i.name for i in run.invariants}
    lines = []
    for name in SUGGESTED_LEMMAS.get(broken, ()):
        if name in used:
            continue
        problems = LEMMAS[name].check(before)
        if problems:
            lines.append(f"  why it is not excluded: {'; '.join(p for _, p in problems)}")
            lines.append(
                f"  hint: no reachable state looks like that if the lemma {name} holds: add it "
                f"(--lemma {name}) and it is proven alongside"
            )
    if not lines:
        lines.append(
            "  hint: if the state before the step cannot be reached, add a lemma that excludes it "
            "(--lemma NAME, or an all(... for n in nodes) expression), or raise --k"
        )
    return lines


# --- the report -----------------------------------------------------------------------------------


def _message(
    result: ProofResult,
    scen: Scenario | None,
    sl: SchedulingSlice,
    invariants: list[StatePredicate],
    tolerating: list[str],
    reason: str,
) -> str:
    where = Path(scen.path).name if scen is not None else "(no scenario: every cluster)"
    method = f"{result.k}-induction" if result.k > 1 else "induction (k=1)"
    verdict = {
        PROVEN: f"PROVEN  {result.property}  for {result.sizes}",
        NOT_INDUCTIVE: f"NOT INDUCTIVE  {result.property}  ({method} fails: this does not show it is false)",
        VIOLATED: f"VIOLATED  {result.property}  (a run of the slice breaks it)",
        UNKNOWN: f"UNKNOWN  {result.property}  ({reason or 'z3 could not decide'})",
    }[result.verdict]
    lines = [f"kmodel prove {where}: {result.property} (scheduling slice)", "", verdict]
    if result.verdict != PROVEN:
        lines.append(f"  sizes: {result.sizes}")
    lemmas = set(result.lemmas_used)
    alongside = [
        f"{i.name} ({'lemma' if i.name in lemmas else 'assumption on new pods'})"
        for i in invariants
        if i.name != result.property
    ]
    lines.append(f"  by {method}" + (f", together with: {', '.join(alongside)}" if alongside else ""))
    for a in result.assumptions:
        lines.append(f"  {a}")
    if tolerating:
        lines.append(
            f"  note: {', '.join(tolerating)} tolerate(s) the not-ready or unreachable NoSchedule taint, so "
            "its pods may rightly be bound to nodes that are not Ready"
        )
    off = [
        name
        for name, on in (
            ("TaintToleration", sl.options.taint_filter),
            ("NodeResourcesFit", sl.options.pod_count_filter),
        )
        if not on and (name != "NodeResourcesFit" or sl.u.is_finite)
    ]
    if off:
        lines.append(f"  encoding: BROKEN ON PURPOSE (filters left out: {', '.join(off)})")
    lines += [
        "  slice: the scheduler may bind any pending pod to any node that passes its filters (more than the",
        "    real one, which picks a best-scoring node: sound for safety properties); node lifecycle,",
        "    kubelet heartbeats, faults, pod creation and deletion, cordon, taints; no timing",
        "  filters: NodeUnschedulable, TaintToleration, NodeAffinity (nodeSelector, required terms,",
        "    matchFields) and the pod count; cpu, memory and extended resources, host ports, pod (anti-)affinity",
        "    and topology spread are left out (more bindings, still sound); preemption's victims are deletions",
        f"  z3: {result.queries} queries, {result.seconds:.1f}s",
    ]
    if result.cti:
        lines += ["", result.cti]
    if result.trace:
        lines += [
            "",
            result.trace,
            "  (a run of the slice, which over-approximates the model: confirm with kmodel check)",
        ]
    if result.verdict == NOT_INDUCTIVE:
        suggested = [s for s in SUGGESTED_LEMMAS.get(result.property, ()) if s not in result.lemmas_used]
        if suggested:
            target = f"{Path(scen.path).name} " if scen is not None else ""
            lemma_args = " ".join(f"--lemma {s}" for s in suggested)
            lines += ["", f"try: kmodel prove {target}--property {result.property} {lemma_args}"]
    return "\n".join(lines)


__all__ = [
    "ANY_SIZE",
    "LEMMAS",
    "NOT_INDUCTIVE",
    "PROPERTIES",
    "PROVEN",
    "UNKNOWN",
    "VIOLATED",
    "ProofResult",
    "provable",
    "prove",
    "translate_lemma",
]
