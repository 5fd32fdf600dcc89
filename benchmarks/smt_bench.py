"""How deep Z3 bounded model checking gets in a time budget (node-health and workload slices,
and the bounded liveness of replica-convergence).

    python benchmarks/smt_bench.py [SECONDS] [FILTER]   (default 60 per run; FILTER: only the
                                                       runs whose title or property contains it)

Prints, per scenario and property, the verdict, the depth reached (runs of that many actions are
all covered) and the seconds at which depths 5, 10, 15, ... were done.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kmodel.engines.base import EVENTUALLY, Stats  # noqa: E402
from kmodel.scenario import load  # noqa: E402
from kmodel.smt import bmc  # noqa: E402
from kmodel.smt.workload import WorkloadSlice  # noqa: E402

POWER_OFF = (("powerOffNode", 1),)
RUNS = [
    # (title, scenario, faults (None: the scenario's), drop the timeline / "workload", property)
    ("props-two-workers", "tests/data/props-two-workers.yaml", POWER_OFF, False, "eviction-after-timeout"),
    ("props-two-workers", "tests/data/props-two-workers.yaml", POWER_OFF, False, "no-pod-terminating"),
    ("seed-node-failure (timeline)", "scenarios/seed-node-failure.yaml", (), False, "eviction-after-timeout"),
    ("seed-node-failure (timeline)", "scenarios/seed-node-failure.yaml", (), False, "no-pod-terminating"),
    ("seed-node-failure (no timeline)", "scenarios/seed-node-failure.yaml", POWER_OFF, True, "eviction-after-timeout"),
    # the workload slice (scheduler, Deployment, ReplicaSet and endpoints controllers too): the
    # default of `kmodel check --engine smt`, and the whole model on these scenarios
    ("props-two-workers", "tests/data/props-two-workers.yaml", POWER_OFF, "workload", "eviction-after-timeout"),
    ("props-two-workers", "tests/data/props-two-workers.yaml", POWER_OFF, False, "no-schedule-to-unready-node"),
    ("props-two-workers", "tests/data/props-two-workers.yaml", POWER_OFF, False, "no-over-replication"),
    ("seed-node-failure (timeline)", "scenarios/seed-node-failure.yaml", (), False, "no-schedule-to-unready-node"),
    ("seed-node-failure (timeline)", "scenarios/seed-node-failure.yaml", (), False, "bound-pods-stay-put"),
    ("seed-scaling (timeline)", "scenarios/seed-scaling.yaml", None, False, "no-over-replication"),
    ("seed-control-plane-down (timeline)", "scenarios/seed-control-plane-down.yaml", (), False, "service-has-endpoint"),
    ("seed-no-workers (timeline)", "scenarios/seed-no-workers.yaml", (), False, "service-has-endpoint"),
    ("seed-component-restart (timeline)", "scenarios/seed-component-restart.yaml", (), False, "service-has-endpoint"),
    # bounded liveness (kmodel.smt.liveness): the product with the "calm" flag, one action more
    ("props-two-workers", "tests/data/props-two-workers.yaml", POWER_OFF, False, "replica-convergence"),
    ("seed-node-failure (timeline)", "scenarios/seed-node-failure.yaml", (), False, "replica-convergence"),
    ("seed-scaling (timeline)", "scenarios/seed-scaling.yaml", None, False, "replica-convergence"),
    ("seed-control-plane-down (timeline)", "scenarios/seed-control-plane-down.yaml", (), False, "replica-convergence"),
    ("seed-no-workers (timeline)", "scenarios/seed-no-workers.yaml", (), False, "replica-convergence"),
    ("seed-component-restart (timeline)", "scenarios/seed-component-restart.yaml", (), False, "replica-convergence"),
]


Run = tuple[str, str, tuple[tuple[str, int], ...] | None, bool | str, str]


def bmc_run(run: Run, budget: float, max_depth: int = 10_000) -> dict[str, Any]:
    """One row of :data:`RUNS`, checked by BMC for ``budget`` seconds (or to ``max_depth``): the
    slice, the verdict, the depth reached (runs of that many actions are all covered), the
    seconds, and the seconds at which each depth was done."""
    title, path, faults, drop, prop = run
    scen = load(ROOT / path)
    if drop is True:
        scen = attrs.evolve(scen, timeline=())
    workload = drop == "workload" or bmc.PROPERTIES[prop].workload
    live = bmc.PROPERTIES[prop].kind == EVENTUALLY
    encoding = bmc.slice_of(scen, faults=faults, workload=workload, calm=live)
    marks: dict[int, float] = {}

    def progress(stats: Stats, _queue: int, marks: dict[int, float] = marks) -> None:
        marks.setdefault(stats.depth, round(stats.seconds, 1))

    r = bmc.check(encoding, prop, max_depth=max_depth, timeout=budget, progress=progress)
    return {
        "title": title,
        "scenario": path,
        "slice": "workload" if isinstance(encoding, WorkloadSlice) else "node-health",
        "faults": "scenario's" if faults is None else (",".join(f"{k}={v}" for k, v in faults) or "none"),
        "property": prop,
        "verdict": r.verdict,
        "depth": r.stats.depth,
        "seconds": round(r.stats.seconds, 3),
        "seconds_at_depth": {d: marks[d] for d in sorted(marks)},
    }


def main(budget: float, only: str = "") -> None:
    print(f"Z3 BMC, {budget:.0f}s per run")
    for run in RUNS:
        title, _path, _faults, _drop, prop = run
        if only not in title and only not in prop:
            continue
        r = bmc_run(run, budget)
        at = {d: s for d, s in r["seconds_at_depth"].items() if d % 5 == 0}
        print(
            f"{title:36s} {r['slice']:11s} faults {r['faults']:14s} {prop:27s} {r['verdict']:12s} "
            f"depth {r['depth']:3d} in {r['seconds']:5.1f}s; seconds at depth: {at}",
            flush=True,
        )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0, sys.argv[2] if len(sys.argv) > 2 else "")
