"""Exhaustive explicit-state exploration, breadth-first.

Every reachable state is visited once (by its fingerprint, which the model makes canonical), so a
property that holds here holds for every interleaving within the model's bounds, and the first
violation found is at the smallest depth: a shortest counterexample.

Safety kinds are checked on the fly: ``always`` on every new state, ``always-transition`` on
every transition. ``within`` (P leads to Q within T) is checked on the product with a small
monitor that remembers since when P has been waiting for Q.

``eventually`` P is checked in its bounded form on a product with a "calm" flag: from any
reachable state (once the scenario's script is over) the adversary may stop for good, undoing
every fault it injected; from then on only components act, and P must hold within
``prop.bound`` seconds of model time (and again within that bound whenever it is lost while
calm). A fair, fault-free run that misses P for longer is the counterexample.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from kmodel.engines.base import (
    ALWAYS,
    ALWAYS_TRANSITION,
    EVENTUALLY,
    HOLDS,
    INCONCLUSIVE,
    VIOLATED,
    WITHIN,
    Model,
    Property,
    Result,
    Stats,
    Step,
    Trace,
    Transition,
    action_family,
)

ENGINE = "explore"

Progress = Callable[[Stats, int], None]  # (stats so far, queue length)
_ABSENT: Any = object()  # not in the visited dict


class _Node:
    """A visited state, compactly: the full state is held only while the node waits in the
    queue (``state`` is dropped once it is expanded); the trace to it is rebuilt by replaying,
    from the initial state, the transition chosen at each step (its index among the enabled
    transitions of its parent, which the model enumerates in a deterministic order), as TLC
    rebuilds its traces from fingerprints and parent pointers."""

    __slots__ = ("actor", "depth", "first", "index", "parent", "pending", "sleep", "state")

    def __init__(
        self,
        state: Any,
        parent: _Node | None,
        actor: str,
        index: int,
        depth: int,
        pending: int | None,
        sleep: frozenset[str] = frozenset(),
    ) -> None:
        self.state = state
        self.parent = parent
        self.actor = actor  # kept to check the replay
        self.index = index  # among the parent's transitions (among the initial states for a root)
        self.depth = depth
        self.pending = pending  # within: model time since which P waits for Q (None: nothing waits)
        self.first = False  # riders (_Riders): the first node of its inner state before faults stop
        # sleep sets: the actors whose steps this state's expansion leaves out (final once it is
        # expanded; its children's indices count among the other transitions)
        self.sleep = sleep


def _successors(model: Model, state: Any, sleep: frozenset[str]) -> Iterator[Transition]:
    """The transitions of ``state`` but those of the actors in ``sleep``."""
    return iter(model.transitions(state, skip=sleep) if sleep else model.transitions(state))  # type: ignore[call-arg]


def _replay(model: Model, node: _Node) -> list[Step]:
    """The steps from an initial state to ``node``, rebuilt from the recorded choices."""
    path: list[_Node] = []
    cur: _Node | None = node
    while cur is not None:
        path.append(cur)
        cur = cur.parent
    path.reverse()
    root = path[0]
    state = next(itertools.islice(model.init_states(), root.index, None))
    steps = [Step("init", "initial state", state)]
    for prev, n in itertools.pairwise(path):
        tr = next(itertools.islice(_successors(model, state, prev.sleep), n.index, None))
        if tr.actor != n.actor:
            raise RuntimeError(f"replaying a trace: expected a step of {n.actor}, got {tr.actor} ({tr.label})")
        state = tr.state
        steps.append(Step(tr.actor, tr.label, state))
    return steps


def _trace(model: Model, node: _Node, last: Transition | None = None) -> Trace:
    steps = _replay(model, node)
    if last is not None:
        steps.append(Step(last.actor, last.label, last.state))
    return Trace(tuple(steps))


class Calm:
    """``model`` with a flag saying whether faults have stopped; states are (state, calm).

    A state and its healed twin (the "faults stop" successor) often have the same component
    steps: with no fault to undo, only the unspent budget differs. Where the model says so
    (its ``healed_twin``), the twin's transitions are taken from the state's, which were just
    computed, instead of computed again when the twin is expanded (a level later, in a
    breadth-first search); at most :data:`TWINS` are kept waiting."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.twin = getattr(model, "healed_twin", None)
        self.twins: dict[int, tuple[Any, list[Transition]]] = {}

    def init_states(self) -> Iterator[tuple[Any, bool]]:
        for s in self.model.init_states():
            yield (s, False)

    def transitions(self, state: tuple[Any, bool]) -> Iterator[Transition]:
        inner, calm = state
        if calm:
            hit = self.twins.pop(id(inner), None)
            steps = hit[1] if hit is not None and hit[0] is inner else self.model.transitions(inner)
            for tr in steps:
                if not tr.fault:
                    yield Transition(tr.actor, tr.label, (tr.state, True), False)
            return
        steps = list(self.model.transitions(inner))
        healed = self.model.stop_faults(inner)  # type: ignore[attr-defined]
        if healed is not None and self.twin is not None:
            # before the steps are handed on: the model may remember what it is asked twice
            same = self.twin(inner, healed, steps)
            if same is not None:
                if len(self.twins) >= TWINS:
                    del self.twins[next(iter(self.twins))]  # the oldest
                self.twins[id(healed)] = (healed, same)
        for tr in steps:
            yield Transition(tr.actor, tr.label, (tr.state, False), tr.fault)
        if healed is not None:
            yield Transition("adversary", "faults stop: every fault undone, no more", (healed, True), True)

    def fingerprint(self, state: tuple[Any, bool]) -> Hashable:
        return (self.model.fingerprint(state[0]), state[1])

    def clock(self, state: tuple[Any, bool]) -> int:
        return self.model.clock(state[0])


