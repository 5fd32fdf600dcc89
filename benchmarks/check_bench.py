"""Print how far the explorer gets: states, transitions, depth, states/s and memory per run.

    python benchmarks/check_bench.py [--timeout 60] [--budgets none,killPod=1,powerOffNode=1]

For every shipped scenario and every fault budget, explores the full state space (checking a
property that always holds, so nothing stops the search early) until it is done or the timeout
hits, then prints one row. "done" means the whole space was visited; "limit" that the timeout
stopped it first. :func:`explore_run` is the one run, shared with ``python -m benchmarks``
(benchmarks/explorer_sweep.py).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path
from typing import Any

from kmodel.checkmodel import KubeModel
from kmodel.checkrun import parse_faults
from kmodel.engines.base import ALWAYS, HOLDS, Property
from kmodel.engines.explore import explore
from kmodel.scenario import Scenario, load

ROOT = Path(__file__).resolve().parent.parent
NO_STATE_LIMIT = 10**12  # the time limit alone stops a run


def explore_run(
    scenario: Scenario, faults: tuple[tuple[str, int], ...], timeout: float, max_states: int = NO_STATE_LIMIT
) -> dict[str, Any]:
    """Explore the whole state space of ``scenario`` under ``faults`` (a property that always holds,
    so only the space's end or ``timeout`` stops the search): verdict "done" or "limit", states,
    transitions, depth, seconds and states/s."""
    trivially_true = Property("true", ALWAYS, "", predicate=lambda s: True)
    start = time.monotonic()
    r = explore(KubeModel(scenario, faults=faults), trivially_true, timeout=timeout, max_states=max_states)
    secs = time.monotonic() - start
    return {
        "verdict": "done" if r.verdict == HOLDS else "limit",
        "states": r.stats.states,
        "transitions": r.stats.transitions,
        "depth": r.stats.depth,
        "seconds": round(secs, 3),
        "states_per_second": round(r.stats.states / secs, 1) if secs > 0 else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per run (default 60)")
    ap.add_argument("--budgets", default="none,killPod=1,deletePod=1,stopComponent=1,powerOffNode=1")
    ap.add_argument("--scenarios", default=",".join(sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))))
    args = ap.parse_args()
    print(
        f"{'scenario':<32} {'budget':<18} {'result':<6} {'states':>9} {'transitions':>11} "
        f"{'depth':>5} {'seconds':>7} {'states/s':>8} {'maxrss MB':>9}"
    )
    for name in args.scenarios.split(","):
        scenario = load(ROOT / "scenarios" / name)
        for budget in args.budgets.split(";") if ";" in args.budgets else args.budgets.split(","):
            r = explore_run(scenario, parse_faults(budget), args.timeout, max_states=1_000_000)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{name:<32} {budget:<18} {r['verdict']:<6} {r['states']:>9,} {r['transitions']:>11,} "
                f"{r['depth']:>5} {r['seconds']:>7.1f} {r['states_per_second'] or 0:>8.0f} {rss:>9.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
