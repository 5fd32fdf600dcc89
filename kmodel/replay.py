"""Replay a recorded trace on the model: is it (still) a run of the model, and does it still
break its property?

A trace file (:mod:`kmodel.render.itf`) records, for every step, who acted, the action's label,
the model time and the kubectl-like view after it; not the model's hidden state (the controllers'
memory, which components already acted in the tick, the fault budget left). :func:`replay`
rebuilds the model the trace was found on (the scenario, the fault budget recorded in the trace,
settled or from t=0, and, for a broken component, the same ``replace``), takes the initial state
whose view is the first step's, and then, step by step, an enabled transition of the current
state with the step's actor and label whose resulting view and time are the recorded ones. When
several transitions fit a step (same actor, label and view, different hidden state), the search
backtracks over them, within :data:`SEARCH_LIMIT` transitions in all. A step ``adversary`` /
``faults stop: ...`` (the moment an ``eventually`` counterexample stops the faults) is replayed
with the model's ``stop_faults``, and after it no fault may happen, as in the engines.

If a step cannot be replayed, the report says which one (index, time, actor, action) and why:
the action is not enabled there (with a few enabled actions of the same actor or with a similar
label), or it is enabled but leads to another state (which objects and fields differ, as
``pod/web-1 status Running -> expected Terminating``: the replayed value, then the recorded one).
After a full replay, the trace's property is evaluated again on the replayed states, by its kind:

- ``always``: the predicate is false in the last state;
- ``always-transition``: the predicate is false on the last step (the state before, the last);
- ``within`` (P leads to Q within T): the explorer's monitor run along the trace has waited more
  than T seconds for Q at the last state;
- ``eventually``: the explorer's form of the counterexample, a run in which the faults stop
  (the ``faults stop`` step) and then the goal does not hold for more than the bound at the end
  (counted, like the engines, from the first state after the faults stopped in which the goal
  did not hold, and again whenever it was lost). A trace without a ``faults stop`` step cannot
  show that, and the report says so rather than guess.

Exit codes (:attr:`ReplayReport.exit_code`), in line with ``kmodel check``
(:mod:`kmodel.errors`):

- 0 (``EXIT_OK``): the trace replays and its property now holds on it (or the trace names no
  property: it is a run of the model, which was all there was to check);
- 1 (``EXIT_VIOLATED``): the trace replays and still breaks its property;
- 2 (``EXIT_BAD_INPUT``): raised as :class:`~kmodel.errors.KmodelError`, never returned (a
  missing scenario, a property the given files do not define, ...);
- 3 (``EXIT_INCONCLUSIVE``): the trace replays but the property's kind cannot be confirmed on it,
  or the backtracking search hit :data:`SEARCH_LIMIT` before deciding;
- 4 (:data:`EXIT_DIVERGED`): the trace is not a run of this model: some step cannot be replayed.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from attrs import define, field, frozen

from kmodel.checkmodel import CheckState, KubeModel, cluster_of
from kmodel.checkrun import CheckOptions, CheckRun, choose_properties, describe_faults, prepare
from kmodel.engines.base import (
    ALWAYS,
    ALWAYS_TRANSITION,
    EVENTUALLY,
    VIOLATED,
    WITHIN,
    Property,
    Result,
    Stats,
    Step,
    Trace,
)
from kmodel.errors import EXIT_INCONCLUSIVE, EXIT_OK, EXIT_VIOLATED, KmodelError, shown
from kmodel.render.table import t as show_time
from kmodel.render.view import row_key, show_value, view
from kmodel.scenario import Scenario
from kmodel.tracedoc import TraceDoc, TraceStep

EXIT_DIVERGED = 4
SEARCH_LIMIT = 200_000  # transitions the backtracking search may look at, in all
STOP_ACTOR = "adversary"
STOP_LABEL = "faults stop: every fault undone, no more"  # the step the engines add for `eventually`
SHOWN = 8  # differences or suggestions listed in a divergence, at most

# Why a step could not be replayed (Divergence.kind)
INITIAL_STATE = "initial-state"  # no initial state of the model has the first step's view
NOT_ENABLED = "not-enabled"  # no enabled transition has the step's actor and label
DIFFERENT_STATE = "different-state"  # some have, but none leads to the recorded view and time
SEARCH_STOPPED = "search-limit"  # the backtracking search gave up (SEARCH_LIMIT)


@frozen
class Divergence:
    """The step at which the trace stops being a run of the model."""

    index: int  # the step (0: the initial state)
    time: int  # its recorded model time
    actor: str
    action: str
    kind: str  # INITIAL_STATE, NOT_ENABLED, DIFFERENT_STATE or SEARCH_STOPPED
    reason: str  # one sentence
    details: tuple[str, ...] = ()  # the differing fields, or enabled actions that come close

    def lines(self, indent: str = "  ") -> list[str]:
        out = [f"{indent}{self.reason}"]
        out += [f"{indent}  {d}" for d in self.details]
        return out


@define
class ReplayReport:
    replayed: int  # actions replayed (steps after the initial state)
    total: int  # actions in the trace
    diverged: Divergence | None
    property: str | None  # the trace's property, as recorded
    kind: str | None = None  # its kind, once resolved
    still_violated: bool | None = None  # None: not evaluated (divergence, no property, cannot confirm)
    explanation: str | None = None  # why the replayed trace still breaks the property
    note: str = ""  # what was checked, or why it could not be
    message: str = ""  # a readable summary, several lines
    states: tuple[Any, ...] = field(default=(), repr=False)  # the replayed model states, step by step

    @property
    def exit_code(self) -> int:
        if self.diverged is not None:
            return EXIT_INCONCLUSIVE if self.diverged.kind == SEARCH_STOPPED else EXIT_DIVERGED
        if self.still_violated is True:
            return EXIT_VIOLATED
        if self.still_violated is None and self.property is not None:
            return EXIT_INCONCLUSIVE
        return EXIT_OK


# --- comparing views --------------------------------------------------------------------------------

_OBJECTS = (("nodes", "node"), ("pods", "pod"), ("deployments", "deployment"), ("services", "service"))


def _by_name(items: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(items, list):
        return {}
    return {row_key(item): item for item in items if isinstance(item, dict) and "name" in item}


def differences(actual: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """How the replayed view ``actual`` differs from the recorded ``expected``, one line per
    object (``pod/x status Running -> expected Terminating``: replayed value, then recorded)."""
    lines: list[str] = []
    for part, label in _OBJECTS:
        a, e = _by_name(actual.get(part)), _by_name(expected.get(part))
        for name in [*a, *(n for n in e if n not in a)]:
            if name not in e:
                lines.append(f"{label}/{name} exists, but the trace has no such {label}")
            elif name not in a:
                lines.append(f"{label}/{name} is in the trace, but not in the replayed state")
            elif a[name] != e[name]:
                keys = [*a[name], *(k for k in e[name] if k not in a[name])]
                diffs = [
                    f"{key} {show_value(a[name].get(key))} -> expected {show_value(e[name].get(key))}"
                    for key in keys
                    if a[name].get(key) != e[name].get(key)
                ]
                lines.append(f"{label}/{name} {', '.join(diffs)}")
        if not lines and a == e and actual.get(part) != expected.get(part):  # same objects, another order
            lines.append(f"{part} in another order: {', '.join(a)} -> expected {', '.join(e)}")
    cp_a, cp_e = actual.get("controlPlane"), expected.get("controlPlane")
    if isinstance(cp_a, dict) and isinstance(cp_e, dict):
        for key in [*cp_a, *(k for k in cp_e if k not in cp_a)]:
            if cp_a.get(key) != cp_e.get(key):
                lines.append(f"control-plane {key} {show_value(cp_a.get(key))} -> expected {show_value(cp_e.get(key))}")
    elif cp_a != cp_e:
        lines.append(f"controlPlane {show_value(cp_a)} -> expected {show_value(cp_e)}")
    known = {"controlPlane", *(p for p, _ in _OBJECTS)}
    for part in [*actual, *(k for k in expected if k not in actual)]:
        if part not in known and actual.get(part) != expected.get(part):
            lines.append(f"{part} {show_value(actual.get(part))} -> expected {show_value(expected.get(part))}")
    return lines


def _shorten(lines: Sequence[str], most: int = SHOWN) -> tuple[str, ...]:
    if len(lines) <= most:
        return tuple(lines)
    return (*lines[: most - 1], f"... and {len(lines) - most + 1} more")


def _state_differences(state: Any, step: TraceStep) -> list[str]:
    c = cluster_of(state)
    lines = [] if c.now == step.time else [f"time t={show_time(c.now)} -> expected t={show_time(step.time)}"]
    return lines + differences(view(c), step.state)


def _fits(state: Any, step: TraceStep) -> bool:
    c = cluster_of(state)
    return c.now == step.time and view(c) == step.state


# --- one step ---------------------------------------------------------------------------------------


@frozen
class _Tried:
    """The outcome of looking for one step's transition from one state."""

    fits: tuple[Any, ...]  # the successor states that match the step
    divergence: Divergence | None  # why nothing matched (when ``fits`` is empty)
    examined: int  # transitions looked at