TWINS = 10_000  # healed twins whose transitions Calm keeps until they are expanded


def calm_within(model: Model, prop: Property) -> tuple[Calm, Property]:
    """``eventually`` P as the explorer checks it: ``within`` on the model with a calm flag."""
    if not hasattr(model, "stop_faults"):
        raise ValueError(f"{prop.name}: this model cannot stop its faults, so 'eventually' cannot be checked")
    goal = prop.predicate
    assert goal is not None
    within = Property(
        prop.name,
        WITHIN,
        prop.doc,
        predicate=_calm_flag,
        target=lambda s: goal(s[0]),
        bound=prop.bound,
        explain=prop.explain,
    )
    return Calm(model), within


def _calm_flag(state: tuple[Any, bool]) -> bool:
    return state[1]


def _inner_trace(trace: Trace) -> Trace:
    """A trace of the calm model as a trace of the model (the calm flag dropped)."""
    return Trace(tuple(Step(st.actor, st.label, st.state[0]) for st in trace.steps))


def calm_result(model: Model, prop: Property, result: Result) -> Result:
    """The calm search's answer (:func:`calm_within`) as the answer for ``eventually`` ``prop``."""
    if result.trace is not None:
        result.trace = _inner_trace(result.trace)
    if result.verdict == VIOLATED:
        result.message = f"not reached within {prop.bound}s after faults stopped"
    if prop.needs_fairness and not getattr(model, "fair", False):
        result.warnings.append(
            f"{prop.name} is a liveness property, but this model does not guarantee fairness: "
            "a run that starves a component can miss it without any bug"
        )
    return result


def _eventually(model: Model, prop: Property, riders: _Riders | None = None, **limits: Any) -> Result:
    calm, within = calm_within(model, prop)
    if riders is None:
        result = explore(calm, within, **limits)
    else:
        result = _search(riders.calm, [within], riders=riders, **limits)[0]
    return calm_result(model, prop, result)


def explore(
    model: Model,
    prop: Property,
    *,
    max_states: int = 1_000_000,
    max_depth: int | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    progress: Progress | None = None,
    families: list[str] | None = None,
    por: bool = False,
) -> Result:
    """Check ``prop`` on every state reachable in ``model``, within ``max_states`` states,
    ``max_depth`` actions, and ``timeout`` seconds or until ``deadline`` (``time.monotonic()``),
    whichever comes first.

    ``por``: partial-order reduction by sleep sets, where the model declares steps independent
    (its ``independence(state)``, :mod:`kmodel.sleepsets`): a step that would only close a
    diamond ``a·b = b·a`` is not computed. Every reachable state is still visited at its
    breadth-first depth, so verdicts, state counts and shortest counterexamples are those of
    the full search (under ``max_states`` the states visited before the limit may differ). Only
    for state invariants (``always``): an ``always-transition`` property must see every (before,
    after) pair, and a ``within`` or ``eventually`` monitor depends on the order of the states a
    path visits, so those are searched in full whatever ``por`` says."""
    limits: dict[str, Any] = {
        "max_states": max_states,
        "max_depth": max_depth,
        "deadline": _deadline(timeout, deadline),
        "progress": progress,
        "families": families,
        "por": por,
    }
    if prop.kind == EVENTUALLY:
        return _eventually(model, prop, **limits)
    if prop.kind not in (ALWAYS, ALWAYS_TRANSITION, WITHIN):
        raise ValueError(f"the explorer cannot check properties of kind {prop.kind!r}")
    return _search(model, [prop], **limits)[0]


