"""Reports of ``kmodel check``: a verdict table, readable counterexamples, and JSON.

A counterexample is shown as a timeline: one line per action (model time, who acted, what it
did), and under it only what that action changed in the kubectl-like view of the cluster
(:func:`kmodel.render.view.view`): nodes, pods, Deployments, Services and control-plane
processes. The states between actions are left out; ``--trace-out FILE.json`` has them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kmodel.checkmodel import cluster_of
from kmodel.engines.base import HOLDS, INCONCLUSIVE, VIOLATED, Result, Trace
from kmodel.render.view import row_key, show_value, view
from kmodel.settings import format_duration
from kmodel.state import Cluster


def _index(items: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row_key(item): item for item in items}


def _fields(item: dict[str, Any], skip: tuple[str, ...] = ("name",)) -> str:
    parts = []
    for key, value in item.items():
        if key in skip:
            continue
        if isinstance(value, list):
            value = ",".join(str(v) for v in value) or "-"
        parts.append(f"{key}={value}")
    return " ".join(parts)


def changes(before: Cluster, after: Cluster) -> list[str]:
    """What a person would notice between two states, one line per object that changed."""
    old, new = view(before), view(after)
    lines: list[str] = []
    for kind, label in (
        ("nodes", "node"),
        ("pods", "pod"),
        ("deployments", "deployment"),
        ("services", "service"),
        ("poddisruptionbudgets", "poddisruptionbudget"),  # only on scenarios with budgets or drains
        ("drains", "drain"),
    ):
        a, b = _index(old.get(kind, [])), _index(new.get(kind, []))
        for name in sorted(set(a) | set(b)):
            if name not in b:
                lines.append(f"- {label}/{name} is gone")
            elif name not in a:
                lines.append(f"+ {label}/{name} {_fields(b[name])}")
            elif a[name] != b[name]:
                diffs = [
                    f"{key} {show_value(a[name].get(key))} -> {show_value(value)}"
                    for key, value in b[name].items()
                    if a[name].get(key) != value
                ]
                lines.append(f"~ {label}/{name} {', '.join(diffs)}")
    cp_a, cp_b = old["controlPlane"], new["controlPlane"]
    for key, value in cp_b.items():
        if cp_a[key] != value:
            lines.append(f"~ control-plane {key} {'up' if cp_a[key] else 'down'} -> {'up' if value else 'down'}")
    return lines


def trace_lines(trace: Trace, indent: str = "  ", quiet: bool = True) -> list[str]:
    """The counterexample as a timeline of actions, each with what it changed. With ``quiet``,
    runs of steps that change nothing kubectl would show (heartbeats, health checks, clock
    ticks) are folded into one line; faults and timeline events are always shown."""
    first = cluster_of(trace.steps[0].state)
    # the checkers start where the scenario has come up, except where that would skip what they
    # are there to explore (HorizontalPodAutoscalers, Jobs, a first event at 0s, --no-settle)
    start = "after the scenario came up" if first.now > 0 else "before any component has acted"
    lines = [f"{indent}t={format_duration(first.now)}  initial state ({start})"]
    folded: list[tuple[int, str]] = []  # (time, actor) of the quiet steps not shown yet

    def flush() -> None:
        if not folded:
            return
        if len(folded) == 1:
            at, what = folded[0]
            lines.append(f"{indent}t={format_duration(at)}  {what}")
        else:
            actors = sorted({what.split("]")[0].strip("[").split("/")[0] for _, what in folded})
            first, last = format_duration(folded[0][0]), format_duration(folded[-1][0])
            span = first if first == last else f"{first}..{last}"
            lines.append(f"{indent}t={span}  ({len(folded)} steps that change nothing visible: {', '.join(actors)})")
        folded.clear()

    for prev, step in zip(trace.steps, trace.steps[1:], strict=False):
        before, after = cluster_of(prev.state), cluster_of(step.state)
        diff = changes(before, after)
        what = f"[{step.actor}] {step.label}"
        always_shown = step.actor in ("fault", "repair", "timeline", "adversary") or step is trace.steps[-1]
        if quiet and not diff and not always_shown:
            folded.append((before.now, what))
            continue
        flush()
        lines.append(f"{indent}t={format_duration(before.now)}  {what}")
        lines.extend(f"{indent}    {line}" for line in diff)
    flush()
    return lines


def _stats_text(r: Result) -> str:
    s = r.stats
    if r.engine == "smt" and r.verdict == VIOLATED:
        text = f"counterexample at depth {s.depth}"
    elif r.engine == "smt":
        text = f"no violation in runs of up to {s.depth} actions (bounded)"
    elif r.engine == "hypothesis":
        text = f"{s.examples:,} runs, {s.transitions:,} steps, longest {s.depth}"
    else:
        text = f"{s.states:,} states, {s.transitions:,} transitions, depth {s.depth}"
        if s.skipped:
            text += f" ({s.skipped:,} more skipped by sleep sets)"
    return f"{text}, {s.seconds:.1f}s"


VERDICT_WORDS = {HOLDS: "holds", VIOLATED: "VIOLATED", INCONCLUSIVE: "inconclusive"}


def warning_lines(warnings: Sequence[str]) -> list[str]:
    """The scenario's warnings (fields left out with --allow-unmodelled), for a report header."""
    return [f"warning: {w}" for w in warnings]


