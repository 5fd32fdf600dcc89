"""`kmodel simulate` on generated clusters of 100, 1,000 and 5,000 nodes: wall time and peak memory.

    python -m benchmarks.simulate_scale --nodes 1000 [--minutes 10]

simulates one generated cluster (benchmarks/simulate_bench.py's: N workers in 3 zones, a
Deployment of 2N replicas, one worker in a hundred powered off at 60s; input limits raised to
fit) and prints it as JSON.
``python -m benchmarks`` runs each size in a child process, measures the child's peak memory,
and kills it at the cap ("over cap"); a size is not run once a smaller one was over the cap.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import GRACE, command, peak_mib, run_child
from benchmarks.simulate_bench import generated
from kmodel import limits
from kmodel.engines.simulate import simulate
from kmodel.scenario import load

SIZES = (100, 1000, 5000)
MINUTES = 10  # simulated minutes
SMOKE = ((10,), 1)  # sizes, minutes of --smoke


def simulate_run(path: Path, nodes: int) -> dict[str, Any]:
    """Simulate the generated cluster at ``path`` once: nodes and pods at the end, wall seconds,
    simulated ticks per second, events."""
    raised = limits.Limits(max_nodes=max(500, nodes), max_replicas=max(500, 2 * nodes), max_pods=max(1000, 2 * nodes))
    with limits.using(raised):
        scen = load(path)
        start = time.perf_counter()
        sim = simulate(scen)
        seconds = time.perf_counter() - start
    ticks = scen.until // scen.settings.step + 1
    final = sim.final
    assert final is not None
    return {
        "nodes": len(final.nodes),
        "pods": len(final.pods),
        "seconds": round(seconds, 3),
        "ticks": ticks,
        "ticks_per_second": round(ticks / seconds, 1) if seconds > 0 else None,
        "events": len(sim.events),
    }


def point_args(nodes: int, minutes: int) -> list[str]:
    return ["-m", "benchmarks.simulate_scale", "--nodes", str(nodes), "--minutes", str(minutes)]


def measure(nodes: int, minutes: int, cap: float) -> dict[str, Any]:
    args = point_args(nodes, minutes)
    child = run_child(args, cap + GRACE)
    row: dict[str, Any] = {"nodes": nodes, "minutes": minutes}
    if child.killed:
        row.update(verdict="over cap", killed_after_seconds=child.seconds)  # the cap plus GRACE
    elif child.returncode != 0:  # recorded, so that one failing point does not lose the others
        row.update(verdict="error", error=child.error(), seconds=child.seconds)
    else:
        row.update(child.answer())
        row["verdict"] = "done" if row["seconds"] <= cap else "over cap"
    row["peak_mib"] = child.peak_mib
    row["command"] = command(*args)
    return row


def run(cap: float, smoke: bool = False) -> list[dict[str, Any]]:
    sizes, minutes = SMOKE if smoke else (SIZES, MINUTES)
    rows: list[dict[str, Any]] = []
    for nodes in sizes:
        over = next((r["nodes"] for r in rows if r["verdict"] != "done"), None)
        if over is not None:
            rows.append(
                {
                    "nodes": nodes,
                    "minutes": minutes,
                    "verdict": "not run",
                    "because": f"{over} nodes did not finish within the cap",
                    "command": command(*point_args(nodes, minutes)),
                }
            )
            continue
        rows.append(measure(nodes, minutes, cap))
    return rows


HEADER = ("nodes", "pods", "simulated", "result", "wall s", "ticks/s", "peak MiB")


def table_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            r["nodes"],
            r.get("pods"),
            f"{r['minutes']} min",
            r["verdict"],
            r.get("seconds") or (f"killed at {r['killed_after_seconds']:.0f}" if "killed_after_seconds" in r else None),
            r.get("ticks_per_second"),
            r.get("peak_mib"),
        ]
        for r in rows
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, required=True)
    ap.add_argument("--minutes", type=int, default=MINUTES, help=f"simulated minutes (default {MINUTES})")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = generated(Path(tmp), args.nodes, args.minutes)
        row = {"nodes": args.nodes, "minutes": args.minutes, **simulate_run(path, args.nodes)}
    print(json.dumps({**row, "peak_mib": peak_mib()}))


if __name__ == "__main__":
    main()