def _deadline(timeout: float | None, deadline: float | None) -> float | None:
    """The earlier of ``deadline`` and ``timeout`` seconds from now."""
    ends = [t for t in (deadline, None if timeout is None else time.monotonic() + timeout) if t is not None]
    return min(ends) if ends else None


def explore_many(
    model: Model, props: list[Property], *, timeout: float | None = None, deadline: float | None = None, **limits: Any
) -> list[Result]:
    """Check several properties, sharing one search among the state and transition invariants
    (each still gets its own shortest counterexample); the others get a search each. ``timeout``
    (or ``deadline``) bounds them all together, not each search. ``por`` (sleep sets) applies
    to the shared search only when it holds state invariants alone."""
    limits["deadline"] = _deadline(timeout, deadline)
    shared = [p for p in props if p.kind in (ALWAYS, ALWAYS_TRANSITION)]
    found: dict[int, Result] = {}
    host = next((p for p in props if p.kind == EVENTUALLY), None)
    if RIDE and shared and host is not None and limits["deadline"] is None and limits.get("max_depth") is None:
        if hasattr(model, "stop_faults"):
            riders = _Riders(model, shared, limits.get("families"))
            found[id(host)] = _eventually(model, host, riders=riders, **limits)
            found.update(riders.results(complete=found[id(host)].verdict == HOLDS))
    left = [p for p in shared if id(p) not in found]
    if left:
        found.update(zip((id(p) for p in left), _search(model, left, **limits), strict=True))
    return [found[id(p)] if id(p) in found else explore(model, p, **limits) for p in props]


# explore_many checks the state and transition invariants on the search of an ``eventually``
# property when it can (see _Riders); False: a search of their own (the tests compare the two)
RIDE = True


class _Riders:
    """State and transition invariants checked on the search of an ``eventually`` property (the
    model with a "calm" flag, :class:`Calm`), instead of a search of their own.

    Before faults stop, the calm search takes exactly the model's transitions, in the same order
    (the "faults stop" transition comes last), so its states with the flag down are the model's
    reachable states at the same depths, and the first node of each such state (``_Node.first``)
    is found in the order, and from the parent, that the model's own breadth-first search finds
    it: an invariant checked on those nodes and on their transitions gets the very verdict,
    counterexample and counts of its own search. The rest of the calm search (the same state
    again with another monitor value, and everything after faults stop) is not looked at.
    Only a search that ran to the end answers for them all; one stopped early (the eventually
    property violated, a limit) answers only for the invariants it had already found violated,
    and explore_many checks the others on a search of their own."""

    def __init__(self, model: Model, props: list[Property], families: list[str] | None) -> None:
        self.calm = Calm(model)  # the model the calm search runs on (its traces are replayed on it)
        self.active = list(props)
        self.families = families
        self.inner: set[Hashable] = set()
        self.stats = Stats()
        self.fired: set[str] = set()
        self.done: dict[int, Result] = {}
        self.start = time.monotonic()

    def _snapshot(self) -> Stats:
        st = self.stats
        never = sorted(set(self.families or []) - self.fired)
        return Stats(st.states, st.transitions, st.depth, 0, time.monotonic() - self.start, never, st.limit)

    def _violated(self, prop: Property, node: _Node, last: Transition | None = None, message: str = "") -> None:
        trace = _inner_trace(_trace(self.calm, node, last))
        self.done[id(prop)] = Result(VIOLATED, ENGINE, prop.name, self._snapshot(), trace, message)
        self.active.remove(prop)

    def discovered(self, node: _Node, key: Hashable, message: str = "") -> None:
        """A new node of the calm search, ``key`` its visited key ((fingerprint, calm), waited)."""
        (inner_fp, calm), _ = key  # type: ignore[misc]
        if calm or inner_fp in self.inner:
            return
        self.inner.add(inner_fp)
        node.first = True
        self.stats.states += 1
        for prop in list(self.active):
            if prop.kind == ALWAYS and not prop.predicate(node.state[0]):  # type: ignore[misc]
                self._violated(prop, node, message=message)

    def expanding(self, node: _Node) -> None:
        self.stats.depth = max(self.stats.depth, node.depth)

    def transition(self, node: _Node, state: Any, tr: Transition) -> None:
        """A transition of a first node (``state`` its state), the "faults stop" one excepted."""
        if tr.state[1]:
            return
        self.stats.transitions += 1
        self.fired.add(action_family(tr.actor))
        for prop in list(self.active):
            if prop.kind == ALWAYS_TRANSITION and not prop.transition(state[0], tr.state[0]):  # type: ignore[misc]
                self._violated(prop, node, tr)

    def results(self, complete: bool) -> dict[int, Result]:
        """The answers the calm search gave: every invariant's if it ran to the end
        (``complete``: the eventually property holds), else those it found violated."""
        if complete:
            for prop in self.active:
                self.done[id(prop)] = Result(HOLDS, ENGINE, prop.name, self._snapshot(), None, "")
        return dict(self.done)


