"""Replaying trace files on the model (kmodel.replay): counterexamples of both engines come back
from their ITF file and still break their property; a trace of a broken component replays only
with that component; a tampered trace diverges at exactly the tampered step, and says how."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from kmodel.engines.base import WITHIN, Property
from kmodel.errors import EXIT_INCONCLUSIVE, EXIT_OK, EXIT_VIOLATED, KmodelError
from kmodel.render.itf import from_itf, read_itf, to_itf, write_itf
from kmodel.render.table import t as show_time
from kmodel.replay import (
    DIFFERENT_STATE,
    EXIT_DIVERGED,
    INITIAL_STATE,
    NOT_ENABLED,
    SEARCH_STOPPED,
    STOP_LABEL,
    ReplayReport,
    evaluate,
    replay,
)
from kmodel.scenario import load
from kmodel.tracedoc import TraceDoc
from tests import itf_traces as traces
from tests.conftest import ROOT


def _through_file(doc: TraceDoc, tmp_path: Path) -> TraceDoc:
    return read_itf(write_itf(doc, tmp_path / "trace.itf.json"))


def _still_violated(report: ReplayReport, doc: TraceDoc) -> None:
    assert report.diverged is None, report.message
    assert report.replayed == report.total == len(doc.steps) - 1
    assert report.still_violated is True and report.exit_code == EXIT_VIOLATED, report.message
    assert "still VIOLATED" in report.message


ROUND_TRIPS: dict[str, Callable[[], TraceDoc]] = {
    "custom invariant, explore": lambda: traces.custom_invariant("explore"),
    "custom invariant, hypothesis": lambda: traces.custom_invariant("hypothesis"),
    "built-in always, explore": lambda: traces.builtin("explore"),
}  # the built-ins with Hypothesis: see the broken kubelet (replica-convergence) below


@pytest.mark.parametrize("make", list(ROUND_TRIPS.values()), ids=list(ROUND_TRIPS))
def test_a_counterexample_replays_from_its_file_and_still_violates(
    make: Callable[[], TraceDoc], tmp_path: Path
) -> None:
    doc = make()
    back = _through_file(doc, tmp_path)
    report = replay(back, back.scenario)
    _still_violated(report, doc)
    assert report.explanation == doc.explanation  # the engine's explanation, recomputed
    assert report.note == "the last state violates it"
    assert len(report.states) == len(doc.steps)


def test_the_trace_names_its_own_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    doc = traces.custom_invariant("explore")
    relative = attrs.evolve(doc, scenario=str(Path(doc.scenario).relative_to(ROOT)))  # type: ignore[arg-type]
    assert replay(_through_file(relative, tmp_path)).exit_code == EXIT_VIOLATED
    assert replay(doc, load(traces.NODE_FAILURE)).exit_code == EXIT_VIOLATED  # a loaded scenario works too
    # seed-no-workers has the same cluster and first timeline event: the trace is a run of it too
    other = replay(doc, traces.NO_WORKERS)
    assert other.exit_code == EXIT_VIOLATED
    assert other.message.splitlines()[1] == f"(the trace was recorded on {doc.scenario})"


def test_broken_scheduler_trace_replays_only_with_the_broken_scheduler(tmp_path: Path) -> None:
    """no-schedule-to-unready-node, found with a scheduler that ignores taints.

    With that scheduler the trace replays and its last step (binding the replacement pod to the
    powered-off, unreachable-tainted worker-1) still breaks the property. Against the real
    scheduler every step up to the last replays (they are the same components, faults and clock),
    but the last binding is not enabled: the real scheduler honours the NoSchedule taint, so the
    only binding it offers is to worker-2, which the divergence lists."""
    doc = _through_file(traces.broken_scheduler(), tmp_path)
    bound = doc.steps[-1]
    assert bound.actor == "scheduler" and bound.action.endswith(" to worker-1")
    report = replay(doc, doc.scenario, replace=traces.scheduler_ignoring_taints())
    _still_violated(report, doc)
    assert report.kind == "always-transition" and report.note == "the last step violates it"
    assert report.explanation == doc.explanation and "worker-1" in report.explanation

    correct = replay(doc, doc.scenario)
    d = correct.diverged
    assert d is not None and correct.exit_code == EXIT_DIVERGED
    assert (d.index, d.kind, d.actor, d.action, d.time) == (
        len(doc.steps) - 1,
        NOT_ENABLED,
        "scheduler",
        bound.action,
        bound.time,
    )
    assert correct.replayed == len(doc.steps) - 2
    pod = bound.action.split()[1]
    assert d.details == (f"enabled instead: [scheduler] bind {pod} to worker-2",)
    assert correct.still_violated is None
    assert f"DIVERGED at step {d.index} of {d.index}" in correct.message


@pytest.mark.parametrize("engine", ["explore", "hypothesis"])
def test_broken_kubelet_trace_replays_only_with_the_broken_kubelet(engine: str, tmp_path: Path) -> None:
    """replica-convergence (eventually), found with kubelets that never remove a deleted pod.

    With those kubelets the trace replays, the faults stop at the recorded step, and the
    replacement pod is still not Running and ready more than the 60 s bound later. Against the
    real kubelets the replay diverges at the first clock tick after the worker's kubelet stopped
    the deleted pod's containers and the next tick began: the real kubelet, due in that tick,
    still has work (removing the pod object), and the model lets the clock move only once every
    due component has acted, so the tick is not enabled and the removal is offered instead."""
    doc = _through_file(traces.broken_kubelet(engine), tmp_path)
    replace = traces.kubelets_never_finishing_deletions()
    report = replay(doc, doc.scenario, replace=replace)
    _still_violated(report, doc)
    assert report.kind == "eventually"
    assert report.note.startswith("not reached for ") and "(bound 60s) once the faults stopped" in report.note
    assert report.explanation == doc.explanation

    deleted = next(s.action for s in doc.steps if s.actor == "fault").removeprefix("kubectl delete pod ")
    stopped = next(i for i, s in enumerate(doc.steps) if s.action == f"{deleted} containers stopped")
    later_tick = [i for i, s in enumerate(doc.steps) if s.actor == "clock" and i > stopped]
    correct = replay(doc, doc.scenario)
    d = correct.diverged
    assert d is not None and correct.exit_code == EXIT_DIVERGED, correct.message
    assert (d.index, d.kind, d.actor) == (later_tick[1], NOT_ENABLED, "clock")
    assert f"enabled instead: [kubelet/worker] {deleted} removed" in d.details


def _tamper(doc: TraceDoc, change: Callable[[dict[str, Any]], None]) -> TraceDoc:
    data = copy.deepcopy(to_itf(doc))
    change(data)
    return from_itf(json.loads(json.dumps(data)))


def test_a_changed_pod_status_diverges_at_that_step() -> None:
    doc = traces.builtin("explore")
    i = next(i for i, s in enumerate(doc.steps) if i > 40 and s.state["pods"][0]["status"] == "Running")
    pod = doc.steps[i].state["pods"][0]["name"]

    def change(data: dict[str, Any]) -> None:
        data["states"][i]["pods"][0]["status"] = "Terminating"

    report = replay(_tamper(doc, change), doc.scenario)
    d = report.diverged
    assert d is not None and report.exit_code == EXIT_DIVERGED
    step = doc.steps[i]
    assert (d.index, d.time, d.actor, d.action, d.kind) == (i, step.time, step.actor, step.action, DIFFERENT_STATE)
    assert d.details == (f"pod/{pod} status Running -> expected Terminating",)
    assert report.replayed == i - 1 and report.still_violated is None
    assert f"DIVERGED at step {i} of {len(doc.steps) - 1}" in report.message
    assert f"pod/{pod} status Running -> expected Terminating" in report.message


def test_a_renamed_action_diverges_at_that_step() -> None:
    doc = traces.custom_invariant("hypothesis")
    i = next(i for i, s in enumerate(doc.steps) if s.actor == "nodelifecycle" and "Unknown" in s.action)
    original = doc.steps[i].action

    def change(data: dict[str, Any]) -> None:
        data["states"][i]["action"] = original.replace("Unknown", "False")

    report = replay(_tamper(doc, change), doc.scenario)
    d = report.diverged
    assert d is not None and (d.index, d.kind, d.actor) == (i, NOT_ENABLED, "nodelifecycle")
    assert d.action == original.replace("Unknown", "False") != original
    assert f"enabled instead: [nodelifecycle] {original}" in d.details
    assert report.exit_code == EXIT_DIVERGED and "the action is not enabled" in report.message


def test_a_changed_time_diverges_at_that_step() -> None:
    doc = traces.custom_invariant("explore")
    i = next(i for i, s in enumerate(doc.steps) if s.actor == "clock")

    def change(data: dict[str, Any]) -> None:
        data["states"][i]["time"] += 1

    d = replay(_tamper(doc, change), doc.scenario).diverged
    t = doc.steps[i].time
    assert d is not None and (d.index, d.kind) == (i, DIFFERENT_STATE)
    assert d.details == (f"time t={show_time(t)} -> expected t={show_time(t + 1)}",)


def test_a_removed_object_is_named() -> None:
    doc = traces.custom_invariant("explore")
    i = len(doc.steps) - 1
    name = doc.steps[i].state["services"][0]["name"]

    def change(data: dict[str, Any]) -> None:
        data["states"][i]["services"] = []
        data["states"][i]["controlPlane"]["etcd"] = False

    d = replay(_tamper(doc, change), doc.scenario).diverged
    assert d is not None and d.index == i
    assert d.details == (
        f"service/{name} exists, but the trace has no such service",
        "control-plane etcd True -> expected False",
    )


def test_a_trace_cut_before_its_violation_replays_and_holds() -> None:
    doc = traces.custom_invariant("explore")
    report = replay(attrs.evolve(doc, steps=doc.steps[:-1]), doc.scenario)
    assert report.diverged is None and report.still_violated is False and report.exit_code == EXIT_OK
    assert "no longer violated" in report.message and report.explanation is None


def test_an_eventually_trace_without_the_faults_stopping_is_not_confirmed() -> None:
    doc = traces.broken_kubelet("explore")
    stop = next(i for i, s in enumerate(doc.steps) if s.action == STOP_LABEL)
    report = replay(
        attrs.evolve(doc, steps=doc.steps[:stop]), doc.scenario, replace=traces.kubelets_never_finishing_deletions()
    )
    assert report.diverged is None and report.replayed == stop - 1
    assert report.still_violated is None and report.exit_code == EXIT_INCONCLUSIVE
    assert "no step where the faults stop" in report.note and "not confirmed" in report.message


def test_an_eventually_trace_cut_short_of_the_bound_is_not_a_violation() -> None:
    doc = traces.broken_kubelet("explore")
    report = replay(
        attrs.evolve(doc, steps=doc.steps[:-3]), doc.scenario, replace=traces.kubelets_never_finishing_deletions()
    )
    assert report.still_violated is False and report.exit_code == EXIT_OK
    assert "not a violation yet" in report.note


def test_within_is_checked_with_the_explorers_monitor() -> None:
    doc = traces.custom_invariant("explore")
    report = replay(doc, doc.scenario)
    model_states = report.states
    powered_off = next(i for i, s in enumerate(doc.steps) if s.actor == "fault")
    off_at = doc.steps[powered_off].time
    waited = doc.steps[-1].time - off_at

    def prop(bound: int) -> Property:
        return Property(
            "ready-again",
            WITHIN,
            "a node powered off is Ready again within bound",
            predicate=lambda s: any(not n.powered for n in s.cluster.nodes),
            target=lambda s: all(n.powered for n in s.cluster.nodes),
            bound=bound,
        )

    late = evaluate(prop(waited - 1), _Clock(), model_states, doc.steps)
    assert late.still_violated is True and f"not reached for {waited}s" in late.note
    assert evaluate(prop(waited), _Clock(), model_states, doc.steps).still_violated is False


class _Clock:
    def clock(self, state: Any) -> int:
        return state.cluster.now


def test_a_wrong_start_is_reported_at_step_zero() -> None:
    doc = traces.custom_invariant("explore")
    report = replay(doc, doc.scenario, from_start=True)
    d = report.diverged
    assert d is not None and (d.index, d.kind) == (0, INITIAL_STATE) and report.exit_code == EXIT_DIVERGED
    assert "replay it from the settled state" in d.reason and report.replayed == 0


def test_a_trace_from_t0_replays_from_t0(tmp_path: Path) -> None:
    doc = traces.found(traces.NODE_FAILURE, invariants=(traces.ALL_READY,), faults=(), from_start=True)
    assert doc.steps[0].time == 0 and doc.from_start
    back = _through_file(doc, tmp_path)
    assert back.from_start
    report = replay(back, doc.scenario)
    _still_violated(report, doc)
    assert "from t=0" in report.message.splitlines()[0]
    d = replay(back, doc.scenario, from_start=False).diverged
    assert d is not None and d.kind == INITIAL_STATE and "replay it from the start" in d.reason


def test_the_search_is_bounded() -> None:
    doc = traces.custom_invariant("explore")
    report = replay(doc, doc.scenario, limit=3)
    assert report.diverged is not None and report.diverged.kind == SEARCH_STOPPED
    assert report.exit_code == EXIT_INCONCLUSIVE and "SEARCH STOPPED" in report.message


def test_the_recorded_fault_budget_is_used() -> None:
    """The trace powers off a worker; without a budget for that the fault is not enabled."""
    doc = traces.custom_invariant("explore")
    report = replay(doc, doc.scenario, faults=(("stopKubelet", 1),))
    d = report.diverged
    assert d is not None and d.actor == "fault" and d.kind == NOT_ENABLED
    assert d.reason == "the action is not enabled in the replayed state (fault budget left: stopKubelet x1)"
    assert any(x.startswith("enabled instead: [fault] stop kubelet on") for x in d.details)


def test_a_foreign_trace_replays() -> None:
    doc = traces.broken_kubelet("explore")
    foreign = from_itf(traces.foreign(doc))
    report = replay(foreign, doc.scenario, faults=doc.faults, replace=traces.kubelets_never_finishing_deletions())
    assert report.diverged is None and report.property is None and report.exit_code == EXIT_OK
    assert "no property recorded" in report.message


PROPERTY_FILE = """\
from kmodel.properties import invariant

