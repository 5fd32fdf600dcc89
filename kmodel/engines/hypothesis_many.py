"""Several properties on one set of Hypothesis runs (``kmodel check`` with the Hypothesis engine).

:func:`kmodel.engines.hypothesis_engine.check` draws its runs without looking at the property:
the rules, the indices Hypothesis draws and so the runs themselves are the same whatever is
checked, until a run fails and Hypothesis turns to shrinking it. So the properties of one
``kmodel check`` need not each pay for the same runs. :func:`check_many` screens them all at
once: one Hypothesis search, with the same seed, profile and limits, whose walks check every
property on every state and step and, where a property fails, note it and go on (nothing is
raised, so Hypothesis keeps generating the runs it would have). Then:

- a property no run violated holds, as it would have on its own: its own check would have drawn
  the very same runs. Its statistics are the ones its own check would have counted: the states
  and steps of the runs, and for an ``eventually`` property also the end-of-run drive of each run
  up to the moment its goal held (the drive is shared: the first enabled component step, again
  and again, until every ``eventually`` property checked has its answer);
- a property some run violated is checked again on its own, so that its counterexample is the
  one its own check finds and shrinks.

Only the seconds differ (those of the shared search). With an example database, a property
with saved examples is checked on its own (its saved failures are replayed first there); the
screening itself reads nothing from the database and writes nothing to it. A screening stopped by
``max_states``, and a check with a time limit, check each property on its own instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from hypothesis.database import ExampleDatabase

from kmodel.engines.base import (
    ALWAYS,
    ALWAYS_TRANSITION,
    EVENTUALLY,
    HOLDS,
    WITHIN,
    Model,
    Property,
    Result,
    Stats,
    Step,
    Transition,
    action_family,
)
from kmodel.engines.hypothesis_engine import (
    DRIVE_LIMIT,
    ENGINE,
    PROFILES,
    SHRINK_LIMITS,
    _database,
    _hypothesis,
    _Run,
    _setup,
    _Walk,
    check,
    fairness_warnings,
)


class _Count:
    """What one property's own check would have counted."""

    __slots__ = ("depth", "fired", "seen", "transitions")

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.transitions = 0
        self.depth = 0
        self.fired: set[str] = set()


class _Screen(_Run):
    """The runs of a screening: the properties, which failed, and each one's counts."""

    def __init__(self, model: Model, props: list[Property], *args: Any) -> None:
        super().__init__(model, props[0], *args)
        self.props = props
        self.failed: set[int] = set()
        self.counts = [_Count() for _ in props]
        self.walk = _ScreenWalk


class _ScreenWalk(_Walk):
    """One run checking every property of the screening, noting failures instead of raising."""

    def __init__(self, run: _Run) -> None:
        super().__init__(run)
        assert isinstance(run, _Screen)
        self.screen = run
        self.live = list(range(len(run.props)))  # the properties this run has not failed
        self.pendings: dict[int, int | None] = {}  # within: since when each trigger waits
        self.waiting: list[int] = []  # eventually, during the end-of-run drive: no answer yet

    def _counted(self) -> list[int]:
        """The properties whose own check would count the current step: all of them, but in the
        end-of-run drive only the ``eventually`` properties still waiting for their goal."""
        return self.waiting if self.ending else list(range(len(self.screen.props)))

    def _fail_one(self, i: int) -> None:
        self.screen.failed.add(i)
        self.live.remove(i)

    def _enter(self, state: Any) -> None:
        run, model = self.screen, self.screen.model
        self.state = state
        self.groups = None
        depth = len(self.steps) - 1
        run.stats.depth = max(run.stats.depth, depth)
        for i in self._counted():
            count = run.counts[i]
            count.depth = max(count.depth, depth)
        if self.ending:
            return  # the drive's states are checked against the goals in finish
        for i in list(self.live):
            prop = run.props[i]
            if prop.kind == ALWAYS and not prop.predicate(state):  # type: ignore[misc]
                self._fail_one(i)
            elif prop.kind == WITHIN:
                assert prop.predicate is not None and prop.target is not None
                pending = self.pendings.get(i)
                if prop.target(state):
                    pending = None
                elif pending is None and prop.predicate(state):
                    pending = model.clock(state)
                self.pendings[i] = pending
                if pending is not None and model.clock(state) - pending > prop.bound:
                    self._fail_one(i)

    def start(self, index: int) -> None:
        self.init = index
        state = self.screen.inits[index]
        self.steps.append(Step("init", "initial state", state))
        key = self.screen.visit(state)
        for i in self._counted():
            self.screen.counts[i].seen.add(key)
        self._enter(state)

    def take(self, tr: Transition) -> None:
        run = self.screen
        before = self.state
        self.steps.append(Step(tr.actor, tr.label, tr.state))
        if not self.ending:
            self.path.append((tr.actor, tr.label))
        family = action_family(tr.actor)
        run.stats.transitions += 1
        run.fired.add(family)
        key = run.visit(tr.state)
        for i in self._counted():
            count = run.counts[i]
            count.seen.add(key)
            count.transitions += 1
            count.fired.add(family)
        if not self.ending:
            for i in list(self.live):
                prop = run.props[i]
                if prop.kind == ALWAYS_TRANSITION and not prop.transition(before, tr.state):  # type: ignore[misc]
                    self._fail_one(i)
        self._enter(tr.state)

    def finish(self) -> None:
        """The end-of-run check of every ``eventually`` property this run has not failed: as in
        :meth:`_Walk.finish`, on one drive, each property's answer where its own would be."""
        run, model = self.screen, self.screen.model
        waiting = [i for i in self.live if run.props[i].kind == EVENTUALLY]
        if not waiting or run.timed_out or run.state_limited or self.state is None:
            return
        self.waiting = waiting
        since = self.stop_faults()
        if since is None:
            return
        for _ in range(DRIVE_LIMIT):
            for i in list(self.waiting):
                prop = run.props[i]
                assert prop.predicate is not None
                if prop.predicate(self.state):
                    self.waiting.remove(i)
                elif model.clock(self.state) - since > prop.bound:
                    self.waiting.remove(i)
                    self._fail_one(i)
            if not self.waiting:
                return
            tr = self._first_component_step()
            if tr is None:
                return
            self.take(tr)


