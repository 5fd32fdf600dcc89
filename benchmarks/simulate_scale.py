"""`kmodel simulate` on generated clusters of 100, 1,000 and 5,000 nodes: wall time and peak memory.

    python -m benchmarks.simulate_scale --nodes 1000 [--minutes 10]

simulates one generated cluster (benchmarks/simulate_bench.py's: N workers in 3 zones, a
Deployment of 2N replicas, one worker in a hundred powered off at 60s) and prints it as JSON.
``python -m benchmarks`` runs each size in a child process, measures the child's peak memory,
and kills it at the cap ("over cap"); a size is not run once a smaller one was over the cap.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import GRACE, command, peak_mib, run_child
from benchmarks.simulate_bench import generated, simulate_run

SIZES = (100, 1000, 5000)
MINUTES = 10  # simulated minutes
SMOKE = ((10,), 1)  # sizes, minutes of --smoke


def point_args(nodes: int, minutes: int) -> list[str]:
    return ["-m", "benchmarks.simulate_scale", "--nodes", str(nodes), "--minutes", str(minutes)]


def measure(nodes: int, minutes: int, cap: float) -> dict[str, Any]:
    args = point_args(nodes, minutes)
    child = run_child(args, cap + GRACE)
    row: dict[str, Any] = {"nodes": nodes, "minutes": minutes}
    if child.killed:
        row.update(verdict="over cap", seconds=child.seconds)
    else:
        row.update(child.answer())
        row.pop("max_rss_mib", None)  # the same figure as peak_mib
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
                    "because": f"{over} nodes were over the cap",
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
            r.get("seconds"),
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
        row = {
            "nodes": args.nodes,
            "minutes": args.minutes,
            **simulate_run(generated(Path(tmp), args.nodes, args.minutes)),
        }
    print(json.dumps({**row, "peak_mib": peak_mib()}))


if __name__ == "__main__":
    main()