@invariant("workers-powered", explain=lambda c: "off: " + ", ".join(n.name for n in c.nodes if not n.powered))
def workers_powered(cluster):
    "Every machine is on."
    return all(n.powered for n in cluster.nodes)
"""


def test_a_property_from_a_file(tmp_path: Path) -> None:
    props = tmp_path / "props.py"
    props.write_text(PROPERTY_FILE)
    doc = traces.found(
        traces.NODE_FAILURE, names=("workers-powered",), faults=traces.POWER_OFF_ONE, property_files=(str(props),)
    )
    report = replay(_through_file(doc, tmp_path), doc.scenario, property_files=[str(props)])
    _still_violated(report, doc)
    assert report.explanation == doc.explanation and report.explanation.startswith("off: ")
    with pytest.raises(KmodelError, match="'workers-powered' is not built in") as info:
        replay(doc, doc.scenario)
    assert info.value.where == "property" and "--property-file" in (info.value.fix or "")


def test_bad_replay_input() -> None:
    doc = traces.custom_invariant("explore")
    with pytest.raises(KmodelError, match="does not say which scenario"):
        replay(attrs.evolve(doc, scenario=None))
    with pytest.raises(KmodelError) as info:
        replay(doc, ROOT / "scenarios" / "nope.yaml")
    assert info.value.exit_code == 2
    with pytest.raises(KmodelError) as info:
        replay(attrs.evolve(doc, property="invariant: n.status ==="), doc.scenario)
    assert info.value.where == "property (the trace's invariant)"


def test_a_file_written_in_one_process_replays_in_another(tmp_path: Path) -> None:
    """Labels and views must not depend on the process (string hashing is randomised per
    process): a trace file is replayed by a fresh interpreter with another hash seed."""
    path = write_itf(traces.builtin("explore"), tmp_path / "t.itf.json")
    code = textwrap.dedent(f"""
        from kmodel.render.itf import read_itf
        from kmodel.replay import replay
        r = replay(read_itf({str(path)!r}))
        print(r.exit_code, r.replayed, r.total)
    """)
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    n = len(traces.builtin("explore").steps) - 1
    assert out.stdout.split() == [str(EXIT_VIOLATED), str(n), str(n)], out.stderr