def _describe(actor: str, label: str) -> str:
    return f"[{actor}] {label}"


def _suggestions(enabled: list[tuple[str, str]], step: TraceStep) -> list[str]:
    same_actor = [_describe(a, lbl) for a, lbl in enabled if a == step.actor]
    labels = [lbl for _, lbl in enabled]
    close = difflib.get_close_matches(step.action, labels, n=SHOWN, cutoff=0.6)
    similar = [_describe(a, lbl) for a, lbl in enabled if lbl in close and a != step.actor]
    shown = list(dict.fromkeys(same_actor + similar))
    if shown:
        return ["enabled instead: " + s for s in shown]
    return ["enabled instead: " + _describe(a, lbl) for a, lbl in enabled] or ["nothing is enabled there"]


def _try_step(model: KubeModel, state: Any, step: TraceStep, index: int, calm_since: int | None) -> _Tried:
    def diverge(kind: str, reason: str, details: Sequence[str] = ()) -> Divergence:
        return Divergence(index, step.time, step.actor, step.action, kind, reason, _shorten(details))

    if step.actor == STOP_ACTOR and step.action == STOP_LABEL:
        if calm_since is not None:
            return _Tried((), diverge(NOT_ENABLED, f"the faults already stopped at step {calm_since}"), 0)
        healed = model.stop_faults(state)
        if healed is None:
            return _Tried(
                (),
                diverge(NOT_ENABLED, "the faults cannot stop here: the scenario's timeline still has events to come"),
                1,
            )
        if _fits(healed, step):
            return _Tried((healed,), None, 1)
        return _Tried(
            (),
            diverge(
                DIFFERENT_STATE,
                "stopping the faults leads to another state (replayed -> expected in the trace):",
                _state_differences(healed, step),
            ),
            1,
        )
    every = list(model.transitions(state))
    enabled = every if calm_since is None else [tr for tr in every if not tr.fault]
    same = [tr.state for tr in enabled if tr.actor == step.actor and tr.label == step.action]
    if not same:
        reason = "the action is not enabled in the replayed state"
        if any(tr.actor == step.actor and tr.label == step.action for tr in every):
            reason = f"the faults stopped at step {calm_since}: no fault or repair may happen after that"
        elif step.actor == "fault" and isinstance(state, CheckState):
            reason += f" (fault budget left: {describe_faults(state.budget)})"
        return _Tried(
            (),
            diverge(NOT_ENABLED, reason, _suggestions([(tr.actor, tr.label) for tr in enabled], step)),
            len(every),
        )
    fits = tuple(dict.fromkeys(s for s in same if _fits(s, step)))
    if fits:
        return _Tried(fits, None, len(enabled))
    several = f" (none of the {len(same)} transitions with this actor and label does)" if len(same) > 1 else ""
    return _Tried(
        (),
        diverge(
            DIFFERENT_STATE,
            f"the action is enabled but leads to another state{several} (replayed -> expected in the trace):",
            _state_differences(same[0], step),
        ),
        len(enabled),
    )


