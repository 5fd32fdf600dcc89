"""A counterexample as a document: what every trace renderer and ``kmodel replay`` read.

An engine's :class:`~kmodel.engines.base.Trace` holds live model states. A :class:`TraceDoc` holds
what a person (or another tool) needs and what survives a file: for each step the actor, the
action label, the model time and the kubectl-like view of the cluster after it
(:func:`kmodel.render.view.view`), plus where the trace came from (scenario, property, engine,
fault budget, whether it starts at t=0) and why its last step breaks the property.
"""

from __future__ import annotations

from typing import Any

from attrs import field, frozen

from kmodel.checkmodel import cluster_of
from kmodel.engines.base import Result, Trace
from kmodel.render.view import view


@frozen
class TraceStep:
    actor: str  # "init" for the first step
    action: str
    time: int  # model seconds
    state: dict[str, Any]  # view() of the cluster after the action


@frozen
class TraceDoc:
    # (defined before the field named ``property``, which shadows the builtin in this body)
    @property
    def violating_index(self) -> int:
        """The step whose state (or arrival) violates the property: the last one."""
        return len(self.steps) - 1

    steps: tuple[TraceStep, ...]
    property: str | None = None  # the violated property's name ("invariant: EXPR" for custom ones)
    engine: str | None = None
    explanation: str | None = None  # why the last state (or step) breaks the property
    scenario: str | None = None  # the scenario file the trace was found on
    faults: tuple[tuple[str, int], ...] | None = None  # the fault budget the checker used
    from_start: bool = False  # the trace starts at t=0 rather than at the settled state
    extra: dict[str, Any] = field(factory=dict)  # anything else a producer recorded


def steps_of(trace: Trace) -> tuple[TraceStep, ...]:
    out = []
    for step in trace.steps:
        c = cluster_of(step.state)
        out.append(TraceStep(step.actor, step.label, c.now, view(c)))
    return tuple(out)


def from_result(
    result: Result,
    *,
    explanation: str | None = None,
    scenario: str | None = None,
    faults: tuple[tuple[str, int], ...] | None = None,
    from_start: bool = False,
) -> TraceDoc:
    """The document of a violated result (which must carry a trace)."""
    if result.trace is None:
        raise ValueError(f"{result.property}: the result has no trace")
    return TraceDoc(
        steps_of(result.trace),
        property=result.property,
        engine=result.engine,
        explanation=explanation,
        scenario=scenario,
        faults=faults,
        from_start=from_start,
    )
