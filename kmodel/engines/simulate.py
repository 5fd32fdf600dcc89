"""Deterministic simulation: one fixed, fair schedule through the model.

Each tick: the timeline events due by now (in file order), then every component once in the
fixed order of :func:`kmodel.model.components` (the scheduler until its queue is empty), taking
the first successor where a step has several (the scheduler's ties are broken by node name);
then every enabled fault rule fires (:func:`kmodel.faultrules.end_of_tick`; the recoveries they
scheduled come first thing in the tick they are due); then the clock advances. A snapshot of
the ``kubectl get`` view is kept whenever it changes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from attrs import define, field

from kmodel import faultrules, hapartition, model, podindex, timeline
from kmodel.engines import simfast, simsched
from kmodel.podseq import CHUNK, ChunkedSeq
from kmodel.render.view import PodRows, view
from kmodel.scenario import Scenario
from kmodel.state import Cluster
from kmodel.transition import Event, Outcome


@define
class Simulation:
    events: list[Event] = field(factory=list)
    snapshots: list[dict[str, Any]] = field(factory=list)  # {"t": ..., **view}
    steps: list[tuple[int, str, str]] = field(factory=list)  # (t, actor, label)
    final: Cluster | None = None

    def as_json(self) -> dict[str, Any]:
        return {"events": [e.as_dict() for e in self.events], "snapshots": self.snapshots}


def _chunked(state: Cluster) -> Cluster:
    """The state with its pods in a :class:`~kmodel.podseq.ChunkedSeq` (equal to the tuple, and
    a write copies a chunk of it, not all of it). A step that rebuilt the pods as a tuple gets
    them chunked again."""
    if type(state.pods) is ChunkedSeq or len(state.pods) < _CHUNK_FROM:
        return state
    return attrs.evolve(state, pods=ChunkedSeq(state.pods))


_CHUNK_FROM = 4 * CHUNK  # below this a tuple is as quick


# Python's cyclic garbage collector during a simulation: a young generation this big before a
# collection (and older generations collected 50 times less often than the young one, instead of
# 10). The states are trees of immutable objects (freed by reference counting, no cycles to
# find), but with the default threshold (700) the collector walked them every few hundred
# allocations: a fifth of the time at 800 and 1,600 nodes. Measured at 800 nodes (the scale
# bench): 15.9 s -> 14.0 s, the same peak memory.
GC_YOUNG = 100_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], GC_YOUNG), max(old[1], 50), max(old[2], 50))
    try:
        yield
    finally:
        gc.set_threshold(*old)


def simulate(
    scenario: Scenario,
    until: int | None = None,
    replace: dict[str, model.StepFn] | None = None,
    on_tick: Callable[[Cluster], None] | None = None,
) -> Simulation:
    with _fewer_collections(), podindex.journal(simsched.JOURNAL_READS):
        return _simulate(scenario, until, replace, on_tick)


def _simulate(
    scenario: Scenario,
    until: int | None,
    replace: dict[str, model.StepFn] | None,
    on_tick: Callable[[Cluster], None] | None,
) -> Simulation:
    horizon = scenario.until if until is None else until
    sim = Simulation()
    state = _chunked(scenario.initial_state())
    pending = list(scenario.timeline)
    last_message: dict[tuple[str, str, str], str] = {}
    last_view: dict[str, Any] | None = None
    viewed: Cluster | None = None
    rows = PodRows()  # (an unchanged pod's row is the last snapshot's)

    def take(outcome: Outcome) -> None:
        nonlocal state
        state = _chunked(outcome.state)
        sim.steps.append((state.now, outcome.actor, outcome.label))
        for e in outcome.events:
            key = (e.source, e.reason, e.object)
            if (
                outcome.actor not in ("user", "fault", "kubectl", faultrules.ACTOR)
                and last_message.get(key) == e.message
            ):
                continue  # a controller repeating itself: kubectl would only bump the count
            # (a kubectl drain prints every retry: its lines are shown each time)
            last_message[key] = e.message
            sim.events.append(e)

    # kmodel.hapartition: the initial leaders' "became leader" Events
    sim.events.extend(hapartition.leader_events(None, state))
    while True:
        while pending and pending[0].at <= state.now:
            take(timeline.perform(state, pending.pop(0)))
        for outcome in faultrules.start_of_tick(state):
            take(outcome)
        for outcome in simfast.tick_schedule(state, replace):
            take(outcome)
        for outcome in faultrules.end_of_tick(state, scenario.fault_rules):
            take(outcome)
        if viewed is None or not simfast.same_view(state, viewed):
            # (the view has no clock: a state whose objects are the very ones of the last viewed
            # state, but for what the view does not read, shows the same: kmodel.engines.simfast)
            current = view(state, rows)
            viewed = state
            if current != last_view:
                sim.snapshots.append({"t": state.now, **current})
                last_view = current
        if on_tick is not None:
            on_tick(state)
        if state.now + state.settings.step > horizon:
            break
        before, state = state, model.tick(state)
        sim.events.extend(hapartition.leader_events(before, state))  # leaders change at the tick
    sim.final = state
    return sim