# --- the search -------------------------------------------------------------------------------------


@frozen
class _Walked:
    states: tuple[Any, ...]  # one per replayed step, from the initial state
    divergence: Divergence | None


def _walk(model: KubeModel, doc: TraceDoc, limit: int) -> _Walked:
    """Depth-first search for a run of ``model`` matching every step of ``doc``; on failure, the
    deepest divergence met and the longest prefix replayed."""
    steps = doc.steps
    first = steps[0]
    inits = list(model.init_states())
    matching = tuple(dict.fromkeys(s for s in inits if _fits(s, first)))
    if not matching:
        details = _state_differences(inits[0], first) if inits else ["the model has no initial state"]
        hint = ""
        if inits and cluster_of(inits[0]).now != first.time:
            if first.time == 0:
                hint = "; the trace starts at t=0: replay it from the start, not from the settled state"
            elif cluster_of(inits[0]).now == 0:
                hint = "; the trace starts where the scenario settled: replay it from the settled state, not from t=0"
        reason = f"no initial state of the model has the trace's first state{hint}. Replayed -> expected:"
        div = Divergence(0, first.time, first.actor, first.action, INITIAL_STATE, reason, _shorten(details))
        return _Walked((), div)
    calm_at: list[int | None] = []  # the step at which the faults stopped, as of each step
    calm: int | None = None
    for i, step in enumerate(steps):
        calm_at.append(calm)
        if step.actor == STOP_ACTOR and step.action == STOP_LABEL and calm is None:
            calm = i
    path: list[Any] = []
    frames: list[Iterator[Any]] = [iter(matching)]
    deepest: Divergence | None = None
    longest: tuple[Any, ...] = ()  # the longest prefix replayed before a dead end
    examined = 0
    while frames:
        nxt = next(frames[-1], None)
        if nxt is None:
            frames.pop()
            if path:
                path.pop()
            continue
        path.append(nxt)
        k = len(path) - 1
        if k == len(steps) - 1:
            return _Walked(tuple(path), None)
        tried = _try_step(model, nxt, steps[k + 1], k + 1, calm_at[k + 1])
        examined += tried.examined
        if tried.fits:
            frames.append(iter(tried.fits))
        else:
            if len(path) > len(longest):
                longest = tuple(path)
            if tried.divergence is not None and (deepest is None or tried.divergence.index > deepest.index):
                deepest = tried.divergence
            path.pop()
        if examined > limit:
            if len(path) > len(longest):
                longest = tuple(path)
            step = steps[len(longest)]
            reason = (
                f"the search gave up after looking at {examined:,} transitions (limit {limit:,}), "
                f"having replayed up to step {len(longest) - 1}; several runs of the model may fit the trace"
            )
            div = Divergence(len(longest), step.time, step.actor, step.action, SEARCH_STOPPED, reason)
            return _Walked(longest, div)
    return _Walked(longest, deepest)