def _search(
    model: Model,
    props: list[Property],
    *,
    max_states: int = 1_000_000,
    max_depth: int | None = None,
    deadline: float | None = None,
    progress: Progress | None = None,
    families: list[str] | None = None,
    por: bool = False,
    riders: _Riders | None = None,
) -> list[Result]:
    """Breadth-first search checking ``props``: any number of state / transition invariants, or
    a single ``within`` property (whose monitor becomes part of the visited key), with ``riders``
    (a calm search's invariants, :class:`_Riders`).

    With ``por`` (and only state invariants), sleep sets: each queued state carries the actors
    whose steps its expansion leaves out. A child reached by ``t`` sleeps on the actors asleep
    in its parent or explored there before ``t`` that are independent of ``t`` in the parent.
    A state reached again before it is expanded keeps the intersection of the sleep sets it was
    reached with; reached again after it was expanded, nothing happens: that path is longer
    than its first (breadth-first), and the sleep-set argument needs only the shortest ones.
    (Every path from the start has an equivalent explored path of the same length in the sleep
    set search tree; along a shortest one, each state's intersected sleep set is a subset of
    the tree's, so its next step is explored too.)"""
    within = props[0] if props[0].kind == WITHIN else None
    assert within is None or len(props) == 1
    start = time.monotonic()
    stats = Stats()
    fired: set[str] = set()
    # visited keys; with sleep sets, each with its node (a fingerprint is a large tuple whose hash
    # is not cached: one lookup serves both)
    seen: dict[Hashable, _Node | None] = {}
    queue: deque[_Node] = deque()
    last_report = start
    active = list(props)
    done: dict[int, Result] = {}
    relation = getattr(model, "independence", None) if por and all(p.kind == ALWAYS for p in props) else None
    interned: dict[frozenset[str], frozenset[str]] = {}
    nothing: frozenset[str] = frozenset()

    def key(state: Any, pending: int | None) -> Hashable:
        fp = model.fingerprint(state)
        if within is None:
            return fp
        waited = None if pending is None else min(model.clock(state) - pending, within.bound + 1)
        return (fp, waited)

    def snapshot() -> Stats:
        stats.seconds = time.monotonic() - start
        stats.never_fired = sorted(set(families or []) - fired)
        return Stats(
            stats.states,
            stats.transitions,
            stats.depth,
            stats.examples,
            stats.seconds,
            list(stats.never_fired),
            stats.limit,
            stats.skipped,
        )

    def violated(prop: Property, trace: Trace, message: str = "") -> None:
        done[id(prop)] = Result(VIOLATED, ENGINE, prop.name, snapshot(), trace, message)
        active.remove(prop)

    def finish(verdict: str, message: str = "") -> list[Result]:
        final = snapshot()
        for prop in active:
            done[id(prop)] = Result(verdict, ENGINE, prop.name, final, None, message)
        return [done[id(p)] for p in props]

    def monitor(state: Any, pending: int | None) -> int | None:
        assert within is not None and within.predicate is not None and within.target is not None
        if pending is None and not within.predicate(state):
            return None  # nothing waits, nor starts to (Q need not be looked at)
        if within.target(state):
            return None
        return model.clock(state) if pending is None else pending

    def check_state(node: _Node, message: str = "") -> None:
        for prop in list(active):
            if prop.kind == ALWAYS and not prop.predicate(node.state):  # type: ignore[misc]
                violated(prop, _trace(model, node), message)

    if deadline is not None and start >= deadline:
        stats.limit = "timeout"
        return finish(INCONCLUSIVE, "not started: the run's --timeout ran out")
    for i, init in enumerate(model.init_states()):
        pending = monitor(init, None) if within is not None else None
        k = key(init, pending)
        if k in seen:
            continue
        node = _Node(init, None, "init", i, 0, pending)
        seen[k] = node if relation is not None else None
        stats.states += 1
        check_state(node, "the initial state violates it")
        if riders is not None:
            riders.discovered(node, k, "the initial state violates it")
        queue.append(node)

    while queue and active:
        node = queue.popleft()
        state, node.state = node.state, None  # the visited set keeps fingerprints, not states
        stats.depth = max(stats.depth, node.depth)
        if max_depth is not None and node.depth >= max_depth:
            stats.limit = f"max depth {max_depth}"
            continue
        first = riders is not None and node.first
        if first:
            riders.expanding(node)  # type: ignore[union-attr]
        rel = relation(state) if relation is not None else None
        sleep = node.sleep
        stats.skipped += len(sleep)  # an actor asleep is enabled, with one step (kmodel.sleepsets)
        explored: list[str] = []
        for index, tr in enumerate(_successors(model, state, sleep)):
            stats.transitions += 1
            child_sleep = nothing
            if rel is not None:
                child_sleep = frozenset(v for v in (*sleep, *explored) if rel(v, tr.actor))
                child_sleep = interned.setdefault(child_sleep, child_sleep)
                explored.append(tr.actor)
            fired.add(action_family(tr.actor))
            if first:
                riders.transition(node, state, tr)  # type: ignore[union-attr]
            for prop in list(active):
                if prop.kind == ALWAYS_TRANSITION and not prop.transition(state, tr.state):  # type: ignore[misc]
                    violated(prop, _trace(model, node, tr))
            pending = node.pending
            if within is not None and within in active:
                pending = monitor(tr.state, pending)
                if pending is not None and model.clock(tr.state) - pending > within.bound:
                    violated(within, _trace(model, node, tr), f"not reached within {within.bound}s")
            if not active:
                break
            k = key(tr.state, pending)
            queued = seen.get(k, _ABSENT)
            if queued is not _ABSENT:
                # with sleep sets, a node still waiting in the queue (``state`` is dropped when a
                # node is expanded) keeps the intersection of the sleep sets it is reached with
                if queued is not None and queued.state is not None and not queued.sleep <= child_sleep:
                    both = queued.sleep & child_sleep
                    queued.sleep = interned.setdefault(both, both)
                continue
            if stats.states >= max_states:
                # a state beyond the limit is needed: stop with exactly max_states visited (a
                # space of exactly max_states states is explored whole and can hold)
                stats.limit = f"max states {max_states}"
                return finish(INCONCLUSIVE, f"stopped at {max_states:,} states")
            child = _Node(tr.state, node, tr.actor, index, node.depth + 1, pending, child_sleep)
            seen[k] = child if relation is not None else None
            stats.states += 1
            check_state(child)
            if riders is not None:
                riders.discovered(child, k)
            queue.append(child)
        now = time.monotonic()
        if deadline is not None and now > deadline:
            stats.limit = f"timeout after {now - start:.0f}s"
            return finish(INCONCLUSIVE, f"stopped after {now - start:.0f}s: the run's --timeout ran out")
        if progress is not None and now - last_report >= 0.5:
            stats.seconds = now - start
            progress(stats, len(queue))
            last_report = now
    if stats.limit and active:
        return finish(INCONCLUSIVE, f"stopped at {stats.limit}")
    return finish(HOLDS)
