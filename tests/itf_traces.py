"""Real counterexamples for the ITF and replay tests, each found once per test session.

Every trace is a :class:`~kmodel.tracedoc.TraceDoc` made the way ``kmodel check`` makes it
(``from_result`` with the run's explanation and fault budget), from a small search.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

from kmodel import model
from kmodel.checkrun import CheckOptions, run_check
from kmodel.render.itf import to_itf
from kmodel.scenario import load
from kmodel.tracedoc import TraceDoc, from_result
from tests import broken
from tests.conftest import DATA, SCENARIOS

NODE_FAILURE = SCENARIOS / "seed-node-failure.yaml"
NO_WORKERS = SCENARIOS / "seed-no-workers.yaml"
ONE_WORKER = DATA / "props-one-worker.yaml"
TWO_WORKERS = DATA / "props-two-workers.yaml"
ALL_READY = "all(n.status == 'Ready' for n in nodes)"
POWER_OFF_ONE = (("powerOffNode", 1),)


def scheduler_ignoring_taints() -> dict[str, model.StepFn]:
    return {"scheduler": broken.scheduler_ignoring_taints}


def kubelets_never_finishing_deletions() -> dict[str, model.StepFn]:
    return broken.per_kubelet(load(ONE_WORKER).initial_state(), broken.kubelet_never_finishing_deletions)


def found(
    path: Path,
    *,
    names: tuple[str, ...] = (),
    invariants: tuple[str, ...] = (),
    faults: tuple[tuple[str, int], ...] | None = None,
    engine: str = "explore",
    replace: dict[str, model.StepFn] | None = None,
    property_files: tuple[str, ...] = (),
    from_start: bool = False,
) -> TraceDoc:
    options = CheckOptions(
        engine=engine, faults=faults, max_states=50_000, seed=1, database=None, settle=not from_start
    )
    run = run_check(path, names, invariants, property_files, options, replace)
    (r,) = run.results
    assert r.trace is not None, (path, names, invariants, engine, r.verdict)
    return from_result(
        r, explanation=run.explanation(r), scenario=str(path), faults=run.model.budget, from_start=from_start
    )


@cache
def custom_invariant(engine: str) -> TraceDoc:
    """``all nodes Ready`` on seed-node-failure with one worker powered off: ~22 actions."""
    return found(NODE_FAILURE, invariants=(ALL_READY,), faults=POWER_OFF_ONE, engine=engine)


@cache
def builtin(engine: str) -> TraceDoc:
    """service-has-endpoint (an ``always`` built-in) on seed-no-workers: ~245 actions."""
    return found(NO_WORKERS, names=("service-has-endpoint",), engine=engine)


@cache
def broken_scheduler() -> TraceDoc:
    """no-schedule-to-unready-node (``always-transition``) with a scheduler that ignores taints."""
    return found(
        TWO_WORKERS, names=("no-schedule-to-unready-node",), faults=POWER_OFF_ONE, replace=scheduler_ignoring_taints()
    )


@cache
def broken_kubelet(engine: str) -> TraceDoc:
    """replica-convergence (``eventually``) with kubelets that never remove deleted pods: the
    replacement pod stays Pending (its ``node`` None) for good."""
    return found(
        ONE_WORKER,
        names=("replica-convergence",),
        faults=(("deletePod", 1),),
        engine=engine,
        replace=kubelets_never_finishing_deletions(),
    )


def foreign(doc: TraceDoc) -> dict[str, Any]:
    """``doc`` as another ITF writer might put it: no kmodel ``#meta``, a ``loop`` and a
    parameter, the time as ``#bigint``, taints and endpoints as ``#tup``, the control plane as
    a ``#map``, a bound pod's node as a plain string, and a variable of its own (a ``#set``)."""
    data = copy.deepcopy(to_itf(doc))
    data["#meta"] = {"source": "cluster.qnt", "description": "written by hand"}
    data["params"] = ["N"]
    data["loop"] = 0
    data["vars"] = [*data["vars"], "seen"]
    for i, state in enumerate(data["states"]):
        state["N"] = 3
        state["seen"] = {"#set": [{"#bigint": str(2**64 + i)}, "a"]}
        state["time"] = {"#bigint": str(state["time"])}
        for node in state["nodes"]:
            node["taints"] = {"#tup": node["taints"]}
        for svc in state["services"]:
            svc["endpoints"] = {"#tup": svc["endpoints"]}
        for pod in state["pods"]:
            if pod["node"]["tag"] == "Some":
                pod["node"] = pod["node"]["value"]
        state["controlPlane"] = {"#map": [[k, v] for k, v in state["controlPlane"].items()]}
    return data
