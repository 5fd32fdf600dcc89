"""The explorer on generated clusters: workers x replicas x powerOffNode budgets, until the cap.

    python -m benchmarks.explorer_sweep --workers 2 --replicas 3 --faults 1 [--cap 60]

runs one point and prints it as JSON (what ``python -m benchmarks`` runs in a child process per
point, measuring the child's peak memory). Each generated cluster is ``W`` workers and a
Deployment of ``R`` replicas behind a Service, with the short timeouts of
tests/data/props-two-workers.yaml, and a budget of ``F`` powerOffNode faults. The explorer visits
the whole state space (the property checked always holds) or stops at the cap.

The sweep (:func:`sweep`) grows workers and replicas from 1 for each budget; a point is not run
when a smaller one (no more workers, replicas and faults) already hit the cap, since its state
space contains the smaller one's runs.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.check_bench import explore_run
from benchmarks.common import GRACE, command, peak_mib, run_child
from kmodel.scenario import load

WORKERS = range(1, 7)
REPLICAS = range(1, 7)
BUDGETS = range(0, 3)
SMOKE = (range(1, 2), range(1, 3), range(0, 2))  # workers, replicas, budgets of --smoke

SETTINGS = """settings:
  nodeMonitorGracePeriod: 20s
  nodeStartupGracePeriod: 20s
  defaultNotReadyTolerationSeconds: 15s
  defaultUnreachableTolerationSeconds: 15s
  podEvictionTimeout: 20s
  podGCQuarantine: 20s
"""


def generated_yaml(workers: int, replicas: int) -> str:
    """The generated cluster: ``workers`` worker nodes, a Deployment of ``replicas`` and its Service."""
    docs = [
        "apiVersion: kmodel.dev/v1alpha1\nkind: Scenario\n"
        f"metadata: {{name: sweep-w{workers}-r{replicas}}}\n{SETTINGS}until: 5m\n"
    ]
    docs += [f"apiVersion: v1\nkind: Node\nmetadata: {{name: worker-{i}}}\n" for i in range(1, workers + 1)]
    docs.append(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        f"  replicas: {replicas}\n  selector: {{matchLabels: {{app: web}}}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: app, image: nginx}]}\n"
    )
    docs.append(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n"
    )
    return "---\n".join(docs)


def point_args(workers: int, replicas: int, faults: int, cap: float) -> list[str]:
    return [
        "-m",
        "benchmarks.explorer_sweep",
        "--workers",
        str(workers),
        "--replicas",
        str(replicas),
        "--faults",
        str(faults),
        "--cap",
        f"{cap:g}",
    ]


def run_point(workers: int, replicas: int, faults: int, cap: float) -> dict[str, Any]:
    """One point, in this process: the explorer's figures (no memory)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"sweep-w{workers}-r{replicas}.yaml"
        path.write_text(generated_yaml(workers, replicas))
        scenario = load(path)
    budget = (("powerOffNode", faults),) if faults else ()
    return {"workers": workers, "replicas": replicas, "faults": faults, **explore_run(scenario, budget, cap)}


def measure_point(workers: int, replicas: int, faults: int, cap: float) -> dict[str, Any]:
    """One point in a child process, with the child's peak resident memory."""
    args = point_args(workers, replicas, faults, cap)
    child = run_child(args, cap + GRACE)
    row: dict[str, Any] = {"workers": workers, "replicas": replicas, "faults": faults}
    if child.killed:
        row.update(verdict="killed", killed_after_seconds=child.seconds)  # the cap plus GRACE
    elif child.returncode != 0:  # recorded, so that one failing point does not lose the others
        row.update(verdict="error", error=child.error(), seconds=child.seconds)
    else:
        row.update(child.answer())
    row["peak_mib"] = child.peak_mib
    row["command"] = command(*args)
    return row


def sweep(cap: float, smoke: bool = False, report: Callable[[dict[str, Any]], None] | None = None) -> list[dict]:
    """Every point of the sweep: run, or skipped because a smaller point hit the cap."""
    workers, replicas, budgets = SMOKE if smoke else (WORKERS, REPLICAS, BUDGETS)
    over: list[tuple[int, int, int]] = []
    rows = []
    for f in budgets:
        for w in workers:
            for r in replicas:
                smaller = next((o for o in over if o[0] <= w and o[1] <= r and o[2] <= f), None)
                if smaller is not None:
                    rows.append(
                        {
                            "workers": w,
                            "replicas": r,
                            "faults": f,
                            "verdict": "not run",
                            "because": "workers {}, replicas {}, faults {} did not finish within the cap".format(
                                *smaller
                            ),
                            "command": command(*point_args(w, r, f, cap)),
                        }
                    )
                    continue
                row = measure_point(w, r, f, cap)
                if row["verdict"] != "done":
                    over.append((w, r, f))
                rows.append(row)
                if report is not None:
                    report(row)
    return rows


HEADER = ("workers", "replicas", "powerOffNode", "result", "states", "transitions", "states/s", "peak MiB", "seconds")


def table_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            r["workers"],
            r["replicas"],
            r["faults"],
            r["verdict"],
            r.get("states"),
            r.get("transitions"),
            r.get("states_per_second"),
            r.get("peak_mib"),
            r.get("seconds"),
        ]
        for r in rows
        if r["verdict"] != "not run"
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, required=True)
    ap.add_argument("--replicas", type=int, required=True)
    ap.add_argument("--faults", type=int, default=0, help="powerOffNode budget")
    ap.add_argument("--cap", type=float, default=60.0, help="seconds (default 60)")
    args = ap.parse_args()
    row = run_point(args.workers, args.replicas, args.faults, args.cap)
    print(json.dumps({**row, "peak_mib": peak_mib()}))


if __name__ == "__main__":
    main()