# --- the property -----------------------------------------------------------------------------------


@frozen
class Verdict:
    still_violated: bool | None  # None: cannot be confirmed on this trace
    note: str


def evaluate(prop: Property, model: Any, states: Sequence[Any], steps: Sequence[TraceStep]) -> Verdict:
    """Whether the run ``states`` (with the recorded ``steps`` it replays) still breaks ``prop``,
    checked the way the engines build a counterexample of its kind."""
    if not states:
        return Verdict(None, "nothing was replayed")
    last = states[-1]
    if prop.kind == ALWAYS:
        assert prop.predicate is not None
        bad = not prop.predicate(last)
        return Verdict(bad, "the last state " + ("violates it" if bad else "satisfies it"))
    if prop.kind == ALWAYS_TRANSITION:
        assert prop.transition is not None
        if len(states) < 2:
            return Verdict(None, "a transition property needs a step, and the trace has none")
        bad = not prop.transition(states[-2], last)
        return Verdict(bad, "the last step " + ("violates it" if bad else "satisfies it"))
    if prop.kind == WITHIN:
        assert prop.predicate is not None and prop.target is not None
        return _waited(model, states, 0, prop.predicate, prop.target, prop.bound, "its trigger held")
    if prop.kind == EVENTUALLY:
        assert prop.predicate is not None
        stop = next((i for i, s in enumerate(steps) if s.actor == STOP_ACTOR and s.action == STOP_LABEL), None)
        if stop is None or stop >= len(states):
            return Verdict(
                None,
                "the trace has no step where the faults stop, so it cannot show the goal missed for "
                f"{prop.bound}s in a fault-free run; not confirmed",
            )
        return _waited(model, states, stop, lambda _s: True, prop.predicate, prop.bound, "the faults stopped")
    return Verdict(None, f"properties of kind {prop.kind!r} cannot be confirmed by a replay")