def text_report(header: list[str], results: list[Result], explanations: dict[int, str], ignoring: str = "") -> str:
    """The whole report: header, one line per (property, engine), then each counterexample.
    ``ignoring`` (``"(ignoring affinity at app.yaml:31)"``) ends every verdict line: a verdict
    about a scenario whose unmodelled fields were left out says so where it is read."""
    lines = list(header)
    lines.append("")
    tail = f" {ignoring}" if ignoring else ""
    width = min(max((len(r.property) for r in results), default=10), 40)
    # a warning every verdict carries (a restriction of the whole run) is said once, below them
    common = [w for w in results[0].warnings if all(w in r.warnings for r in results)] if len(results) > 1 else []
    for r in results:
        name = r.property
        if len(name) > width:
            lines.append(f"  {'':<12} {name}")
            name = ""
        lines.append(f"  {VERDICT_WORDS[r.verdict]:<12} {name:<{width}}  {r.engine:<10} {_stats_text(r)}{tail}")
        if r.verdict == INCONCLUSIVE:
            lines.append(f"  {'':<12} {'':<{width}}  {'':<10} {r.message}: no violation up to depth {r.stats.depth}")
        for w in r.warnings:
            if w not in common:
                lines.append(f"  {'':<12} warning: {w}")
    for w in common:
        lines.append(f"  {'':<12} warning: {w} (every verdict above)")
    for i, r in enumerate(results):
        if r.verdict != VIOLATED or r.trace is None:
            continue
        lines.append("")
        lines.append(f"{r.property} violated ({r.engine}): counterexample of {len(r.trace)} action(s)")
        why = explanations.get(i)
        if r.message and (why is None or why not in r.message):
            lines.append(f"  {r.message}")
        if why is not None:
            lines.append(f"  why: {why}")
        lines.extend(trace_lines(r.trace))
    return "\n".join(lines) + "\n"


def trace_json(trace: Trace) -> list[dict[str, Any]]:
    """A trace as JSON: every step's action and the kubectl-like view of the state after it."""
    out = []
    for step in trace.steps:
        c = cluster_of(step.state)
        out.append({"actor": step.actor, "action": step.label, "time": c.now, "state": view(c)})
    return out


def result_json(r: Result, explanation: str | None = None, warnings: Sequence[str] = ()) -> dict[str, Any]:
    """One verdict as JSON; ``warnings`` (the scenario's: fields left out) come first in its
    ``warnings``, since the verdict rests on them."""
    s = r.stats
    return {
        "result": r.verdict,
        "engine": r.engine,
        "property": r.property,
        "message": r.message,
        "explanation": explanation,
        "warnings": [*warnings, *r.warnings],
        "stats": {
            "states": s.states,
            "transitions": s.transitions,
            "depth": s.depth,
            "examples": s.examples,
            "seconds": round(s.seconds, 3),
            "neverFired": list(s.never_fired),
            "limit": s.limit or None,
            "skipped": s.skipped,
        },
        "trace": trace_json(r.trace) if r.trace is not None else None,
    }