class _Peek(ExampleDatabase):
    """The screening's example database: it answers every fetch with nothing, so that the
    screening draws the runs each property's own check draws once its saved examples are
    replayed, and notes which properties have saved examples under the key fetched (those are
    checked on their own, their saved failures replayed first). It saves nothing."""

    def __init__(self, databases: list[ExampleDatabase | None]) -> None:
        super().__init__()
        self.databases = databases
        self.saved: set[int] = set()

    def fetch(self, key: bytes) -> Iterable[bytes]:
        for i, db in enumerate(self.databases):
            if db is not None and i not in self.saved and next(iter(db.fetch(key)), None) is not None:
                self.saved.add(i)
        return iter(())

    def save(self, key: bytes, value: bytes) -> None:
        pass

    def delete(self, key: bytes, value: bytes) -> None:
        pass

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        pass


def screenable(prop: Property, model: Model) -> bool:
    """Whether :func:`check` accepts ``prop`` on ``model`` (else it raises, and so does the
    screening's fallback)."""
    if prop.kind not in (ALWAYS, ALWAYS_TRANSITION, WITHIN, EVENTUALLY):
        return False
    return prop.kind != EVENTUALLY or hasattr(model, "stop_faults")


def check_many(
    model: Model,
    props: list[Property],
    *,
    seed: int | None = None,
    profile: str = "ci",
    max_examples: int | None = None,
    steps: int | None = None,
    database: str | None = None,
    timeout: float | None = None,
    max_states: int | None = None,
    max_depth: int | None = None,
    progress: Callable[[str, Stats, int], None] | None = None,
    families: list[str] | None = None,
) -> list[Result]:
    """:func:`kmodel.engines.hypothesis_engine.check` of each of ``props``, in order, with the
    runs shared where that gives the same answers (see the module's docstring). ``progress``
    is told what runs: a property's name, or how many share the screening's runs."""
    own = dict(
        seed=seed,
        profile=profile,
        max_examples=max_examples,
        steps=steps,
        database=database,
        timeout=timeout,
        max_states=max_states,
        max_depth=max_depth,
        families=families,
    )

    def alone(prop: Property) -> Result:
        told = None if progress is None else partial(progress, prop.name)
        return check(model, prop, progress=told, **own)  # type: ignore[arg-type]

    if len(props) < 2 or timeout is not None or not all(screenable(p, model) for p in props):
        return [alone(p) for p in props]
    if profile not in PROFILES:
        raise ValueError(f"unknown Hypothesis profile {profile!r}: use one of {', '.join(PROFILES)}")
    told = None if progress is None else partial(progress, f"{len(props)} properties on shared runs")
    run = _Screen(model, props, list(families or []), None, SHRINK_LIMITS[profile], told)
    peek = _Peek([_database(database, model, p, run.known) for p in props]) if database is not None else None
    machine, config = _setup(run, profile, max_examples, steps, seed, max_states, max_depth, None, peek)
    error = _hypothesis(machine, config)
    run.stats.seconds = time.monotonic() - run.start
    if error is not None:
        raise error
    if run.state_limited:
        return [alone(p) for p in props]
    expected = set(families or [])
    results = []
    for i, prop in enumerate(props):
        if i in run.failed or (peek is not None and i in peek.saved):
            results.append(alone(prop))
            continue
        count = run.counts[i]
        stats = Stats(
            states=len(count.seen),
            transitions=count.transitions,
            depth=count.depth,
            examples=run.stats.examples,
            seconds=run.stats.seconds,
            never_fired=sorted(expected - count.fired),
        )
        results.append(Result(HOLDS, ENGINE, prop.name, stats, None, "", fairness_warnings(model, prop)))
    return results