def _waited(
    model: Any,
    states: Sequence[Any],
    start: int,
    trigger: Callable[[Any], bool],
    target: Callable[[Any], bool],
    bound: int,
    since_what: str,
) -> Verdict:
    """The explorer's ``within`` monitor along ``states[start:]``: since when the trigger has
    waited for the target, and whether that is longer than ``bound`` at the last state."""
    pending: int | None = None
    for s in states[start:]:
        if target(s):
            pending = None
        elif pending is None and trigger(s):
            pending = model.clock(s)
    end = model.clock(states[-1])
    if pending is not None and end - pending > bound:
        return Verdict(
            True,
            f"not reached for {end - pending}s (bound {bound}s) once {since_what}, "
            f"from t={show_time(pending)} to t={show_time(end)}",
        )
    if pending is None:
        return Verdict(False, f"reached by the end of the trace (t={show_time(end)})")
    return Verdict(
        False,
        f"not reached, but only for {end - pending}s by the end of the trace (bound {bound}s): not a violation yet",
    )


# --- putting it together ----------------------------------------------------------------------------


def _property_args(name: str | None) -> tuple[list[str], list[str]]:
    if name is None:
        return [], []
    if name.startswith("invariant: "):
        return [], [name.removeprefix("invariant: ")]
    return [name], []


def _build(
    doc: TraceDoc,
    scenario: str | Path | Scenario,
    property_files: Sequence[str],
    replace: dict[str, Any] | None,
    budget: tuple[tuple[str, int], ...] | None,
    from_start: bool,
) -> tuple[CheckRun, Property | None]:
    names, invariants = _property_args(doc.property)
    # a trace of the Z3 engine is a run of its slice (node health, or the workload slice with
    # the scheduler and ReplicaSet controller too; the other components off)
    engine = "smt" if doc.engine == "smt" else "explore"
    try:
        if isinstance(scenario, Scenario) and engine == "smt":
            from kmodel.checkrun import smt_properties
            from kmodel.smt.bmc import python_model

            chosen = smt_properties(scenario, names, invariants, list(property_files))
            kind = str(doc.extra.get("slice", "auto"))
            model = python_model(scenario, names, faults=budget, replace=replace, slice=kind)
            run = CheckRun(scenario, model, chosen)
        elif isinstance(scenario, Scenario):
            chosen = choose_properties(scenario, names, invariants, list(property_files))
            model = KubeModel(scenario, faults=budget, replace=replace, settle=not from_start)
            run = CheckRun(scenario, model, chosen)
        else:
            run = prepare(
                scenario,
                names,
                invariants,
                list(property_files),
                CheckOptions(
                    engine=engine,
                    faults=budget,
                    settle=not from_start,
                    smt_slice=str(doc.extra.get("slice", "auto")) if engine == "smt" else "auto",
                ),
                replace,
            )
    except KmodelError as err:
        if err.where == "--property":
            raise KmodelError(
                f"the trace's property {shown(doc.property)} is not built in"
                + (" and not in the property files given" if property_files else ""),
                where="property",
                fix="pass the property file that defines it (--property-file FILE.py)",
            ) from None
        if err.where is not None and err.where.startswith("--invariant"):
            raise KmodelError(err.message, where="property (the trace's invariant)", fix=err.fix) from None
        raise
    prop = run.properties[0] if doc.property is not None else None
    return run, prop


def _title(doc: TraceDoc, scenario: str | Path | Scenario, budget: tuple[tuple[str, int], ...], start: bool) -> str:
    where = Path(scenario.path).name if isinstance(scenario, Scenario) else Path(scenario).name
    what = doc.property or "a trace with no property"
    engine = f" ({doc.engine})" if doc.engine else ""
    origin = "t=0" if start else "the settled state"
    title = (
        f"kmodel replay {where}: {what}{engine}, {len(doc.steps) - 1} action(s) from {origin}; "
        f"faults: {describe_faults(budget)}"
    )
    given = Path(scenario.path if isinstance(scenario, Scenario) else scenario)
    if doc.scenario is not None and Path(doc.scenario).resolve() != given.resolve():
        title += f"\n(the trace was recorded on {doc.scenario})"
    return title


def _message(report: ReplayReport, title: str, doc: TraceDoc) -> str:
    lines = [title]
    d = report.diverged
    if d is not None:
        head = "SEARCH STOPPED" if d.kind == SEARCH_STOPPED else "DIVERGED"
        lines.append(
            f"{head} at step {d.index} of {report.total} (t={show_time(d.time)}) {_describe(d.actor, d.action)}"
        )
        lines += d.lines()
        lines.append(f"  replayed {report.replayed} of {report.total} action(s) before it")
        return "\n".join(lines)
    lines.append(
        f"replayed all {report.total} action(s), t={show_time(doc.steps[0].time)}..t={show_time(doc.steps[-1].time)}"
    )
    if report.property is None:
        lines.append("no property recorded: the trace is a run of the model")
    elif report.still_violated is True:
        lines.append(f"still VIOLATED: {report.property} ({report.note})")
        if report.explanation:
            lines.append(f"  why: {report.explanation}")
        if doc.explanation and doc.explanation != report.explanation:
            lines.append(f"  recorded why: {doc.explanation}")
    elif report.still_violated is False:
        lines.append(f"no longer violated: {report.property} holds on the replayed trace ({report.note})")
    else:
        lines.append(f"not confirmed: {report.property}: {report.note}")
    return "\n".join(lines)


def replay(
    doc: TraceDoc,
    scenario_path: str | Path | Scenario | None = None,
    *,
    property_files: Sequence[str] = (),
    replace: dict[str, Any] | None = None,
    faults: tuple[tuple[str, int], ...] | None = None,
    from_start: bool | None = None,
    limit: int = SEARCH_LIMIT,
) -> ReplayReport:
    """Replay ``doc`` on the model of ``scenario_path`` (default: the trace's own scenario; a
    loaded :class:`~kmodel.scenario.Scenario` also works, e.g. one with extra events) and check
    its property again. ``faults`` and ``from_start`` override what the trace recorded;
    ``replace`` swaps components as in :class:`~kmodel.checkmodel.KubeModel`; ``property_files``
    define the trace's property if it is not built in. Raises :class:`KmodelError` for bad input."""
    if not doc.steps:
        raise KmodelError("the trace has no steps", where="states", fix="a trace starts with its initial state")
    scenario = scenario_path if scenario_path is not None else doc.scenario
    if scenario is None:
        raise KmodelError(
            "the trace does not say which scenario it was found on", fix="name the scenario file to replay it on"
        )
    budget = doc.faults if faults is None else faults
    start = doc.from_start if from_start is None else from_start
    run, prop = _build(doc, scenario, property_files, replace, budget, start)
    walked = _walk(run.model, doc, limit)
    total = len(doc.steps) - 1
    report = ReplayReport(
        replayed=max(len(walked.states) - 1, 0),
        total=total,
        diverged=walked.divergence,
        property=doc.property,
        kind=prop.kind if prop is not None else None,
        states=walked.states,
    )
    if walked.divergence is None and prop is not None:
        verdict = evaluate(prop, run.model, walked.states, doc.steps)
        report.still_violated = verdict.still_violated
        report.note = verdict.note
        if verdict.still_violated:
            trace = Trace(tuple(Step(s.actor, s.action, st) for s, st in zip(doc.steps, walked.states, strict=True)))
            result = Result(VIOLATED, doc.engine or "replay", prop.name, Stats(), trace)
            report.explanation = CheckRun(run.scenario, run.model, [prop]).explanation(result)
    report.message = _message(report, _title(doc, scenario, run.model.budget, start), doc)
    return report


__all__ = [
    "DIFFERENT_STATE",
    "EXIT_DIVERGED",
    "INITIAL_STATE",
    "NOT_ENABLED",
    "SEARCH_LIMIT",
    "SEARCH_STOPPED",
    "Divergence",
    "ReplayReport",
    "Verdict",
    "differences",
    "evaluate",
    "replay",
]
